//! What the recovery tests need: the real `warren-broker` binary run as a separate process
//! (so it can be killed with SIGKILL and restarted on the same port and data directory), a
//! TCP forwarding proxy that can stop forwarding (a network cut), and helpers to watch a
//! connection's events.

#![allow(dead_code)] // Each test module uses a different subset.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Confirmation, Connection, ConnectionEvent,
    ConnectionOptions, Events, ExchangeDeclareOptions, QueueDeclareOptions, RecoveryOptions,
};
use warren_core::{BasicProperties, Error, FieldTable};

/// The longest a test waits for one thing to happen.
pub const WAIT: Duration = Duration::from_secs(30);

/// Names unique to this run.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "warren-recovery.{prefix}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Awaits `fut`, failing the test after [`WAIT`].
pub async fn within<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Logs the client's tracing output when `WARREN_TEST_LOG` is set (e.g. `debug`).
pub fn init_logging() {
    if let Ok(filter) = std::env::var("WARREN_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// Fast recovery for tests: short backoff, short connection timeout.
pub fn fast_recovery(uri: &str) -> ConnectionOptions {
    init_logging();
    let mut o = ConnectionOptions::from_uri(uri).expect("valid URI");
    o.recovery = RecoveryOptions {
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(500),
        ..RecoveryOptions::default()
    };
    o.connection_timeout = Duration::from_secs(3);
    o
}

/// Waits for the next event matching `pred`, skipping others.
pub async fn wait_for_event(
    events: &mut Events,
    what: &str,
    pred: impl Fn(&ConnectionEvent) -> bool,
) -> ConnectionEvent {
    within(what, async {
        loop {
            match events.recv().await {
                Some(ev) if pred(&ev) => return ev,
                Some(_) => {}
                None => panic!("connection gone while waiting for {what}"),
            }
        }
    })
    .await
}

/// Waits for `Recovered`.
pub async fn recovered(events: &mut Events) {
    wait_for_event(events, "Recovered", |e| {
        matches!(e, ConnectionEvent::Recovered { .. })
    })
    .await;
}

/// The `warren-broker` binary next to the test executable (`cargo test --workspace` builds it;
/// alone, run `cargo build -p warren-broker` first), or `WARREN_BROKER_BIN`.
pub fn broker_binary() -> PathBuf {
    if let Ok(path) = std::env::var("WARREN_BROKER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/warren-broker
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("warren-broker"))
        .expect("target directory");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p warren-broker` (cargo test --workspace does)",
        path.display()
    );
    path
}

/// A `warren-broker` process with a data directory, restartable on the same port.
pub struct BrokerProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    log: PathBuf,
    extra: Vec<String>,
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

impl BrokerProcess {
    /// Starts the broker on a free loopback port, with a fresh data directory.
    pub async fn start() -> BrokerProcess {
        Self::start_with(&[]).await
    }

    /// Starts the broker with extra command-line arguments.
    pub async fn start_with(extra: &[&str]) -> BrokerProcess {
        let dir = tempfile::tempdir().expect("temporary data directory");
        let log = dir.path().join("broker.log");
        let mut b = BrokerProcess {
            child: None,
            addr: free_addr(),
            dir,
            log,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        b.restart().await;
        b
    }

    /// The guest URI.
    pub fn uri(&self) -> String {
        format!("amqp://guest:guest@{}/%2f", self.addr)
    }

    /// The broker's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the broker with SIGKILL (no clean shutdown, no close sent to clients).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the broker again on the same port and data directory and waits until it
    /// accepts connections.
    pub async fn restart(&mut self) {
        self.kill();
        let data = self.dir.path().join("data");
        let child = Command::new(broker_binary())
            .env_remove("WARREN_CONFIG")
            .env_remove("WARREN_IN_MEMORY")
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(&data)
            .arg("--log-level")
            .arg("warn")
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.log)
                    .unwrap(),
            )
            .spawn()
            .expect("run warren-broker");
        self.child = Some(child);
        let t0 = Instant::now();
        while TcpStream::connect(self.addr).await.is_err() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("warren-broker exited ({status}): {}", self.log());
            }
            assert!(t0.elapsed() < WAIT, "broker did not start: {}", self.log());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A TCP proxy between the client and a broker that can stop forwarding, like a network cut
/// (sockets stay open, bytes stop flowing), and resume.
pub struct Proxy {
    pub addr: SocketAddr,
    paused: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Forwards a new loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (paused, rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut pairs = Vec::new();
            while let Ok((client, _)) = listener.accept().await {
                let rx = rx.clone();
                pairs.push(tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let a = tokio::spawn(forward(cr, sw, rx.clone()));
                    let b = tokio::spawn(forward(sr, cw, rx));
                    let _ = tokio::join!(a, b);
                }));
            }
        });
        Proxy { addr, paused, task }
    }

    /// The URI of the broker through the proxy.
    pub fn uri(&self) -> String {
        format!("amqp://guest:guest@{}/%2f", self.addr)
    }

    /// Stops forwarding in both directions, on every connection, until [`Proxy::resume`].
    pub fn cut(&self) {
        let _ = self.paused.send(true);
    }

    /// Forwards again.
    pub fn resume(&self) {
        let _ = self.paused.send(false);
    }
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut paused: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Held while cut: the bytes are neither delivered nor dropped with an error.
        while *paused.borrow_and_update() {
            if paused.changed().await.is_err() {
                return;
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Shared counters a test's tasks update.
pub type Shared<T> = Arc<std::sync::Mutex<T>>;

/// A persistent message with `id` as its message id.
pub fn persistent(id: &str) -> BasicProperties {
    BasicProperties {
        delivery_mode: Some(2),
        message_id: Some(id.try_into().unwrap()),
        ..Default::default()
    }
}

fn id_of(d: &warren_core::Delivery) -> String {
    d.properties
        .message_id
        .as_ref()
        .map(|m| m.as_str().into_owned())
        .unwrap_or_default()
}

/// A publisher in confirm mode and consumers on their own connections, written as an
/// application without any reconnection code would be: persistent messages with unique ids
/// go to a durable fanout exchange bound to a durable queue (with `queue_args`, e.g. a quorum
/// queue) and, optionally, to a server-named exclusive queue. The durable queue's consumer
/// acknowledges by hand; the server-named queue's consumer counts.
pub struct Workload {
    cconn: Connection,
    pconn: Connection,
    events: [Events; 2],
    confirmed: Shared<HashSet<String>>,
    unconfirmed: Shared<HashSet<String>>,
    received: Shared<HashSet<String>>,
    sn_received: Option<Shared<usize>>,
    stop: Arc<AtomicBool>,
    publisher: tokio::task::JoinHandle<u64>,
    consumers: Vec<tokio::task::JoinHandle<()>>,
    renames: usize,
}

/// What a workload saw.
#[derive(Debug)]
pub struct Summary {
    pub published: u64,
    pub confirmed: usize,
    pub unconfirmed: usize,
    pub consumed: usize,
    pub renames: usize,
    pub recoveries: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "published {}, confirmed {}, unconfirmed (lost link) {}, consumed {}, recoveries {}",
            self.published, self.confirmed, self.unconfirmed, self.consumed, self.recoveries
        )
    }
}

impl Workload {
    pub async fn start(
        options: ConnectionOptions,
        queue_args: FieldTable,
        server_named: bool,
    ) -> Workload {
        let queue = unique("durable");
        let fanout = unique("fanout");
        let cconn = Connection::connect_with(options.clone()).await.unwrap();
        let cevents = cconn.events();
        let cch = cconn.open_channel().await.unwrap();
        cch.basic_qos(200, false).await.unwrap();
        let durable = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        cch.queue_declare(&queue, durable, queue_args)
            .await
            .unwrap();
        cch.exchange_declare(
            &fanout,
            "fanout",
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
        cch.queue_bind(&queue, &fanout, "", FieldTable::new())
            .await
            .unwrap();
        let mut consumers = Vec::new();
        let received: Shared<HashSet<String>> = Arc::default();
        let mut durable_consumer = cch
            .basic_consume(
                &queue,
                "durable-consumer",
                BasicConsumeOptions::default(),
                FieldTable::new(),
            )
            .await
            .unwrap();
        consumers.push(tokio::spawn({
            let received = received.clone();
            async move {
                while let Some(d) = durable_consumer.next_delivery().await {
                    let d = d.expect("the consumer goes on across recoveries");
                    received.lock().unwrap().insert(id_of(&d));
                    // A tag from before a recovery is refused; the broker redelivers it.
                    match d.ack() {
                        Ok(()) | Err(Error::StaleDeliveryTag(_)) => {}
                        Err(e) => panic!("ack: {e}"),
                    }
                }
            }
        }));
        let sn_received = if server_named {
            let name = cch
                .queue_declare(
                    "",
                    QueueDeclareOptions {
                        exclusive: true,
                        ..Default::default()
                    },
                    FieldTable::new(),
                )
                .await
                .unwrap()
                .queue;
            cch.queue_bind(&name, &fanout, "", FieldTable::new())
                .await
                .unwrap();
            let mut c = cch
                .basic_consume(
                    &name,
                    "",
                    BasicConsumeOptions {
                        no_ack: true,
                        ..Default::default()
                    },
                    FieldTable::new(),
                )
                .await
                .unwrap();
            let count: Shared<usize> = Arc::default();
            consumers.push(tokio::spawn({
                let count = count.clone();
                async move {
                    while let Some(d) = c.next_delivery().await {
                        d.expect("server-named queue consumer goes on");
                        *count.lock().unwrap() += 1;
                    }
                }
            }));
            Some(count)
        } else {
            None
        };
        let pconn = Connection::connect_with(options).await.unwrap();
        let pevents = pconn.events();
        let pch = pconn.open_channel().await.unwrap();
        pch.confirm_select().await.unwrap();
        let confirmed: Shared<HashSet<String>> = Arc::default();
        let unconfirmed: Shared<HashSet<String>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let publisher = tokio::spawn({
            let (confirmed, unconfirmed, stop) =
                (confirmed.clone(), unconfirmed.clone(), stop.clone());
            async move {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let mut batch = Vec::new();
                    for _ in 0..20 {
                        seq += 1;
                        let id = format!("m{seq}");
                        let c = pch
                            .basic_publish(
                                &fanout,
                                "",
                                BasicPublishOptions::default(),
                                id.clone().into_bytes(),
                                persistent(&id),
                            )
                            .await
                            .expect("publishes are queued across recoveries");
                        batch.push((id, c));
                    }
                    for (id, c) in batch {
                        match c.await {
                            Ok(Confirmation::Ack) => {
                                confirmed.lock().unwrap().insert(id);
                            }
                            Err(Error::PublishUnconfirmed(_)) => {
                                unconfirmed.lock().unwrap().insert(id);
                            }
                            other => panic!("publish {id}: {other:?}"),
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                seq
            }
        });
        Workload {
            cconn,
            pconn,
            events: [cevents, pevents],
            confirmed,
            unconfirmed,
            received,
            sn_received,
            stop,
            publisher,
            consumers,
            renames: 0,
        }
    }

    /// The port of the broker the publisher's connection reached last.
    pub fn host_port(&self) -> u16 {
        self.pconn.host().port
    }

    /// Waits until both connections recovered, then until new messages reach the server-named
    /// queue (its new incarnation and its binding are back). `context` is printed on failure.
    pub async fn await_recovery(&mut self, context: &str) {
        let mut renames = 0;
        for (events, conn) in self.events.iter_mut().zip([&self.cconn, &self.pconn]) {
            // A connection to a node that was not stopped (a cluster) loses nothing.
            if conn.is_connected()
                && tokio::time::timeout(Duration::from_secs(5), async {
                    while conn.is_connected() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
                .await
                .is_err()
            {
                continue;
            }
            loop {
                match within("recovery", events.recv()).await {
                    Some(ConnectionEvent::Recovered { .. }) => break,
                    Some(ConnectionEvent::QueueRenamed { old, new }) => {
                        assert_ne!(old, new);
                        renames += 1;
                    }
                    Some(ConnectionEvent::RecoveryFailed(e) | ConnectionEvent::Closed(Some(e))) => {
                        panic!("recovery failed: {e}\n{context}")
                    }
                    Some(_) => {}
                    None => panic!("events ended\n{context}"),
                }
            }
        }
        self.renames += renames;
        if let Some(count) = &self.sn_received {
            let before = *count.lock().unwrap();
            within("a delivery on the recovered server-named queue", async {
                while *count.lock().unwrap() <= before {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await;
        }
    }

    /// Stops publishing, waits until every confirmed message was consumed, and closes.
    pub async fn finish(self) -> Summary {
        self.stop.store(true, Ordering::Relaxed);
        let published = within("the publisher to stop", self.publisher)
            .await
            .unwrap();
        let confirmed = self.confirmed.lock().unwrap().clone();
        let received = self.received.clone();
        within("every confirmed message to be consumed", async {
            loop {
                let missing: Vec<_> = {
                    let r = received.lock().unwrap();
                    confirmed
                        .iter()
                        .filter(|id| !r.contains(*id))
                        .take(5)
                        .cloned()
                        .collect()
                };
                if missing.is_empty() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(
            confirmed.len() > 100,
            "too few confirmed ({}) to mean anything",
            confirmed.len()
        );
        let summary = Summary {
            published,
            confirmed: confirmed.len(),
            unconfirmed: self.unconfirmed.lock().unwrap().len(),
            consumed: self.received.lock().unwrap().len(),
            renames: self.renames,
            recoveries: self.pconn.metrics().recoveries,
        };
        self.cconn.close().await.unwrap();
        self.pconn.close().await.unwrap();
        for c in self.consumers {
            c.await.unwrap();
        }
        summary
    }
}
