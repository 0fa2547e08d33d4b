//! `warren-perf`: a load generator for AMQP 0-9-1 brokers, built on warren-core's client, in
//! the spirit of RabbitMQ's PerfTest and lavinmqperf.
//!
//! Scenarios (clap subcommands): `one-to-one`, `fanout`, `topic`, `publish-only`,
//! `consume-only` and `connections`. Every run is bounded in time, deletes what it declared,
//! and connects only to loopback. Each message body starts with the send time (nanoseconds
//! since the Unix epoch, big-endian) and a sequence number, from which consumers compute the
//! end-to-end latency. A progress line goes to stderr every second; the summary goes to stdout,
//! or to stderr with `--json`, where stdout gets exactly one JSON line.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use clap::{Args, Parser, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinSet;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, Confirmation, Connection, ConnectionOptions,
    ExchangeDeclareOptions, PublishConfirm, QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};

/// The load generator shares the machine's cores with the broker it measures; a faster
/// allocator leaves more of them to the broker.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, BoxError>;

/// Smallest body: 8 bytes of timestamp and 8 of sequence number.
const MIN_SIZE: usize = 16;
/// Bindings of the `topic` scenario's three queues (the logging pattern).
const TOPIC_BINDINGS: [&str; 3] = ["server1.#", "#.error", "*.user.*.info"];
const TOPIC_MODULES: [&str; 3] = ["user", "auth", "billing"];
const TOPIC_ACTIONS: [&str; 3] = ["login", "logout", "update"];
const TOPIC_LEVELS: [&str; 3] = ["info", "warn", "error"];
/// Keys the `topic` producer cycles through: `serverN.module.action.level`.
const TOPIC_KEYS: usize = 3 * 3 * 3 * 3;

/// Load generator for AMQP 0-9-1 brokers (loopback only).
#[derive(Debug, Parser)]
#[command(name = "warren-perf", version)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// P producers → queue(s) → C consumers per queue.
    OneToOne(FlowArgs),
    /// Producer(s) → fanout exchange → N queues (default 3), each consumed.
    Fanout(FlowArgs),
    /// Producer(s) → topic exchange → 3 queues bound with `server1.#`, `#.error` and
    /// `*.user.*.info`; checks that each queue got exactly what it should.
    Topic(FlowArgs),
    /// Producers → queue(s), nothing consumed.
    PublishOnly(FlowArgs),
    /// Pre-fills the queue(s), then measures how fast consumers drain them.
    ConsumeOnly(ConsumeOnlyArgs),
    /// Opens N connections × M channels, holds them open, then closes them.
    Connections(ConnectionsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AckMode {
    /// The broker considers messages acknowledged on delivery (`no-ack`).
    Auto,
    /// One `basic.ack` per message.
    Single,
    /// One `basic.ack` with `multiple` every `--ack-every` messages.
    Multiple,
}

#[derive(Debug, Clone, Args)]
struct CommonArgs {
    /// Broker URI; only loopback hosts (localhost, 127.0.0.0/8, ::1) are accepted.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    uri: String,
    /// How long to publish (or hold connections), in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Print the summary to stderr and exactly one JSON line to stdout.
    #[arg(long)]
    json: bool,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
    /// The broker's process id: report its resident memory (VmRSS, from /proc) during the run.
    #[arg(long)]
    broker_pid: Option<u32>,
}

#[derive(Debug, Clone, Args)]
struct FlowArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Body size in bytes (at least 16: timestamp and sequence number).
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Producers (one connection each).
    #[arg(long, default_value_t = 1)]
    producers: usize,
    /// Consumers per queue (one connection each).
    #[arg(long, default_value_t = 1)]
    consumers: usize,
    /// Queues (default: 3 for fanout and topic, 1 otherwise; topic needs 3). Producer i
    /// publishes to queue i mod N in one-to-one and publish-only.
    #[arg(long)]
    queues: Option<usize>,
    /// Publisher confirm window: unconfirmed messages per producer (0: no confirms).
    #[arg(long, default_value_t = 0)]
    confirm: usize,
    /// Persistent messages (delivery-mode 2) on durable queues.
    #[arg(long)]
    persistent: bool,
    /// Acknowledgement mode.
    #[arg(long, value_enum, default_value_t = AckMode::Auto)]
    ack: AckMode,
    /// With `--ack multiple`: acknowledge every this many messages.
    #[arg(long, default_value_t = 100)]
    ack_every: u64,
    /// Prefetch (basic.qos per consumer) for manual-ack consumers (0: unlimited).
    #[arg(long, default_value_t = 1000)]
    prefetch: u16,
    /// Total publish rate limit in messages/s, shared by the producers (0: unlimited).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Stop publishing after this many messages in all (otherwise after --duration).
    #[arg(long)]
    messages: Option<u64>,
    /// After publishing stops, how long consumers may take to catch up, in seconds.
    #[arg(long, default_value_t = 5.0)]
    drain: f64,
    /// After publishing (and draining), keep the queues for this many seconds before deleting
    /// them, e.g. to measure the broker's memory with messages queued (`--broker-pid`).
    #[arg(long, default_value_t = 0.0)]
    hold: f64,
}

#[derive(Debug, Clone, Args)]
struct ConsumeOnlyArgs {
    #[command(flatten)]
    flow: FlowArgs,
    /// Messages to put in the queue(s) before the consumers start (spread over the queues).
    #[arg(long, default_value_t = 100_000)]
    prefill: u64,
    /// Give up pre-filling (and fail) after this many seconds; the pre-fill is not part of
    /// `--duration`.
    #[arg(long, default_value_t = 120.0)]
    prefill_timeout: f64,
}

#[derive(Debug, Clone, Args)]
struct ConnectionsArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Connections to open.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// Channels per connection.
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Give up opening after this many seconds.
    #[arg(long, default_value_t = 60.0)]
    open_timeout: f64,
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(async {
        match run(cli.scenario).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("warren-perf: {e}");
                1
            }
        }
    });
    // Connection tasks still closing must not delay the exit.
    rt.shutdown_timeout(Duration::from_secs(1));
    std::process::exit(code);
}

async fn run(scenario: Scenario) -> Res<i32> {
    match scenario {
        Scenario::OneToOne(a) => run_flow(Kind::OneToOne, a, Prefill::NONE).await,
        Scenario::Fanout(a) => run_flow(Kind::Fanout, a, Prefill::NONE).await,
        Scenario::Topic(a) => run_flow(Kind::Topic, a, Prefill::NONE).await,
        Scenario::PublishOnly(a) => run_flow(Kind::PublishOnly, a, Prefill::NONE).await,
        Scenario::ConsumeOnly(a) => {
            let prefill = Prefill {
                messages: a.prefill,
                timeout: secs(a.prefill_timeout),
            };
            run_flow(Kind::ConsumeOnly, a.flow, prefill).await
        }
        Scenario::Connections(a) => run_connections(a).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Checks and helpers

/// Refuses a URI whose host is not loopback: localhost, 127.0.0.0/8 or ::1.
fn check_loopback(uri: &str) -> Res<()> {
    let opts = ConnectionOptions::from_uri(uri)?;
    for h in &opts.hosts {
        if !is_loopback_host(&h.host) {
            return Err(format!(
                "refusing {:?}: warren-perf connects only to loopback (localhost, 127.0.0.0/8, ::1)",
                h.host
            )
            .into());
        }
    }
    Ok(())
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// AMQP topic matching: `*` is exactly one word, `#` zero or more.
fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match p.split_first() {
            None => k.is_empty(),
            Some((&"#", rest)) => (0..=k.len()).any(|i| go(rest, &k[i..])),
            Some((&w, rest)) => match k.split_first() {
                Some((&kw, krest)) => (w == "*" || w == kw) && go(rest, krest),
                None => false,
            },
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    };
    go(&p, &k)
}

/// The `topic` scenario's routing key for sequence number `seq`.
fn topic_key(seq: u64) -> String {
    let i = (seq % TOPIC_KEYS as u64) as usize;
    format!(
        "server{}.{}.{}.{}",
        i % 3 + 1,
        TOPIC_MODULES[(i / 3) % 3],
        TOPIC_ACTIONS[(i / 9) % 3],
        TOPIC_LEVELS[(i / 27) % 3]
    )
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// A body of `size` bytes starting with the send time and the sequence number.
fn make_body(size: usize, seq: u64) -> Bytes {
    let mut b = BytesMut::with_capacity(size);
    b.put_u64(now_nanos());
    b.put_u64(seq);
    b.resize(size, b'x');
    b.freeze()
}

/// Latency in nanoseconds of a body made by [`make_body`].
fn body_latency(body: &[u8]) -> Option<u64> {
    let sent = u64::from_be_bytes(body.get(..8)?.try_into().ok()?);
    Some(now_nanos().saturating_sub(sent))
}

fn new_histogram() -> Histogram<u64> {
    // 1 ns to 1 hour, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("histogram bounds")
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn rate(n: u64, d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        n as f64 / d.as_secs_f64()
    }
}

/// A latency in nanoseconds, for people.
fn fmt_ns(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2} s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.0} µs", ns as f64 / 1e3)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------------
// Flow scenarios: one-to-one, fanout, topic, publish-only, consume-only

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    OneToOne,
    Fanout,
    Topic,
    PublishOnly,
    ConsumeOnly,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::OneToOne => "one-to-one",
            Kind::Fanout => "fanout",
            Kind::Topic => "topic",
            Kind::PublishOnly => "publish-only",
            Kind::ConsumeOnly => "consume-only",
        }
    }
}

/// Counters shared by producers, consumers and the progress line.
struct Stats {
    /// Producers stop at the next message.
    stop_publish: AtomicBool,
    /// Messages claimed against `--messages`.
    claimed: AtomicU64,
    published: AtomicU64,
    confirmed: AtomicU64,
    nacked: AtomicU64,
    /// Per queue: messages routed to it (counted at publish time).
    expected: Vec<AtomicU64>,
    /// Per queue: messages consumed from it.
    consumed: Vec<AtomicU64>,
    /// Deliveries whose routing key does not match their queue's binding (topic).
    misrouted: AtomicU64,
}

impl Stats {
    fn new(queues: usize) -> Self {
        Stats {
            stop_publish: AtomicBool::new(false),
            claimed: AtomicU64::new(0),
            published: AtomicU64::new(0),
            confirmed: AtomicU64::new(0),
            nacked: AtomicU64::new(0),
            expected: (0..queues).map(|_| AtomicU64::new(0)).collect(),
            consumed: (0..queues).map(|_| AtomicU64::new(0)).collect(),
            misrouted: AtomicU64::new(0),
        }
    }
    fn sum(v: &[AtomicU64]) -> u64 {
        v.iter().map(|a| a.load(Ordering::Relaxed)).sum()
    }
    fn all_consumed(&self) -> bool {
        self.expected
            .iter()
            .zip(&self.consumed)
            .all(|(e, c)| c.load(Ordering::Relaxed) >= e.load(Ordering::Relaxed))
    }
}

/// Where a producer sends its messages.
#[derive(Clone)]
enum Target {
    /// The default exchange, to one queue.
    Queue { name: String, index: usize },
    /// A fanout exchange: every queue gets every message.
    Fanout { exchange: String },
    /// A topic exchange with [`TOPIC_BINDINGS`].
    Topic { exchange: String },
}

struct Setup {
    queues: Vec<String>,
    exchange: Option<String>,
}

struct ProducerCfg {
    target: Target,
    size: usize,
    persistent: bool,
    window: usize,
    /// Messages per second for this producer (0: unlimited).
    rate: f64,
    limit: Option<u64>,
    /// End of the publishing phase: a publish still waiting (back-pressure) is abandoned.
    deadline: Instant,
    /// Confirms still outstanding are abandoned at this instant.
    hard_deadline: Instant,
}

/// `consume-only`: messages put in the queues before the consumers start, and the time that
/// may take.
#[derive(Debug, Clone, Copy)]
struct Prefill {
    messages: u64,
    timeout: Duration,
}

impl Prefill {
    const NONE: Prefill = Prefill {
        messages: 0,
        timeout: Duration::ZERO,
    };
}

async fn run_flow(kind: Kind, a: FlowArgs, prefill: Prefill) -> Res<i32> {
    check_loopback(&a.common.uri)?;
    check_broker_pid(&a.common)?;
    if a.size < MIN_SIZE {
        return Err(format!("--size must be at least {MIN_SIZE} (timestamp + sequence)").into());
    }
    if a.producers == 0 && kind != Kind::ConsumeOnly {
        return Err("--producers must be at least 1".into());
    }
    if a.consumers == 0 && !matches!(kind, Kind::PublishOnly) {
        return Err("--consumers must be at least 1".into());
    }
    let nqueues = a.queues.unwrap_or(match kind {
        Kind::Fanout | Kind::Topic => 3,
        _ => 1,
    });
    if nqueues == 0 || (kind == Kind::Topic && nqueues != 3) {
        return Err("--queues must be at least 1 (and exactly 3 for topic)".into());
    }
    if a.ack == AckMode::Multiple && a.prefetch != 0 && a.ack_every > u64::from(a.prefetch) {
        return Err("--ack-every must not exceed --prefetch (the consumer would stall)".into());
    }

    let tag = format!("warren-perf-{}-{}", std::process::id(), kind.name());
    let setup_conn = Connection::connect(&a.common.uri).await?;
    let setup_ch = setup_conn.open_channel().await?;
    let mut setup = Setup {
        queues: Vec::new(),
        exchange: None,
    };
    let result = flow_body(kind, &a, prefill, nqueues, &tag, &setup_ch, &mut setup).await;
    // Clean up whatever was declared, even after an error.
    let cleanup_ch = match setup_ch.is_open() {
        true => Ok(setup_ch.clone()),
        false => setup_conn.open_channel().await,
    };
    if let Ok(ch) = cleanup_ch {
        for q in &setup.queues {
            let _ = tokio::time::timeout(Duration::from_secs(5), ch.queue_delete(q, false, false))
                .await;
        }
        if let Some(x) = &setup.exchange {
            let _ =
                tokio::time::timeout(Duration::from_secs(5), ch.exchange_delete(x, false)).await;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), setup_conn.close()).await;
    let summary = result?;
    let code = if summary["check"] == "mismatch" { 2 } else { 0 };
    report(&a.common, &summary);
    Ok(code)
}

#[allow(clippy::too_many_arguments)]
async fn flow_body(
    kind: Kind,
    a: &FlowArgs,
    prefill: Prefill,
    nqueues: usize,
    tag: &str,
    ch: &Channel,
    setup: &mut Setup,
) -> Res<Value> {
    let rss_before = a.common.broker_pid.and_then(vm_rss_kib);
    let sampler = RssSampler::start(a.common.broker_pid);
    let qopts = QueueDeclareOptions {
        durable: a.persistent,
        ..Default::default()
    };
    for i in 0..nqueues {
        let name = format!("{tag}-{i}");
        ch.queue_declare(&name, qopts, FieldTable::new()).await?;
        setup.queues.push(name.clone());
        ch.queue_purge(&name).await?;
    }
    let exchange_kind = match kind {
        Kind::Fanout => Some("fanout"),
        Kind::Topic => Some("topic"),
        _ => None,
    };
    if let Some(xk) = exchange_kind {
        let x = format!("{tag}-x");
        let xopts = ExchangeDeclareOptions {
            durable: a.persistent,
            ..Default::default()
        };
        ch.exchange_declare(&x, xk, xopts, FieldTable::new())
            .await?;
        setup.exchange = Some(x.clone());
        for (i, q) in setup.queues.iter().enumerate() {
            let key = if kind == Kind::Topic {
                TOPIC_BINDINGS[i]
            } else {
                ""
            };
            ch.queue_bind(q, &x, key, FieldTable::new()).await?;
        }
    }
    let stats = Arc::new(Stats::new(nqueues));
    let duration = secs(a.common.duration);
    let drain = secs(a.drain);

    // consume-only: fill the queues first, with confirms so that they are really there.
    let mut prefill_secs = 0.0;
    if kind == Kind::ConsumeOnly {
        let t = Instant::now();
        let until = t + prefill.timeout;
        let timed_out = || {
            format!(
                "pre-fill did not finish within --prefill-timeout ({} s)",
                prefill.timeout.as_secs_f64()
            )
        };
        ch.confirm_select().await?;
        let props = properties(a.persistent);
        let mut inflight: VecDeque<PublishConfirm> = VecDeque::new();
        for seq in 0..prefill.messages {
            if Instant::now() >= until {
                return Err(timed_out().into());
            }
            let q = (seq % nqueues as u64) as usize;
            let c = ch
                .basic_publish(
                    "",
                    &setup.queues[q],
                    BasicPublishOptions::default(),
                    make_body(a.size, seq),
                    props.clone(),
                )
                .await?;
            stats.expected[q].fetch_add(1, Ordering::Relaxed);
            inflight.push_back(c);
            if inflight.len() >= 1000 {
                if let Some(c) = inflight.pop_front() {
                    tokio::time::timeout_at(until.into(), c)
                        .await
                        .map_err(|_| timed_out())??;
                }
            }
        }
        for c in inflight {
            tokio::time::timeout_at(until.into(), c)
                .await
                .map_err(|_| timed_out())??;
        }
        prefill_secs = t.elapsed().as_secs_f64();
    }

    // Consumers: `--consumers` per queue, one connection each.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut consumers = JoinSet::new();
    if kind != Kind::PublishOnly {
        for (qi, q) in setup.queues.iter().enumerate() {
            for _ in 0..a.consumers {
                let conn = Connection::connect(&a.common.uri).await?;
                let cch = conn.open_channel().await?;
                if a.ack != AckMode::Auto {
                    cch.basic_qos(a.prefetch, false).await?;
                }
                let consumer = cch
                    .basic_consume(
                        q,
                        "",
                        BasicConsumeOptions {
                            no_ack: a.ack == AckMode::Auto,
                            ..Default::default()
                        },
                        FieldTable::new(),
                    )
                    .await?;
                let pattern = (kind == Kind::Topic).then(|| TOPIC_BINDINGS[qi].to_string());
                consumers.spawn(consume(
                    conn,
                    consumer,
                    qi,
                    pattern,
                    a.ack,
                    a.ack_every.max(1),
                    stats.clone(),
                    stop_rx.clone(),
                ));
            }
        }
    }

    let start = Instant::now();
    let deadline = start + duration;
    let hard_deadline = deadline + drain;
    let progress =
        (!a.common.quiet).then(|| tokio::spawn(progress_line(stats.clone(), start, a.confirm > 0)));

    // Producers.
    let mut producers = JoinSet::new();
    if kind != Kind::ConsumeOnly {
        for p in 0..a.producers {
            let target = match (kind, &setup.exchange) {
                (Kind::Fanout, Some(x)) => Target::Fanout {
                    exchange: x.clone(),
                },
                (Kind::Topic, Some(x)) => Target::Topic {
                    exchange: x.clone(),
                },
                _ => Target::Queue {
                    name: setup.queues[p % nqueues].clone(),
                    index: p % nqueues,
                },
            };
            let conn = Connection::connect(&a.common.uri).await?;
            let pch = conn.open_channel().await?;
            if a.confirm > 0 {
                pch.confirm_select().await?;
            }
            let cfg = ProducerCfg {
                target,
                size: a.size,
                persistent: a.persistent,
                window: a.confirm,
                rate: if a.rate > 0.0 {
                    a.rate / a.producers as f64
                } else {
                    0.0
                },
                limit: a.messages,
                deadline,
                hard_deadline,
            };
            producers.spawn(produce(conn, pch, cfg, stats.clone()));
        }
    }

    // Publishing phase: until the duration is over, the message budget is spent, or Ctrl-C.
    let mut interrupted = false;
    let mut producer_error: Option<BoxError> = None;
    {
        let sleep = tokio::time::sleep_until(deadline.into());
        tokio::pin!(sleep);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                _ = &mut ctrl_c => { interrupted = true; break }
                r = producers.join_next(), if !producers.is_empty() => match r {
                    Some(Ok(Ok(()))) => {}
                    Some(Ok(Err(e))) => { producer_error = Some(e); break }
                    Some(Err(e)) => { producer_error = Some(e.into()); break }
                    None => {}
                },
                // consume-only: done once everything is consumed.
                _ = tokio::time::sleep(Duration::from_millis(10)),
                    if producers.is_empty() && (kind == Kind::ConsumeOnly || a.messages.is_some()) => {
                    if kind != Kind::ConsumeOnly || stats.all_consumed() { break }
                }
            }
        }
    }
    stats.stop_publish.store(true, Ordering::Relaxed);
    let publish_elapsed = start.elapsed();
    while let Some(r) = producers.join_next().await {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => producer_error = producer_error.or(Some(e)),
            Err(e) => producer_error = producer_error.or(Some(e.into())),
        }
    }
    // Confirms are counted until the producers are done (at most `--drain` more).
    let confirm_elapsed = start.elapsed();

    // Drain: consumers catch up with what was routed to them, within `--drain`.
    if kind != Kind::PublishOnly && kind != Kind::ConsumeOnly && !interrupted {
        let drain_until = Instant::now() + drain;
        while !stats.all_consumed() && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let rss_end_of_publish = a.common.broker_pid.and_then(vm_rss_kib);
    // Hold: the queues stay (with whatever is left in them) while the broker settles.
    if a.hold > 0.0 && !interrupted {
        let hold_until = Instant::now() + secs(a.hold);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        tokio::select! {
            _ = tokio::time::sleep_until(hold_until.into()) => {}
            _ = &mut ctrl_c => interrupted = true,
        }
    }
    let rss_end_of_hold = a.common.broker_pid.and_then(vm_rss_kib);
    // What the broker says is still queued (a passive declare per queue).
    let mut queued: Option<u64> = Some(0);
    for q in &setup.queues {
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let n = tokio::time::timeout(
            Duration::from_secs(5),
            ch.queue_declare(q, passive, FieldTable::new()),
        )
        .await
        .ok()
        .and_then(|r| r.ok())
        .map(|ok| u64::from(ok.message_count));
        queued = queued.zip(n).map(|(a, b)| a + b);
    }
    let rss_peak = sampler.as_ref().map(RssSampler::peak);
    drop(sampler);
    let _ = stop_tx.send(true);
    let mut hist = new_histogram();
    let mut last_delivery: Option<Instant> = None;
    while let Some(r) = consumers.join_next().await {
        if let Ok((h, last)) = r {
            let _ = hist.add(&h);
            last_delivery = last_delivery.max(last);
        }
    }
    if let Some(p) = progress {
        p.abort();
        let _ = p.await;
    }
    if let Some(e) = producer_error {
        return Err(e);
    }

    // Summary.
    let published = stats.published.load(Ordering::Relaxed);
    let consumed = Stats::sum(&stats.consumed);
    let consume_elapsed = last_delivery.map(|t| t - start).unwrap_or_default();
    let per_queue: Vec<Value> = setup
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({
                "queue": q,
                "binding": match kind {
                    Kind::Topic => Value::from(TOPIC_BINDINGS[i]),
                    _ => Value::Null,
                },
                "expected": stats.expected[i].load(Ordering::Relaxed),
                "consumed": stats.consumed[i].load(Ordering::Relaxed),
            })
        })
        .collect();
    let exact = stats
        .expected
        .iter()
        .zip(&stats.consumed)
        .all(|(e, c)| e.load(Ordering::Relaxed) == c.load(Ordering::Relaxed))
        && stats.misrouted.load(Ordering::Relaxed) == 0;
    let check = match kind {
        Kind::PublishOnly => "none",
        _ if exact => "exact",
        Kind::Topic | Kind::Fanout => "mismatch",
        // A backlog left after --drain is not an error for throughput runs.
        _ => "incomplete",
    };
    let q = |p: f64| (hist.value_at_quantile(p) as f64 / 1e3 * 10.0).round() / 10.0;
    let latency = if hist.is_empty() {
        Value::Null
    } else {
        json!({
            "samples": hist.len(),
            "p50_us": q(0.5),
            "p99_us": q(0.99),
            "p999_us": q(0.999),
            "max_us": (hist.max() as f64 / 1e3 * 10.0).round() / 10.0,
        })
    };
    let confirm_on = a.confirm > 0;
    Ok(json!({
        "scenario": kind.name(),
        "size": a.size,
        "producers": if kind == Kind::ConsumeOnly { 0 } else { a.producers },
        "consumers_per_queue": if kind == Kind::PublishOnly { 0 } else { a.consumers },
        "queues": nqueues,
        "confirm_window": a.confirm,
        "persistent": a.persistent,
        "ack": format!("{:?}", a.ack).to_lowercase(),
        "prefetch": if a.ack == AckMode::Auto { Value::Null } else { Value::from(a.prefetch) },
        "rate_limit": if a.rate > 0.0 { Value::from(a.rate) } else { Value::Null },
        "prefill": if kind == Kind::ConsumeOnly { Value::from(Stats::sum(&stats.expected)) } else { Value::Null },
        "prefill_seconds": if kind == Kind::ConsumeOnly { Value::from(round2(prefill_secs)) } else { Value::Null },
        "interrupted": interrupted,
        "publish_seconds": round2(publish_elapsed.as_secs_f64()),
        "published": published,
        "published_rate": round2(rate(published, publish_elapsed)),
        "confirmed": if confirm_on { Value::from(stats.confirmed.load(Ordering::Relaxed)) } else { Value::Null },
        "nacked": if confirm_on { Value::from(stats.nacked.load(Ordering::Relaxed)) } else { Value::Null },
        "confirmed_rate": if confirm_on {
            Value::from(round2(rate(stats.confirmed.load(Ordering::Relaxed), confirm_elapsed)))
        } else { Value::Null },
        "consume_seconds": round2(consume_elapsed.as_secs_f64()),
        "consumed": consumed,
        "consumed_rate": round2(rate(consumed, consume_elapsed)),
        "routed": Stats::sum(&stats.expected),
        "misrouted": stats.misrouted.load(Ordering::Relaxed),
        "per_queue": per_queue,
        "check": check,
        "queued_at_end": queued,
        "hold_seconds": round2(a.hold),
        "broker_pid": a.common.broker_pid,
        "broker_rss_kib": if a.common.broker_pid.is_some() { json!({
            "before": rss_before,
            "peak": rss_peak,
            "end_of_publish": rss_end_of_publish,
            "end_of_hold": rss_end_of_hold,
        }) } else { Value::Null },
        "latency": latency,
        "latency_text": if hist.is_empty() { Value::Null } else { Value::from(format!(
            "p50 {}  p99 {}  p99.9 {}  max {}",
            fmt_ns(hist.value_at_quantile(0.5)),
            fmt_ns(hist.value_at_quantile(0.99)),
            fmt_ns(hist.value_at_quantile(0.999)),
            fmt_ns(hist.max()),
        )) },
    }))
}

fn properties(persistent: bool) -> BasicProperties {
    BasicProperties {
        delivery_mode: persistent.then_some(2),
        ..Default::default()
    }
}

async fn produce(conn: Connection, ch: Channel, cfg: ProducerCfg, stats: Arc<Stats>) -> Res<()> {
    let props = properties(cfg.persistent);
    let (exchange, fixed_key) = match &cfg.target {
        Target::Queue { name, .. } => (String::new(), name.clone()),
        Target::Fanout { exchange } => (exchange.clone(), String::new()),
        Target::Topic { exchange } => (exchange.clone(), String::new()),
    };
    // Which queues each topic key reaches.
    let topic_routes: Vec<Vec<usize>> = (0..TOPIC_KEYS as u64)
        .map(|s| {
            let key = topic_key(s);
            (0..TOPIC_BINDINGS.len())
                .filter(|&q| topic_matches(TOPIC_BINDINGS[q], &key))
                .collect()
        })
        .collect();
    let topic_keys: Vec<String> = (0..TOPIC_KEYS as u64).map(topic_key).collect();
    let mut inflight: VecDeque<PublishConfirm> = VecDeque::new();
    let started = Instant::now();
    let mut seq: u64 = 0;
    // One timer for the whole run, rather than a timeout around every publish.
    let end_of_publishing = tokio::time::sleep_until(cfg.deadline.into());
    tokio::pin!(end_of_publishing);
    let settle = |c: Confirmation| match c {
        Confirmation::Ack => stats.confirmed.fetch_add(1, Ordering::Relaxed),
        _ => stats.nacked.fetch_add(1, Ordering::Relaxed),
    };
    loop {
        if stats.stop_publish.load(Ordering::Relaxed) {
            break;
        }
        if let Some(limit) = cfg.limit {
            if stats.claimed.fetch_add(1, Ordering::Relaxed) >= limit {
                break;
            }
        }
        if cfg.rate > 0.0 {
            let due = started + Duration::from_secs_f64(seq as f64 / cfg.rate);
            if due >= cfg.deadline {
                break;
            }
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
                if stats.stop_publish.load(Ordering::Relaxed) {
                    break;
                }
            }
        } else if seq % 256 == 255 {
            tokio::task::yield_now().await;
        }
        let key = match &cfg.target {
            Target::Topic { .. } => &topic_keys[(seq % TOPIC_KEYS as u64) as usize],
            _ => &fixed_key,
        };
        let publish = ch.basic_publish(
            &exchange,
            key,
            BasicPublishOptions::default(),
            make_body(cfg.size, seq),
            props.clone(),
        );
        // The client only waits here when its send queue is full (the broker is slow or
        // blocks publishers): give up at the end of the publishing phase.
        let c = tokio::select! {
            biased;
            c = publish => c?,
            _ = &mut end_of_publishing => break,
        };
        match &cfg.target {
            Target::Queue { index, .. } => {
                stats.expected[*index].fetch_add(1, Ordering::Relaxed);
            }
            Target::Fanout { .. } => {
                for e in &stats.expected {
                    e.fetch_add(1, Ordering::Relaxed);
                }
            }
            Target::Topic { .. } => {
                for &q in &topic_routes[(seq % TOPIC_KEYS as u64) as usize] {
                    stats.expected[q].fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        stats.published.fetch_add(1, Ordering::Relaxed);
        seq += 1;
        if cfg.window > 0 {
            inflight.push_back(c);
            while inflight.len() >= cfg.window {
                let front = inflight.pop_front().expect("non-empty");
                match tokio::time::timeout_at(cfg.hard_deadline.into(), front).await {
                    Ok(r) => settle(r?),
                    Err(_) => return Err("confirms timed out".into()),
                };
            }
        }
    }
    for c in inflight {
        match tokio::time::timeout_at(cfg.hard_deadline.into(), c).await {
            Ok(r) => {
                settle(r?);
            }
            Err(_) => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.close()).await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn consume(
    conn: Connection,
    mut consumer: warren_core::client::Consumer,
    queue: usize,
    pattern: Option<String>,
    ack: AckMode,
    ack_every: u64,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) -> (Histogram<u64>, Option<Instant>) {
    let mut hist = new_histogram();
    let mut last = None;
    let mut unacked: u64 = 0;
    let mut last_tag = 0;
    loop {
        let d = tokio::select! {
            biased;
            _ = stop.changed() => break,
            d = consumer.next_delivery() => d,
        };
        let Some(Ok(d)) = d else { break };
        if let Some(ns) = body_latency(&d.body) {
            hist.saturating_record(ns.max(1));
        }
        if let Some(p) = &pattern {
            let key = std::str::from_utf8(d.routing_key.as_bytes()).unwrap_or("");
            if !topic_matches(p, key) {
                stats.misrouted.fetch_add(1, Ordering::Relaxed);
            }
        }
        match ack {
            AckMode::Auto => {}
            AckMode::Single => {
                let _ = d.ack();
            }
            AckMode::Multiple => {
                unacked += 1;
                last_tag = d.delivery_tag;
                if unacked >= ack_every {
                    let _ = d.ack_multiple();
                    unacked = 0;
                }
            }
        }
        stats.consumed[queue].fetch_add(1, Ordering::Relaxed);
        last = Some(Instant::now());
    }
    if unacked > 0 {
        let _ = consumer.channel().basic_ack(last_tag, true);
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.close()).await;
    (hist, last)
}

/// Every second, on stderr: rates over the last second and totals.
async fn progress_line(stats: Arc<Stats>, start: Instant, confirms: bool) {
    let mut tick = tokio::time::interval_at(
        (start + Duration::from_secs(1)).into(),
        Duration::from_secs(1),
    );
    let (mut p0, mut c0, mut k0) = (0, 0, 0);
    loop {
        tick.tick().await;
        let p = stats.published.load(Ordering::Relaxed);
        let c = stats.confirmed.load(Ordering::Relaxed);
        let k = Stats::sum(&stats.consumed);
        let backlog = Stats::sum(&stats.expected).saturating_sub(k);
        let confirmed = if confirms {
            format!("{:>9}/s", c - c0)
        } else {
            format!("{:>11}", "-")
        };
        eprintln!(
            "[{:>4.0}s] published {:>9}/s  confirmed {confirmed}  consumed {:>9}/s  | total published {} consumed {} backlog {}",
            start.elapsed().as_secs_f64(),
            p - p0,
            k - k0,
            p,
            k,
            backlog
        );
        (p0, c0, k0) = (p, c, k);
    }
}

// ---------------------------------------------------------------------------------------------
// connections: N connections × M channels held open

/// Resident memory of a process in KiB, from /proc/PID/status.
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Fails early when `--broker-pid` names a process whose memory cannot be read.
fn check_broker_pid(common: &CommonArgs) -> Res<()> {
    match common.broker_pid {
        Some(pid) if vm_rss_kib(pid).is_none() => {
            Err(format!("cannot read VmRSS of process {pid}").into())
        }
        _ => Ok(()),
    }
}

/// Samples the broker's resident memory every 100 ms and keeps the peak.
struct RssSampler {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: Option<u32>) -> Option<Self> {
        let pid = pid?;
        let peak = Arc::new(AtomicU64::new(vm_rss_kib(pid).unwrap_or(0)));
        let p = peak.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if let Some(k) = vm_rss_kib(pid) {
                    p.fetch_max(k, Ordering::Relaxed);
                }
            }
        });
        Some(RssSampler { peak, task })
    }
    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run_connections(a: ConnectionsArgs) -> Res<i32> {
    check_loopback(&a.common.uri)?;
    check_broker_pid(&a.common)?;
    let rss = || a.common.broker_pid.and_then(vm_rss_kib);
    let rss_before = rss();
    let start = Instant::now();
    let open_until = start + secs(a.open_timeout);
    let permits = Arc::new(tokio::sync::Semaphore::new(a.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for _ in 0..a.connections {
        let uri = a.common.uri.clone();
        let permits = permits.clone();
        let channels = a.channels;
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let open = async {
                let conn = Connection::connect(&uri).await?;
                let mut chans = Vec::with_capacity(channels);
                for _ in 0..channels {
                    chans.push(conn.open_channel().await?);
                }
                Ok::<_, warren_core::Error>((conn, chans))
            };
            match tokio::time::timeout_at(open_until.into(), open).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err("timed out".to_string()),
            }
        });
    }
    let mut open = Vec::new();
    let mut failures = 0usize;
    let mut first_error = None;
    let mut last_report = Instant::now();
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(c)) => open.push(c),
            Ok(Err(e)) => {
                failures += 1;
                first_error.get_or_insert(e);
            }
            Err(e) => {
                failures += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
        if !a.common.quiet && last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            eprintln!(
                "[{:>4.0}s] opened {} connections, {} failed",
                start.elapsed().as_secs_f64(),
                open.len(),
                failures
            );
        }
    }
    let open_elapsed = start.elapsed();
    let opened = open.len();
    let channels_open: usize = open.iter().map(|(_, c)| c.len()).sum();
    // Let the broker settle before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_open = rss();
    // Hold.
    let hold_until = Instant::now() + secs(a.common.duration);
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    while Instant::now() < hold_until {
        let next = (Instant::now() + Duration::from_secs(1)).min(hold_until);
        tokio::select! {
            _ = tokio::time::sleep_until(next.into()) => {}
            _ = &mut ctrl_c => { interrupted = true; break }
        }
        if !a.common.quiet {
            let alive = open.iter().filter(|(c, _)| c.is_open()).count();
            eprintln!(
                "[{:>4.0}s] holding {alive} connections{}",
                start.elapsed().as_secs_f64(),
                rss()
                    .map(|k| format!(", broker RSS {k} KiB"))
                    .unwrap_or_default()
            );
        }
    }
    let still_open = open.iter().filter(|(c, _)| c.is_open()).count();
    let rss_held = rss();
    let close_start = Instant::now();
    let mut closing = JoinSet::new();
    for (conn, chans) in open.drain(..) {
        closing.spawn(async move {
            drop(chans);
            let _ = tokio::time::timeout(Duration::from_secs(10), conn.close()).await;
        });
    }
    while closing.join_next().await.is_some() {}
    let close_elapsed = close_start.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after_close = rss();

    let per_conn = match (rss_before, rss_open) {
        (Some(b), Some(o)) if opened > 0 => {
            Value::from(round2((o as f64 - b as f64) / opened as f64))
        }
        _ => Value::Null,
    };
    let summary = json!({
        "scenario": "connections",
        "connections": a.connections,
        "channels_per_connection": a.channels,
        "opened": opened,
        "channels_opened": channels_open,
        "failed": failures,
        "first_error": first_error,
        "open_seconds": round2(open_elapsed.as_secs_f64()),
        "open_rate": round2(rate(opened as u64, open_elapsed)),
        "held_seconds": round2(a.common.duration),
        "still_open_after_hold": still_open,
        "close_seconds": round2(close_elapsed.as_secs_f64()),
        "interrupted": interrupted,
        "broker_pid": a.common.broker_pid,
        "broker_rss_kib": {
            "before": rss_before,
            "open": rss_open,
            "end_of_hold": rss_held,
            "after_close": rss_after_close,
        },
        "broker_rss_kib_per_connection": per_conn,
    });
    report(&a.common, &summary);
    Ok(if failures > 0 { 3 } else { 0 })
}

// ---------------------------------------------------------------------------------------------
// Output

/// The human summary (stdout, or stderr with `--json`), then the JSON line.
fn report(common: &CommonArgs, s: &Value) {
    let text = human_summary(s);
    if common.json {
        eprint!("{text}");
        println!("{s}");
    } else {
        print!("{text}");
    }
}

fn human_summary(s: &Value) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let n = |v: &Value| v.as_f64().map(|x| format!("{x:.0}")).unwrap_or("-".into());
    if s["scenario"] == "connections" {
        let _ = writeln!(
            o,
            "warren-perf connections: {} connection(s) × {} channel(s)",
            s["connections"], s["channels_per_connection"]
        );
        let _ = writeln!(
            o,
            "  opened      {} in {} s ({} conn/s), {} failed{}",
            s["opened"],
            s["open_seconds"],
            n(&s["open_rate"]),
            s["failed"],
            s["first_error"]
                .as_str()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            o,
            "  held        {} s, {} still open; closed in {} s",
            s["held_seconds"], s["still_open_after_hold"], s["close_seconds"]
        );
        let r = &s["broker_rss_kib"];
        if !r["before"].is_null() {
            let _ = writeln!(
                o,
                "  broker RSS  before {} KiB, open {} KiB, end of hold {} KiB, after close {} KiB; {} KiB per connection",
                r["before"], r["open"], r["end_of_hold"], r["after_close"],
                s["broker_rss_kib_per_connection"]
            );
        }
        return o;
    }
    let _ = writeln!(
        o,
        "warren-perf {}: {} s, {} producer(s), {} queue(s) × {} consumer(s), {} B, {}, ack {}, confirm window {}{}",
        s["scenario"].as_str().unwrap_or(""),
        s["publish_seconds"],
        s["producers"],
        s["queues"],
        s["consumers_per_queue"],
        s["size"],
        if s["persistent"] == true { "persistent" } else { "transient" },
        s["ack"].as_str().unwrap_or(""),
        s["confirm_window"],
        if s["rate_limit"].is_null() { String::new() } else { format!(", rate limit {} msg/s", s["rate_limit"]) },
    );
    if !s["prefill"].is_null() {
        let _ = writeln!(
            o,
            "  pre-filled  {} msg in {} s",
            s["prefill"], s["prefill_seconds"]
        );
    }
    if s["producers"] != 0 {
        let _ = writeln!(
            o,
            "  published   {} msg ({} msg/s)",
            s["published"],
            n(&s["published_rate"])
        );
    }
    if !s["confirmed"].is_null() {
        let _ = writeln!(
            o,
            "  confirmed   {} msg ({} msg/s), {} nacked",
            s["confirmed"],
            n(&s["confirmed_rate"]),
            s["nacked"]
        );
    }
    if s["consumers_per_queue"] != 0 {
        let _ = writeln!(
            o,
            "  consumed    {} msg ({} msg/s over {} s) of {} routed to the queues",
            s["consumed"],
            n(&s["consumed_rate"]),
            s["consume_seconds"],
            s["routed"]
        );
    }
    if let Some(l) = s["latency_text"].as_str() {
        let _ = writeln!(
            o,
            "  latency     {l}  ({} samples)",
            s["latency"]["samples"]
        );
    }
    if let Some(qs) = s["per_queue"].as_array() {
        if qs.len() > 1 || s["scenario"] == "topic" {
            for q in qs {
                let _ = writeln!(
                    o,
                    "  queue {}{}: expected {}, consumed {}",
                    q["queue"].as_str().unwrap_or(""),
                    q["binding"]
                        .as_str()
                        .map(|b| format!(" ({b})"))
                        .unwrap_or_default(),
                    q["expected"],
                    q["consumed"]
                );
            }
        }
    }
    let r = &s["broker_rss_kib"];
    if !r.is_null() {
        let _ = writeln!(
            o,
            "  broker RSS  before {} KiB, peak {} KiB, end of publish {} KiB, end of hold {} KiB ({} msg queued)",
            r["before"], r["peak"], r["end_of_publish"], r["end_of_hold"], s["queued_at_end"]
        );
    }
    let _ = writeln!(
        o,
        "  check       {}{}",
        s["check"].as_str().unwrap_or(""),
        if s["misrouted"].as_u64().unwrap_or(0) > 0 {
            format!(", {} misrouted", s["misrouted"])
        } else {
            String::new()
        }
    );
    if s["interrupted"] == true {
        let _ = writeln!(o, "  (interrupted)");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        for ok in [
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "amqp://localhost",
            "amqp://127.1.2.3:5700",
            "amqp://[::1]:5672/",
            "amqp://LOCALHOST/",
        ] {
            assert!(check_loopback(ok).is_ok(), "{ok}");
        }
        for bad in [
            "amqp://10.0.0.1",
            "amqp://example.com",
            "amqp://[::2]",
            "amqp://0.0.0.0",
            "amqp://localhost.example.com",
        ] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn topic_matching() {
        assert!(topic_matches("server1.#", "server1.user.login.info"));
        assert!(!topic_matches("server1.#", "server2.user.login.info"));
        assert!(topic_matches("#.error", "server3.auth.logout.error"));
        assert!(!topic_matches("#.error", "server3.auth.logout.warn"));
        assert!(topic_matches("*.user.*.info", "server2.user.update.info"));
        assert!(!topic_matches("*.user.*.info", "server2.auth.update.info"));
        assert!(topic_matches("#", ""));
        assert!(topic_matches("a.#.b", "a.b"));
        assert!(topic_matches("a.#.b", "a.x.y.b"));
        assert!(!topic_matches("a.*", "a"));
    }

    #[test]
    fn topic_keys_cover_the_bindings() {
        let keys: Vec<String> = (0..TOPIC_KEYS as u64).map(topic_key).collect();
        let count = |p: &str| keys.iter().filter(|k| topic_matches(p, k)).count();
        // 81 keys: a third from server1, a third at level error, 1/3 × 1/3 user-info.
        assert_eq!(count(TOPIC_BINDINGS[0]), 27);
        assert_eq!(count(TOPIC_BINDINGS[1]), 27);
        assert_eq!(count(TOPIC_BINDINGS[2]), 9);
        assert_eq!(topic_key(0), "server1.user.login.info");
    }

    #[test]
    fn body_carries_timestamp() {
        let b = make_body(32, 7);
        assert_eq!(b.len(), 32);
        assert_eq!(u64::from_be_bytes(b[8..16].try_into().unwrap()), 7);
        assert!(body_latency(&b).unwrap() < 1_000_000_000);
    }

    #[test]
    fn parses_vm_rss() {
        assert!(vm_rss_kib(std::process::id()).unwrap() > 0);
    }
}
