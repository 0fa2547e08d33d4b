//! `warren._native`: the PyO3 module under the pure-Python package `warren`.
//!
//! The bridge is thin: each class wraps a handle of `warren_core::client::blocking` and
//! converts arguments; the protocol, heartbeats, recovery and buffering are the core's. Every
//! call that can wait releases the GIL (`Python::detach`), in slices so that Ctrl-C is seen.
//! PyO3 turns a Rust panic inside a method into `pyo3_runtime.PanicException`, so no panic
//! unwinds into the interpreter.

mod channel;
mod connection;
mod convert;
mod errors;
mod message;
mod wait;

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use warren_core::{AmqpError, Error};

use crate::errors::{to_py_err, ErrorContext};

/// A core error of each kind, by name, mapped the way a real failure is: lets the Python tests
/// check every mapping, including failures a test cannot provoke on demand (a TLS failure, a
/// decode error, a use after fork).
#[pyfunction]
#[pyo3(signature = (kind, reply_code=0, reply_text=None, recovery_failed=false, connecting=false))]
fn _error_for_test(
    py: Python<'_>,
    kind: PyBackedStr,
    reply_code: u16,
    reply_text: Option<PyBackedStr>,
    recovery_failed: bool,
    connecting: bool,
) -> PyResult<Py<PyAny>> {
    let kind: &str = &kind;
    let reply_text: &str = reply_text.as_deref().unwrap_or("");
    let amqp = AmqpError {
        reply_code,
        reply_text: reply_text.to_owned(),
        class_id: 50,
        method_id: 10,
    };
    let text = reply_text.to_owned();
    let err = match kind {
        "ConnectionClosed" => Error::ConnectionClosed(amqp),
        "ChannelClosed" => Error::ChannelClosed(amqp),
        "ConnectionClosedByClient" => Error::ConnectionClosedByClient,
        "ChannelClosedByClient" => Error::ChannelClosedByClient,
        "Protocol" => Error::Protocol(text),
        "Decode" => Error::Decode(warren_core::codec::DecodeError::Truncated),
        "Io" => Error::Io(Arc::new(std::io::Error::other(text))),
        "Tls" => Error::Tls(text),
        "InvalidUri" => Error::InvalidUri(text),
        "InvalidArgument" => Error::InvalidArgument(text),
        "AuthenticationFailed" => Error::AuthenticationFailed(text),
        "MechanismNotOffered" => Error::MechanismNotOffered {
            wanted: "EXTERNAL".into(),
            offered: "PLAIN".into(),
        },
        "MissedHeartbeats" => Error::MissedHeartbeats,
        "ConnectTimeout" => Error::ConnectTimeout(text),
        "Timeout" => Error::Timeout,
        "ConsumerCancelled" => Error::ConsumerCancelled(text),
        "AllHostsFailed" => Error::AllHostsFailed(Box::new(Error::Io(Arc::new(
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        )))),
        "AllHostsFailedAuth" => Error::AllHostsFailed(Box::new(Error::AuthenticationFailed(text))),
        "ChannelsExhausted" => Error::ChannelsExhausted(2047),
        "InvalidState" => Error::InvalidState(text),
        "ConnectionLost" => Error::ConnectionLost(Box::new(Error::MissedHeartbeats)),
        "ConnectionLostByBrokerClose" => {
            Error::ConnectionLost(Box::new(Error::ConnectionClosed(amqp)))
        }
        "PublishUnconfirmed" => Error::PublishUnconfirmed(Box::new(Error::MissedHeartbeats)),
        "StaleDeliveryTag" => Error::StaleDeliveryTag(7),
        "MessageTooLarge" => Error::MessageTooLarge { size: 10, max: 5 },
        "Unroutable" => Error::Unroutable(amqp),
        "BadContent" => Error::BadContent(amqp),
        "UsedAfterFork" => Error::UsedAfterFork { parent: 1 },
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown core error kind {other:?}"
            )))
        }
    };
    let ctx = ErrorContext {
        recovery_failed,
        connecting,
    };
    debug_assert!(!errors::exception_name(&err, ctx).is_empty());
    Ok(to_py_err(py, &err, ctx).into_value(py).into_any())
}

/// The version of the native module (the crate's).
const VERSION: &str = env!("CARGO_PKG_VERSION");

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", VERSION)?;
    m.add_function(wrap_pyfunction!(connection::connect, m)?)?;
    m.add_function(wrap_pyfunction!(_error_for_test, m)?)?;
    m.add_class::<connection::Connection>()?;
    m.add_class::<connection::ConnectionEvent>()?;
    m.add_class::<connection::EventStream>()?;
    m.add_class::<connection::RpcClient>()?;
    m.add_class::<channel::Channel>()?;
    m.add_class::<channel::ConsumeIterator>()?;
    m.add_class::<channel::ConfirmEventStream>()?;
    m.add_class::<message::BasicProperties>()?;
    m.add_class::<message::Message>()?;
    m.add_class::<message::ReturnedMessage>()?;
    m.add_class::<message::QueueDeclareOk>()?;
    Ok(())
}
