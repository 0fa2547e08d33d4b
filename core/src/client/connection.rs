//! The async connection handle.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, Semaphore};

use super::channel::Channel;
use super::command::{Command, Reply};
use super::driver::Driver;
use super::metrics::{Dropped, MetricsSink, MetricsSnapshot};
use super::options::{ConnectionOptions, HostAddr};
use super::shared::{CloseRequest, ConnectionEvent, ConnectionShared, LinkInfo};
use crate::codec::{FieldTable, LongString, Method};
use crate::error::{Error, Result};
use crate::proto::Tuning;

struct ConnectionInner {
    commands: mpsc::UnboundedSender<Command>,
    /// Close requests, apart from the commands (see [`CloseRequest`]).
    close: mpsc::UnboundedSender<CloseRequest>,
    shared: Arc<ConnectionShared>,
    options: Arc<ConnectionOptions>,
}

/// An AMQP connection. Cheap to clone; every clone drives the same connection, from any task
/// or thread. The connection closes when [`Connection::close`] is called or when the last
/// handle (including channels, consumers and deliveries) is dropped.
///
/// With automatic recovery (on by default, see
/// [`RecoveryOptions`](super::RecoveryOptions)) a lost connection is re-established behind
/// the same handles: channels, consumers and the recorded topology come back, and
/// [`Connection::events`] tells what happened.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (host, tuning) = self
            .inner
            .shared
            .with_link_info(|i| (i.host.clone(), i.tuning));
        f.debug_struct("Connection")
            .field("host", &host)
            .field("tuning", &tuning)
            .field("open", &self.is_open())
            .finish()
    }
}

impl Connection {
    /// Connects to the broker an AMQP URI names, e.g. `amqp://guest:guest@localhost:5672/%2f`.
    pub async fn connect(uri: &str) -> Result<Connection> {
        Self::connect_with(ConnectionOptions::from_uri(uri)?).await
    }

    /// Connects with explicit options, trying each host in order.
    pub async fn connect_with(mut options: ConnectionOptions) -> Result<Connection> {
        options.config.max_message_size = options.limits.max_message_size;
        let first_host = options
            .hosts
            .first()
            .cloned()
            .ok_or_else(|| Error::InvalidUri("no hosts to connect to".into()))?;
        let shared = Arc::new(ConnectionShared {
            closed: OnceLock::new(),
            recovering: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            events: broadcast::channel(options.limits.events_buffer.max(1)).0,
            event_hooks: Mutex::new(Vec::new()),
            publish_permits: Semaphore::new(options.limits.publish_queue.max(1)),
            frame_max: AtomicU32::new(options.config.frame_max),
            info: Mutex::new(LinkInfo {
                server_properties: FieldTable::new(),
                tuning: Tuning {
                    channel_max: options.config.channel_max,
                    frame_max: options.config.frame_max,
                    heartbeat: 0,
                },
                host: first_host,
            }),
            metrics: MetricsSink::new(options.metrics.clone()),
        });
        let (commands, rx) = mpsc::unbounded_channel();
        let (close, close_rx) = mpsc::unbounded_channel();
        let (connected_tx, connected_rx) = oneshot::channel();
        let options = Arc::new(options);
        let driver = Driver::new((*options).clone(), shared.clone(), rx, close_rx);
        let task = tokio::spawn(driver.run(connected_tx));
        // If this future is dropped (the caller gave up), stop the half-open connection.
        struct AbortOnDrop(Option<tokio::task::AbortHandle>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                if let Some(a) = self.0.take() {
                    a.abort();
                }
            }
        }
        let mut guard = AbortOnDrop(Some(task.abort_handle()));
        connected_rx
            .await
            .map_err(|_| Error::ConnectionClosedByClient)??;
        guard.0 = None;
        Ok(Connection {
            inner: Arc::new(ConnectionInner {
                commands,
                close,
                shared,
                options,
            }),
        })
    }

    /// Opens a new channel.
    pub async fn open_channel(&self) -> Result<Channel> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::OpenChannel { reply: tx })?;
        let shared = self.wait(rx).await?;
        Ok(Channel::new(self.clone(), shared))
    }

    /// Closes the connection with reply code 200 and waits for the broker's `close-ok` (at
    /// most [`ConnectionOptions::close_timeout`], then the socket is dropped). Stops recovery.
    pub async fn close(&self) -> Result<()> {
        self.close_with(200, "Goodbye").await
    }

    /// Closes the connection with the given reply code and text.
    pub async fn close_with(&self, code: u16, text: &str) -> Result<()> {
        if self.inner.shared.closed.get().is_some() {
            return Ok(());
        }
        let (tx, rx) = oneshot::channel();
        let request = CloseRequest {
            code,
            text: text.into(),
            reply: tx,
        };
        if self.inner.close.send(request).is_err() {
            return Ok(()); // The task is gone: closed already.
        }
        // The task answers within close_timeout; the margin covers a task that ended between
        // the two checks above without seeing the request.
        let limit = self.inner.options.close_timeout + Duration::from_secs(2);
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) | Err(_) => Ok(()),
        }
    }

    /// Sends `connection.update-secret` (e.g. a refreshed OAuth token).
    pub async fn update_secret(&self, new_secret: &str, reason: &str) -> Result<()> {
        let method = crate::codec::ConnectionUpdateSecret {
            new_secret: LongString::from(new_secret),
            reason: super::short(reason)?,
        };
        self.rpc(0, method.into()).await.map(|_| ())
    }

    /// Subscribes to the connection's events (blocked/unblocked, recovery, channels and
    /// consumers closed by the broker, the end). Each subscriber gets every event sent after
    /// it subscribed; one that falls more than `limits.events_buffer` behind loses the oldest,
    /// which is counted in the metrics and logged.
    pub fn events(&self) -> Events {
        Events {
            rx: self.inner.shared.events.subscribe(),
            shared: self.inner.shared.clone(),
            done: false,
        }
    }

    /// Adds a hook called after every connection event is sent to the subscribers of
    /// [`Self::events`]: for event loops, which write an eventfd or a self-pipe from it and
    /// then read the events with [`Events::try_recv`]. It runs on the connection's task: it
    /// must be quick and must not block.
    pub fn add_event_hook(&self, hook: super::ReadyHook) {
        self.inner
            .shared
            .event_hooks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(hook);
    }

    /// Whether the broker currently blocks publishers.
    pub fn is_blocked(&self) -> bool {
        self.inner.shared.blocked.load(Ordering::Acquire)
    }

    /// Whether the connection is still usable: open, or being recovered.
    pub fn is_open(&self) -> bool {
        self.inner.shared.closed.get().is_none()
    }

    /// Whether the link to the broker is up right now (false while recovery reconnects).
    pub fn is_connected(&self) -> bool {
        self.is_open() && !self.inner.shared.recovering.load(Ordering::Acquire)
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<Error> {
        self.inner.shared.closed.get().cloned()
    }

    /// The broker's `server-properties` (product, version, capabilities...), of the broker
    /// reached last.
    pub fn server_properties(&self) -> FieldTable {
        self.inner
            .shared
            .with_link_info(|i| i.server_properties.clone())
    }

    /// Limits agreed with the broker.
    pub fn tuning(&self) -> Tuning {
        self.inner.shared.with_link_info(|i| i.tuning)
    }

    /// The host this connection reached (last).
    pub fn host(&self) -> HostAddr {
        self.inner.shared.with_link_info(|i| i.host.clone())
    }

    /// The connection's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.shared.metrics.own.snapshot()
    }

    /// The options the connection was opened with.
    pub fn options(&self) -> &ConnectionOptions {
        &self.inner.options
    }

    // ---- used by channels ----

    /// The frame-max in force, without a lock (read on every publish).
    pub(crate) fn frame_max(&self) -> u32 {
        self.inner.shared.frame_max()
    }

    pub(crate) fn shared(&self) -> &ConnectionShared {
        &self.inner.shared
    }

    pub(crate) fn send(&self, cmd: Command) -> Result<()> {
        self.inner
            .commands
            .send(cmd)
            .map_err(|_| self.closed_error())
    }

    pub(crate) fn closed_error(&self) -> Error {
        self.inner
            .shared
            .closed
            .get()
            .cloned()
            .unwrap_or(Error::ConnectionClosedByClient)
    }

    /// Waits for the task's answer, at most the RPC timeout.
    pub(crate) async fn wait<T>(&self, rx: oneshot::Receiver<Result<T>>) -> Result<T> {
        let answer = match self.inner.options.rpc_timeout {
            Some(limit) => tokio::time::timeout(limit, rx)
                .await
                .map_err(|_| Error::Timeout)?,
            None => rx.await,
        };
        answer.map_err(|_| self.closed_error())?
    }

    pub(crate) async fn rpc(&self, channel: u16, method: Method) -> Result<Reply> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Rpc {
            channel,
            method,
            reply: Some(tx),
        })?;
        self.wait(rx).await
    }
}

/// A subscription to a connection's events.
pub struct Events {
    rx: broadcast::Receiver<ConnectionEvent>,
    shared: Arc<ConnectionShared>,
    /// The `Closed` event was read: nothing follows it.
    done: bool,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Events {
    /// The next event; `None` once the connection ended for good and its last event
    /// ([`ConnectionEvent::Closed`]) was read.
    pub async fn recv(&mut self) -> Option<ConnectionEvent> {
        if let Some(ev) = self.try_recv() {
            return Some(ev);
        }
        if self.done || self.shared.closed.get().is_some() {
            // Ended before this subscriber could see it, or already told.
            return None;
        }
        loop {
            match self.rx.recv().await {
                Ok(ev) => return Some(self.seen(ev)),
                Err(broadcast::error::RecvError::Closed) => return None,
                Err(broadcast::error::RecvError::Lagged(n)) => self.lagged(n),
            }
        }
    }

    /// Whether no event waits for this subscriber now.
    pub fn is_empty(&self) -> bool {
        self.done || self.rx.is_empty()
    }

    /// An event already sent, without waiting.
    pub fn try_recv(&mut self) -> Option<ConnectionEvent> {
        if self.done {
            return None;
        }
        loop {
            match self.rx.try_recv() {
                Ok(ev) => return Some(self.seen(ev)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => self.lagged(n),
                Err(_) => return None,
            }
        }
    }

    fn seen(&mut self, ev: ConnectionEvent) -> ConnectionEvent {
        if matches!(ev, ConnectionEvent::Closed(_)) {
            self.done = true;
        }
        ev
    }

    fn lagged(&self, n: u64) {
        self.shared
            .metrics
            .record(|m| m.dropped(Dropped::Events(n)));
        tracing::warn!(
            dropped = n,
            "connection events dropped: this subscriber fell behind"
        );
    }
}
