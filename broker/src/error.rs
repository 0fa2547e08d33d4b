//! AMQP exceptions raised while handling a method: soft ones close the channel, hard ones the
//! connection, each with the reply code RabbitMQ uses.

use warren_core::codec::ReplyCode;

/// An error to report to the client with `channel.close` or `connection.close`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpException {
    /// The reply code; [`ReplyCode::is_hard_error`] decides channel or connection.
    pub code: ReplyCode,
    /// Text for the client, in RabbitMQ's style ("NOT_FOUND - no queue 'x' in vhost '/'").
    pub text: String,
    /// The class of the method that caused it (filled in by the dispatcher if 0).
    pub class_id: u16,
    /// The method that caused it.
    pub method_id: u16,
}

impl AmqpException {
    /// An exception with `code`; the text is prefixed with the code's name, as RabbitMQ does.
    pub fn new(code: ReplyCode, text: impl AsRef<str>) -> Self {
        AmqpException {
            code,
            text: format!("{} - {}", code.name(), text.as_ref()),
            class_id: 0,
            method_id: 0,
        }
    }

    /// Whether this closes the whole connection.
    pub fn is_hard(&self) -> bool {
        self.code.is_hard_error()
    }

    /// Attaches the method that caused the error, unless one is set already.
    pub fn caused_by(mut self, class_id: u16, method_id: u16) -> Self {
        if self.class_id == 0 && self.method_id == 0 {
            self.class_id = class_id;
            self.method_id = method_id;
        }
        self
    }
}

/// `404 NOT_FOUND`.
pub fn not_found(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::NotFound, text)
}
/// `406 PRECONDITION_FAILED`.
pub fn precondition_failed(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::PreconditionFailed, text)
}
/// `403 ACCESS_REFUSED`.
pub fn access_refused(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::AccessRefused, text)
}
/// `405 RESOURCE_LOCKED`.
pub fn resource_locked(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::ResourceLocked, text)
}
/// `503 COMMAND_INVALID` (hard).
pub fn command_invalid(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::CommandInvalid, text)
}
/// `504 CHANNEL_ERROR` (hard).
pub fn channel_error(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::ChannelError, text)
}
/// `505 UNEXPECTED_FRAME` (hard).
pub fn unexpected_frame(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::UnexpectedFrame, text)
}
/// `501 FRAME_ERROR` (hard).
pub fn frame_error(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::FrameError, text)
}
/// `540 NOT_IMPLEMENTED` (hard).
pub fn not_implemented(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::NotImplemented, text)
}
/// `530 NOT_ALLOWED` (hard).
pub fn not_allowed(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::NotAllowed, text)
}
/// `541 INTERNAL_ERROR` (hard).
pub fn internal_error(text: impl AsRef<str>) -> AmqpException {
    AmqpException::new(ReplyCode::InternalError, text)
}

/// Result of handling one method.
pub type AmqpResult<T = ()> = Result<T, AmqpException>;
