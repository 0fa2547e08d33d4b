//! The tokio client: [`Connection`], [`Channel`], [`Consumer`] streams, [`Inbox`]es and
//! per-publish confirmations, with automatic recovery, plus the [`blocking`] facade used by the
//! language bindings.
//!
//! One task per connection owns the socket and the sans-IO state machine
//! ([`crate::proto::ClientConnection`]); handles talk to it through a command queue, so every
//! handle is `Send + Sync`, cheap to clone, and usable from any task or thread. The task
//! outlives a lost link: it reconnects and restores channels, topology and consumers behind the
//! same handles (see [`RecoveryOptions`]).
//!
//! Modules, leaves first: `command`, `shared`, `mailbox`, `message`, `metrics`, `options`,
//! `recovery`, `transport` (plain data and the state the two sides share) → `driver` (the
//! connection task) → `connection`, `channel`, `consumer`, `inbox`, `delivery`, `rpc` (the
//! handles) → `blocking`.

pub mod blocking;
mod channel;
mod command;
mod connection;
mod consumer;
mod delivery;
mod driver;
mod inbox;
pub mod io;
mod mailbox;
mod message;
pub mod metrics;
mod options;
mod recovery;
mod rpc;
mod shared;
mod tls;
mod transport;

pub use channel::{
    BasicConsumeOptions, BasicPublishOptions, Channel, ConfirmEvents, ExchangeDeclareOptions,
    PublishConfirm, QueueDeclareOk, QueueDeclareOptions,
};
pub use connection::{Connection, Events};
pub use consumer::Consumer;
pub use delivery::Delivery;
pub use inbox::{Inbox, InboxItem};
pub use mailbox::{ConsumerEnd, ReadyHook};
pub use message::{ConfirmEvent, ConfirmMerger, ConfirmOutcome, Confirmation, Returned};
pub use metrics::{Metrics, MetricsCollector, MetricsSnapshot};
pub use options::{ClientLimits, ConnectionOptions, HostAddr, TlsOptions};
pub use recovery::{
    RecordedBinding, RecordedEntity, RecordedExchange, RecordedQueue, RecoveryOptions,
    TopologyFilter,
};
pub use rpc::RpcClient;
pub use shared::ConnectionEvent;

use crate::codec::ShortString;
use crate::error::{Error, Result};

/// A name or key as a short string, refusing more than 255 bytes with a clear error.
pub(crate) fn short(s: &str) -> Result<ShortString> {
    ShortString::try_from(s).map_err(|e| Error::InvalidArgument(format!("{s:.40?}…: {e}")))
}
