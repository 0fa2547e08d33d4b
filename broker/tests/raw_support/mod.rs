//! Raw-TCP AMQP for the protocol-robustness tests (`raw_socket.rs`, `limits.rs`): a socket that
//! sends whatever bytes a test wants and reads back frames with warren-core's codec, a
//! well-behaved "bystander" client that must keep being served meanwhile, and the target a test
//! runs against — the in-process warren-broker, or RabbitMQ as the oracle when
//! `WARREN_RAW_ORACLE=host:port` is set. A test file that includes it includes `support` too.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use warren_broker::broker::BrokerState;
use warren_broker::{Broker, BrokerConfig, BrokerHandle};
use warren_core::client::{BasicPublishOptions, Channel, Connection, QueueDeclareOptions};
use warren_core::codec::{
    self, BasicProperties, ChannelOpen, ConnectionOpen, ConnectionStartOk, ConnectionTuneOk,
    FieldTable, FieldValue, Frame, LongString, Method, ShortString,
};
use warren_core::BasicProperties as Props;

/// The environment variable that names the oracle broker (RabbitMQ) to run the same cases on.
pub const ORACLE_ENV: &str = "WARREN_RAW_ORACLE";

/// Handshake timeout of the in-process broker in these tests (RabbitMQ's is 10 s).
pub const WARREN_HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(1200);
/// Silent-close delay of the in-process broker in these tests (RabbitMQ's is 3 s).
pub const WARREN_SILENT_CLOSE_DELAY: Duration = Duration::from_millis(400);

/// What a case runs against, and the settings it must expect there.
#[derive(Debug, Clone)]
pub struct Target {
    /// `warren` or `rabbitmq`.
    pub name: &'static str,
    /// Where to connect.
    pub addr: SocketAddr,
    /// The in-process broker's state (`None` for the oracle).
    pub state: Option<Arc<BrokerState>>,
    /// How long a client may take from connect to `connection.open`.
    pub handshake_timeout: Duration,
    /// How long a connection refused silently during the handshake is held before its socket
    /// is closed.
    pub silent_close_delay: Duration,
    /// `frame_max` offered in `connection.tune`.
    pub frame_max: u32,
    /// `channel_max` offered in `connection.tune`.
    pub channel_max: u16,
}

impl Target {
    /// The AMQP URI of the default guest user and vhost.
    pub fn uri(&self) -> String {
        format!("amqp://guest:guest@{}/%2f", self.addr)
    }

    /// Whether this is the in-process broker.
    pub fn is_warren(&self) -> bool {
        self.state.is_some()
    }
}

/// The in-process broker's settings for raw tests: RabbitMQ's defaults but short handshake
/// timeout and silent-close delay, so the timing cases run quickly.
pub fn warren_config() -> BrokerConfig {
    let mut config = BrokerConfig::ephemeral();
    config.handshake_timeout = WARREN_HANDSHAKE_TIMEOUT;
    config.silent_close_delay = WARREN_SILENT_CLOSE_DELAY;
    config
}

/// Starts an in-process broker with `config`; the handle keeps it running.
pub async fn warren_target(config: BrokerConfig) -> (Target, BrokerHandle) {
    install_panic_detector();
    let broker = Broker::start(config)
        .await
        .expect("start in-process broker");
    let c = &broker.state().config;
    let target = Target {
        name: "warren",
        addr: broker.local_addr(),
        state: Some(broker.state().clone()),
        handshake_timeout: c.handshake_timeout,
        silent_close_delay: c.silent_close_delay,
        frame_max: c.frame_max,
        channel_max: c.channel_max,
    };
    (target, broker)
}

/// The oracle named by `WARREN_RAW_ORACLE`, with RabbitMQ 3.10's default settings; `None`
/// (the oracle mode is skipped, and says so) when the variable is not set.
pub fn oracle_target() -> Option<Target> {
    let Ok(addr) = std::env::var(ORACLE_ENV) else {
        crate::support::oracle_skipped(ORACLE_ENV, "127.0.0.1:5672");
        return None;
    };
    let addr = addr
        .parse()
        .unwrap_or_else(|e| panic!("{ORACLE_ENV}={addr:?} is not host:port: {e}"));
    Some(Target {
        name: "rabbitmq",
        addr,
        state: None,
        handshake_timeout: Duration::from_secs(10),
        silent_close_delay: Duration::from_secs(3),
        frame_max: 131_072,
        channel_max: 2047,
    })
}

// ---- broker panics ----

static BROKER_PANICKED: AtomicBool = AtomicBool::new(false);

/// Records a panic raised in the broker's or the codec's code (not a failed assertion in a
/// test): connection tasks run in a `JoinSet`, so such a panic would otherwise pass unnoticed
/// as a dropped connection.
fn install_panic_detector() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                let file = loc.file().replace('\\', "/");
                if file.contains("broker/src/") || file.contains("core/src/") {
                    BROKER_PANICKED.store(true, Ordering::SeqCst);
                }
            }
            previous(info);
        }));
    });
}

/// Fails if any broker code panicked in this test process.
pub fn assert_no_broker_panic() {
    assert!(
        !BROKER_PANICKED.load(Ordering::SeqCst),
        "the broker panicked on peer input (see the panic message above)"
    );
}

// ---- the raw socket ----

/// What the broker sent, or what became of the socket.
// Short-lived, one at a time: boxing the frame would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Event {
    /// A frame.
    Frame(Frame),
    /// An 8-byte protocol header (the broker refusing ours).
    ProtocolHeader([u8; 8]),
    /// Bytes that are not a valid frame.
    Garbage(String),
    /// The socket was closed (EOF or reset).
    Closed,
    /// Nothing arrived in time.
    Timeout,
}

/// Options for [`Raw::handshake`].
#[derive(Debug, Clone)]
pub struct Handshake {
    /// `authentication_failure_close` in the client capabilities (`None`: not announced).
    pub auth_failure_close: Option<bool>,
    /// `consumer_cancel_notify` in the client capabilities (`None`: not announced).
    pub consumer_cancel_notify: Option<bool>,
    /// SASL mechanism.
    pub mechanism: &'static str,
    /// Login.
    pub user: &'static str,
    /// Password.
    pub password: &'static str,
    /// `channel_max` in `tune-ok` (`None`: the server's).
    pub channel_max: Option<u16>,
    /// `frame_max` in `tune-ok` (`None`: the server's).
    pub frame_max: Option<u32>,
    /// `heartbeat` in `tune-ok`.
    pub heartbeat: u16,
    /// Vhost in `connection.open`.
    pub vhost: &'static str,
}

impl Default for Handshake {
    fn default() -> Self {
        Handshake {
            auth_failure_close: Some(true),
            consumer_cancel_notify: None,
            mechanism: "PLAIN",
            user: "guest",
            password: "guest",
            channel_max: None,
            frame_max: None,
            heartbeat: 0,
            vhost: "/",
        }
    }
}

impl Handshake {
    /// `connection.start-ok` for these options.
    pub fn start_ok(&self) -> ConnectionStartOk {
        let mut props = FieldTable::new();
        props.insert_key(
            ShortString::from_static("product"),
            "warren raw_socket test".into(),
        );
        // The capabilities table only when something is announced: a client without one is
        // a case of its own.
        let mut caps = FieldTable::new();
        for (name, value) in [
            ("authentication_failure_close", self.auth_failure_close),
            ("consumer_cancel_notify", self.consumer_cancel_notify),
        ] {
            if let Some(v) = value {
                caps.insert_key(ShortString::from_static(name), FieldValue::Boolean(v));
            }
        }
        if !caps.is_empty() {
            props.insert_key(
                ShortString::from_static("capabilities"),
                FieldValue::Table(caps),
            );
        }
        let response = format!("\0{}\0{}", self.user, self.password);
        ConnectionStartOk {
            client_properties: props,
            mechanism: ShortString::from_static(self.mechanism),
            response: LongString::from(response),
            locale: ShortString::from_static("en_US"),
        }
    }
}

/// A raw AMQP client socket.
pub struct Raw {
    stream: TcpStream,
    buf: BytesMut,
    /// When bytes were last sent.
    last_sent: Instant,
    /// The target's name and settings.
    pub target: Target,
}

/// How long a single expected reply may take.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

impl Raw {
    /// Connects to the target.
    pub async fn connect(target: &Target) -> Raw {
        let stream = TcpStream::connect(target.addr)
            .await
            .unwrap_or_else(|e| panic!("connect to {} ({}): {e}", target.addr, target.name));
        let _ = stream.set_nodelay(true);
        Raw {
            stream,
            buf: BytesMut::with_capacity(64 * 1024),
            last_sent: Instant::now(),
            target: target.clone(),
        }
    }

    /// Sends raw bytes. Errors are ignored: the broker may already have closed the socket,
    /// which the next [`Raw::recv`] reports.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.last_sent = Instant::now();
        let _ = self.stream.write_all(bytes).await;
    }

    /// Sends one frame.
    pub async fn send_frame(&mut self, frame: &Frame) {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        self.send(&out).await;
    }

    /// Sends a method frame.
    pub async fn send_method(&mut self, channel: u16, method: impl Into<Method>) {
        self.send_frame(&Frame::Method(channel, method.into()))
            .await;
    }

    /// Closes our sending side (the broker reads EOF).
    pub async fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown().await;
    }

    /// The next thing from the broker, within `timeout`.
    pub async fn recv(&mut self, timeout: Duration) -> Event {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.buf.len() >= 8 && &self.buf[..4] == b"AMQP" {
                let mut h = [0u8; 8];
                h.copy_from_slice(&self.buf[..8]);
                let _ = self.buf.split_to(8);
                return Event::ProtocolHeader(h);
            }
            match codec::decode_frame(&mut self.buf, 0) {
                Ok(Some(frame)) => return Event::Frame(frame),
                Ok(None) => {}
                Err(e) => {
                    self.buf.clear();
                    return Event::Garbage(e.to_string());
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Err(_) => return Event::Timeout,
                Ok(Ok(0)) | Ok(Err(_)) => return Event::Closed,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// The next method (heartbeats skipped); panics on anything else.
    pub async fn recv_method(&mut self) -> (u16, Method) {
        loop {
            match self.recv(REPLY_TIMEOUT).await {
                Event::Frame(Frame::Heartbeat(_)) => continue,
                Event::Frame(Frame::Method(ch, m)) => return (ch, m),
                other => panic!("{}: expected a method, got {other:?}", self.target.name),
            }
        }
    }

    /// Sends the 0-9-1 protocol header and expects `connection.start`.
    pub async fn start(&mut self) -> codec::ConnectionStart {
        self.send(codec::PROTOCOL_HEADER).await;
        match self.recv_method().await {
            (0, Method::ConnectionStart(s)) => s,
            other => panic!(
                "{}: expected connection.start, got {other:?}",
                self.target.name
            ),
        }
    }

    /// Header, start-ok, and expects `connection.tune`.
    pub async fn start_and_login(&mut self, opts: &Handshake) -> codec::ConnectionTune {
        self.start().await;
        self.send_method(0, opts.start_ok()).await;
        match self.recv_method().await {
            (0, Method::ConnectionTune(t)) => t,
            other => panic!(
                "{}: expected connection.tune, got {other:?}",
                self.target.name
            ),
        }
    }

    /// `tune-ok` with the options' values (the server's where not given).
    pub async fn tune_ok(&mut self, opts: &Handshake, tune: &codec::ConnectionTune) {
        let ok = ConnectionTuneOk {
            channel_max: opts.channel_max.unwrap_or(tune.channel_max),
            frame_max: opts.frame_max.unwrap_or(tune.frame_max),
            heartbeat: opts.heartbeat,
        };
        self.send_method(0, ok).await;
    }

    /// `connection.open` of `vhost`.
    pub async fn send_open(&mut self, vhost: &'static str) {
        let open = ConnectionOpen {
            virtual_host: ShortString::from_static(vhost),
            ..Default::default()
        };
        self.send_method(0, open).await;
    }

    /// The whole handshake, up to `open-ok`.
    pub async fn handshake(&mut self, opts: &Handshake) {
        let tune = self.start_and_login(opts).await;
        self.tune_ok(opts, &tune).await;
        self.send_open(opts.vhost).await;
        match self.recv_method().await {
            (0, Method::ConnectionOpenOk(_)) => {}
            other => panic!(
                "{}: expected connection.open-ok, got {other:?}",
                self.target.name
            ),
        }
    }

    /// Connects and completes the default handshake.
    pub async fn open(target: &Target) -> Raw {
        let mut raw = Raw::connect(target).await;
        raw.handshake(&Handshake::default()).await;
        raw
    }

    /// Opens channel `ch` and expects `open-ok`.
    pub async fn open_channel(&mut self, ch: u16) {
        self.send_method(ch, ChannelOpen::default()).await;
        match self.recv_method().await {
            (c, Method::ChannelOpenOk(_)) if c == ch => {}
            other => panic!(
                "{}: expected channel.open-ok on {ch}, got {other:?}",
                self.target.name
            ),
        }
    }

    /// Expects `connection.close` with `code` and the given class and method ids, answers
    /// `close-ok`, and expects the socket to close. Returns the reply text.
    pub async fn expect_close(&mut self, code: u16, class_id: u16, method_id: u16) -> String {
        let name = self.target.name;
        let close = loop {
            match self.recv(REPLY_TIMEOUT).await {
                Event::Frame(Frame::Heartbeat(0)) => continue,
                // Frames the broker sent before it saw the bad input.
                Event::Frame(Frame::Method(ch, m)) if ch != 0 && !is_close(&m) => continue,
                Event::Frame(Frame::Method(0, Method::ConnectionClose(c))) => break c,
                other => panic!(
                    "{name}: expected connection.close {code} ({class_id}/{method_id}), got {other:?}"
                ),
            }
        };
        let text = close.reply_text.as_str().into_owned();
        assert_eq!(
            (close.reply_code, close.class_id, close.method_id),
            (code, class_id, method_id),
            "{name}: connection.close {text:?}"
        );
        self.send_method(0, codec::ConnectionCloseOk {}).await;
        // RabbitMQ holds the socket up to 3 s after a frame error (it no longer reads).
        self.expect_closed(Duration::from_secs(6)).await;
        text
    }

    /// Expects `channel.close` on `ch` with `code` and ids, answers `close-ok`. Returns the
    /// reply text.
    pub async fn expect_channel_close(
        &mut self,
        ch: u16,
        code: u16,
        class_id: u16,
        method_id: u16,
    ) -> String {
        let name = self.target.name;
        let close = loop {
            match self.recv(REPLY_TIMEOUT).await {
                Event::Frame(Frame::Heartbeat(0)) => continue,
                Event::Frame(Frame::Method(c, Method::ChannelClose(close))) if c == ch => {
                    break close
                }
                other => panic!(
                    "{name}: expected channel.close {code} on {ch} ({class_id}/{method_id}), got {other:?}"
                ),
            }
        };
        let text = close.reply_text.as_str().into_owned();
        assert_eq!(
            (close.reply_code, close.class_id, close.method_id),
            (code, class_id, method_id),
            "{name}: channel.close {text:?}"
        );
        self.send_method(ch, codec::ChannelCloseOk {}).await;
        text
    }

    /// Expects the socket to close within `within`, with nothing but heartbeats before.
    /// Returns how long it took.
    pub async fn expect_closed(&mut self, within: Duration) -> Duration {
        let t0 = Instant::now();
        let deadline = t0 + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left).await {
                Event::Closed => return t0.elapsed(),
                Event::Frame(Frame::Heartbeat(0)) => continue,
                other => panic!(
                    "{}: expected the socket to close within {within:?}, got {other:?} after {:?}",
                    self.target.name,
                    t0.elapsed()
                ),
            }
        }
    }

    /// Expects the broker to refuse us without a word: no frame at all, then the socket is
    /// closed after the target's silent-close delay. Returns how long it took from the last
    /// bytes sent.
    pub async fn expect_silent_close(&mut self) -> Duration {
        let delay = self.target.silent_close_delay;
        let left = (self.last_sent + delay + Duration::from_secs(3))
            .saturating_duration_since(Instant::now());
        self.expect_closed(left).await;
        let took = self.last_sent.elapsed();
        assert!(
            took + Duration::from_millis(100) >= delay / 2,
            "{}: socket closed after {took:?}, before the silent-close delay {delay:?}",
            self.target.name
        );
        took
    }
}

fn is_close(m: &Method) -> bool {
    matches!(m, Method::ConnectionClose(_))
}

// ---- frames a well-behaved client would not send ----

/// A frame with any type, channel, payload and end octet.
pub fn raw_frame(kind: u8, channel: u16, payload: &[u8], end: u8) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 8);
    out.put_u8(kind);
    out.put_u16(channel);
    out.put_u32(payload.len() as u32);
    out.put_slice(payload);
    out.put_u8(end);
    out.freeze()
}

/// A method frame with raw argument bytes.
pub fn raw_method(channel: u16, class_id: u16, method_id: u16, args: &[u8]) -> Bytes {
    let mut payload = Vec::with_capacity(args.len() + 4);
    payload.extend_from_slice(&class_id.to_be_bytes());
    payload.extend_from_slice(&method_id.to_be_bytes());
    payload.extend_from_slice(args);
    raw_frame(codec::FRAME_METHOD, channel, &payload, codec::FRAME_END)
}

/// Encodes frames back to back.
pub fn frames(list: &[Frame]) -> Bytes {
    let mut out = BytesMut::new();
    for f in list {
        f.encode(&mut out);
    }
    out.freeze()
}

/// `basic.publish` to the default exchange with `routing_key`.
pub fn publish(routing_key: &str) -> Method {
    codec::BasicPublish {
        exchange: ShortString::from_static(""),
        routing_key: ShortString::try_from(routing_key.to_string()).expect("short routing key"),
        ..Default::default()
    }
    .into()
}

/// A basic content header announcing `body_size` bytes.
pub fn content_header(channel: u16, body_size: u64) -> Frame {
    Frame::Header(
        channel,
        Box::new(codec::ContentHeader {
            class_id: BasicProperties::CLASS_ID,
            body_size,
            properties: BasicProperties::default(),
        }),
    )
}

/// `queue.declare` of `name` (not passive, not exclusive).
pub fn queue_declare(name: &str) -> Method {
    codec::QueueDeclare {
        queue: ShortString::try_from(name.to_string()).expect("short queue name"),
        ..Default::default()
    }
    .into()
}

// ---- the bystander ----

/// A well-behaved warren-core client on its own connection, with an exclusive queue it
/// publishes to and gets from: the broker must keep serving it whatever the raw socket does.
pub struct Bystander {
    conn: Connection,
    ch: Channel,
    queue: String,
    name: &'static str,
}

static ROUND: AtomicU64 = AtomicU64::new(0);

impl Bystander {
    /// Connects, declares the queue and checks one round trip.
    pub async fn start(target: &Target) -> Bystander {
        let conn = within(
            target,
            "bystander connect",
            Connection::connect(&target.uri()),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: bystander cannot connect: {e}", target.name));
        let ch = within(target, "bystander channel", conn.open_channel())
            .await
            .unwrap_or_else(|e| panic!("{}: bystander channel: {e}", target.name));
        let q = within(
            target,
            "bystander queue.declare",
            ch.queue_declare(
                "",
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::new(),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: bystander queue.declare: {e}", target.name));
        let b = Bystander {
            conn,
            ch,
            queue: q.queue,
            name: target.name,
        };
        b.round_trip().await;
        b
    }

    /// Publishes a unique body and gets it back.
    pub async fn round_trip(&self) {
        self.try_round_trip()
            .await
            .unwrap_or_else(|e| panic!("{}: bystander not served: {e}", self.name));
    }

    async fn try_round_trip(&self) -> Result<(), String> {
        let body = format!("round {}", ROUND.fetch_add(1, Ordering::Relaxed));
        self.ch
            .basic_publish(
                "",
                &self.queue,
                BasicPublishOptions::default(),
                body.clone().into_bytes(),
                Props::default(),
            )
            .await
            .map_err(|e| format!("publish: {e}"))?;
        let got =
            tokio::time::timeout(Duration::from_secs(5), self.ch.basic_get(&self.queue, true))
                .await
                .map_err(|_| "basic.get timed out".to_string())?
                .map_err(|e| format!("get: {e}"))?
                .ok_or("the published message is not in the queue")?;
        if got.body[..] != *body.as_bytes() {
            return Err(format!("got {:?}, expected {body:?}", got.body));
        }
        Ok(())
    }

    /// Runs round trips in the background until [`Watch::stop`].
    pub fn watch(self) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut rounds = 0u32;
            while !flag.load(Ordering::Relaxed) {
                if let Err(e) = self.try_round_trip().await {
                    return Err(format!("after {rounds} rounds: {e}"));
                }
                rounds += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok((self, rounds))
        });
        Watch { stop, task }
    }

    /// Closes the connection.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// A bystander being exercised in the background.
pub struct Watch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Result<(Bystander, u32), String>>,
}

impl Watch {
    /// Stops the loop; fails the test if any round trip failed.
    pub async fn stop(self) -> Bystander {
        self.stop.store(true, Ordering::Relaxed);
        match self.task.await {
            Ok(Ok((b, rounds))) => {
                assert!(rounds > 0, "{}: the bystander made no round trip", b.name);
                b
            }
            Ok(Err(e)) => panic!("bystander not served throughout: {e}"),
            Err(e) => panic!("bystander task failed: {e}"),
        }
    }
}

/// Runs `case` against `target` while a bystander is served, then checks the bystander, a new
/// connection, and (in-process) that the broker did not panic.
pub async fn run_case<F, Fut>(target: Target, case: F)
where
    F: FnOnce(Target) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let watch = Bystander::start(&target).await.watch();
    case(target.clone()).await;
    let bystander = watch.stop().await;
    bystander.round_trip().await;
    let fresh = Bystander::start(&target).await;
    fresh.close().await;
    bystander.close().await;
    if target.is_warren() {
        assert_no_broker_panic();
    }
}

/// Awaits `fut` for at most 10 s.
pub async fn within<F: std::future::Future>(target: &Target, what: &str, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .unwrap_or_else(|_| panic!("{}: timed out waiting for {what}", target.name))
}

/// Defines a case as two tests: `<case>::warren` against an in-process broker with
/// [`warren_config`], and `<case>::rabbitmq` against the oracle (skipped when
/// `WARREN_RAW_ORACLE` is not set).
#[macro_export]
macro_rules! raw_case {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn warren() {
                let (target, broker) =
                    $crate::raw_support::warren_target($crate::raw_support::warren_config()).await;
                $crate::raw_support::run_case(target, super::$name).await;
                broker.shutdown().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn rabbitmq() {
                if let Some(target) = $crate::raw_support::oracle_target() {
                    $crate::raw_support::run_case(target, super::$name).await;
                }
            }
        }
    };
}
