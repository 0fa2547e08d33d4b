//! `warren.connect` and `warren.Connection`: the blocking connection, its events, its shared
//! consumer inbox (for `basic_consume` callbacks) and its RPC client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyDict;
use warren_core::client::blocking;
use warren_core::client::{
    ConnectionEvent as CoreEvent, ConnectionOptions, ConsumerEnd, InboxItem,
};
use warren_core::proto::Credentials;
use warren_core::Error;

use crate::channel::Channel;
use crate::convert::{seconds, table_from_py, table_to_py};
use crate::errors::{to_py_err, ErrorContext};
use crate::message::{dict_of, properties_arg, Message};
use crate::wait::{sleep, wait_sliced};

/// A consumer started with `basic_consume(queue, callback)`.
pub(crate) struct ConsumerEntry {
    pub callback: Py<PyAny>,
    pub auto_ack: bool,
    /// The application cancelled it; deliveries still buffered for it are requeued (manual
    /// ack) or dropped (auto-ack, as pika does), not handed to the callback.
    pub cancelled: bool,
}

/// What every handle of one connection shares.
pub(crate) struct ConnState {
    pub conn: blocking::Connection,
    /// A subscription used only to notice that recovery gave up, so that the errors that
    /// follow are raised as `RecoveryFailed`.
    watch: Mutex<blocking::Events>,
    recovery_failed: AtomicBool,
    /// The inbox all `basic_consume` callbacks deliver into (made on first use).
    inbox: OnceLock<blocking::Inbox>,
    /// Callbacks by (channel number, consumer tag).
    pub consumers: Mutex<HashMap<(u16, String), ConsumerEntry>>,
    /// `add_on_cancel_callback` callbacks by channel number.
    pub cancel_callbacks: Mutex<HashMap<u16, Vec<Py<PyAny>>>>,
    /// Set by `Connection.wake()`: the `drain_events` wait under way (or the next) returns at
    /// once. The inbox's own wake only ends one wait slice; this says that it was a wake.
    woken: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ConnState {
    /// The Python exception for an error of a call on this connection.
    pub fn err(&self, py: Python<'_>, e: Error) -> PyErr {
        if let Ok(mut watch) = self.watch.try_lock() {
            while let Some(ev) = watch.try_recv() {
                if let CoreEvent::RecoveryFailed(_) = ev {
                    self.recovery_failed.store(true, Ordering::Relaxed);
                }
            }
        }
        let ctx = ErrorContext {
            recovery_failed: self.recovery_failed.load(Ordering::Relaxed),
            connecting: false,
        };
        to_py_err(py, &e, ctx)
    }

    pub fn inbox(&self) -> &blocking::Inbox {
        self.inbox.get_or_init(|| self.conn.inbox())
    }

    pub fn consumers(&self) -> MutexGuard<'_, HashMap<(u16, String), ConsumerEntry>> {
        lock(&self.consumers)
    }

    pub fn cancel_callbacks(&self) -> MutexGuard<'_, HashMap<u16, Vec<Py<PyAny>>>> {
        lock(&self.cancel_callbacks)
    }

    /// Hands one inbox item to its callback. Errors that ended a consumer (its channel or
    /// connection closed with an error) are raised.
    pub fn dispatch(&self, py: Python<'_>, item: InboxItem) -> PyResult<()> {
        match item {
            InboxItem::Delivery(d) => {
                let key = (d.channel().id(), d.consumer_tag.as_str().into_owned());
                let entry = self
                    .consumers()
                    .get(&key)
                    .map(|e| (e.callback.clone_ref(py), e.auto_ack, e.cancelled));
                match entry {
                    Some((callback, _, false)) => {
                        let msg = Py::new(py, Message::new(d, None))?;
                        callback.call1(py, (msg,))?;
                    }
                    Some((_, false, true)) => {
                        // Cancelled by the application before it was handed over: give it
                        // back to the queue, as pika does.
                        let _ = d.nack(true);
                    }
                    // An auto-ack consumer the application cancelled: the broker already
                    // forgot the message; pika drops these too.
                    Some((_, true, true)) => {}
                    None => {}
                }
                Ok(())
            }
            InboxItem::Ended {
                channel,
                consumer_tag,
                reason,
            } => {
                self.consumers().remove(&(channel, consumer_tag.clone()));
                match reason {
                    ConsumerEnd::CancelledByApp => Ok(()),
                    ConsumerEnd::CancelledByBroker => {
                        let callbacks: Vec<Py<PyAny>> = self
                            .cancel_callbacks()
                            .get(&channel)
                            .map(|v| v.iter().map(|c| c.clone_ref(py)).collect())
                            .unwrap_or_default();
                        for cb in callbacks {
                            cb.call1(py, (consumer_tag.as_str(),))?;
                        }
                        Ok(())
                    }
                    ConsumerEnd::ChannelClosed(Error::ChannelClosedByClient)
                    | ConsumerEnd::ConnectionClosed(Error::ConnectionClosedByClient) => Ok(()),
                    ConsumerEnd::ChannelClosed(e) | ConsumerEnd::ConnectionClosed(e) => {
                        Err(self.err(py, e))
                    }
                }
            }
        }
    }

    /// Waits at most `timeout` for the first inbox item of `channel` (every channel with
    /// `None`), then dispatches it and every item already waiting. Returns how many.
    /// At most `limit` items are handed over: a consumer that keeps up with the broker would
    /// otherwise be drained forever in one call (and, when the callbacks only queue, into
    /// unbounded memory). Only `Connection.drain_events` (channel `None`) ends early on a wake.
    pub fn drain(
        &self,
        py: Python<'_>,
        channel: Option<u16>,
        timeout: Option<Duration>,
        limit: usize,
    ) -> PyResult<usize> {
        let inbox = self.inbox().clone();
        let wakeable = channel.is_none();
        let next = |t: Duration| {
            if wakeable && self.woken.swap(false, Ordering::AcqRel) {
                return Ok(Some(None));
            }
            let got = match channel {
                Some(ch) => inbox.next_for_channel(ch, Some(t)),
                None => inbox.next(Some(t)),
            }?;
            Ok(match got {
                Some(item) => Some(Some(item)),
                None if wakeable && self.woken.swap(false, Ordering::AcqRel) => Some(None),
                None => None,
            })
        };
        let first = wait_sliced(py, timeout, next)?.map_err(|e| self.err(py, e))?;
        let Some(Some(first)) = first else {
            return Ok(0);
        };
        self.dispatch(py, first)?;
        let mut count = 1;
        while count < limit {
            let more = match channel {
                Some(ch) => inbox.next_for_channel(ch, Some(Duration::ZERO)),
                None => inbox.next(Some(Duration::ZERO)),
            }
            .map_err(|e| self.err(py, e))?;
            match more {
                Some(item) => {
                    self.dispatch(py, item)?;
                    count += 1;
                }
                None => return Ok(count),
            }
        }
        Ok(count)
    }
}

/// A consumer tag made on this side, so that the callback is registered before the first
/// delivery can arrive.
pub(crate) fn new_consumer_tag(channel: u16) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("ctag{channel}.{:x}{nanos:08x}.{n}", std::process::id())
}

/// An AMQP connection. Thread-safe; automatic recovery is on unless `recovery=False` was
/// given to `connect`.
#[pyclass(module = "warren", name = "Connection", frozen)]
pub struct Connection {
    pub(crate) state: Arc<ConnState>,
}

/// Deliveries one `drain_events` call hands over at most, by default (the same number is
/// written out in `drain_events`' signature, where the stubs can read it).
pub(crate) const DRAIN_LIMIT: usize = 10_000;

/// The URL `connect()` uses when given none: RabbitMQ's defaults.
const DEFAULT_URL: &str = "amqp://guest:guest@localhost:5672/%2f";

fn options_from(
    urls: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<ConnectionOptions> {
    let uris: Vec<String> = if let Some(urls) = urls.filter(|u| !u.is_none()) {
        if let Ok(s) = urls.extract::<String>() {
            vec![s]
        } else {
            urls.extract()
                .map_err(|_| PyTypeError::new_err("connect() takes a URL or a list of URLs"))?
        }
    } else {
        vec![DEFAULT_URL.to_owned()]
    };
    let mut opts = ConnectionOptions::from_uris(&uris[..]).map_err(crate::errors::plain)?;
    let Some(kwargs) = kwargs else {
        return Ok(opts);
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        let secs = |v: &Bound<'_, PyAny>| -> PyResult<Option<Duration>> { seconds(v.extract()?) };
        let required = |v: &Bound<'_, PyAny>| -> PyResult<Duration> {
            secs(v)?.ok_or_else(|| PyTypeError::new_err(format!("{key} cannot be None")))
        };
        match key.as_str() {
            "heartbeat" => opts.config.heartbeat = value.extract()?,
            "frame_max" => opts.config.frame_max = value.extract()?,
            "channel_max" => opts.config.channel_max = value.extract()?,
            "connection_name" => opts.config.connection_name = value.extract()?,
            "client_properties" => opts.config.client_properties = table_from_py(&value)?,
            "username" => opts.config.credentials.username = value.extract()?,
            "password" => opts.config.credentials.password = value.extract()?,
            "credentials" => {
                let (username, password): (String, String) = value.extract()?;
                opts.config.credentials = Credentials { username, password };
            }
            "virtual_host" => opts.config.vhost = value.extract()?,
            "connection_timeout" => opts.connection_timeout = required(&value)?,
            "rpc_timeout" => opts.rpc_timeout = secs(&value)?,
            "publish_timeout" => opts.publish_timeout = secs(&value)?,
            "close_timeout" => opts.close_timeout = required(&value)?,
            "recovery" => opts.recovery.enabled = value.extract()?,
            "recover_topology" => opts.recovery.topology = value.extract()?,
            "recovery_max_attempts" => opts.recovery.max_attempts = value.extract()?,
            "recovery_initial_delay" => opts.recovery.initial_delay = required(&value)?,
            "recovery_max_delay" => opts.recovery.max_delay = required(&value)?,
            "consumer_buffer" => opts.limits.consumer_buffer = value.extract()?,
            "max_unconfirmed" => opts.limits.max_unconfirmed = value.extract()?,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "connect() got an unexpected keyword argument {other:?}"
                )))
            }
        }
    }
    Ok(opts)
}

/// Opens a connection to the broker a URL names (`amqp://user:pass@host:port/vhost`), or to
/// the first of a list of URLs that accepts (default: `amqp://guest:guest@localhost:5672/%2f`).
/// See the README for the options.
#[pyfunction]
#[pyo3(signature = (url=None, **options))]
pub fn connect(
    py: Python<'_>,
    url: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Connection> {
    let opts = options_from(url, options)?;
    let conn = py
        .detach(move || blocking::Connection::connect_with(opts))
        .map_err(|e| {
            let ctx = ErrorContext {
                connecting: true,
                ..ErrorContext::default()
            };
            to_py_err(py, &e, ctx)
        })?;
    let watch = Mutex::new(conn.events());
    Ok(Connection {
        state: Arc::new(ConnState {
            conn,
            watch,
            recovery_failed: AtomicBool::new(false),
            inbox: OnceLock::new(),
            consumers: Mutex::new(HashMap::new()),
            cancel_callbacks: Mutex::new(HashMap::new()),
            woken: AtomicBool::new(false),
        }),
    })
}

impl Connection {
    fn close_connection(&self, py: Python<'_>, reply_code: u16, reply_text: &str) -> PyResult<()> {
        let result = if self.state.conn.is_open() {
            let conn = &self.state.conn;
            match py.detach(|| conn.close_with(reply_code, reply_text)) {
                Ok(()) | Err(Error::ConnectionClosedByClient) => Ok(()),
                Err(e) => Err(self.state.err(py, e)),
            }
        } else {
            Ok(())
        };
        // Callbacks often hold the channel or connection they belong to: a cycle through Rust
        // that Python's collector cannot see. Nothing calls them after the close.
        let callbacks: Vec<_> = self
            .state
            .consumers()
            .drain()
            .map(|(_, e)| e.callback)
            .collect();
        let cancels: Vec<_> = self.state.cancel_callbacks().drain().collect();
        drop((callbacks, cancels));
        result
    }
}

#[pymethods]
impl Connection {
    /// Opens a channel.
    fn channel(&self, py: Python<'_>) -> PyResult<Channel> {
        let conn = self.state.conn.clone();
        let ch = py
            .detach(move || conn.open_channel())
            .map_err(|e| self.state.err(py, e))?;
        Ok(Channel::new(ch, self.state.clone()))
    }

    /// Closes the connection (and every channel); a no-op when it is already closed.
    #[pyo3(signature = (reply_code=200, reply_text=None),
        text_signature = "(self, reply_code=200, reply_text='Normal shutdown')")]
    fn close(
        &self,
        py: Python<'_>,
        reply_code: u16,
        reply_text: Option<PyBackedStr>,
    ) -> PyResult<()> {
        self.close_connection(
            py,
            reply_code,
            reply_text.as_deref().unwrap_or("Normal shutdown"),
        )
    }

    /// Whether the connection is usable (open, or being recovered).
    #[getter]
    fn is_open(&self) -> bool {
        self.state.conn.is_open()
    }

    /// Whether the link to the broker is up right now (false while recovery reconnects).
    #[getter]
    fn is_connected(&self) -> bool {
        self.state.conn.is_connected()
    }

    /// Whether the broker currently blocks publishers (`connection.blocked`).
    #[getter]
    fn is_blocked(&self) -> bool {
        self.state.conn.is_blocked()
    }

    /// The broker's server properties.
    #[getter]
    fn server_properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        table_to_py(py, &self.state.conn.server_properties())
    }

    /// The negotiated `(channel_max, frame_max, heartbeat)`.
    #[getter]
    fn tuning(&self) -> (u16, u32, u16) {
        let t = self.state.conn.tuning();
        (t.channel_max, t.frame_max, t.heartbeat)
    }

    /// The broker reached, as a URL without credentials.
    #[getter]
    fn host(&self) -> String {
        self.state.conn.host().to_string()
    }

    /// The connection's counters as a dict (`published`, `confirmed`, `delivered`,
    /// `acked`, `recoveries`, ...).
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict_of(py, self.state.conn.metrics().pairs())
    }

    /// A new subscription to the connection's events (blocked, unblocked, connection lost,
    /// recovered, ...): iterate it, or call `next(timeout)`.
    fn events(&self) -> EventStream {
        EventStream {
            events: Mutex::new(self.state.conn.events()),
            state: self.state.clone(),
        }
    }

    /// Waits at most `timeout` seconds (forever with `None`) for a delivery to any
    /// `basic_consume` callback of this connection, then calls the callbacks of the deliveries
    /// that are waiting, at most `max_events` (default 10,000) in one call. Returns how many
    /// were handled; 0 when the time ran out or `wake()` was called.
    #[pyo3(signature = (timeout=None, *, max_events=10000))]
    fn drain_events(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        max_events: usize,
    ) -> PyResult<usize> {
        let timeout = seconds(timeout)?;
        self.state.drain(py, None, timeout, max_events.max(1))
    }

    /// Makes the `drain_events` call under way on another thread (or the next call) return at
    /// once. Safe from any thread: an application loop that also runs work handed to it by
    /// other threads queues the work, then calls this.
    fn wake(&self) {
        self.state.woken.store(true, Ordering::Release);
        self.state.inbox().wake();
    }

    /// Sleeps `duration` seconds with the GIL released; heartbeats keep flowing (they always
    /// do: the connection runs on Warren's own threads).
    fn sleep(&self, py: Python<'_>, duration: f64) -> PyResult<()> {
        match seconds(Some(duration))? {
            Some(d) => sleep(py, d),
            None => Ok(()),
        }
    }

    /// Sends `connection.update-secret` (a refreshed password or token) and waits for the
    /// broker's answer.
    fn update_secret(
        &self,
        py: Python<'_>,
        new_secret: PyBackedStr,
        reason: PyBackedStr,
    ) -> PyResult<()> {
        let conn = &self.state.conn;
        let (secret, reason): (&str, &str) = (&new_secret, &reason);
        py.detach(|| conn.update_secret(secret, reason))
            .map_err(|e| self.state.err(py, e))
    }

    /// An RPC client over direct reply-to, on a channel of its own.
    fn rpc_client(&self, py: Python<'_>) -> PyResult<RpcClient> {
        let conn = self.state.conn.clone();
        let inner = py
            .detach(move || conn.rpc_client())
            .map_err(|e| self.state.err(py, e))?;
        Ok(RpcClient {
            inner,
            state: self.state.clone(),
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close_connection(py, 200, "Normal shutdown")?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.state.conn.is_open() {
            "open"
        } else {
            "closed"
        };
        format!("<warren.Connection {} ({state})>", self.state.conn.host())
    }
}

/// A connection event, as `Connection.events()` yields them. `kind` is one of `blocked`,
/// `unblocked`, `connection_lost`, `recovery_started`, `recovered`, `recovery_failed`,
/// `topology_recovery_failed`, `queue_renamed`, `channel_closed`, `consumer_cancelled`,
/// `closed`; the other attributes are set where they apply.
#[pyclass(module = "warren", name = "ConnectionEvent", frozen, get_all)]
pub struct ConnectionEvent {
    kind: &'static str,
    /// Why the broker blocks publishers, or what could not be recovered.
    reason: Option<String>,
    /// The error behind `connection_lost`, `recovery_failed`, `topology_recovery_failed`,
    /// `channel_closed`, `closed`.
    error: Option<Py<PyAny>>,
    attempt: Option<u32>,
    host: Option<String>,
    channel: Option<u16>,
    consumer_tag: Option<String>,
    old_name: Option<String>,
    new_name: Option<String>,
}

#[pymethods]
impl ConnectionEvent {
    fn __repr__(&self) -> String {
        format!("<ConnectionEvent {}>", self.kind)
    }
}

impl ConnectionEvent {
    fn from_core(py: Python<'_>, state: &ConnState, ev: CoreEvent) -> Self {
        let mut out = ConnectionEvent {
            kind: "",
            reason: None,
            error: None,
            attempt: None,
            host: None,
            channel: None,
            consumer_tag: None,
            old_name: None,
            new_name: None,
        };
        let exc = |e: Error| Some(state.err(py, e).into_value(py).into_any());
        match ev {
            CoreEvent::Blocked(reason) => {
                out.kind = "blocked";
                out.reason = Some(reason);
            }
            CoreEvent::Unblocked => out.kind = "unblocked",
            CoreEvent::ConnectionLost(e) => {
                out.kind = "connection_lost";
                out.error = exc(e);
            }
            CoreEvent::RecoveryStarted { attempt } => {
                out.kind = "recovery_started";
                out.attempt = Some(attempt);
            }
            CoreEvent::Recovered { host } => {
                out.kind = "recovered";
                out.host = Some(host);
            }
            CoreEvent::RecoveryFailed(e) => {
                out.kind = "recovery_failed";
                out.error = Some(
                    to_py_err(
                        py,
                        &e,
                        ErrorContext {
                            recovery_failed: true,
                            connecting: false,
                        },
                    )
                    .into_value(py)
                    .into_any(),
                );
            }
            CoreEvent::TopologyRecoveryFailed { what, error } => {
                out.kind = "topology_recovery_failed";
                out.reason = Some(what);
                out.error = exc(error);
            }
            CoreEvent::QueueRenamed { old, new } => {
                out.kind = "queue_renamed";
                out.old_name = Some(old);
                out.new_name = Some(new);
            }
            CoreEvent::ChannelClosed { channel, error } => {
                out.kind = "channel_closed";
                out.channel = Some(channel);
                out.error = exc(Error::ChannelClosed(error));
            }
            CoreEvent::ConsumerCancelled {
                channel,
                consumer_tag,
            } => {
                out.kind = "consumer_cancelled";
                out.channel = Some(channel);
                out.consumer_tag = Some(consumer_tag);
            }
            CoreEvent::Closed(e) => {
                out.kind = "closed";
                out.error = e.and_then(exc);
            }
        }
        out
    }
}

/// A subscription to a connection's events.
#[pyclass(module = "warren", name = "EventStream", frozen)]
pub struct EventStream {
    events: Mutex<blocking::Events>,
    state: Arc<ConnState>,
}

#[pymethods]
impl EventStream {
    /// The next event, waiting at most `timeout` seconds (forever with `None`); `None` when
    /// the time ran out or the connection is gone and every event was read.
    #[pyo3(signature = (timeout=None))]
    fn next(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<ConnectionEvent>> {
        let timeout = seconds(timeout)?;
        let events = &self.events;
        let got = wait_sliced(py, timeout, |slice| {
            let r = lock(events).recv(Some(slice))?;
            if r.is_none() && !self.state.conn.is_open() {
                // Nothing more will come: end the wait as if it had timed out.
                return Ok(Some(None));
            }
            Ok(r.map(Some))
        })?
        .map_err(|e| self.state.err(py, e))?;
        Ok(got
            .flatten()
            .map(|ev| ConnectionEvent::from_core(py, &self.state, ev)))
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<ConnectionEvent>> {
        match self.next(py, None)? {
            Some(ev) => Ok(Some(ev)),
            None => Err(pyo3::exceptions::PyStopIteration::new_err(())),
        }
    }
}

/// Requests and replies over RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`).
#[pyclass(module = "warren", name = "RpcClient", frozen)]
pub struct RpcClient {
    inner: blocking::RpcClient,
    state: Arc<ConnState>,
}

#[pymethods]
impl RpcClient {
    /// Publishes `body` as a request (mandatory, with `reply_to` and a fresh
    /// `correlation_id`) and waits at most `timeout` seconds for the reply. Raises
    /// `Unroutable` when no queue took the request and `Timeout` when no reply came.
    #[pyo3(signature = (exchange, routing_key, body, properties=None, *, timeout=30.0))]
    fn call(
        &self,
        py: Python<'_>,
        exchange: PyBackedStr,
        routing_key: PyBackedStr,
        body: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        timeout: f64,
    ) -> PyResult<Message> {
        let exchange: &str = &exchange;
        let routing_key: &str = &routing_key;
        let payload = crate::convert::body(body)?;
        let props = properties_arg(properties)?;
        let timeout = seconds(Some(timeout))?.unwrap_or_default();
        let inner = &self.inner;
        let delivery = py
            .detach(|| inner.call(exchange, routing_key, payload, props, timeout))
            .map_err(|e| self.state.err(py, e))?;
        Ok(Message::new(delivery, None))
    }
}
