//! The blocking facade the language bindings wrap: nothing here is async.
//!
//! Each [`Connection`] owns a small tokio runtime whose background thread runs the connection
//! task, so heartbeats, publisher confirms and acknowledgements keep flowing while the
//! caller's thread is busy or asleep. Every handle is `Send + Sync` and usable from any thread.
//! Deliveries are pulled with [`Consumer::next`] (with a timeout) or pushed to a callback on a
//! dedicated thread with [`Consumer::spawn_handler`].
//!
//! Calling these methods from inside an async runtime is refused with
//! [`Error::InvalidState`] rather than panicking: use the async API there.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;

use super::channel::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueDeclareOk,
    QueueDeclareOptions,
};
use super::connection::ConnectionEvent;
use super::message::{Confirmation, Delivery, Returned};
use super::options::ConnectionOptions;
use super::short;
use crate::codec::{self, BasicProperties, FieldTable};
use crate::error::{Error, Result};
use crate::proto::Tuning;

/// The runtime a blocking connection runs on; shared by its channels and consumers.
#[derive(Debug)]
struct Runtime {
    /// Taken on drop, to shut down without blocking when dropped inside another runtime.
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            // Dropping a runtime blocks, which tokio forbids inside an async context.
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    fn new() -> Result<Arc<Runtime>> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("warren-io")
            .enable_all()
            .build()?;
        Ok(Arc::new(Runtime { rt: Some(rt) }))
    }

    /// Runs `fut` to completion on the caller's thread while the I/O thread keeps going.
    fn block_on<F: Future>(&self, fut: F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::InvalidState(
                "a blocking Warren call was made inside an async runtime; use the async API there"
                    .into(),
            ));
        }
        let rt = self.rt.as_ref().expect("runtime is only taken on drop");
        Ok(rt.block_on(fut))
    }

    fn block_on_result<T, F: Future<Output = Result<T>>>(&self, fut: F) -> Result<T> {
        self.block_on(fut)?
    }
}

/// A blocking AMQP connection. Clone it freely; it closes when [`Connection::close`] is called
/// or the last handle (connection, channel or consumer) is dropped.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<ConnectionInner>,
}

struct ConnectionInner {
    conn: super::Connection,
    rt: Arc<Runtime>,
}

impl Drop for ConnectionInner {
    fn drop(&mut self) {
        if self.conn.is_open() {
            let conn = self.conn.clone();
            let _ = self.rt.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
            });
        }
    }
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

    /// Connects with explicit options, trying each host in order.
    pub fn connect_with(options: ConnectionOptions) -> Result<Connection> {
        let rt = Runtime::new()?;
        let conn = rt.block_on_result(super::Connection::connect_with(options))?;
        Ok(Connection {
            inner: Arc::new(ConnectionInner { conn, rt }),
        })
    }

    /// Opens a channel.
    pub fn open_channel(&self) -> Result<Channel> {
        let ch = self
            .inner
            .rt
            .block_on_result(self.inner.conn.open_channel())?;
        Ok(Channel {
            ch,
            conn: self.inner.clone(),
        })
    }

    /// Closes the connection and waits for the broker to confirm.
    pub fn close(&self) -> Result<()> {
        self.inner.rt.block_on_result(self.inner.conn.close())
    }

    /// Whether the connection is open.
    pub fn is_open(&self) -> bool {
        self.inner.conn.is_open()
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
    pub fn server_properties(&self) -> &FieldTable {
        self.inner.conn.server_properties()
    }

    /// Limits agreed with the broker.
    pub fn tuning(&self) -> Tuning {
        self.inner.conn.tuning()
    }

    /// Subscribes to blocked/unblocked/closed notifications.
    pub fn events(&self) -> EventReceiver {
        EventReceiver {
            rx: self.inner.conn.events(),
            rt: self.inner.rt.clone(),
        }
    }

    /// Sends `connection.update-secret`.
    pub fn update_secret(&self, new_secret: &str, reason: &str) -> Result<()> {
        self.inner
            .rt
            .block_on_result(self.inner.conn.update_secret(new_secret, reason))
    }

    /// The async connection underneath.
    pub fn as_async(&self) -> &super::Connection {
        &self.inner.conn
    }
}

/// Connection notifications for blocking code.
pub struct EventReceiver {
    rx: tokio::sync::broadcast::Receiver<ConnectionEvent>,
    rt: Arc<Runtime>,
}

impl EventReceiver {
    /// The next notification, waiting at most `timeout` (forever with `None`). `Ok(None)` on
    /// timeout or once the connection is gone.
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<Option<ConnectionEvent>> {
        let rx = &mut self.rx;
        self.rt.block_on(async move {
            loop {
                let next = with_timeout(timeout, rx.recv()).await;
                match next {
                    None | Some(Err(tokio::sync::broadcast::error::RecvError::Closed)) => {
                        return None
                    }
                    Some(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
                    Some(Ok(ev)) => return Some(ev),
                }
            }
        })
    }
}

async fn with_timeout<F: Future>(timeout: Option<Duration>, fut: F) -> Option<F::Output> {
    match timeout {
        Some(t) => tokio::time::timeout(t, fut).await.ok(),
        None => Some(fut.await),
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
    rt: Arc<Runtime>,
}

impl PublishConfirm {
    /// Waits for the broker's ack or nack.
    pub fn wait(self) -> Result<Confirmation> {
        if self.inner.is_ready() {
            return futures_util::FutureExt::now_or_never(self.inner)
                .unwrap_or(Ok(Confirmation::NotRequested));
        }
        self.rt.block_on_result(self.inner)
    }

    /// Waits at most `timeout`; [`Error::Timeout`] if no answer came.
    pub fn wait_timeout(self, timeout: Duration) -> Result<Confirmation> {
        let fut = self.inner;
        self.rt
            .block_on(tokio::time::timeout(timeout, fut))?
            .map_err(|_| Error::Timeout)?
    }
}

impl Channel {
    fn run<T, F: Future<Output = Result<T>>>(&self, fut: F) -> Result<T> {
        self.conn.rt.block_on_result(fut)
    }

    /// The channel number.
    pub fn id(&self) -> u16 {
        self.ch.id()
    }

    /// Whether the channel is open.
    pub fn is_open(&self) -> bool {
        self.ch.is_open()
    }

    /// Why the channel closed, once it has.
    pub fn close_reason(&self) -> Option<Error> {
        self.ch.close_reason()
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

    /// See [`super::Channel::queue_purge`].
    pub fn queue_purge(&self, queue: &str) -> Result<u32> {
        self.run(self.ch.queue_purge(queue))
    }

    /// See [`super::Channel::queue_delete`].
    pub fn queue_delete(&self, queue: &str, if_unused: bool, if_empty: bool) -> Result<u32> {
        self.run(self.ch.queue_delete(queue, if_unused, if_empty))
    }

    /// See [`super::Channel::basic_qos`].
    pub fn basic_qos(&self, prefetch_count: u16, global: bool) -> Result<()> {
        self.run(self.ch.basic_qos(prefetch_count, global))
    }

    /// Starts a consumer; pull its deliveries with [`Consumer::next`] or hand them to a
    /// callback thread with [`Consumer::spawn_handler`].
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

    /// See [`super::Channel::basic_cancel`].
    pub fn basic_cancel(&self, consumer_tag: &str) -> Result<()> {
        self.run(self.ch.basic_cancel(consumer_tag))
    }

    /// Publishes a message. Returns at once unless too many publishes are queued; in confirm
    /// mode, wait on the result for the broker's answer.
    pub fn basic_publish(
        &self,
        exchange: &str,
        routing_key: &str,
        options: BasicPublishOptions,
        body: impl Into<Bytes>,
        properties: BasicProperties,
    ) -> Result<PublishConfirm> {
        let publish = codec::BasicPublish {
            ticket: 0,
            exchange: short(exchange)?,
            routing_key: short(routing_key)?,
            mandatory: options.mandatory,
            immediate: options.immediate,
        };
        let permits = &self.ch.connection().shared().publish_permits;
        // Fast path without entering the runtime: a permit is free.
        match permits.try_acquire() {
            Ok(p) => p.forget(),
            Err(_) => self
                .conn
                .rt
                .block_on(permits.acquire())?
                .map_err(|_| self.ch.connection().closed_error())?
                .forget(),
        }
        let inner = self.ch.enqueue_publish(publish, properties, body.into())?;
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
        self.ch.basic_ack(delivery_tag, multiple)
    }

    /// See [`super::Channel::basic_nack`].
    pub fn basic_nack(&self, delivery_tag: u64, multiple: bool, requeue: bool) -> Result<()> {
        self.ch.basic_nack(delivery_tag, multiple, requeue)
    }

    /// See [`super::Channel::basic_reject`].
    pub fn basic_reject(&self, delivery_tag: u64, requeue: bool) -> Result<()> {
        self.ch.basic_reject(delivery_tag, requeue)
    }

    /// See [`super::Channel::basic_recover`].
    pub fn basic_recover(&self, requeue: bool) -> Result<()> {
        self.run(self.ch.basic_recover(requeue))
    }

    /// The next returned (unroutable mandatory) message, waiting at most `timeout`.
    pub fn next_return(&self, timeout: Option<Duration>) -> Result<Option<Returned>> {
        if let Some(r) = self.ch.try_recv_return() {
            return Ok(Some(r));
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

    /// See [`super::Channel::wait_for_confirms`].
    pub fn wait_for_confirms(&self) -> Result<bool> {
        self.run(self.ch.wait_for_confirms())
    }

    /// Like [`Self::wait_for_confirms`] but gives up with [`Error::Timeout`] after `timeout`.
    pub fn wait_for_confirms_timeout(&self, timeout: Duration) -> Result<bool> {
        self.conn
            .rt
            .block_on(tokio::time::timeout(timeout, self.ch.wait_for_confirms()))?
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

    /// Closes the channel.
    pub fn close(&self) -> Result<()> {
        self.run(self.ch.close())
    }
}

/// A blocking consumer.
pub struct Consumer {
    inner: super::Consumer,
    conn: Arc<ConnectionInner>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("tag", &self.inner.tag())
            .finish()
    }
}

impl Consumer {
    /// The consumer tag.
    pub fn tag(&self) -> &str {
        self.inner.tag()
    }

    /// The next delivery, waiting at most `timeout` (forever with `None`). `Ok(None)` on
    /// timeout or when the consumer was cancelled by us; `Err` when the channel or connection
    /// closed or the broker cancelled the consumer.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<Delivery>> {
        if let Some(d) = self.inner.try_next() {
            return d.map(Some);
        }
        let inner = &mut self.inner;
        match self
            .conn
            .rt
            .block_on(with_timeout(timeout, inner.next_delivery()))?
        {
            None | Some(None) => Ok(None),
            Some(Some(d)) => d.map(Some),
        }
    }

    /// Cancels the consumer.
    pub fn cancel(&self) -> Result<()> {
        self.conn.rt.block_on_result(self.inner.cancel())
    }

    /// Hands every delivery to `handler` on a dedicated thread, until the consumer ends. The
    /// returned handle joins that thread and reports how the consumer ended.
    pub fn spawn_handler<F>(mut self, mut handler: F) -> Result<JoinHandle<Result<()>>>
    where
        F: FnMut(Delivery) + Send + 'static,
    {
        let name = format!("warren-consumer-{}", self.tag());
        std::thread::Builder::new()
            .name(name)
            .spawn(move || loop {
                match self.next(None) {
                    Ok(Some(d)) => handler(d),
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(e),
                }
            })
            .map_err(Error::from)
    }
}

// Compile-time proof that the handles can cross threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Connection>();
    assert_send_sync::<Channel>();
    assert_send_sync::<Delivery>();
    assert_send_sync::<PublishConfirm>();
};
