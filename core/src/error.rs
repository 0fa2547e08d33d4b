//! Errors, shaped like AMQP's: a close from the peer carries reply code, reply text, and the
//! class and method that caused it; soft errors close a channel, hard errors the connection.

use std::fmt;
use std::sync::Arc;

use crate::codec::{DecodeError, ReplyCode};

/// A `connection.close` or `channel.close` as sent by the peer (or by us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpError {
    /// Reply code, e.g. 404.
    pub reply_code: u16,
    /// Human-readable reason from the peer.
    pub reply_text: String,
    /// Class of the method that caused the close (0 if none).
    pub class_id: u16,
    /// Method that caused the close (0 if none).
    pub method_id: u16,
}

impl AmqpError {
    /// An error with the given code and text, caused by no particular method.
    pub fn new(code: ReplyCode, text: impl Into<String>) -> Self {
        AmqpError {
            reply_code: code as u16,
            reply_text: text.into(),
            class_id: 0,
            method_id: 0,
        }
    }

    /// The reply code as the spec's enum, if it is one the spec defines.
    pub fn code(&self) -> Option<ReplyCode> {
        ReplyCode::from_u16(self.reply_code)
    }

    /// True when the code is a hard (connection) error.
    pub fn is_hard(&self) -> bool {
        self.code().is_some_and(ReplyCode::is_hard_error)
    }
}

impl fmt::Display for AmqpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.code().map(ReplyCode::name).unwrap_or("UNKNOWN");
        // RabbitMQ's reply texts already start with the code's name ("NOT_FOUND - no queue
        // 'x' ..."): it is not repeated.
        if self.reply_text.starts_with(name) {
            write!(f, "{} {}", self.reply_code, self.reply_text)?;
        } else {
            write!(f, "{} {} - {}", self.reply_code, name, self.reply_text)?;
        }
        if self.class_id != 0 || self.method_id != 0 {
            write!(f, " (class {}, method {})", self.class_id, self.method_id)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in Warren's client.
///
/// Cloneable, so one failure can be handed to every waiter on a connection or channel.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The broker closed the connection with this hard error (or with 320 on shutdown).
    #[error("connection closed by broker: {0}")]
    ConnectionClosed(AmqpError),
    /// The broker closed the channel with this soft error; the connection is still usable.
    #[error("channel closed by broker: {0}")]
    ChannelClosed(AmqpError),
    /// The connection was closed by this client; nothing more can be sent on it.
    #[error("connection is closed")]
    ConnectionClosedByClient,
    /// The channel was closed by this client, or by a connection failure.
    #[error("channel is closed")]
    ChannelClosedByClient,
    /// The peer sent bytes that are not valid AMQP.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The peer sent a malformed frame.
    #[error("malformed frame: {0}")]
    Decode(#[from] DecodeError),
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(Arc<std::io::Error>),
    /// TLS setup or handshake failed.
    #[error("TLS error: {0}")]
    Tls(String),
    /// The URI is not a valid AMQP URI.
    #[error("invalid AMQP URI: {0}")]
    InvalidUri(String),
    /// An argument cannot be sent (e.g. a name longer than 255 bytes).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The broker refused the credentials.
    #[error("authentication failed: {0}")]
    AuthenticationFailed(String),
    /// The broker does not offer the configured SASL mechanism.
    #[error("broker does not offer SASL mechanism {wanted} (it offers {offered})")]
    MechanismNotOffered {
        /// The mechanism we were configured with.
        wanted: String,
        /// The mechanisms the broker listed.
        offered: String,
    },
    /// Nothing was heard from the broker for two heartbeat intervals.
    #[error("missed heartbeats from broker")]
    MissedHeartbeats,
    /// Connecting (TCP, TLS and handshake) took longer than the connection timeout.
    #[error("timed out connecting to {0}")]
    ConnectTimeout(String),
    /// An operation waited longer than it was allowed to.
    #[error("operation timed out")]
    Timeout,
    /// The broker cancelled this consumer (e.g. its queue was deleted).
    #[error("consumer {0} was cancelled by the broker")]
    ConsumerCancelled(String),
    /// Every host in the list failed; the last error is kept.
    #[error("could not connect to any host; last error: {0}")]
    AllHostsFailed(Box<Error>),
    /// No free channel number below channel-max.
    #[error("no free channel (channel-max {0})")]
    ChannelsExhausted(u16),
    /// The operation needs the channel in another mode (e.g. wait_for_confirms without confirm_select).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// The connection was lost while this request waited for its answer; automatic recovery
    /// is reconnecting (the request may or may not have reached the broker; retry it).
    #[error("connection lost while the request was in flight: {0}")]
    ConnectionLost(Box<Error>),
    /// A publish in confirm mode was written but the connection was lost before the broker
    /// confirmed it: the message may or may not have been routed. Treat it like a nack.
    #[error("publish not confirmed: the connection was lost before the broker answered ({0})")]
    PublishUnconfirmed(Box<Error>),
    /// A delivery tag from before an automatic recovery: the broker forgot it (and requeued
    /// the message, unless it was no-ack), so it can no longer be acknowledged.
    #[error("delivery tag {0} belongs to a connection that was lost and recovered; the broker already requeued that message")]
    StaleDeliveryTag(u64),
    /// An incoming message is larger than the configured maximum; the channel it arrived on
    /// was closed instead of allocating it.
    #[error("incoming message of {size} bytes exceeds the maximum message size of {max} bytes; channel closed")]
    MessageTooLarge {
        /// Size the broker announced.
        size: u64,
        /// The configured limit.
        max: u64,
    },
    /// The broker returned a mandatory message no queue took (`basic.return`), e.g. an RPC
    /// request with no server listening.
    #[error("message returned by the broker: {0}")]
    Unroutable(AmqpError),
    /// The broker sent content whose properties cannot be decoded (e.g. an unknown field
    /// type in `headers`); this client closed the channel with the code and text given.
    #[error("channel closed by the client: undecodable content from the broker: {0}")]
    BadContent(AmqpError),
    /// A connection opened before `fork()` was used in the child process. Open a new
    /// connection in the child; the parent's connection stays the parent's.
    #[error("this connection was opened by process {parent} before a fork; open a new connection in this process")]
    UsedAfterFork {
        /// The process that opened the connection.
        parent: u32,
    },
}

impl Error {
    /// The AMQP close behind this error, if the broker sent one.
    pub fn amqp(&self) -> Option<&AmqpError> {
        match self {
            Error::ConnectionClosed(e) | Error::ChannelClosed(e) => Some(e),
            _ => None,
        }
    }

    /// The AMQP reply code behind this error, if the broker sent one.
    pub fn reply_code(&self) -> Option<u16> {
        self.amqp().map(|e| e.reply_code)
    }

    /// Whether automatic recovery should reconnect after the connection ended with this error.
    /// Errors the broker would repeat on every attempt stop recovery instead: refused
    /// credentials or mechanism, 403 ACCESS_REFUSED, 402 INVALID_PATH and 530 NOT_ALLOWED (e.g.
    /// no access to the vhost). Everything else — socket errors, missed heartbeats, 320
    /// CONNECTION_FORCED (broker restart or `close_connection`), internal errors — is retried.
    pub fn is_recoverable(&self) -> bool {
        match self {
            Error::AuthenticationFailed(_) | Error::MechanismNotOffered { .. } => false,
            Error::ConnectionClosed(e) => !matches!(e.reply_code, 402 | 403 | 530),
            Error::AllHostsFailed(last) => last.is_recoverable(),
            Error::InvalidUri(_) | Error::Tls(_) | Error::UsedAfterFork { .. } => false,
            Error::ConnectionClosedByClient => false,
            _ => true,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}

/// Result alias for Warren operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::AmqpError;

    #[test]
    fn display_does_not_repeat_the_code_name_rabbitmq_put_in_the_text() {
        let rabbit = AmqpError {
            reply_code: 404,
            reply_text: "NOT_FOUND - no queue 'q' in vhost '/'".into(),
            class_id: 50,
            method_id: 10,
        };
        assert_eq!(
            rabbit.to_string(),
            "404 NOT_FOUND - no queue 'q' in vhost '/' (class 50, method 10)"
        );
        let bare = AmqpError {
            reply_code: 406,
            reply_text: "inequivalent arg 'durable'".into(),
            class_id: 0,
            method_id: 0,
        };
        assert_eq!(
            bare.to_string(),
            "406 PRECONDITION_FAILED - inequivalent arg 'durable'"
        );
    }
}
