//! The tokio client: [`Connection`], [`Channel`], [`Consumer`] streams and per-publish
//! confirmations, plus the [`blocking`] facade used by the language bindings.
//!
//! One task per connection owns the socket and the sans-IO state machine
//! ([`crate::proto::ClientConnection`]); handles talk to it through a command queue, so every
//! handle is `Send + Sync`, cheap to clone, and usable from any task or thread.

pub mod blocking;
mod channel;
mod connection;
mod consumer;
mod driver;
pub mod io;
mod message;
mod options;
mod tls;

pub use channel::{
    BasicConsumeOptions, BasicPublishOptions, Channel, ExchangeDeclareOptions, PublishConfirm,
    QueueDeclareOk, QueueDeclareOptions,
};
pub use connection::{Connection, ConnectionEvent};
pub use consumer::Consumer;
pub use message::{Confirmation, Delivery, Returned};
pub use options::{ConnectionOptions, HostAddr, TlsOptions};

use crate::codec::ShortString;
use crate::error::{Error, Result};

/// A name or key as a short string, refusing more than 255 bytes with a clear error.
pub(crate) fn short(s: &str) -> Result<ShortString> {
    ShortString::try_from(s).map_err(|e| Error::InvalidArgument(format!("{s:.40?}…: {e}")))
}
