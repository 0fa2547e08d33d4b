//! The one place where core errors become Python exceptions.
//!
//! The exception classes are declared in Python (`warren/exceptions.py`), where they have docs
//! and a hierarchy; this module only picks the class for an error and fills in the AMQP
//! reply code, reply text, class id and method id.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use warren_core::{AmqpError, Error};

/// Where an error happened, beyond the error itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ErrorContext {
    /// Automatic recovery gave up on the connection the call was made on: its connection
    /// errors are reported as `RecoveryFailed`.
    pub recovery_failed: bool,
    /// The error comes from opening the connection: a socket error or timeout there means
    /// the broker could not be reached (`ConnectionFailed`), not a lost link.
    pub connecting: bool,
}

/// Which Python exception an error becomes, and the AMQP close behind it (if any).
struct Mapped<'e> {
    class: &'static str,
    amqp: Option<&'e AmqpError>,
    /// Reply code for errors that carry one without a close from the broker.
    code: u16,
}

fn mapped<'a>(class: &'static str, amqp: Option<&'a AmqpError>, code: u16) -> Mapped<'a> {
    Mapped { class, amqp, code }
}

/// Picks the exception class for a core error. Exhaustive on purpose: a new core error must be
/// given its Python class here.
fn classify(err: &Error, ctx: ErrorContext) -> Mapped<'_> {
    match err {
        Error::ChannelClosed(a) => {
            let class = match a.reply_code {
                403 => "AccessRefused",
                404 => "NotFound",
                405 => "ResourceLocked",
                406 => "PreconditionFailed",
                _ => "ChannelClosed",
            };
            mapped(class, Some(a), 0)
        }
        Error::ConnectionClosed(a) if ctx.recovery_failed => mapped("RecoveryFailed", Some(a), 0),
        Error::ConnectionClosed(a) => match a.reply_code {
            // RabbitMQ closes with 403 ACCESS_REFUSED when it refuses the login.
            403 => mapped("AuthenticationError", Some(a), 0),
            _ => mapped("ConnectionClosed", Some(a), 0),
        },
        Error::AuthenticationFailed(_) | Error::MechanismNotOffered { .. } => {
            mapped("AuthenticationError", None, 403)
        }
        Error::AllHostsFailed(last) => match classify(last, ctx) {
            m @ Mapped {
                class: "AuthenticationError" | "RecoveryFailed",
                ..
            } => m,
            m => mapped("ConnectionFailed", m.amqp, m.code),
        },
        Error::ConnectTimeout(_) => mapped("ConnectionFailed", None, 0),
        Error::Io(_) | Error::Tls(_) if ctx.connecting => mapped("ConnectionFailed", None, 0),
        _ if ctx.recovery_failed && is_connection_level(err) => mapped("RecoveryFailed", None, 0),
        Error::ConnectionClosedByClient => mapped("ConnectionClosed", None, 0),
        Error::ChannelClosedByClient => mapped("ChannelClosed", None, 0),
        Error::Protocol(_) | Error::Decode(_) | Error::Tls(_) => {
            mapped("ConnectionClosed", None, 0)
        }
        // Lost because the broker closed the connection (a hard error such as 503): the
        // exception carries the broker's close, as pika's ConnectionClosedByBroker does.
        Error::ConnectionLost(inner) => match &**inner {
            Error::ConnectionClosed(a) => mapped("ConnectionLost", Some(a), 0),
            _ => mapped("ConnectionLost", None, 0),
        },
        Error::Io(_) | Error::MissedHeartbeats => mapped("ConnectionLost", None, 0),
        Error::InvalidUri(_) | Error::InvalidArgument(_) => mapped("InvalidArgument", None, 0),
        Error::Timeout => mapped("Timeout", None, 0),
        Error::ConsumerCancelled(_) => mapped("ConsumerCancelled", None, 0),
        Error::ChannelsExhausted(_) => mapped("ChannelsExhausted", None, 0),
        Error::InvalidState(_) | Error::UsedAfterFork { .. } | Error::StaleDeliveryTag(_) => {
            mapped("InvalidState", None, 0)
        }
        Error::PublishUnconfirmed(_) => mapped("Nacked", None, 0),
        Error::Unroutable(a) => mapped("Unroutable", Some(a), 0),
        // 311 CONTENT_TOO_LARGE: the code this client closed the channel with.
        Error::MessageTooLarge { .. } => mapped("ChannelClosed", None, 311),
        Error::BadContent(a) => mapped("ChannelClosed", Some(a), 0),
    }
}

/// Errors that end a connection (as opposed to a channel or one call).
fn is_connection_level(err: &Error) -> bool {
    matches!(
        err,
        Error::ConnectionClosed(_)
            | Error::ConnectionClosedByClient
            | Error::Io(_)
            | Error::MissedHeartbeats
            | Error::ConnectionLost(_)
            | Error::Protocol(_)
            | Error::Decode(_)
            | Error::AllHostsFailed(_)
    )
}

/// The class the exception of `err` is an instance of, by name (for tests and docs).
pub(crate) fn exception_name(err: &Error, ctx: ErrorContext) -> &'static str {
    classify(err, ctx).class
}

/// Turns a core error into the Python exception for it: the only mapping from core errors to
/// Python in this crate.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error, ctx: ErrorContext) -> PyErr {
    let m = classify(err, ctx);
    match build(py, &m, err) {
        Ok(e) => e,
        // The exceptions module failed to import (a broken install): say so rather than lose
        // the original error.
        Err(import_err) => import_err,
    }
}

fn build(py: Python<'_>, m: &Mapped<'_>, err: &Error) -> PyResult<PyErr> {
    let class = exception_class(py, m.class)?;
    let kwargs = PyDict::new(py);
    match m.amqp {
        Some(a) => {
            kwargs.set_item("reply_code", a.reply_code)?;
            kwargs.set_item("reply_text", &a.reply_text)?;
            kwargs.set_item("class_id", a.class_id)?;
            kwargs.set_item("method_id", a.method_id)?;
        }
        None => {
            kwargs.set_item("reply_code", m.code)?;
            kwargs.set_item("reply_text", err.to_string())?;
        }
    }
    let value = class.call((err.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(value))
}

/// An exception class of `warren.exceptions` by name.
pub(crate) fn exception_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(py
        .import("warren.exceptions")?
        .getattr(name)?
        .cast_into::<PyType>()?)
}

/// Converts core results with no context (calls that are not tied to a connection's fate).
pub(crate) fn plain(err: Error) -> PyErr {
    Python::attach(|py| to_py_err(py, &err, ErrorContext::default()))
}
