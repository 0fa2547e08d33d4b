//! Result codes and the last error: the one place where core errors become C results.

use std::cell::RefCell;
use std::os::raw::c_char;
use std::sync::Mutex;

use warren_core::error::{AmqpError, Error};

/// What a call did. The numbers are stable: new codes get new numbers, none is ever
/// renumbered or reused. 0 is success; 1-99 are outcomes that are not errors; 100-199 are
/// errors in the call itself (nothing was sent); 200 and up come from the connection, the
/// channel or the broker.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::enum_variant_names)]
pub enum warren_result {
    /// Success.
    WARREN_OK = 0,
    /// Nothing arrived (or nothing finished) within the timeout given.
    WARREN_TIMEOUT = 1,
    /// There was nothing to return: `basic.get` on an empty queue, an absent property or
    /// table entry, no error recorded.
    WARREN_EMPTY = 2,
    /// A required pointer argument was NULL.
    WARREN_NULL_PARAMETER = 100,
    /// An argument cannot be used: not UTF-8, longer than 255 bytes where AMQP allows no
    /// more, an unknown flag, property or field type.
    WARREN_INVALID_ARGUMENT = 101,
    /// The AMQP URI cannot be parsed.
    WARREN_INVALID_URI = 102,
    /// The object is not in a state that allows the call (e.g. wait-for-confirms without
    /// confirm mode, a blocking call made inside a Rust async runtime, a confirm waited for
    /// twice).
    WARREN_INVALID_STATE = 103,
    /// A field value read as the wrong type.
    WARREN_WRONG_TYPE = 104,
    /// The library hit a bug (a Rust panic); it was caught at the boundary. Please report it.
    WARREN_PANIC = 105,
    /// The connection was opened before `fork()` and used in the child: open a new one.
    WARREN_USED_AFTER_FORK = 106,
    /// The broker closed the connection; see the last error's reply code and text.
    WARREN_CONNECTION_CLOSED = 200,
    /// The broker closed the channel; see the last error's reply code and text.
    WARREN_CHANNEL_CLOSED = 201,
    /// The connection was closed by this application.
    WARREN_CONNECTION_CLOSED_BY_CLIENT = 202,
    /// The channel was closed by this application (or with its connection).
    WARREN_CHANNEL_CLOSED_BY_CLIENT = 203,
    /// The broker refused the credentials (or does not offer the SASL mechanism).
    WARREN_AUTHENTICATION_FAILED = 204,
    /// A socket error, e.g. connection refused.
    WARREN_IO = 205,
    /// TLS setup or handshake failed.
    WARREN_TLS = 206,
    /// The broker sent something that is not valid AMQP.
    WARREN_PROTOCOL = 207,
    /// Nothing was heard from the broker for two heartbeat intervals.
    WARREN_MISSED_HEARTBEATS = 208,
    /// TCP connect, TLS and the AMQP handshake took longer than the connection timeout.
    WARREN_CONNECT_TIMEOUT = 209,
    /// The broker cancelled the consumer (e.g. its queue was deleted).
    WARREN_CONSUMER_CANCELLED = 210,
    /// No free channel number below channel-max.
    WARREN_CHANNELS_EXHAUSTED = 211,
    /// The connection was lost while the request waited for its answer; automatic recovery
    /// is reconnecting. The request may or may not have reached the broker: retry it.
    WARREN_CONNECTION_LOST = 212,
    /// A publish in confirm mode was written but the connection was lost before the broker
    /// answered: treat it like a nack.
    WARREN_PUBLISH_UNCONFIRMED = 213,
    /// The delivery tag belongs to a connection that was lost and recovered; the broker has
    /// already requeued the message.
    WARREN_STALE_DELIVERY_TAG = 214,
    /// An incoming message was larger than the maximum message size; its channel was closed.
    WARREN_MESSAGE_TOO_LARGE = 215,
    /// The broker returned the mandatory message (e.g. an RPC request nobody serves).
    WARREN_UNROUTABLE = 216,
    /// The broker sent content whose properties cannot be decoded; the channel was closed.
    WARREN_BAD_CONTENT = 217,
}

pub use warren_result::*;

impl warren_result {
    /// Every code, for `warren_result_message` and the tests.
    pub(crate) const ALL: [warren_result; 28] = [
        WARREN_OK,
        WARREN_TIMEOUT,
        WARREN_EMPTY,
        WARREN_NULL_PARAMETER,
        WARREN_INVALID_ARGUMENT,
        WARREN_INVALID_URI,
        WARREN_INVALID_STATE,
        WARREN_WRONG_TYPE,
        WARREN_PANIC,
        WARREN_USED_AFTER_FORK,
        WARREN_CONNECTION_CLOSED,
        WARREN_CHANNEL_CLOSED,
        WARREN_CONNECTION_CLOSED_BY_CLIENT,
        WARREN_CHANNEL_CLOSED_BY_CLIENT,
        WARREN_AUTHENTICATION_FAILED,
        WARREN_IO,
        WARREN_TLS,
        WARREN_PROTOCOL,
        WARREN_MISSED_HEARTBEATS,
        WARREN_CONNECT_TIMEOUT,
        WARREN_CONSUMER_CANCELLED,
        WARREN_CHANNELS_EXHAUSTED,
        WARREN_CONNECTION_LOST,
        WARREN_PUBLISH_UNCONFIRMED,
        WARREN_STALE_DELIVERY_TAG,
        WARREN_MESSAGE_TOO_LARGE,
        WARREN_UNROUTABLE,
        WARREN_BAD_CONTENT,
    ];

    /// The code with this number, if there is one.
    pub(crate) fn from_u32(n: u32) -> Option<warren_result> {
        Self::ALL.iter().copied().find(|c| *c as u32 == n)
    }

    /// What the code means, in one line.
    pub(crate) fn description(self) -> &'static str {
        match self {
            WARREN_OK => "success",
            WARREN_TIMEOUT => "nothing happened within the timeout",
            WARREN_EMPTY => "nothing to return",
            WARREN_NULL_PARAMETER => "a required pointer argument was NULL",
            WARREN_INVALID_ARGUMENT => "invalid argument",
            WARREN_INVALID_URI => "invalid AMQP URI",
            WARREN_INVALID_STATE => "the object is not in a state that allows this call",
            WARREN_WRONG_TYPE => "the field value has another type",
            WARREN_PANIC => "internal error in the Warren library (a caught Rust panic)",
            WARREN_USED_AFTER_FORK => "connection used in a child process after fork()",
            WARREN_CONNECTION_CLOSED => "connection closed by the broker",
            WARREN_CHANNEL_CLOSED => "channel closed by the broker",
            WARREN_CONNECTION_CLOSED_BY_CLIENT => "connection is closed",
            WARREN_CHANNEL_CLOSED_BY_CLIENT => "channel is closed",
            WARREN_AUTHENTICATION_FAILED => "authentication failed",
            WARREN_IO => "I/O error",
            WARREN_TLS => "TLS error",
            WARREN_PROTOCOL => "protocol error",
            WARREN_MISSED_HEARTBEATS => "missed heartbeats from the broker",
            WARREN_CONNECT_TIMEOUT => "timed out connecting",
            WARREN_CONSUMER_CANCELLED => "consumer cancelled by the broker",
            WARREN_CHANNELS_EXHAUSTED => "no free channel number",
            WARREN_CONNECTION_LOST => "connection lost while the request was in flight",
            WARREN_PUBLISH_UNCONFIRMED => "publish not confirmed: the connection was lost",
            WARREN_STALE_DELIVERY_TAG => "delivery tag from before a recovery",
            WARREN_MESSAGE_TOO_LARGE => "incoming message too large; channel closed",
            WARREN_UNROUTABLE => "message returned by the broker as unroutable",
            WARREN_BAD_CONTENT => "undecodable content from the broker; channel closed",
        }
    }
}

/// The result code for a core error: the one mapping from core errors to C results.
pub(crate) fn result_for(err: &Error) -> warren_result {
    match err {
        Error::ConnectionClosed(_) => WARREN_CONNECTION_CLOSED,
        Error::ChannelClosed(_) => WARREN_CHANNEL_CLOSED,
        Error::ConnectionClosedByClient => WARREN_CONNECTION_CLOSED_BY_CLIENT,
        Error::ChannelClosedByClient => WARREN_CHANNEL_CLOSED_BY_CLIENT,
        Error::Protocol(_) | Error::Decode(_) => WARREN_PROTOCOL,
        Error::Io(_) => WARREN_IO,
        Error::Tls(_) => WARREN_TLS,
        Error::InvalidUri(_) => WARREN_INVALID_URI,
        Error::InvalidArgument(_) => WARREN_INVALID_ARGUMENT,
        Error::AuthenticationFailed(_) | Error::MechanismNotOffered { .. } => {
            WARREN_AUTHENTICATION_FAILED
        }
        Error::MissedHeartbeats => WARREN_MISSED_HEARTBEATS,
        Error::ConnectTimeout(_) => WARREN_CONNECT_TIMEOUT,
        Error::Timeout => WARREN_TIMEOUT,
        Error::ConsumerCancelled(_) => WARREN_CONSUMER_CANCELLED,
        // One host or many: what failed last is what the application can act on.
        Error::AllHostsFailed(last) => result_for(last),
        Error::ChannelsExhausted(_) => WARREN_CHANNELS_EXHAUSTED,
        Error::InvalidState(_) => WARREN_INVALID_STATE,
        Error::ConnectionLost(_) => WARREN_CONNECTION_LOST,
        Error::PublishUnconfirmed(_) => WARREN_PUBLISH_UNCONFIRMED,
        Error::StaleDeliveryTag(_) => WARREN_STALE_DELIVERY_TAG,
        Error::MessageTooLarge { .. } => WARREN_MESSAGE_TOO_LARGE,
        Error::Unroutable(_) => WARREN_UNROUTABLE,
        Error::BadContent(_) => WARREN_BAD_CONTENT,
        Error::UsedAfterFork { .. } => WARREN_USED_AFTER_FORK,
    }
}

/// The AMQP close (or return) behind a core error, if there is one.
fn amqp_of(err: &Error) -> Option<&AmqpError> {
    match err {
        Error::ConnectionClosed(e)
        | Error::ChannelClosed(e)
        | Error::Unroutable(e)
        | Error::BadContent(e) => Some(e),
        Error::AllHostsFailed(inner)
        | Error::ConnectionLost(inner)
        | Error::PublishUnconfirmed(inner) => amqp_of(inner),
        _ => None,
    }
}

/// A failed call: its code, its message, and the AMQP close behind it, if any.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub code: warren_result,
    pub message: String,
    pub amqp: Option<AmqpError>,
}

impl Failure {
    /// A failure found by the binding itself (bad arguments, wrong state).
    pub fn new(code: warren_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            amqp: None,
        }
    }

    /// A NULL where a pointer is required.
    pub fn null(what: &str) -> Failure {
        Failure::new(WARREN_NULL_PARAMETER, format!("{what} must not be NULL"))
    }

    /// The same failure with `context` in front of its message.
    pub fn context(mut self, context: &str) -> Failure {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Records this failure as the calling thread's last error and returns its code.
    pub fn report(self) -> warren_result {
        let code = self.code;
        LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(self));
        code
    }
}

impl From<&Error> for Failure {
    fn from(err: &Error) -> Failure {
        Failure {
            code: result_for(err),
            message: err.to_string(),
            amqp: amqp_of(err).cloned(),
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::from(&err)
    }
}

thread_local! {
    /// The last failure of a call made on this thread.
    static LAST_ERROR: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

/// The calling thread's last failure.
pub(crate) fn thread_last_error() -> Option<Failure> {
    LAST_ERROR.with(|slot| slot.borrow().clone())
}

/// The last failure of calls on one handle (a connection or a channel), from any thread.
#[derive(Debug, Default)]
pub(crate) struct ErrorSlot(Mutex<Option<Failure>>);

impl ErrorSlot {
    pub fn set(&self, failure: &Failure) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure.clone());
    }

    pub fn get(&self) -> Option<Failure> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Converts a core result, recording a failure here.
    pub fn check<T>(&self, r: warren_core::Result<T>) -> Result<T, Failure> {
        r.map_err(|e| {
            let f = Failure::from(&e);
            self.set(&f);
            f
        })
    }
}

/// The last error, as C reads it: the code, the AMQP reply code, class id and method id (0
/// when the error is not an AMQP close), and the texts, NUL-terminated (cut if longer).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct warren_error {
    /// The result code of the failed call.
    pub result: warren_result,
    /// AMQP reply code (e.g. 404), or 0.
    pub reply_code: u16,
    /// Class id of the method that caused the close (e.g. 50 for queue), or 0.
    pub class_id: u16,
    /// Method id of the method that caused the close (e.g. 10 for declare), or 0.
    pub method_id: u16,
    /// The broker's reply text (at most 255 bytes), or "".
    pub reply_text: [c_char; 256],
    /// A message for people: what failed and why.
    pub message: [c_char; 512],
}

impl warren_error {
    pub(crate) fn from_failure(f: &Failure) -> warren_error {
        let mut out = warren_error {
            result: f.code,
            reply_code: 0,
            class_id: 0,
            method_id: 0,
            reply_text: [0; 256],
            message: [0; 512],
        };
        if let Some(a) = &f.amqp {
            out.reply_code = a.reply_code;
            out.class_id = a.class_id;
            out.method_id = a.method_id;
            fill_c_chars(&mut out.reply_text, &a.reply_text);
        }
        fill_c_chars(&mut out.message, &f.message);
        out
    }
}

/// Copies `s` into `buf` as a NUL-terminated string, cut on a character boundary if needed.
/// Returns the bytes copied (without the NUL).
pub(crate) fn fill_c_chars(buf: &mut [c_char], s: &str) -> usize {
    let Some(room) = buf.len().checked_sub(1) else {
        return 0;
    };
    let mut n = s.len().min(room);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    for (dst, src) in buf.iter_mut().zip(&s.as_bytes()[..n]) {
        *dst = *src as c_char;
    }
    buf[n] = 0;
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn amqp(code: u16) -> AmqpError {
        AmqpError {
            reply_code: code,
            reply_text: "NOT_FOUND - no queue 'q'".into(),
            class_id: 50,
            method_id: 10,
        }
    }

    #[test]
    fn every_core_error_has_its_code() {
        let io = Error::Io(Arc::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        let cases: Vec<(Error, warren_result)> = vec![
            (Error::ConnectionClosed(amqp(320)), WARREN_CONNECTION_CLOSED),
            (Error::ChannelClosed(amqp(404)), WARREN_CHANNEL_CLOSED),
            (
                Error::ConnectionClosedByClient,
                WARREN_CONNECTION_CLOSED_BY_CLIENT,
            ),
            (
                Error::ChannelClosedByClient,
                WARREN_CHANNEL_CLOSED_BY_CLIENT,
            ),
            (Error::Protocol("x".into()), WARREN_PROTOCOL),
            (io.clone(), WARREN_IO),
            (Error::Tls("x".into()), WARREN_TLS),
            (Error::InvalidUri("x".into()), WARREN_INVALID_URI),
            (Error::InvalidArgument("x".into()), WARREN_INVALID_ARGUMENT),
            (
                Error::AuthenticationFailed("x".into()),
                WARREN_AUTHENTICATION_FAILED,
            ),
            (
                Error::MechanismNotOffered {
                    wanted: "A".into(),
                    offered: "B".into(),
                },
                WARREN_AUTHENTICATION_FAILED,
            ),
            (Error::MissedHeartbeats, WARREN_MISSED_HEARTBEATS),
            (Error::ConnectTimeout("h".into()), WARREN_CONNECT_TIMEOUT),
            (Error::Timeout, WARREN_TIMEOUT),
            (
                Error::ConsumerCancelled("t".into()),
                WARREN_CONSUMER_CANCELLED,
            ),
            (Error::AllHostsFailed(Box::new(io.clone())), WARREN_IO),
            (Error::ChannelsExhausted(7), WARREN_CHANNELS_EXHAUSTED),
            (Error::InvalidState("x".into()), WARREN_INVALID_STATE),
            (
                Error::ConnectionLost(Box::new(io.clone())),
                WARREN_CONNECTION_LOST,
            ),
            (
                Error::PublishUnconfirmed(Box::new(io)),
                WARREN_PUBLISH_UNCONFIRMED,
            ),
            (Error::StaleDeliveryTag(3), WARREN_STALE_DELIVERY_TAG),
            (
                Error::MessageTooLarge { size: 2, max: 1 },
                WARREN_MESSAGE_TOO_LARGE,
            ),
            (Error::Unroutable(amqp(312)), WARREN_UNROUTABLE),
            (Error::BadContent(amqp(505)), WARREN_BAD_CONTENT),
            (Error::UsedAfterFork { parent: 1 }, WARREN_USED_AFTER_FORK),
        ];
        for (err, code) in cases {
            assert_eq!(result_for(&err), code, "{err:?}");
        }
    }

    #[test]
    fn amqp_details_survive_wrapping() {
        let f = Failure::from(Error::AllHostsFailed(Box::new(Error::ConnectionClosed(
            amqp(530),
        ))));
        assert_eq!(f.code, WARREN_CONNECTION_CLOSED);
        let e = warren_error::from_failure(&f);
        assert_eq!((e.reply_code, e.class_id, e.method_id), (530, 50, 10));
        let text: Vec<u8> = e
            .reply_text
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        assert_eq!(text, b"NOT_FOUND - no queue 'q'");
    }

    #[test]
    fn codes_are_stable() {
        let numbers: Vec<u32> = warren_result::ALL.iter().map(|c| *c as u32).collect();
        assert_eq!(
            numbers,
            [
                0, 1, 2, 100, 101, 102, 103, 104, 105, 106, 200, 201, 202, 203, 204, 205, 206, 207,
                208, 209, 210, 211, 212, 213, 214, 215, 216, 217
            ]
        );
        for c in warren_result::ALL {
            assert_eq!(warren_result::from_u32(c as u32), Some(c));
        }
        assert_eq!(warren_result::from_u32(99), None);
    }

    #[test]
    fn c_chars_are_cut_on_a_character_boundary() {
        let mut buf = [1 as c_char; 4];
        assert_eq!(fill_c_chars(&mut buf, "aé€"), 3);
        assert_eq!(buf, [b'a' as c_char, 0xc3u8 as c_char, 0xa9u8 as c_char, 0]);
        let mut one = [1 as c_char; 1];
        assert_eq!(fill_c_chars(&mut one, "abc"), 0);
        assert_eq!(one, [0]);
    }
}
