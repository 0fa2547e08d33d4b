//! State shared between the handles and the connection task, and the connection's events.
//! A leaf module: the handles and the driver both import it, it imports neither.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{broadcast, oneshot, Semaphore};

use super::mailbox::{Mailbox, Readers};
use super::message::{ConfirmEvent, Returned};
use super::metrics::MetricsSink;
use super::options::HostAddr;
use crate::codec::FieldTable;
use crate::error::{AmqpError, Error};
use crate::proto::Tuning;

/// Something that happened to the connection as a whole, or to one of its channels or
/// consumers without the application asking.
#[derive(Debug, Clone)]
pub enum ConnectionEvent {
    /// The broker stopped reading from publishers (`connection.blocked`), with its reason.
    Blocked(String),
    /// The broker reads from publishers again.
    Unblocked,
    /// The connection was lost; automatic recovery starts (if enabled).
    ConnectionLost(Error),
    /// A reconnection round begins (1-based).
    RecoveryStarted {
        /// Which round.
        attempt: u32,
    },
    /// The connection, its channels, topology and consumers are back, on `host`.
    Recovered {
        /// The broker reached.
        host: String,
    },
    /// Recovery gave up (the error will repeat, or `max_attempts` was reached); the
    /// connection is closed with this error.
    RecoveryFailed(Error),
    /// Part of the recorded topology could not be recovered (e.g. a queue now declared with
    /// other arguments); recovery went on without it.
    TopologyRecoveryFailed {
        /// What was being recovered, e.g. `queue 'q'`.
        what: String,
        /// The broker's answer.
        error: Error,
    },
    /// A server-named queue was declared again at recovery and got a new name; bindings and
    /// consumers already use it.
    QueueRenamed {
        /// The name before the connection was lost.
        old: String,
        /// The broker's new name.
        new: String,
    },
    /// A channel was closed with an error: by the broker, or by this client because the
    /// broker sent content it refuses (too large, undecodable), with the close it sent.
    ChannelClosed {
        /// The channel number.
        channel: u16,
        /// The broker's close.
        error: AmqpError,
    },
    /// The broker cancelled a consumer (its queue was deleted, or it failed over).
    ConsumerCancelled {
        /// The channel number.
        channel: u16,
        /// The consumer tag.
        consumer_tag: String,
    },
    /// The connection ended for good; `None` after [`super::Connection::close`].
    Closed(Option<Error>),
}

/// What the broker agreed to, for the link in use (it changes when recovery reconnects,
/// possibly to another node).
#[derive(Debug, Clone)]
pub(crate) struct LinkInfo {
    pub server_properties: FieldTable,
    pub tuning: Tuning,
    pub host: HostAddr,
}

/// A request to close the connection, sent on a queue of its own so it is never stuck behind
/// publishes waiting for a blocked broker.
pub(crate) struct CloseRequest {
    pub code: u16,
    pub text: String,
    pub reply: oneshot::Sender<crate::Result<()>>,
}

/// State shared between the connection's handles and its task.
pub(crate) struct ConnectionShared {
    /// Set once, when the connection ends for good: why.
    pub closed: OnceLock<Error>,
    /// The link is down and recovery is reconnecting.
    pub recovering: AtomicBool,
    /// Whether `connection.blocked` is in force.
    pub blocked: AtomicBool,
    /// Broadcast of [`ConnectionEvent`]s.
    pub events: broadcast::Sender<ConnectionEvent>,
    /// Told after every event (event-loop integration).
    pub event_hooks: Mutex<Vec<super::ReadyHook>>,
    /// Bounds the publishes queued for the task; the task returns a permit per publish taken.
    /// Closed when the connection ends, so waiting publishers wake with the error.
    pub publish_permits: Semaphore,
    /// The link in use.
    pub info: Mutex<LinkInfo>,
    /// `info.tuning.frame_max`, readable without the lock on the publish path.
    pub frame_max: AtomicU32,
    /// Counters, and the application's collector.
    pub metrics: MetricsSink,
}

impl std::fmt::Debug for ConnectionShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionShared")
            .field("closed", &self.closed.get())
            .field("recovering", &self.recovering)
            .finish_non_exhaustive()
    }
}

impl ConnectionShared {
    /// Reads one part of the link's information (without copying the rest).
    pub fn with_link_info<T>(&self, f: impl FnOnce(&LinkInfo) -> T) -> T {
        f(&self.info.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn set_link_info(&self, info: LinkInfo) {
        self.frame_max
            .store(info.tuning.frame_max, Ordering::Release);
        *self.info.lock().unwrap_or_else(|p| p.into_inner()) = info;
    }

    /// The frame-max agreed on the link in use, read on every publish.
    pub fn frame_max(&self) -> u32 {
        self.frame_max.load(Ordering::Acquire)
    }

    pub fn emit(&self, event: ConnectionEvent) {
        let _ = self.events.send(event);
        let hooks = self
            .event_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for hook in hooks {
            hook();
        }
    }
}

/// State of one channel shared by its handles and the connection task.
#[derive(Debug)]
pub(crate) struct ChannelShared {
    pub id: u16,
    /// Set once, when the channel ends: why.
    pub closed: OnceLock<Error>,
    /// `confirm.select-ok` received: publishes get confirmations.
    pub confirm_mode: AtomicBool,
    /// The broker's `channel.flow` state.
    pub flow_active: AtomicBool,
    /// Delivery tags up to this one belong to a connection lost before the last recovery.
    pub tag_floor: AtomicU64,
    /// Sequence number of the next publish in confirm mode (as `getNextPublishSeqNo`), taken
    /// under `publish_order` together with queueing the publish, so the task sees publishes in
    /// sequence order.
    pub next_publish_seq: AtomicU64,
    pub publish_order: Mutex<()>,
    /// Unconfirmed publishes allowed in confirm mode; a permit is returned when the broker
    /// answers or the publish fails.
    pub confirm_window: Semaphore,
    /// Returned messages not yet read.
    pub returns: Mailbox<Returned>,
    /// Confirm events for a listener, once one subscribed.
    pub confirm_events: OnceLock<Arc<Mailbox<ConfirmEvent>>>,
}

impl ChannelShared {
    pub(crate) fn new(id: u16, limits: &super::options::ClientLimits) -> Self {
        ChannelShared {
            id,
            closed: OnceLock::new(),
            confirm_mode: AtomicBool::new(false),
            flow_active: AtomicBool::new(true),
            tag_floor: AtomicU64::new(0),
            next_publish_seq: AtomicU64::new(1),
            publish_order: Mutex::new(()),
            confirm_window: Semaphore::new(limits.max_unconfirmed.max(1)),
            returns: Mailbox::new(limits.returns_buffer, usize::MAX, Readers::Many),
            confirm_events: OnceLock::new(),
        }
    }

    /// The channel ended: wake everyone waiting on it.
    pub(crate) fn set_closed(&self, err: Error) {
        let _ = self.closed.set(err);
        self.confirm_window.close();
        self.returns.close();
        if let Some(events) = self.confirm_events.get() {
            events.close();
        }
    }

    pub(crate) fn closed_error(&self) -> Option<Error> {
        self.closed.get().cloned()
    }

    pub(crate) fn is_confirm_mode(&self) -> bool {
        self.confirm_mode.load(Ordering::Acquire)
    }
}
