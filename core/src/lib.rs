//! # warren-core
//!
//! The heart of Warren: an AMQP 0-9-1 codec generated from the spec ([`codec`]), sans-IO
//! connection and channel state machines ([`proto`]), and a tokio client with a blocking facade
//! ([`client`]) that every language binding wraps.

#![warn(missing_docs)]

pub mod codec;
pub mod error;
pub mod proto;

pub use error::{AmqpError, Error, Result};
pub mod client;

pub use client::{Channel, Connection, Consumer, Delivery};
pub use codec::{BasicProperties, FieldTable, FieldValue};
