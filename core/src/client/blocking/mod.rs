//! The blocking facade the language bindings wrap: nothing here is async.
//!
//! Every blocking connection runs on one runtime shared by the process (see
//! [`runtime`](self) docs: a connection costs a task, not a thread), whose threads run the
//! connection tasks, so heartbeats, publisher confirms, acknowledgements and recovery keep
//! going while the caller's thread is busy or asleep. Every handle is `Send + Sync` and usable
//! from any thread. Each call here is the async API plus the runtime, never a second copy.
//!
//! Deliveries are pulled with [`Consumer::next`] (with a timeout), from many consumers at once
//! with an [`Inbox`], or pushed to a callback on a dedicated thread with
//! [`Consumer::spawn_handler`]. Connection events (blocked, recovery, channels and consumers
//! closed by the broker) are pulled with [`Events::recv`] or pushed to a callback thread with
//! [`Connection::spawn_event_handler`].
//!
//! Calling these methods from inside an async runtime is refused with
//! [`Error::InvalidState`] rather than blocking it: use the async API there. A connection
//! opened before `fork()` refuses to work in the child with [`Error::UsedAfterFork`].

mod runtime;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;

use self::runtime::{fork_generation, with_timeout, IoRuntime};
use super::channel::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueDeclareOk,
    QueueDeclareOptions,
};
use super::message::{ConfirmEvent, Confirmation, Returned};
use super::metrics::MetricsSnapshot;
use super::options::{ConnectionOptions, HostAddr};
use super::{ConnectionEvent, ConsumerEnd, Delivery, InboxItem};
use crate::codec::{BasicProperties, FieldTable};
use crate::error::{Error, Result};
use crate::proto::Tuning;

/// What the handles of one connection share.
struct ConnectionInner {
    conn: super::Connection,
    rt: Arc<IoRuntime>,
    /// The process generation the connection was opened in (changes after a fork).
    generation: u64,
}

impl ConnectionInner {
    /// Refuses use from a forked child.
    fn check(&self) -> Result<()> {
        if self.generation != fork_generation() {
            return Err(Error::UsedAfterFork {
                parent: parent_pid(),
            });
        }
        Ok(())
    }

    fn run<T>(&self, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.check()?;
        self.rt.block_on(fut)?
    }
}

/// The process id before the last fork, as far as this process can tell.
fn parent_pid() -> u32 {
    #[cfg(unix)]
    {
        std::os::unix::process::parent_id()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

impl Drop for ConnectionInner {
    fn drop(&mut self) {
        if self.generation != fork_generation() || !self.conn.is_open() {
            // In a forked child the parent's connection is the parent's: leave its socket alone.
            return;
        }
        let conn = self.conn.clone();
        // The timer is made inside the async block: it can only be made within the runtime.
        let close = async move {
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
        };
        if self.rt.block_on(close).is_err() {
            // Inside an async runtime: close in the background instead of blocking it.
            let conn = self.conn.clone();
            self.rt.spawn(async move {
                let _ = conn.close().await;
            });
        }
    }
}

/// A blocking AMQP connection. Clone it freely; it closes when [`Connection::close`] is called
/// or the last handle (connection, channel, consumer or delivery) is dropped. Automatic
/// recovery is on by default (see [`super::RecoveryOptions`]).
#[derive(Clone)]
pub struct Connection {
    inner: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.conn.fmt(f)
    }
}

impl Connection {
    /// Connects to the broker an AMQP URI names.
    pub fn connect(uri: &str) -> Result<Connection> {
        Self::connect_with(ConnectionOptions::from_uri(uri)?)
    }

    /// Connects to the first of several brokers that accepts (and recovers to them in
    /// rotation); each URI keeps its own scheme, port and TLS settings.
    pub fn connect_uris<S: AsRef<str>>(uris: &[S]) -> Result<Connection> {
        Self::connect_with(ConnectionOptions::from_uris(uris)?)
    }

    /// Connects with explicit options, trying each host in order.
    pub fn connect_with(options: ConnectionOptions) -> Result<Connection> {
        let rt = IoRuntime::shared()?;
        let conn = rt.block_on(super::Connection::connect_with(options))??;
        Ok(Connection {
            inner: Arc::new(ConnectionInner {
                conn,
                rt,
                generation: fork_generation(),
            }),
        })
    }

    /// Opens a channel.
    pub fn open_channel(&self) -> Result<Channel> {
        let ch = self.inner.run(self.inner.conn.open_channel())?;
        Ok(Channel {
            ch,
            conn: self.inner.clone(),
        })
    }

    /// Closes the connection and waits for the broker to confirm (at most the options'
    /// `close_timeout`, then the socket is dropped). Stops recovery.
    pub fn close(&self) -> Result<()> {
        self.inner.run(self.inner.conn.close())
    }

    /// Closes the connection with a reply code and text.
    pub fn close_with(&self, code: u16, text: &str) -> Result<()> {
        self.inner.run(self.inner.conn.close_with(code, text))
    }

    /// Whether the connection is usable: open, or being recovered.
    pub fn is_open(&self) -> bool {
        self.inner.conn.is_open()
    }

    /// Whether the link to the broker is up right now (false while recovery reconnects).
    pub fn is_connected(&self) -> bool {
        self.inner.conn.is_connected()
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<Error> {
        self.inner.conn.close_reason()
    }

    /// Whether the broker currently blocks publishers.
    pub fn is_blocked(&self) -> bool {
        self.inner.conn.is_blocked()
    }

    /// The broker's server properties.
    pub fn server_properties(&self) -> FieldTable {
        self.inner.conn.server_properties()
    }

    /// Limits agreed with the broker.
    pub fn tuning(&self) -> Tuning {
        self.inner.conn.tuning()
    }

    /// The broker this connection reached (last).
    pub fn host(&self) -> HostAddr {
        self.inner.conn.host()
    }

    /// The connection's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.conn.metrics()
    }

    /// Adds a hook called after every connection event; see
    /// [`super::Connection::add_event_hook`].
    pub fn add_event_hook(&self, hook: super::ReadyHook) {
        self.inner.conn.add_event_hook(hook);
    }

    /// Subscribes to the connection's events.
    pub fn events(&self) -> Events {
        Events {
            rx: self.inner.conn.events(),
            conn: self.inner.clone(),
        }
    }

    /// Calls `handler` with every connection event on a thread of its own (named
    /// `warren-events`), until the connection is gone. The returned handle joins it.
    pub fn spawn_event_handler<F>(&self, mut handler: F) -> Result<JoinHandle<()>>
    where
        F: FnMut(ConnectionEvent) + Send + 'static,
    {
        self.inner.check()?;
        let mut events = self.events();
        std::thread::Builder::new()
            .name("warren-events".into())
            .spawn(move || {
                while let Ok(Some(ev)) = events.recv(None) {
                    handler(ev);
                }
            })
            .map_err(Error::from)
    }

    /// Sends `connection.update-secret`.
    pub fn update_secret(&self, new_secret: &str, reason: &str) -> Result<()> {
        self.inner
            .run(self.inner.conn.update_secret(new_secret, reason))
    }

    /// A new inbox for consumers of this connection's channels
    /// ([`Channel::basic_consume_to_inbox`]).
    pub fn inbox(&self) -> Inbox {
        Inbox {
            inner: super::Inbox::new(&self.inner.conn),
            conn: self.inner.clone(),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// An RPC client over direct reply-to, on a channel of its own.
    pub fn rpc_client(&self) -> Result<RpcClient> {
        let inner = self.inner.run(super::RpcClient::new(&self.inner.conn))?;
        Ok(RpcClient {
            inner,
            conn: self.inner.clone(),
        })
    }

    /// The async connection underneath.
    pub fn as_async(&self) -> &super::Connection {
        &self.inner.conn
    }
}

/// Whether a receive with this timeout is only a look at what already arrived: after the
/// look found nothing, it returns at once rather than arming a timer, which would cost a tick
/// of the runtime's clock (about a millisecond) for nothing.
fn does_not_wait(timeout: Option<Duration>) -> bool {
    timeout == Some(Duration::ZERO)
}

/// Connection events for blocking code.
pub struct Events {
    rx: super::Events,
    conn: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Events {
    /// The next event, waiting at most `timeout` (forever with `None`). `Ok(None)` on timeout
    /// or once the connection is gone and every event was read.
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<ConnectionEvent>> {
        if let Some(ev) = self.rx.try_recv() {
            return Ok(Some(ev));
        }
        self.conn.check()?;
        if does_not_wait(timeout) {
            return Ok(None);
        }
        let rx = &mut self.rx;
        Ok(self
            .conn
            .rt
            .block_on(with_timeout(timeout, rx.recv()))?
            .flatten())
    }

    /// An event already sent, without waiting.
    pub fn try_recv(&mut self) -> Option<ConnectionEvent> {
        self.rx.try_recv()
    }

    /// Whether no event waits for this subscriber now.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }
}

/// A blocking channel. Clone it and use it from any thread.
#[derive(Clone)]
pub struct Channel {
    ch: super::Channel,
    conn: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ch.fmt(f)
    }
}

/// A publish's confirmation, to wait for when the channel is in confirm mode.
#[derive(Debug)]
pub struct PublishConfirm {
    inner: super::PublishConfirm,
    rt: Arc<IoRuntime>,
}

impl PublishConfirm {
    /// Waits for the broker's ack or nack ([`Error::PublishUnconfirmed`] if the connection is
    /// lost first).
    pub fn wait(self) -> Result<Confirmation> {
        if self.inner.is_ready() {
            return futures_util::FutureExt::now_or_never(self.inner)
                .unwrap_or(Ok(Confirmation::NotRequested));
        }
        self.rt.block_on(self.inner)?
    }

    /// Waits at most `timeout`; [`Error::Timeout`] if no answer came.
    pub fn wait_timeout(self, timeout: Duration) -> Result<Confirmation> {
        let fut = self.inner;
        self.rt
            .block_on(async move { tokio::time::timeout(timeout, fut).await })?
            .map_err(|_| Error::Timeout)?
    }
}

/// What [`Consumer::next`] found.
// Returned by value once per delivery: boxing the delivery would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Next {
    /// A message.
    Delivery(Delivery),
    /// Nothing arrived within the timeout; the consumer goes on.
    Timeout,
    /// The consumer ended, and why; every later call says the same.
    Ended(ConsumerEnd),
}

impl Channel {
    fn run<T>(&self, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.conn.run(fut)
    }

    /// The channel number.
    pub fn id(&self) -> u16 {
        self.ch.id()
    }

    /// Whether the channel is usable (open, or being recovered).
    pub fn is_open(&self) -> bool {
        self.ch.is_open()
    }

    /// Why the channel closed, once it has.
    pub fn close_reason(&self) -> Option<Error> {
        self.ch.close_reason()
    }

    /// Whether the broker allows publishing (`channel.flow`).
    pub fn flow_active(&self) -> bool {
        self.ch.flow_active()
    }

    /// Whether the channel is in confirm mode.
    pub fn is_confirm_mode(&self) -> bool {
        self.ch.is_confirm_mode()
    }

    /// See [`super::Channel::next_publish_seq_no`].
    pub fn next_publish_seq_no(&self) -> u64 {
        self.ch.next_publish_seq_no()
    }

    /// The async channel underneath.
    pub fn as_async(&self) -> &super::Channel {
        &self.ch
    }

    /// See [`super::Channel::exchange_declare`].
    pub fn exchange_declare(
        &self,
        exchange: &str,
        kind: &str,
        options: ExchangeDeclareOptions,
        arguments: FieldTable,
    ) -> Result<()> {
        self.run(self.ch.exchange_declare(exchange, kind, options, arguments))
    }

    /// See [`super::Channel::exchange_delete`].
    pub fn exchange_delete(&self, exchange: &str, if_unused: bool) -> Result<()> {
        self.run(self.ch.exchange_delete(exchange, if_unused))
    }

    /// See [`super::Channel::exchange_delete_nowait`].
    pub fn exchange_delete_nowait(&self, exchange: &str, if_unused: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.exchange_delete_nowait(exchange, if_unused)
    }

    /// See [`super::Channel::exchange_bind`].
    pub fn exchange_bind(
        &self,
        destination: &str,
        source: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.run(
            self.ch
                .exchange_bind(destination, source, routing_key, arguments),
        )
    }

    /// See [`super::Channel::exchange_bind_nowait`].
    pub fn exchange_bind_nowait(
        &self,
        destination: &str,
        source: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.conn.check()?;
        self.ch
            .exchange_bind_nowait(destination, source, routing_key, arguments)
    }

    /// See [`super::Channel::exchange_unbind`].
    pub fn exchange_unbind(
        &self,
        destination: &str,
        source: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.run(
            self.ch
                .exchange_unbind(destination, source, routing_key, arguments),
        )
    }

    /// See [`super::Channel::exchange_unbind_nowait`].
    pub fn exchange_unbind_nowait(
        &self,
        destination: &str,
        source: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.conn.check()?;
        self.ch
            .exchange_unbind_nowait(destination, source, routing_key, arguments)
    }

    /// See [`super::Channel::queue_declare`].
    pub fn queue_declare(
        &self,
        queue: &str,
        options: QueueDeclareOptions,
        arguments: FieldTable,
    ) -> Result<QueueDeclareOk> {
        self.run(self.ch.queue_declare(queue, options, arguments))
    }

    /// See [`super::Channel::queue_bind`].
    pub fn queue_bind(
        &self,
        queue: &str,
        exchange: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.run(self.ch.queue_bind(queue, exchange, routing_key, arguments))
    }

    /// See [`super::Channel::queue_bind_nowait`].
    pub fn queue_bind_nowait(
        &self,
        queue: &str,
        exchange: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.conn.check()?;
        self.ch
            .queue_bind_nowait(queue, exchange, routing_key, arguments)
    }

    /// See [`super::Channel::queue_unbind`].
    pub fn queue_unbind(
        &self,
        queue: &str,
        exchange: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.run(
            self.ch
                .queue_unbind(queue, exchange, routing_key, arguments),
        )
    }

    /// See [`super::Channel::queue_unbind_nowait`].
    pub fn queue_unbind_nowait(
        &self,
        queue: &str,
        exchange: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> Result<()> {
        self.conn.check()?;
        self.ch
            .queue_unbind_nowait(queue, exchange, routing_key, arguments)
    }

    /// See [`super::Channel::queue_purge`].
    pub fn queue_purge(&self, queue: &str) -> Result<u32> {
        self.run(self.ch.queue_purge(queue))
    }

    /// See [`super::Channel::queue_purge_nowait`].
    pub fn queue_purge_nowait(&self, queue: &str) -> Result<()> {
        self.conn.check()?;
        self.ch.queue_purge_nowait(queue)
    }

    /// See [`super::Channel::queue_delete`].
    pub fn queue_delete(&self, queue: &str, if_unused: bool, if_empty: bool) -> Result<u32> {
        self.run(self.ch.queue_delete(queue, if_unused, if_empty))
    }

    /// See [`super::Channel::queue_delete_nowait`].
    pub fn queue_delete_nowait(&self, queue: &str, if_unused: bool, if_empty: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.queue_delete_nowait(queue, if_unused, if_empty)
    }

    /// See [`super::Channel::basic_qos`].
    pub fn basic_qos(&self, prefetch_count: u16, global: bool) -> Result<()> {
        self.run(self.ch.basic_qos(prefetch_count, global))
    }

    /// See [`super::Channel::basic_qos_nowait`].
    pub fn basic_qos_nowait(&self, prefetch_count: u16, global: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.basic_qos_nowait(prefetch_count, global)
    }

    /// Starts a consumer with its own buffer; pull its deliveries with [`Consumer::next`] or
    /// hand them to a callback thread with [`Consumer::spawn_handler`].
    pub fn basic_consume(
        &self,
        queue: &str,
        consumer_tag: &str,
        options: BasicConsumeOptions,
        arguments: FieldTable,
    ) -> Result<Consumer> {
        let inner = self.run(
            self.ch
                .basic_consume(queue, consumer_tag, options, arguments),
        )?;
        Ok(Consumer {
            inner,
            conn: self.conn.clone(),
        })
    }

    /// Starts a consumer delivering into `inbox` (see [`Inbox`]); returns its tag.
    pub fn basic_consume_to_inbox(
        &self,
        inbox: &Inbox,
        queue: &str,
        consumer_tag: &str,
        options: BasicConsumeOptions,
        arguments: FieldTable,
    ) -> Result<String> {
        self.run(self.ch.basic_consume_to_inbox(
            &inbox.inner,
            queue,
            consumer_tag,
            options,
            arguments,
        ))
    }

    /// See [`super::Channel::basic_cancel`].
    pub fn basic_cancel(&self, consumer_tag: &str) -> Result<()> {
        self.run(self.ch.basic_cancel(consumer_tag))
    }

    /// See [`super::Channel::basic_cancel_nowait`].
    pub fn basic_cancel_nowait(&self, consumer_tag: &str) -> Result<()> {
        self.conn.check()?;
        self.ch.basic_cancel_nowait(consumer_tag)
    }

    /// Publishes a message: [`super::Channel::basic_publish`] on the shared runtime. Returns at
    /// once unless too many publishes are queued or unconfirmed (then it waits, at most the
    /// options' `publish_timeout`); in confirm mode, wait on the result for the broker's answer.
    pub fn basic_publish(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        body: impl Into<Bytes>,
        properties: BasicProperties,
    ) -> Result<PublishConfirm> {
        self.conn.check()?;
        let fut = self
            .ch
            .basic_publish(exchange, routing_key, options, body, properties);
        let inner = self.conn.rt.run_quick(fut)??;
        Ok(PublishConfirm {
            inner,
            rt: self.conn.rt.clone(),
        })
    }

    /// See [`super::Channel::basic_get`].
    pub fn basic_get(&self, queue: &str, no_ack: bool) -> Result<Option<Delivery>> {
        self.run(self.ch.basic_get(queue, no_ack))
    }

    /// See [`super::Channel::basic_ack`].
    pub fn basic_ack(&self, delivery_tag: u64, multiple: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.basic_ack(delivery_tag, multiple)
    }

    /// See [`super::Channel::basic_nack`].
    pub fn basic_nack(&self, delivery_tag: u64, multiple: bool, requeue: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.basic_nack(delivery_tag, multiple, requeue)
    }

    /// See [`super::Channel::basic_reject`].
    pub fn basic_reject(&self, delivery_tag: u64, requeue: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.basic_reject(delivery_tag, requeue)
    }

    /// See [`super::Channel::basic_recover`].
    pub fn basic_recover(&self, requeue: bool) -> Result<()> {
        self.run(self.ch.basic_recover(requeue))
    }

    /// See [`super::Channel::basic_recover_async`].
    pub fn basic_recover_async(&self, requeue: bool) -> Result<()> {
        self.conn.check()?;
        self.ch.basic_recover_async(requeue)
    }

    /// The next returned (unroutable mandatory) message, waiting at most `timeout`.
    pub fn next_return(&self, timeout: Option<Duration>) -> Result<Option<Returned>> {
        if let Some(r) = self.ch.try_recv_return() {
            return Ok(Some(r));
        }
        self.conn.check()?;
        if does_not_wait(timeout) {
            return Ok(None);
        }
        Ok(self
            .conn
            .rt
            .block_on(with_timeout(timeout, self.ch.recv_return()))?
            .flatten())
    }

    /// See [`super::Channel::confirm_select`].
    pub fn confirm_select(&self) -> Result<()> {
        self.run(self.ch.confirm_select())
    }

    /// The channel's publisher confirms as a stream of events (see
    /// [`super::Channel::confirm_events`]).
    pub fn confirm_events(&self) -> ConfirmEvents {
        ConfirmEvents {
            inner: self.ch.confirm_events(),
            conn: self.conn.clone(),
        }
    }

    /// See [`super::Channel::wait_for_confirms`].
    pub fn wait_for_confirms(&self) -> Result<bool> {
        self.run(self.ch.wait_for_confirms())
    }

    /// Like [`Self::wait_for_confirms`] but gives up with [`Error::Timeout`] after `timeout`.
    pub fn wait_for_confirms_timeout(&self, timeout: Duration) -> Result<bool> {
        self.conn.check()?;
        let wait = self.ch.wait_for_confirms();
        self.conn
            .rt
            .block_on(async move { tokio::time::timeout(timeout, wait).await })?
            .map_err(|_| Error::Timeout)?
    }

    /// See [`super::Channel::tx_select`].
    pub fn tx_select(&self) -> Result<()> {
        self.run(self.ch.tx_select())
    }

    /// See [`super::Channel::tx_commit`].
    pub fn tx_commit(&self) -> Result<()> {
        self.run(self.ch.tx_commit())
    }

    /// See [`super::Channel::tx_rollback`].
    pub fn tx_rollback(&self) -> Result<()> {
        self.run(self.ch.tx_rollback())
    }

    /// See [`super::Channel::channel_flow`].
    pub fn channel_flow(&self, active: bool) -> Result<bool> {
        self.run(self.ch.channel_flow(active))
    }

    /// Closes the channel.
    pub fn close(&self) -> Result<()> {
        self.run(self.ch.close())
    }

    /// Closes the channel with a reply code and text.
    pub fn close_with(&self, code: u16, text: &str) -> Result<()> {
        self.run(self.ch.close_with(code, text))
    }
}

/// A channel's confirms for blocking code.
#[derive(Clone)]
pub struct ConfirmEvents {
    inner: super::ConfirmEvents,
    conn: Arc<ConnectionInner>,
}

impl std::fmt::Debug for ConfirmEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmEvents").finish_non_exhaustive()
    }
}

impl ConfirmEvents {
    /// The next confirm, waiting at most `timeout`; `Ok(None)` on timeout or once the channel
    /// is closed.
    pub fn recv(&self, timeout: Option<Duration>) -> Result<Option<ConfirmEvent>> {
        if let Some(ev) = self.inner.try_recv() {
            return Ok(Some(ev));
        }
        self.conn.check()?;
        if does_not_wait(timeout) {
            return Ok(None);
        }
        Ok(self
            .conn
            .rt
            .block_on(with_timeout(timeout, self.inner.recv()))?
            .flatten())
    }
}

/// A blocking consumer.
pub struct Consumer {
    inner: super::Consumer,
    conn: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl Consumer {
    /// The consumer tag.
    pub fn tag(&self) -> &str {
        self.inner.tag()
    }

    /// The next delivery, waiting at most `timeout` (forever with `None`); or
    /// [`Next::Timeout`]; or [`Next::Ended`] with the reason: cancelled by the application or
    /// by the broker, channel closed, connection closed. Across a recovery it simply goes on.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Next> {
        match self.inner.try_recv() {
            Ok(Some(d)) => return Ok(Next::Delivery(d)),
            Err(end) => return Ok(Next::Ended(end)),
            Ok(None) => {}
        }
        self.conn.check()?;
        if does_not_wait(timeout) {
            return Ok(Next::Timeout);
        }
        let inner = &mut self.inner;
        Ok(
            match self.conn.rt.block_on(with_timeout(timeout, inner.recv()))? {
                None => Next::Timeout,
                Some(Ok(d)) => Next::Delivery(d),
                Some(Err(end)) => Next::Ended(end),
            },
        )
    }

    /// Cancels the consumer.
    pub fn cancel(&self) -> Result<()> {
        self.conn.run(self.inner.cancel())
    }

    /// Deliveries received and not read yet.
    pub fn buffered(&self) -> usize {
        self.inner.buffered()
    }

    /// Hands every delivery to `handler` on a dedicated thread (named
    /// `warren-consumer-<tag>`), until the consumer ends. The returned handle joins that thread
    /// and says how the consumer ended.
    pub fn spawn_handler<F>(mut self, mut handler: F) -> Result<JoinHandle<ConsumerEnd>>
    where
        F: FnMut(Delivery) + Send + 'static,
    {
        self.conn.check()?;
        let name = format!("warren-consumer-{}", self.tag());
        std::thread::Builder::new()
            .name(name)
            .spawn(move || loop {
                match self.next(None) {
                    Ok(Next::Delivery(d)) => handler(d),
                    Ok(Next::Timeout) => {}
                    Ok(Next::Ended(end)) => return end,
                    Err(e) => return ConsumerEnd::ConnectionClosed(e),
                }
            })
            .map_err(Error::from)
    }
}

/// A shared delivery buffer for many consumers, for one loop that serves them all (see
/// [`super::Inbox`]).
#[derive(Clone)]
pub struct Inbox {
    inner: super::Inbox,
    conn: Arc<ConnectionInner>,
    /// Ends a wait in [`Inbox::next`] early (see [`Inbox::wake`]): the loop that serves the
    /// inbox often has other work too (timers, callbacks other threads hand it).
    wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl Inbox {
    /// The next delivery (or consumer end) from any consumer of the inbox, waiting at most
    /// `timeout`; `Ok(None)` if the time ran out.
    pub fn next(&self, timeout: Option<Duration>) -> Result<Option<InboxItem>> {
        if let Some(item) = self.inner.try_recv() {
            return Ok(Some(item));
        }
        self.conn.check()?;
        if does_not_wait(timeout) {
            return Ok(None);
        }
        let inner = &self.inner;
        self.conn
            .rt
            .block_on(with_timeout(timeout, self.wakeable(inner.recv())))
            .map(Option::flatten)
    }

    /// Like [`Self::next`], for the consumers of one channel only; the others' items wait.
    pub fn next_for_channel(
        &self,
        channel: u16,
        timeout: Option<Duration>,
    ) -> Result<Option<InboxItem>> {
        if let Some(item) = self.inner.try_recv_for_channel(channel) {
            return Ok(Some(item));
        }
        self.conn.check()?;
        if does_not_wait(timeout) {
            return Ok(None);
        }
        let inner = &self.inner;
        self.conn
            .rt
            .block_on(with_timeout(
                timeout,
                self.wakeable(inner.recv_for_channel(channel)),
            ))
            .map(Option::flatten)
    }

    /// Ends the current wait of [`Self::next`] or [`Self::next_for_channel`] at once, as if its
    /// time had run out (`Ok(None)`); with no wait under way, the next one returns at once.
    /// For a loop that serves the inbox and also work handed to it from other threads (pika's
    /// `add_callback_threadsafe`): the other thread queues its work, then wakes the loop.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// `recv`, unless [`Self::wake`] comes first (then `None`).
    async fn wakeable(
        &self,
        recv: impl std::future::Future<Output = InboxItem>,
    ) -> Option<InboxItem> {
        tokio::select! {
            item = recv => Some(item),
            () = self.wake.notified() => None,
        }
    }

    /// An item already received, without waiting.
    pub fn try_next(&self) -> Option<InboxItem> {
        self.inner.try_recv()
    }

    /// Whether nothing waits in the inbox now.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Sets (or removes) the hook called whenever the inbox stops being empty; see
    /// [`super::Inbox::set_ready_hook`].
    pub fn set_ready_hook(&self, hook: Option<super::ReadyHook>) {
        self.inner.set_ready_hook(hook);
    }

    /// Consumers delivering here that have not ended.
    pub fn consumers(&self) -> usize {
        self.inner.consumers()
    }

    /// Consumers of `channel` delivering here that have not ended.
    pub fn consumers_of(&self, channel: u16) -> usize {
        self.inner.consumers_of(channel)
    }
}

/// A blocking RPC client over direct reply-to (see [`super::RpcClient`]).
pub struct RpcClient {
    inner: super::RpcClient,
    conn: Arc<ConnectionInner>,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl RpcClient {
    /// Sends a request and waits at most `timeout` for its reply.
    pub fn call(
        &self,
        exchange: &str,
        routing_key: &str,
        body: impl Into<Bytes>,
        properties: BasicProperties,
        timeout: Duration,
    ) -> Result<Delivery> {
        self.conn.run(
            self.inner
                .call(exchange, routing_key, body, properties, timeout),
        )
    }
}

// Compile-time proof that the handles can cross threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Connection>();
    assert_send_sync::<Channel>();
    assert_send_sync::<Delivery>();
    assert_send_sync::<PublishConfirm>();
    assert_send_sync::<Inbox>();
    assert_send_sync::<Consumer>();
    assert_send_sync::<RpcClient>();
};
