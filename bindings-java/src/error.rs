//! Errors crossing to Java: every failure of an entry point becomes one
//! `dev.warren.client.impl.NativeException`, built from [`encode_error`]'s bytes, and a panic
//! becomes one too ([`ThrowNative`] is the policy every entry point resolves with). Java's
//! `Errors` turns a `NativeException` into the API's exceptions, in one place.

use std::any::Any;

use jni::errors::ErrorPolicy;
use jni::objects::{JObject, JThrowable, JValue};
use jni::{jni_sig, jni_str, Env};
use warren_core::Error;

use crate::bridge::Writer;

/// Stable numbers for the kinds of error, mirrored by `NativeException`'s constants.
pub mod kind {
    /// A bug: a panic, or a JNI call that failed.
    pub const INTERNAL: u8 = 0;
    /// The broker closed the connection (reply code and text, class and method).
    pub const CONNECTION_CLOSED: u8 = 1;
    /// The broker closed the channel.
    pub const CHANNEL_CLOSED: u8 = 2;
    /// The application closed the connection.
    pub const CONNECTION_CLOSED_BY_CLIENT: u8 = 3;
    /// The application (or a connection failure) closed the channel.
    pub const CHANNEL_CLOSED_BY_CLIENT: u8 = 4;
    /// The peer broke the protocol or sent a malformed frame.
    pub const PROTOCOL: u8 = 5;
    /// A socket error other than a refused connection.
    pub const IO: u8 = 6;
    /// TLS failed.
    pub const TLS: u8 = 7;
    /// The URI or an argument is invalid.
    pub const INVALID_ARGUMENT: u8 = 8;
    /// The broker refused the credentials.
    pub const AUTHENTICATION: u8 = 9;
    /// The broker offers no mechanism we use.
    pub const MECHANISM: u8 = 10;
    /// Heartbeats stopped.
    pub const MISSED_HEARTBEATS: u8 = 11;
    /// Connecting took too long.
    pub const CONNECT_TIMEOUT: u8 = 12;
    /// An operation took too long.
    pub const TIMEOUT: u8 = 13;
    /// The broker cancelled a consumer.
    pub const CONSUMER_CANCELLED: u8 = 14;
    /// No free channel number.
    pub const CHANNELS_EXHAUSTED: u8 = 15;
    /// The call does not fit the channel's state.
    pub const INVALID_STATE: u8 = 16;
    /// The connection was lost during the call; recovery is reconnecting.
    pub const CONNECTION_LOST: u8 = 17;
    /// A publish in confirm mode was never confirmed.
    pub const PUBLISH_UNCONFIRMED: u8 = 18;
    /// A delivery tag from before a recovery.
    pub const STALE_DELIVERY_TAG: u8 = 19;
    /// An incoming message exceeded the maximum size; its channel was closed.
    pub const MESSAGE_TOO_LARGE: u8 = 20;
    /// A mandatory message (an RPC request) was returned unroutable.
    pub const UNROUTABLE: u8 = 21;
    /// Undecodable content from the broker; its channel was closed.
    pub const BAD_CONTENT: u8 = 22;
    /// A connection used in a forked child.
    pub const USED_AFTER_FORK: u8 = 23;
    /// The broker refused the connection (nothing listens there).
    pub const CONNECTION_REFUSED: u8 = 24;
}

/// Why an entry point failed.
#[derive(Debug)]
pub enum BridgeError {
    /// The core said no.
    Core(Error),
    /// A JNI call failed (a Java exception may be pending).
    Jni(jni::errors::Error),
    /// Java passed something the bridge cannot use (a bug on the Java side, or a closed handle).
    Internal(String),
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BridgeError::Core(e) => e.fmt(f),
            BridgeError::Jni(e) => write!(f, "JNI: {e}"),
            BridgeError::Internal(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for BridgeError {}

impl From<Error> for BridgeError {
    fn from(e: Error) -> Self {
        BridgeError::Core(e)
    }
}

impl From<jni::errors::Error> for BridgeError {
    fn from(e: jni::errors::Error) -> Self {
        BridgeError::Jni(e)
    }
}

/// Result of an entry point's body.
pub type BridgeResult<T> = Result<T, BridgeError>;

/// The kind number of a core error (see [`kind`]); the one place core errors are classified.
pub fn error_kind(e: &Error) -> u8 {
    match e {
        Error::ConnectionClosed(_) => kind::CONNECTION_CLOSED,
        Error::ChannelClosed(_) => kind::CHANNEL_CLOSED,
        Error::ConnectionClosedByClient => kind::CONNECTION_CLOSED_BY_CLIENT,
        Error::ChannelClosedByClient => kind::CHANNEL_CLOSED_BY_CLIENT,
        Error::Protocol(_) | Error::Decode(_) => kind::PROTOCOL,
        Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            kind::CONNECTION_REFUSED
        }
        Error::Io(_) => kind::IO,
        Error::Tls(_) => kind::TLS,
        Error::InvalidUri(_) | Error::InvalidArgument(_) => kind::INVALID_ARGUMENT,
        Error::AuthenticationFailed(_) => kind::AUTHENTICATION,
        Error::MechanismNotOffered { .. } => kind::MECHANISM,
        Error::MissedHeartbeats => kind::MISSED_HEARTBEATS,
        Error::ConnectTimeout(_) => kind::CONNECT_TIMEOUT,
        Error::Timeout => kind::TIMEOUT,
        Error::ConsumerCancelled(_) => kind::CONSUMER_CANCELLED,
        // The last host's error says what went wrong; the message keeps the whole story.
        Error::AllHostsFailed(last) => error_kind(last),
        Error::ChannelsExhausted(_) => kind::CHANNELS_EXHAUSTED,
        Error::InvalidState(_) => kind::INVALID_STATE,
        Error::ConnectionLost(_) => kind::CONNECTION_LOST,
        Error::PublishUnconfirmed(_) => kind::PUBLISH_UNCONFIRMED,
        Error::StaleDeliveryTag(_) => kind::STALE_DELIVERY_TAG,
        Error::MessageTooLarge { .. } => kind::MESSAGE_TOO_LARGE,
        Error::Unroutable(_) => kind::UNROUTABLE,
        Error::BadContent(_) => kind::BAD_CONTENT,
        Error::UsedAfterFork { .. } => kind::USED_AFTER_FORK,
    }
}

/// The AMQP close behind an error, where there is one.
fn amqp_of(e: &Error) -> Option<&warren_core::AmqpError> {
    match e {
        Error::ConnectionClosed(a)
        | Error::ChannelClosed(a)
        | Error::Unroutable(a)
        | Error::BadContent(a) => Some(a),
        // A request cut off by the broker's connection.close keeps that close's reply code and
        // text, so the Java side can name it as the official client does.
        Error::AllHostsFailed(last)
        | Error::ConnectionLost(last)
        | Error::PublishUnconfirmed(last) => amqp_of(last),
        _ => None,
    }
}

/// Writes an error as `NativeException` reads it: kind, reply code, class id, method id,
/// reply text, message.
pub fn write_error(w: &mut Writer, kind: u8, e: Option<&Error>, message: &str) {
    w.u8(kind);
    match e.and_then(amqp_of) {
        Some(a) => {
            w.u16(a.reply_code);
            w.u16(a.class_id);
            w.u16(a.method_id);
            w.long_str(a.reply_text.as_bytes());
        }
        None => {
            w.u16(0);
            w.u16(0);
            w.u16(0);
            w.long_str(b"");
        }
    }
    w.long_str(message.as_bytes());
}

/// A core error in `NativeException`'s layout.
pub fn encode_error(e: &Error) -> Vec<u8> {
    let mut w = Writer::default();
    write_error(&mut w, error_kind(e), Some(e), &e.to_string());
    w.into_bytes()
}

/// Throws a `NativeException` made of `bytes` (unless an exception is already pending).
fn throw_encoded(env: &mut Env<'_>, bytes: &[u8]) -> jni::errors::Result<()> {
    if env.exception_check() {
        return Ok(());
    }
    let array = env.byte_array_from_slice(bytes)?;
    let obj = env.new_object(
        jni_str!("dev/warren/client/impl/NativeException"),
        jni_sig!("([B)V"),
        &[JValue::Object(&JObject::from(array))],
    )?;
    let throwable = env.cast_local::<JThrowable>(obj)?;
    let _ = env.throw(throwable);
    Ok(())
}

/// How every entry point turns an error or a panic into a Java exception.
#[derive(Debug, Default)]
pub struct ThrowNative;

impl<T: Default> ErrorPolicy<T, BridgeError> for ThrowNative {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'local: 'native_method, 'native_method>(
        env: &mut Env<'local>,
        _cap: &mut (),
        err: BridgeError,
    ) -> jni::errors::Result<T> {
        let bytes = match &err {
            BridgeError::Core(e) => encode_error(e),
            BridgeError::Jni(jni::errors::Error::JavaException) => return Ok(T::default()),
            other => {
                let mut w = Writer::default();
                write_error(&mut w, kind::INTERNAL, None, &other.to_string());
                w.into_bytes()
            }
        };
        throw_encoded(env, &bytes)?;
        Ok(T::default())
    }

    fn on_panic<'local: 'native_method, 'native_method>(
        env: &mut Env<'local>,
        _cap: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let text = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "panic with a non-string payload".to_string()
        };
        // Dropping a payload may itself panic: leak it rather than unwind here.
        std::mem::forget(payload);
        let mut w = Writer::default();
        write_error(
            &mut w,
            kind::INTERNAL,
            None,
            &format!("bug in warren-java: {text}"),
        );
        throw_encoded(env, &w.into_bytes())?;
        Ok(T::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warren_core::AmqpError;

    #[test]
    fn every_close_keeps_its_code_text_class_and_method() {
        let close = AmqpError {
            reply_code: 404,
            reply_text: "NOT_FOUND - no queue 'q'".into(),
            class_id: 50,
            method_id: 10,
        };
        let bytes = encode_error(&Error::ChannelClosed(close));
        assert_eq!(bytes[0], kind::CHANNEL_CLOSED);
        assert_eq!(&bytes[1..7], &[1, 148, 0, 50, 0, 10]);
        let text_len = u32::from_be_bytes(bytes[7..11].try_into().unwrap()) as usize;
        assert_eq!(&bytes[11..11 + text_len], b"NOT_FOUND - no queue 'q'");
    }

    #[test]
    fn all_hosts_failed_is_classified_by_the_last_error() {
        let refused = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let e = Error::AllHostsFailed(Box::new(refused));
        assert_eq!(error_kind(&e), kind::CONNECTION_REFUSED);
        assert_eq!(
            error_kind(&Error::AuthenticationFailed("x".into())),
            kind::AUTHENTICATION
        );
    }
}
