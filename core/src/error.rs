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
        write!(f, "{} {} - {}", self.reply_code, name, self.reply_text)?;
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
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}

/// Result alias for Warren operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
