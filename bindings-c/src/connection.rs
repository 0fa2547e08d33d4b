//! Connections: options, opening and closing, connection-wide pulls of deliveries and events,
//! the pollable descriptor for event loops, event callbacks, metrics and RPC.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use warren_core::client::blocking::{self, Events};
use warren_core::client::{
    ConnectionEvent, ConnectionOptions, ConsumerEnd, HostAddr, InboxItem, TlsOptions,
};
use warren_core::error::Error;

use crate::error::{
    warren_error, warren_result, ErrorSlot, Failure, WARREN_INVALID_STATE, WARREN_OK,
    WARREN_TIMEOUT,
};
use crate::ffi::{self, boundary, boundary_or, warren_bytes, Out, UserData};
use crate::message::{warren_delivery, warren_properties};
use crate::table::warren_table;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Settings for warren_connection_open_with: hosts, credentials, virtual host, heartbeat,
/// TLS files, recovery, timeouts. Not thread-safe for writing.
pub struct warren_options {
    options: ConnectionOptions,
    /// TLS files and settings for every TLS host, applied when the connection opens.
    tls: TlsOptions,
}

/// New options with the defaults: guest/guest on vhost "/", heartbeat 60 s, recovery on, no
/// host (localhost:5672 is used if none is added). Free them with warren_options_free.
#[no_mangle]
pub extern "C" fn warren_options_new() -> *mut warren_options {
    boundary_or(std::ptr::null_mut(), || {
        let mut options = ConnectionOptions::default();
        options.hosts.clear();
        ffi::into_handle(warren_options {
            options,
            tls: TlsOptions::default(),
        })
    })
}

/// Options from an AMQP URI (`amqp[s]://user:password@host:port/vhost?heartbeat=10...`),
/// to adjust before opening. WARREN_INVALID_URI if it cannot be parsed.
#[no_mangle]
pub extern "C" fn warren_options_from_uri(
    uri: *const c_char,
    out: *mut *mut warren_options,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (uri, out) = unsafe { (ffi::string(uri, "uri")?, Out::new(out, "out")?) };
        let options = ConnectionOptions::from_uri(uri).map_err(Failure::from)?;
        out.write(ffi::into_handle(warren_options {
            options,
            tls: TlsOptions::default(),
        }));
        Ok(WARREN_OK)
    })
}

/// Frees options; NULL does nothing. A connection opened with them keeps its own copy.
#[no_mangle]
pub extern "C" fn warren_options_free(options: *mut warren_options) {
    // SAFETY: NULL or options this library handed over (documented).
    boundary_or((), || unsafe { ffi::free_handle(options) })
}

fn with_options(
    options: *mut warren_options,
    f: impl FnOnce(&mut warren_options) -> Result<(), Failure>,
) -> warren_result {
    boundary(|| {
        // SAFETY: NULL or live options used by one thread (documented).
        f(unsafe { ffi::object_mut(options, "options")? })?;
        Ok(WARREN_OK)
    })
}

/// Adds a broker to try (in the order added; recovery tries them in rotation). With `tls`
/// the connection uses TLS (see warren_options_set_tls_files).
#[no_mangle]
pub extern "C" fn warren_options_add_host(
    options: *mut warren_options,
    host: *const c_char,
    port: u16,
    tls: bool,
) -> warren_result {
    with_options(options, |o| {
        // SAFETY: NUL-terminated (documented).
        let host = unsafe { ffi::string(host, "host")? };
        let mut addr = HostAddr::new(host, port);
        if tls {
            addr.tls = Some(TlsOptions::default());
        }
        o.options.hosts.push(addr);
        Ok(())
    })
}

/// Sets the user name and password (PLAIN).
#[no_mangle]
pub extern "C" fn warren_options_set_credentials(
    options: *mut warren_options,
    username: *const c_char,
    password: *const c_char,
) -> warren_result {
    with_options(options, |o| {
        // SAFETY: NUL-terminated (documented).
        let (u, p) = unsafe {
            (
                ffi::string(username, "username")?,
                ffi::string(password, "password")?,
            )
        };
        o.options.config.credentials.username = u.into();
        o.options.config.credentials.password = p.into();
        Ok(())
    })
}

/// Sets the virtual host (default "/").
#[no_mangle]
pub extern "C" fn warren_options_set_vhost(
    options: *mut warren_options,
    vhost: *const c_char,
) -> warren_result {
    with_options(options, |o| {
        // SAFETY: NUL-terminated (documented).
        o.options.config.vhost = unsafe { ffi::string(vhost, "vhost")? }.into();
        Ok(())
    })
}

/// Sets the heartbeat interval to ask for, in seconds (0: none, if the broker agrees). The
/// library sends and checks heartbeats on its own thread, whatever the application does.
#[no_mangle]
pub extern "C" fn warren_options_set_heartbeat(
    options: *mut warren_options,
    seconds: u16,
) -> warren_result {
    with_options(options, |o| {
        o.options.config.heartbeat = seconds;
        Ok(())
    })
}

/// Switches automatic recovery on (the default) or off. With recovery, a lost connection is
/// reopened with its channels, topology and consumers behind the same handles.
#[no_mangle]
pub extern "C" fn warren_options_set_recovery(
    options: *mut warren_options,
    enabled: bool,
) -> warren_result {
    with_options(options, |o| {
        o.options.recovery.enabled = enabled;
        Ok(())
    })
}

/// Sets the delay before the first reconnection attempt and the largest delay between
/// attempts (they double up to it), in milliseconds.
#[no_mangle]
pub extern "C" fn warren_options_set_recovery_delay(
    options: *mut warren_options,
    initial_ms: u32,
    max_ms: u32,
) -> warren_result {
    with_options(options, |o| {
        o.options.recovery.initial_delay = Duration::from_millis(initial_ms.into());
        o.options.recovery.max_delay = Duration::from_millis(max_ms.max(initial_ms).into());
        Ok(())
    })
}

/// Sets the name shown for the connection in the broker's management UI.
#[no_mangle]
pub extern "C" fn warren_options_set_connection_name(
    options: *mut warren_options,
    name: *const c_char,
) -> warren_result {
    with_options(options, |o| {
        // SAFETY: NUL-terminated (documented).
        o.options.config.connection_name = Some(unsafe { ffi::string(name, "name")? }.into());
        Ok(())
    })
}

/// Sets the PEM files for TLS hosts: the CA certificates to trust (NULL: the system's), and
/// the client certificate chain and key (NULL: none).
#[no_mangle]
pub extern "C" fn warren_options_set_tls_files(
    options: *mut warren_options,
    ca_file: *const c_char,
    cert_file: *const c_char,
    key_file: *const c_char,
) -> warren_result {
    with_options(options, |o| {
        // SAFETY: each NULL or NUL-terminated (documented).
        let (ca, cert, key) = unsafe {
            (
                ffi::string_or(ca_file, "", "ca_file")?,
                ffi::string_or(cert_file, "", "cert_file")?,
                ffi::string_or(key_file, "", "key_file")?,
            )
        };
        let path = |s: &str| (!s.is_empty()).then(|| s.into());
        o.tls.ca_file = path(ca);
        o.tls.cert_file = path(cert);
        o.tls.key_file = path(key);
        Ok(())
    })
}

/// Sets the name checked against the server's certificate (default: the host name), and
/// whether the certificate is verified at all (`verify` false is for tests only).
#[no_mangle]
pub extern "C" fn warren_options_set_tls_server(
    options: *mut warren_options,
    server_name: *const c_char,
    verify: bool,
) -> warren_result {
    with_options(options, |o| {
        // SAFETY: NULL or NUL-terminated (documented).
        let name = unsafe { ffi::string_or(server_name, "", "server_name")? };
        o.tls.server_name = (!name.is_empty()).then(|| name.into());
        o.tls.danger_accept_invalid_certs = !verify;
        Ok(())
    })
}

/// Sets the limit for TCP connect, TLS and the AMQP handshake, per host, in milliseconds.
#[no_mangle]
pub extern "C" fn warren_options_set_connection_timeout(
    options: *mut warren_options,
    ms: u32,
) -> warren_result {
    with_options(options, |o| {
        o.options.connection_timeout = Duration::from_millis(ms.into());
        Ok(())
    })
}

/// Sets how long a synchronous request (declare, bind, get, close...) waits for the broker
/// before failing with WARREN_TIMEOUT, in milliseconds; negative: no limit. Default 10 min.
#[no_mangle]
pub extern "C" fn warren_options_set_rpc_timeout(
    options: *mut warren_options,
    ms: i32,
) -> warren_result {
    with_options(options, |o| {
        o.options.rpc_timeout = crate::timeout(ms);
        Ok(())
    })
}

/// Sets how long a publish may wait for room (e.g. while the broker blocks publishers)
/// before failing with WARREN_TIMEOUT, in milliseconds; negative (the default): no limit.
#[no_mangle]
pub extern "C" fn warren_options_set_publish_timeout(
    options: *mut warren_options,
    ms: i32,
) -> warren_result {
    with_options(options, |o| {
        o.options.publish_timeout = crate::timeout(ms);
        Ok(())
    })
}

/// Sets the largest frame and the highest channel number to ask for (0: the broker's).
#[no_mangle]
pub extern "C" fn warren_options_set_limits(
    options: *mut warren_options,
    frame_max: u32,
    channel_max: u16,
) -> warren_result {
    with_options(options, |o| {
        o.options.config.frame_max = frame_max;
        o.options.config.channel_max = channel_max;
        Ok(())
    })
}

/// Sets how many deliveries are buffered per connection before the library stops reading
/// the socket (TCP then pushes back on the broker); default 4096.
#[no_mangle]
pub extern "C" fn warren_options_set_consumer_buffer(
    options: *mut warren_options,
    messages: usize,
) -> warren_result {
    with_options(options, |o| {
        o.options.limits.consumer_buffer = messages.max(1);
        Ok(())
    })
}

impl warren_options {
    /// The options to connect with: TLS settings merged into every TLS host, localhost if no
    /// host was added.
    fn resolved(&self) -> ConnectionOptions {
        let mut options = self.options.clone();
        if options.hosts.is_empty() {
            options.hosts.push(HostAddr::new("localhost", 5672));
        }
        for host in &mut options.hosts {
            if let Some(tls) = &mut host.tls {
                let t = &self.tls;
                if t.ca_file.is_some() {
                    tls.ca_file = t.ca_file.clone();
                }
                if t.cert_file.is_some() {
                    tls.cert_file = t.cert_file.clone();
                }
                if t.key_file.is_some() {
                    tls.key_file = t.key_file.clone();
                }
                if t.server_name.is_some() {
                    tls.server_name = t.server_name.clone();
                }
                tls.danger_accept_invalid_certs |= t.danger_accept_invalid_certs;
            }
        }
        options
    }
}

/// What a connection and its channels share.
pub(crate) struct Shared {
    pub conn: blocking::Connection,
    /// Where the pull consumers of every channel deliver: one buffer, read by
    /// warren_connection_next_delivery (any channel) and warren_channel_next_delivery.
    pub inbox: blocking::Inbox,
    /// The connection's events, read by warren_connection_next_event (or the poller).
    pub events: Arc<Mutex<Events>>,
    /// Set once warren_connection_fd was called.
    pub poller: OnceLock<Arc<Poller>>,
}

/// A connection to a broker. Safe to use from several threads at once; heartbeats,
/// acknowledgements, confirms and recovery run on the library's own threads.
pub struct warren_connection {
    pub(crate) shared: Arc<Shared>,
    /// The RPC client, made on the first warren_connection_rpc_call.
    rpc: Mutex<Option<Arc<blocking::RpcClient>>>,
    /// The thread running the event callback, if one was set.
    event_thread: Mutex<Option<JoinHandle<()>>>,
    errors: ErrorSlot,
}

impl warren_connection {
    fn new(conn: blocking::Connection) -> warren_connection {
        let events = Arc::new(Mutex::new(conn.events()));
        let inbox = conn.inbox();
        warren_connection {
            shared: Arc::new(Shared {
                conn,
                inbox,
                events,
                poller: OnceLock::new(),
            }),
            rpc: Mutex::new(None),
            event_thread: Mutex::new(None),
            errors: ErrorSlot::default(),
        }
    }
}

impl Drop for warren_connection {
    fn drop(&mut self) {
        // Close first: that ends the consumers and the event stream; then unhook the descriptor
        // and join the event-callback thread, so that no callback runs after free returns.
        let _ = self.shared.conn.close();
        if let Some(poller) = self.shared.poller.get() {
            poller.stop(&self.shared);
        }
        if let Some(t) = lock(&self.event_thread).take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

fn open(
    out: *mut *mut warren_connection,
    connect: impl FnOnce() -> warren_core::Result<blocking::Connection>,
) -> Result<warren_result, Failure> {
    // SAFETY: writable (documented).
    let out = unsafe { Out::new(out, "out")? };
    let conn = connect().map_err(Failure::from)?;
    out.write(ffi::into_handle(warren_connection::new(conn)));
    Ok(WARREN_OK)
}

/// Connects to the broker an AMQP URI names, e.g. "amqp://guest:guest@localhost:5672/%2f".
/// On success `*out` is a connection to free with warren_connection_free.
#[no_mangle]
pub extern "C" fn warren_connection_open(
    uri: *const c_char,
    out: *mut *mut warren_connection,
) -> warren_result {
    boundary(|| {
        // SAFETY: NUL-terminated (documented).
        let uri = unsafe { ffi::string(uri, "uri")? };
        open(out, || blocking::Connection::connect(uri))
    })
}

/// Connects with options, trying each host in order.
#[no_mangle]
pub extern "C" fn warren_connection_open_with(
    options: *const warren_options,
    out: *mut *mut warren_connection,
) -> warren_result {
    boundary(|| {
        // SAFETY: live options (documented).
        let options = unsafe { ffi::object(options, "options")? }.resolved();
        open(out, || blocking::Connection::connect_with(options))
    })
}

/// Closes the connection (waiting for the broker's close-ok, at most 10 s) and stops
/// recovery. The handle stays valid until warren_connection_free.
#[no_mangle]
pub extern "C" fn warren_connection_close(conn: *mut warren_connection) -> warren_result {
    boundary(|| {
        // SAFETY: a live connection (documented).
        let c = unsafe { ffi::object(conn, "conn")? };
        c.errors.check(c.shared.conn.close())?;
        Ok(WARREN_OK)
    })
}

/// Closes the connection if it is open, waits for the library's threads serving it (event
/// callback, descriptor), and frees it; NULL does nothing. Channels, deliveries and other
/// objects from it stay valid to free (their calls then fail with
/// WARREN_CONNECTION_CLOSED_BY_CLIENT). Do not call it from a callback of this connection.
#[no_mangle]
pub extern "C" fn warren_connection_free(conn: *mut warren_connection) {
    // SAFETY: NULL or a connection this library handed over, not used after (documented).
    boundary_or((), || unsafe { ffi::free_handle(conn) })
}

fn conn_flag(
    conn: *const warren_connection,
    f: impl FnOnce(&blocking::Connection) -> bool,
) -> bool {
    boundary_or(false, || {
        // SAFETY: NULL or a live connection.
        unsafe { ffi::optional_object(conn) }.is_some_and(|c| f(&c.shared.conn))
    })
}

/// Whether the connection is usable: open, or being recovered (false for NULL).
#[no_mangle]
pub extern "C" fn warren_connection_is_open(conn: *const warren_connection) -> bool {
    conn_flag(conn, |c| c.is_open())
}

/// Whether the link to the broker is up right now (false while recovery reconnects).
#[no_mangle]
pub extern "C" fn warren_connection_is_connected(conn: *const warren_connection) -> bool {
    conn_flag(conn, |c| c.is_connected())
}

/// Whether the broker currently blocks publishers (connection.blocked).
#[no_mangle]
pub extern "C" fn warren_connection_is_blocked(conn: *const warren_connection) -> bool {
    conn_flag(conn, |c| c.is_blocked())
}

/// The last error of a call on this connection, from any thread; WARREN_EMPTY if none.
#[no_mangle]
pub extern "C" fn warren_connection_last_error(
    conn: *const warren_connection,
    error: *mut warren_error,
) -> warren_result {
    boundary(|| {
        // SAFETY: a live connection (documented).
        let c = unsafe { ffi::object(conn, "conn")? };
        crate::write_last_error(c.errors.get(), error)
    })
}

/// Opens a channel; `*out` is to free with warren_channel_free.
#[no_mangle]
pub extern "C" fn warren_connection_open_channel(
    conn: *mut warren_connection,
    out: *mut *mut crate::channel::warren_channel,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(out, "out")?) };
        let ch = c.errors.check(c.shared.conn.open_channel())?;
        out.write(ffi::into_handle(crate::channel::warren_channel::new(
            ch,
            c.shared.clone(),
        )));
        Ok(WARREN_OK)
    })
}

/// The result of waiting for the next inbox item: a delivery, nothing in time, or a consumer
/// that ended for a reason the application should hear about.
pub(crate) fn delivery_from_inbox(
    mut next: impl FnMut(Option<Duration>) -> warren_core::Result<Option<InboxItem>>,
    timeout_ms: i32,
) -> Result<Option<warren_core::client::Delivery>, Failure> {
    let timeout = crate::timeout(timeout_ms);
    // `None` until the first look found nothing to hand over: the common case (a delivery
    // is waiting) costs no clock read. Then the deadline, `Some(None)` for no limit.
    let mut deadline: Option<Option<Instant>> = None;
    loop {
        let wait = match deadline {
            None => Some(Duration::ZERO),
            Some(d) => d.map(|d| d.saturating_duration_since(Instant::now())),
        };
        let first = deadline.is_none();
        if first {
            deadline = Some(timeout.map(|t| Instant::now() + t));
        }
        match next(wait).map_err(Failure::from)? {
            None if first => continue,
            None => return Ok(None),
            Some(InboxItem::Delivery(d)) => return Ok(Some(d)),
            Some(InboxItem::Ended {
                channel,
                consumer_tag,
                reason,
            }) => {
                // The application's own cancel or close is no news to it; anything else is.
                let err = match reason {
                    ConsumerEnd::CancelledByBroker => {
                        Some(Error::ConsumerCancelled(consumer_tag.clone()))
                    }
                    other => other.error(),
                };
                if let Some(e) = err {
                    return Err(Failure::from(&e).context(&format!(
                        "consumer {consumer_tag:?} on channel {channel} ended"
                    )));
                }
                if !first && deadline.flatten().is_some_and(|d| Instant::now() >= d) {
                    return Ok(None);
                }
            }
        }
    }
}

/// Waits at most `timeout_ms` for the next delivery of any pull consumer of this connection
/// (started with warren_channel_basic_consume), and hands it over in `*out` (free it with
/// warren_delivery_free). WARREN_TIMEOUT if none came; when a consumer ends other than by the
/// application's own cancel or close, the code of why (e.g. WARREN_CONSUMER_CANCELLED,
/// WARREN_CHANNEL_CLOSED) with the details in the last error.
#[no_mangle]
pub extern "C" fn warren_connection_next_delivery(
    conn: *mut warren_connection,
    timeout_ms: i32,
    out: *mut *mut warren_delivery,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(out, "out")?) };
        let shared = &c.shared;
        let got = match shared.poller.get() {
            Some(p) => delivery_from_inbox(|t| p.take_delivery(shared, t), timeout_ms),
            None => delivery_from_inbox(|t| shared.inbox.next(t), timeout_ms),
        }
        .inspect_err(|f| c.errors.set(f))?;
        Ok(match got {
            Some(d) => {
                out.write(ffi::into_handle(warren_delivery(d)));
                WARREN_OK
            }
            None => WARREN_TIMEOUT,
        })
    })
}

/// Something that happened to the connection: read it with the warren_event_* functions.
pub struct warren_event(ConnectionEvent);

/// What kind of event.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum warren_event_type {
    /// The broker stopped reading from publishers; warren_event_text: its reason.
    WARREN_EVENT_BLOCKED = 1,
    /// The broker reads from publishers again.
    WARREN_EVENT_UNBLOCKED = 2,
    /// The connection was lost (warren_event_error: why); recovery starts if enabled.
    WARREN_EVENT_CONNECTION_LOST = 3,
    /// A reconnection round begins; warren_event_attempt: which (from 1).
    WARREN_EVENT_RECOVERY_STARTED = 4,
    /// The connection, channels, topology and consumers are back; warren_event_text: host.
    WARREN_EVENT_RECOVERED = 5,
    /// Recovery gave up; the connection is closed (warren_event_error: why).
    WARREN_EVENT_RECOVERY_FAILED = 6,
    /// Part of the topology could not be recovered; warren_event_text: what.
    WARREN_EVENT_TOPOLOGY_RECOVERY_FAILED = 7,
    /// A server-named queue got a new name at recovery; warren_event_text: the old name,
    /// warren_event_new_name: the new one.
    WARREN_EVENT_QUEUE_RENAMED = 8,
    /// The broker closed a channel; warren_event_channel, warren_event_error.
    WARREN_EVENT_CHANNEL_CLOSED = 9,
    /// The broker cancelled a consumer; warren_event_channel, warren_event_text: its tag.
    WARREN_EVENT_CONSUMER_CANCELLED = 10,
    /// The connection ended for good (warren_event_error: why, unless closed by the app).
    WARREN_EVENT_CLOSED = 11,
}

/// Waits at most `timeout_ms` for the next connection event; `*out` is to free with
/// warren_event_free. WARREN_TIMEOUT if none came (also once the connection ended and its
/// last event, WARREN_EVENT_CLOSED, was read).
#[no_mangle]
pub extern "C" fn warren_connection_next_event(
    conn: *mut warren_connection,
    timeout_ms: i32,
    out: *mut *mut warren_event,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(out, "out")?) };
        let timeout = crate::timeout(timeout_ms);
        let ev = match c.shared.poller.get() {
            Some(p) => c.errors.check(p.take_event(&c.shared, timeout))?,
            None => c.errors.check(lock(&c.shared.events).recv(timeout))?,
        };
        Ok(match ev {
            Some(ev) => {
                out.write(ffi::into_handle(warren_event(ev)));
                WARREN_OK
            }
            None => WARREN_TIMEOUT,
        })
    })
}

/// Called with each connection event, on a thread of the library; `event` is borrowed for
/// the call.
pub type warren_event_callback =
    Option<extern "C" fn(userdata: *mut std::ffi::c_void, event: *const warren_event)>;

/// Calls `callback(userdata, event)` with every connection event from now on, on a thread
/// of the library, until the connection is closed (warren_connection_free waits for it).
/// `userdata` must be usable from that thread. At most one callback per connection:
/// WARREN_INVALID_STATE for a second. It sees the events independently of
/// warren_connection_next_event.
#[no_mangle]
pub extern "C" fn warren_connection_set_event_callback(
    conn: *mut warren_connection,
    callback: warren_event_callback,
    userdata: *mut std::ffi::c_void,
) -> warren_result {
    boundary(|| {
        // SAFETY: a live connection (documented).
        let c = unsafe { ffi::object(conn, "conn")? };
        let callback = callback.ok_or_else(|| Failure::null("callback"))?;
        let mut slot = lock(&c.event_thread);
        if slot.is_some() {
            return Err(Failure::new(
                WARREN_INVALID_STATE,
                "this connection already has an event callback",
            ));
        }
        let userdata = UserData(userdata);
        let handle = c
            .errors
            .check(c.shared.conn.spawn_event_handler(move |ev| {
                let ev = warren_event(ev);
                let user = userdata;
                callback(user.0, &ev);
            }))?;
        *slot = Some(handle);
        Ok(WARREN_OK)
    })
}

/// Frees an event; NULL does nothing.
#[no_mangle]
pub extern "C" fn warren_event_free(event: *mut warren_event) {
    // SAFETY: NULL or an event this library handed over (documented).
    boundary_or((), || unsafe { ffi::free_handle(event) })
}

fn with_event<T: Copy>(
    event: *const warren_event,
    default: T,
    f: impl FnOnce(&ConnectionEvent) -> T,
) -> T {
    boundary_or(default, || {
        // SAFETY: NULL or a live event.
        match unsafe { ffi::optional_object(event) } {
            Some(e) => f(&e.0),
            None => default,
        }
    })
}

/// The event's kind (WARREN_EVENT_CLOSED for NULL).
#[no_mangle]
pub extern "C" fn warren_event_get_type(event: *const warren_event) -> warren_event_type {
    use warren_event_type::*;
    with_event(event, WARREN_EVENT_CLOSED, |e| match e {
        ConnectionEvent::Blocked(_) => WARREN_EVENT_BLOCKED,
        ConnectionEvent::Unblocked => WARREN_EVENT_UNBLOCKED,
        ConnectionEvent::ConnectionLost(_) => WARREN_EVENT_CONNECTION_LOST,
        ConnectionEvent::RecoveryStarted { .. } => WARREN_EVENT_RECOVERY_STARTED,
        ConnectionEvent::Recovered { .. } => WARREN_EVENT_RECOVERED,
        ConnectionEvent::RecoveryFailed(_) => WARREN_EVENT_RECOVERY_FAILED,
        ConnectionEvent::TopologyRecoveryFailed { .. } => WARREN_EVENT_TOPOLOGY_RECOVERY_FAILED,
        ConnectionEvent::QueueRenamed { .. } => WARREN_EVENT_QUEUE_RENAMED,
        ConnectionEvent::ChannelClosed { .. } => WARREN_EVENT_CHANNEL_CLOSED,
        ConnectionEvent::ConsumerCancelled { .. } => WARREN_EVENT_CONSUMER_CANCELLED,
        ConnectionEvent::Closed(_) => WARREN_EVENT_CLOSED,
    })
}

/// The event's text (borrowed): the blocked reason, the recovered host, what topology failed
/// to recover, a renamed queue's old name or a cancelled consumer's tag; empty otherwise.
#[no_mangle]
pub extern "C" fn warren_event_text(event: *const warren_event) -> warren_bytes {
    with_event(event, warren_bytes::EMPTY, |e| match e {
        ConnectionEvent::Blocked(reason) => warren_bytes::of(reason.as_bytes()),
        ConnectionEvent::Recovered { host } => warren_bytes::of(host.as_bytes()),
        ConnectionEvent::TopologyRecoveryFailed { what, .. } => warren_bytes::of(what.as_bytes()),
        ConnectionEvent::QueueRenamed { old, .. } => warren_bytes::of(old.as_bytes()),
        ConnectionEvent::ConsumerCancelled { consumer_tag, .. } => {
            warren_bytes::of(consumer_tag.as_bytes())
        }
        _ => warren_bytes::EMPTY,
    })
}

/// A renamed queue's new name (borrowed); empty for other events.
#[no_mangle]
pub extern "C" fn warren_event_new_name(event: *const warren_event) -> warren_bytes {
    with_event(event, warren_bytes::EMPTY, |e| match e {
        ConnectionEvent::QueueRenamed { new, .. } => warren_bytes::of(new.as_bytes()),
        _ => warren_bytes::EMPTY,
    })
}

/// The channel a channel-closed or consumer-cancelled event is about; 0 otherwise.
#[no_mangle]
pub extern "C" fn warren_event_channel(event: *const warren_event) -> u16 {
    with_event(event, 0, |e| match e {
        ConnectionEvent::ChannelClosed { channel, .. }
        | ConnectionEvent::ConsumerCancelled { channel, .. } => *channel,
        _ => 0,
    })
}

/// A recovery-started event's round (from 1); 0 otherwise.
#[no_mangle]
pub extern "C" fn warren_event_attempt(event: *const warren_event) -> u32 {
    with_event(event, 0, |e| match e {
        ConnectionEvent::RecoveryStarted { attempt } => *attempt,
        _ => 0,
    })
}

/// The error an event carries (connection lost, recovery failed, topology recovery failed,
/// channel closed, closed by an error) into `*error`; WARREN_EMPTY if it has none.
#[no_mangle]
pub extern "C" fn warren_event_error(
    event: *const warren_event,
    error: *mut warren_error,
) -> warren_result {
    boundary(|| {
        // SAFETY: a live event (documented).
        let e = unsafe { ffi::object(event, "event")? };
        let err = match &e.0 {
            ConnectionEvent::ConnectionLost(err)
            | ConnectionEvent::RecoveryFailed(err)
            | ConnectionEvent::TopologyRecoveryFailed { error: err, .. }
            | ConnectionEvent::Closed(Some(err)) => Some(err.clone()),
            ConnectionEvent::ChannelClosed { error, .. } => {
                Some(Error::ChannelClosed(error.clone()))
            }
            _ => None,
        };
        crate::write_last_error(err.map(Failure::from), error)
    })
}

/// The connection's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct warren_metrics {
    /// Connections open now (0 or 1).
    pub connections: u64,
    /// Channels open now.
    pub channels: u64,
    /// Messages published.
    pub published: u64,
    /// Body bytes published.
    pub published_bytes: u64,
    /// Publishes the broker confirmed.
    pub confirmed: u64,
    /// Publishes the broker nacked.
    pub nacked: u64,
    /// Unconfirmed publishes failed by a lost connection.
    pub unconfirmed_lost: u64,
    /// Messages the broker returned as unroutable.
    pub returned: u64,
    /// Messages delivered to consumers or fetched.
    pub delivered: u64,
    /// Body bytes delivered.
    pub delivered_bytes: u64,
    /// Acknowledgements sent.
    pub acked: u64,
    /// Rejects and nacks sent.
    pub rejected: u64,
    /// Bytes read from the socket.
    pub bytes_in: u64,
    /// Bytes written to the socket.
    pub bytes_out: u64,
    /// Automatic recoveries completed.
    pub recoveries: u64,
    /// Connection events dropped because nobody read them.
    pub dropped_events: u64,
    /// Returned messages dropped because nobody read them.
    pub dropped_returns: u64,
}

/// Copies the connection's counters into `*metrics`.
#[no_mangle]
pub extern "C" fn warren_connection_metrics(
    conn: *const warren_connection,
    metrics: *mut warren_metrics,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(metrics, "metrics")?) };
        let m = c.shared.conn.metrics();
        out.write(warren_metrics {
            connections: m.connections,
            channels: m.channels,
            published: m.published,
            published_bytes: m.published_bytes,
            confirmed: m.confirmed,
            nacked: m.nacked,
            unconfirmed_lost: m.unconfirmed_lost,
            returned: m.returned,
            delivered: m.delivered,
            delivered_bytes: m.delivered_bytes,
            acked: m.acked,
            rejected: m.rejected,
            bytes_in: m.bytes_in,
            bytes_out: m.bytes_out,
            recoveries: m.recoveries,
            dropped_events: m.dropped_events,
            dropped_returns: m.dropped_returns,
        });
        Ok(WARREN_OK)
    })
}

/// Limits agreed with the broker.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct warren_tuning {
    /// Highest channel number usable.
    pub channel_max: u16,
    /// Largest frame in bytes (0: no limit).
    pub frame_max: u32,
    /// Heartbeat interval in seconds (0: none).
    pub heartbeat: u16,
}

/// Copies the limits agreed with the broker into `*tuning`.
#[no_mangle]
pub extern "C" fn warren_connection_tuning(
    conn: *const warren_connection,
    tuning: *mut warren_tuning,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(tuning, "tuning")?) };
        let t = c.shared.conn.tuning();
        out.write(warren_tuning {
            channel_max: t.channel_max,
            frame_max: t.frame_max,
            heartbeat: t.heartbeat,
        });
        Ok(WARREN_OK)
    })
}

/// A copy of the broker's server properties (product, version, capabilities...) in `*out`,
/// to free with warren_table_free.
#[no_mangle]
pub extern "C" fn warren_connection_server_properties(
    conn: *const warren_connection,
    out: *mut *mut warren_table,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(out, "out")?) };
        out.write(ffi::into_handle(warren_table(
            c.shared.conn.server_properties(),
        )));
        Ok(WARREN_OK)
    })
}

/// Sends connection.update-secret (e.g. a refreshed OAuth token).
#[no_mangle]
pub extern "C" fn warren_connection_update_secret(
    conn: *mut warren_connection,
    new_secret: *const c_char,
    reason: *const c_char,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, secret, reason) = unsafe {
            (
                ffi::object(conn, "conn")?,
                ffi::string(new_secret, "new_secret")?,
                ffi::string_or(reason, "", "reason")?,
            )
        };
        c.errors
            .check(c.shared.conn.update_secret(secret, reason))?;
        Ok(WARREN_OK)
    })
}

/// Sends a request over RabbitMQ's direct reply-to and waits at most `timeout_ms` (negative:
/// the options' RPC timeout) for the reply, handed over in `*reply` (free it with
/// warren_delivery_free). The request is published mandatory with a fresh correlation id
/// and reply-to set (any given in `props` are replaced): WARREN_UNROUTABLE if no queue takes
/// it, WARREN_TIMEOUT if no reply comes. Thread-safe: calls may run concurrently.
#[no_mangle]
pub extern "C" fn warren_connection_rpc_call(
    conn: *mut warren_connection,
    exchange: *const c_char,
    routing_key: *const c_char,
    body: *const u8,
    body_len: usize,
    props: *const warren_properties,
    timeout_ms: i32,
    reply: *mut *mut warren_delivery,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, exchange, routing_key, body, props, out) = unsafe {
            (
                ffi::object(conn, "conn")?,
                ffi::string(exchange, "exchange")?,
                ffi::string(routing_key, "routing_key")?,
                ffi::bytes(body, body_len, "body")?,
                ffi::optional_object(props),
                Out::new(reply, "reply")?,
            )
        };
        let client = {
            let mut slot = lock(&c.rpc);
            match slot.as_ref() {
                Some(client) => client.clone(),
                None => {
                    let client = Arc::new(c.errors.check(c.shared.conn.rpc_client())?);
                    *slot = Some(client.clone());
                    client
                }
            }
        };
        let timeout = crate::timeout(timeout_ms)
            .or(c.shared.conn.as_async().options().rpc_timeout)
            .unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let properties = props.map(|p| p.0.clone()).unwrap_or_default();
        let answer = c.errors.check(client.call(
            exchange,
            routing_key,
            Bytes::copy_from_slice(body),
            properties,
            timeout,
        ))?;
        out.write(ffi::into_handle(warren_delivery(answer)));
        Ok(WARREN_OK)
    })
}

/// The descriptor behind warren_connection_fd: an eventfd the core's ready hooks signal
/// (from the connection's thread, on the inbox going from empty to not empty, and on every
/// connection event) and the takers clear when they find nothing waiting. No thread of its
/// own: the application's loop polls the descriptor, then takes with timeout 0.
pub(crate) struct Poller {
    signal: Arc<Signal>,
}

/// An eventfd and whether it holds a count, so that signalling costs a write only when it
/// turns readable.
struct Signal {
    fd: OwnedFd,
    signalled: AtomicBool,
}

impl Signal {
    fn raise(&self) {
        if !self.signalled.swap(true, Ordering::SeqCst) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our own (non-blocking) eventfd.
            unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }

    fn clear(&self) {
        if self.signalled.swap(false, Ordering::SeqCst) {
            let mut count: u64 = 0;
            // SAFETY: reads 8 bytes into a live u64 from our own (non-blocking) eventfd.
            unsafe { libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
        }
    }
}

impl Poller {
    fn start(shared: &Shared) -> std::io::Result<Arc<Poller>> {
        // SAFETY: eventfd takes no pointers; a negative result is an error, checked below.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let signal = Arc::new(Signal {
            fd,
            signalled: AtomicBool::new(false),
        });
        let s = signal.clone();
        shared
            .inbox
            .set_ready_hook(Some(Arc::new(move || s.raise())));
        let s = signal.clone();
        shared.conn.add_event_hook(Arc::new(move || s.raise()));
        if !lock(&shared.events).is_empty() {
            signal.raise();
        }
        Ok(Arc::new(Poller { signal }))
    }

    /// Nothing was found: clear the descriptor, then raise it again if something arrived
    /// meanwhile (a hook that found it still raised did not write).
    fn settle(&self, shared: &Shared) {
        self.signal.clear();
        if !shared.inbox.is_empty() || !lock(&shared.events).is_empty() {
            self.signal.raise();
        }
    }

    fn take_delivery(
        &self,
        shared: &Shared,
        timeout: Option<Duration>,
    ) -> warren_core::Result<Option<InboxItem>> {
        let inbox = &shared.inbox;
        if let Some(item) = inbox.try_next() {
            return Ok(Some(item));
        }
        self.settle(shared);
        if let Some(item) = inbox.try_next() {
            return Ok(Some(item));
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            return Ok(None);
        }
        inbox.next(timeout)
    }

    fn take_event(
        &self,
        shared: &Shared,
        timeout: Option<Duration>,
    ) -> warren_core::Result<Option<ConnectionEvent>> {
        let mut events = lock(&shared.events);
        if let Some(ev) = events.try_recv() {
            return Ok(Some(ev));
        }
        drop(events);
        self.settle(shared);
        let mut events = lock(&shared.events);
        if let Some(ev) = events.try_recv() {
            return Ok(Some(ev));
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            return Ok(None);
        }
        events.recv(timeout)
    }

    /// Unhooks from the core, so that nothing signals the descriptor once it is closed.
    fn stop(&self, shared: &Shared) {
        shared.inbox.set_ready_hook(None);
    }
}

/// A file descriptor for event loops (epoll, poll, libuv, libevent), served without a thread:
/// it turns readable when a delivery for warren_connection_next_delivery or an event for
/// warren_connection_next_event arrives, and stays readable (level-triggered) until a call
/// of either finds nothing waiting; so when it polls readable, call both with timeout 0 until
/// they return WARREN_TIMEOUT. Only wait on it for reading; never read
/// or close it (warren_connection_free closes it). Once called, take deliveries with
/// warren_connection_next_delivery: warren_channel_next_delivery on this connection's
/// channels then fails with WARREN_INVALID_STATE. Every call returns the same descriptor.
#[no_mangle]
pub extern "C" fn warren_connection_fd(
    conn: *mut warren_connection,
    fd: *mut c_int,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (c, out) = unsafe { (ffi::object(conn, "conn")?, Out::new(fd, "fd")?) };
        let shared = &c.shared;
        let poller = match shared.poller.get() {
            Some(p) => p.clone(),
            None => {
                // Two threads racing here would each make a descriptor; serialise on the RPC
                // lock, which nothing holds for long.
                let _guard = lock(&c.rpc);
                match shared.poller.get() {
                    Some(p) => p.clone(),
                    None => {
                        let p = Poller::start(shared)
                            .map_err(|e| Failure::from(Error::from(e)))
                            .inspect_err(|f| c.errors.set(f))?;
                        let _ = shared.poller.set(p.clone());
                        p
                    }
                }
            }
        };
        out.write(poller.signal.fd.as_raw_fd());
        Ok(WARREN_OK)
    })
}
