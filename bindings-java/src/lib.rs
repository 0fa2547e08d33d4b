//! The JNI bridge of Warren's Java client (`dev.warren:warren-client`).
//!
//! The Java API (`dev.warren.client`, source-compatible with `com.rabbitmq.client`) lives in
//! `bindings-java/src/main/java`; this crate is only the glue under it, and holds no protocol
//! logic: every call is one call of [`warren_core::client::blocking`].
//!
//! - [`handle`]: the raw pointers Java holds as `long`s (the only pointer casts).
//! - [`error`]: core errors as `dev.warren.client.impl.NativeException` (the one mapping on
//!   this side; `Errors.java` maps those to the Java API's exceptions), and the panic boundary
//!   every entry point runs in.
//! - [`bridge`]: the byte layouts that cross the boundary in batches (deliveries, events,
//!   errors); properties and field tables cross in their AMQP encoding, decoded and checked here
//!   by the core codec.
//! - [`natives`]: the `Java_dev_warren_client_impl_Native_*` entry points.

pub mod bridge;
pub mod error;
pub mod handle;
mod natives;
