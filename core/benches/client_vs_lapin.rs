//! Client throughput of Warren against lapin, publishing and consuming, on a live broker.
//!
//! One run measures four modes, each as messages per second of 16-byte bodies through a fresh
//! exclusive (server-named) queue per client on the default exchange:
//!
//! - `publish`: publish without confirms. Timed from the first `basic.publish` until a passive
//!   `queue.declare` reports all N messages in the queue.
//! - `publish_confirms`: publish with publisher confirms, keeping up to `WINDOW` confirmations
//!   outstanding and awaiting the oldest when the window is full. Timed until the last
//!   confirmation has arrived.
//! - `consume_noack`: the queue is pre-filled with N messages (untimed: plain Warren publishes,
//!   then a passive `queue.declare` until it holds exactly N), then a `basic.consume` with
//!   `no_ack` is timed from the `basic.consume` until the consuming code has taken the N-th
//!   delivery from the client's consumer stream (every body is compared with the one sent).
//! - `consume_ack`: the same with `basic.qos(PREFETCH)` and one `basic.ack` per delivery (not
//!   `multiple`), each sent the way the client's API offers it (lapin: awaiting
//!   `Acker::ack`; Warren: `Delivery::ack`, which queues it for the connection task). Timed
//!   until N deliveries have arrived, every ack was issued and the broker has answered the
//!   `basic.cancel` that follows the acks on the channel, so every ack has reached the broker
//!   whichever client sent it. Then the channel is closed (which would requeue anything left
//!   unacknowledged) and the queue must report 0 messages within a short bounded wait, or the
//!   run fails.
//!
//! Every consume run uses a new channel on the client's existing connection and its own
//! consumer, cancelled at the end of the run (the channel open, `basic.qos`, cancel in no-ack
//! mode, channel close and checks are untimed). The two clients alternate (A/B, then B/A) for
//! `ROUNDS` rounds after a short untimed warm-up of every mode; the medians and the
//! Warren/lapin ratio are reported per mode.
//!
//! Run with `cargo bench --workspace --bench client_vs_lapin`. Environment:
//!
//! | variable | default |
//! | --- | --- |
//! | `WARREN_BENCH_URI` | `amqp://guest:guest@127.0.0.1:5672/%2f` |
//! | `WARREN_BENCH_MESSAGES` (per run, publish without confirms) | 200000 |
//! | `WARREN_BENCH_CONFIRM_MESSAGES` (per run, publish with confirms) | 50000 |
//! | `WARREN_BENCH_CONSUME_MESSAGES` (per run, both consume modes) | 200000 |
//! | `WARREN_BENCH_ROUNDS` | 3 |
//! | `WARREN_BENCH_WINDOW` (outstanding confirms) | 256 |
//! | `WARREN_BENCH_PREFETCH` (`basic.qos` of the manual-ack consumer; 0 = unlimited) | 1000 |
//! | `WARREN_BENCH_TIMEOUT_SECS` (whole run) | 600 |
//! | `WARREN_BENCH_ONLY` (`warren` or `lapin`: run one client, e.g. under strace or perf) | both |
//! | `WARREN_BENCH_JSON` (a path: also write the results there as one JSON object) | unset |
//!
//! The JSON object is `{"config": {uri (password masked), messages, confirm_messages,
//! consume_messages, rounds, window, prefetch, only}, "modes": [{key, label, messages,
//! warren_rates, lapin_rates, warren_median, lapin_median, ratio}]}`, one mode object per
//! mode in the order above, with `key` as named above; rates are messages per second, one per
//! round in round order; a client that did not run (`WARREN_BENCH_ONLY`) has no rates and a
//! null median, and the ratio (Warren median / lapin median) is then null.

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

const BODY: &[u8; 16] = b"0123456789abcdef";
/// A timed run that takes longer than this has failed.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a queue may take to report 0 messages after a consume run.
const EMPTY_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages per client and mode in the untimed warm-up.
const WARMUP_MESSAGES: usize = 5_000;
/// Consumer tag of every consume run (each run has its own channel).
const CONSUMER_TAG: &str = "client_vs_lapin";

struct Config {
    uri: String,
    messages: usize,
    confirm_messages: usize,
    consume_messages: usize,
    rounds: usize,
    window: usize,
    prefetch: u16,
    timeout: Duration,
    only: Option<Lib>,
    json: Option<PathBuf>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a valid value").into()),
        Err(_) => Ok(default),
    }
}

impl Config {
    fn from_env() -> Result<Config> {
        let config = Config {
            uri: std::env::var("WARREN_BENCH_URI")
                .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
            messages: env_or("WARREN_BENCH_MESSAGES", 200_000)?,
            confirm_messages: env_or("WARREN_BENCH_CONFIRM_MESSAGES", 50_000)?,
            consume_messages: env_or("WARREN_BENCH_CONSUME_MESSAGES", 200_000)?,
            rounds: env_or("WARREN_BENCH_ROUNDS", 3)?,
            window: env_or("WARREN_BENCH_WINDOW", 256)?,
            prefetch: env_or("WARREN_BENCH_PREFETCH", 1000)?,
            timeout: Duration::from_secs(env_or("WARREN_BENCH_TIMEOUT_SECS", 600)?),
            only: match std::env::var("WARREN_BENCH_ONLY").as_deref() {
                Err(_) | Ok("") => None,
                Ok("warren") => Some(Lib::Warren),
                Ok("lapin") => Some(Lib::Lapin),
                Ok(other) => {
                    return Err(format!("WARREN_BENCH_ONLY={other:?}: use warren or lapin").into())
                }
            },
            json: std::env::var_os("WARREN_BENCH_JSON")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
        };
        if config.messages == 0
            || config.confirm_messages == 0
            || config.consume_messages == 0
            || config.rounds == 0
        {
            return Err("message counts and rounds must be at least 1".into());
        }
        if config.window == 0 {
            return Err("WARREN_BENCH_WINDOW must be at least 1".into());
        }
        Ok(config)
    }

    /// The URI with its password masked, for the JSON file.
    fn masked_uri(&self) -> String {
        match url::Url::parse(&self.uri) {
            Ok(mut url) if url.password().is_some() => match url.set_password(Some("***")) {
                Ok(()) => url.to_string(),
                Err(()) => "(unparsable URI)".into(),
            },
            Ok(_) => self.uri.clone(),
            Err(_) => "(unparsable URI)".into(),
        }
    }
}

/// What one run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Publish,
    PublishConfirms,
    ConsumeNoAck,
    ConsumeAck,
}

impl Mode {
    const ALL: [Mode; 4] = [
        Mode::Publish,
        Mode::PublishConfirms,
        Mode::ConsumeNoAck,
        Mode::ConsumeAck,
    ];

    /// Stable name, for the JSON file.
    fn key(self) -> &'static str {
        match self {
            Mode::Publish => "publish",
            Mode::PublishConfirms => "publish_confirms",
            Mode::ConsumeNoAck => "consume_noack",
            Mode::ConsumeAck => "consume_ack",
        }
    }

    fn label(self, config: &Config) -> String {
        match self {
            Mode::Publish => "publish (no confirms)".into(),
            Mode::PublishConfirms => format!("publish (confirms, window {})", config.window),
            Mode::ConsumeNoAck => "consume (no-ack)".into(),
            Mode::ConsumeAck => format!("consume (manual ack, prefetch {})", config.prefetch),
        }
    }

    fn messages(self, config: &Config) -> usize {
        match self {
            Mode::Publish => config.messages,
            Mode::PublishConfirms => config.confirm_messages,
            Mode::ConsumeNoAck | Mode::ConsumeAck => config.consume_messages,
        }
    }
}

/// One timed run.
struct Timing {
    /// Publish modes: when the client's publish loop returned (all `basic_publish` calls made,
    /// and with confirms all but the last window confirmed). Consume modes: when the consuming
    /// code had taken (and in manual-ack mode acked) the N-th delivery.
    loop_done: Duration,
    /// The measured time (see the module documentation).
    total: Duration,
}

/// Polls `count` until it reports at least `n` messages, failing after [`RUN_TIMEOUT`].
async fn wait_for_count<F, Fut>(n: usize, started: Instant, mut count: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u32>>,
{
    loop {
        let c = count().await? as usize;
        if c >= n {
            return Ok(());
        }
        if started.elapsed() > RUN_TIMEOUT {
            return Err(format!("only {c} of {n} messages reached the queue").into());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

/// Polls `count` until it reports an empty queue, failing after [`EMPTY_TIMEOUT`].
async fn wait_for_empty<F, Fut>(mut count: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<u32>>,
{
    let started = Instant::now();
    loop {
        let c = count().await?;
        if c == 0 {
            return Ok(());
        }
        if started.elapsed() > EMPTY_TIMEOUT {
            return Err(format!(
                "{c} messages still in the queue {EMPTY_TIMEOUT:?} after the consume run"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn check_body(body: &[u8]) -> Result<()> {
    if body != BODY {
        return Err(format!("a delivery carried {} unexpected bytes", body.len()).into());
    }
    Ok(())
}

// ---- Warren ----

mod warren {
    use super::*;
    use warren_core::client::{
        BasicConsumeOptions, BasicPublishOptions, Channel, Connection, PublishConfirm,
        QueueDeclareOptions,
    };
    use warren_core::{BasicProperties, FieldTable};

    pub struct Client {
        conn: Connection,
        plain: Channel,
        confirm: Channel,
        queue: String,
    }

    impl Client {
        pub async fn connect(uri: &str) -> Result<Client> {
            let conn = Connection::connect(uri).await?;
            let plain = conn.open_channel().await?;
            let confirm = conn.open_channel().await?;
            confirm.confirm_select().await?;
            let ok = plain
                .queue_declare(
                    "",
                    QueueDeclareOptions {
                        exclusive: true,
                        ..Default::default()
                    },
                    FieldTable::new(),
                )
                .await?;
            Ok(Client {
                conn,
                plain,
                confirm,
                queue: ok.queue,
            })
        }

        pub fn queue(&self) -> &str {
            &self.queue
        }

        pub async fn count(&self) -> Result<u32> {
            let ok = self
                .plain
                .queue_declare(
                    &self.queue,
                    QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::new(),
                )
                .await?;
            Ok(ok.message_count)
        }

        pub async fn purge(&self) -> Result<()> {
            self.plain.queue_purge(&self.queue).await?;
            Ok(())
        }

        /// Publishes `n` messages without confirms to `queue` (any client's) on the default
        /// exchange.
        pub async fn publish_plain(&self, queue: &str, n: usize) -> Result<()> {
            let body = Bytes::from_static(BODY);
            for _ in 0..n {
                self.plain
                    .basic_publish(
                        "",
                        queue,
                        BasicPublishOptions::default(),
                        body.clone(),
                        BasicProperties::default(),
                    )
                    .await?;
            }
            Ok(())
        }

        pub async fn publish(&self, n: usize, confirms: bool, window: usize) -> Result<Timing> {
            self.purge().await?;
            let body = Bytes::from_static(BODY);
            let started = Instant::now();
            let loop_done;
            if confirms {
                let mut in_flight: VecDeque<PublishConfirm> = VecDeque::with_capacity(window);
                for _ in 0..n {
                    if in_flight.len() == window {
                        let oldest = in_flight.pop_front().expect("window is not empty");
                        if !oldest.await?.is_ack() {
                            return Err("warren: a publish was nacked".into());
                        }
                    }
                    let confirm = self
                        .confirm
                        .basic_publish(
                            "",
                            &self.queue,
                            BasicPublishOptions::default(),
                            body.clone(),
                            BasicProperties::default(),
                        )
                        .await?;
                    in_flight.push_back(confirm);
                }
                loop_done = started.elapsed();
                for confirm in in_flight {
                    if !confirm.await?.is_ack() {
                        return Err("warren: a publish was nacked".into());
                    }
                }
            } else {
                self.publish_plain(&self.queue, n).await?;
                loop_done = started.elapsed();
                wait_for_count(n, started, || self.count()).await?;
            }
            let total = started.elapsed();
            // Every message must be in the queue, whichever way the run ended.
            wait_for_count(n, Instant::now(), || self.count()).await?;
            Ok(Timing { loop_done, total })
        }

        /// Consumes `n` messages from the (pre-filled) queue on a new channel: with no-ack
        /// when `prefetch` is `None`, otherwise with that `basic.qos` and one ack each.
        pub async fn consume(&self, n: usize, prefetch: Option<u16>) -> Result<Timing> {
            let channel = self.conn.open_channel().await?;
            if let Some(p) = prefetch {
                channel.basic_qos(p, false).await?;
            }
            let options = BasicConsumeOptions {
                no_ack: prefetch.is_none(),
                ..Default::default()
            };
            let started = Instant::now();
            let mut consumer = channel
                .basic_consume(&self.queue, CONSUMER_TAG, options, FieldTable::new())
                .await?;
            let mut received = 0;
            while received < n {
                let delivery = match consumer.next().await {
                    Some(d) => d?,
                    None => {
                        return Err(format!(
                            "warren: the consumer ended after {received} of {n} deliveries"
                        )
                        .into())
                    }
                };
                check_body(&delivery.body)?;
                if prefetch.is_some() {
                    delivery.ack()?;
                }
                received += 1;
            }
            let loop_done = started.elapsed();
            // The cancel-ok comes after the broker has read every ack sent before it.
            consumer.cancel().await?;
            let total = match prefetch {
                Some(_) => started.elapsed(),
                None => loop_done,
            };
            channel.close().await?;
            wait_for_empty(|| self.count()).await?;
            Ok(Timing { loop_done, total })
        }

        pub async fn finish(&self) -> Result<()> {
            self.purge().await?;
            self.conn.close().await?;
            Ok(())
        }
    }
}

// ---- lapin ----

mod lapin_client {
    use super::*;
    use lapin::options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions,
        BasicQosOptions, ConfirmSelectOptions, QueueDeclareOptions, QueuePurgeOptions,
    };
    use lapin::publisher_confirm::PublisherConfirm;
    use lapin::types::FieldTable;
    use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

    pub struct Client {
        conn: Connection,
        plain: Channel,
        confirm: Channel,
        queue: String,
    }

    impl Client {
        pub async fn connect(uri: &str) -> Result<Client> {
            let properties = ConnectionProperties::default()
                .with_executor(tokio_executor_trait::Tokio::current())
                .with_reactor(tokio_reactor_trait::Tokio::current());
            let conn = Connection::connect(uri, properties).await?;
            let plain = conn.create_channel().await?;
            let confirm = conn.create_channel().await?;
            confirm
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            let queue = plain
                .queue_declare(
                    "",
                    QueueDeclareOptions {
                        exclusive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await?;
            Ok(Client {
                conn,
                plain,
                confirm,
                queue: queue.name().as_str().to_owned(),
            })
        }

        pub fn queue(&self) -> &str {
            &self.queue
        }

        pub async fn count(&self) -> Result<u32> {
            let queue = self
                .plain
                .queue_declare(
                    &self.queue,
                    QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await?;
            Ok(queue.message_count())
        }

        pub async fn purge(&self) -> Result<()> {
            self.plain
                .queue_purge(&self.queue, QueuePurgeOptions::default())
                .await?;
            Ok(())
        }

        pub async fn publish(&self, n: usize, confirms: bool, window: usize) -> Result<Timing> {
            self.purge().await?;
            let started = Instant::now();
            let loop_done;
            if confirms {
                let mut in_flight: VecDeque<PublisherConfirm> = VecDeque::with_capacity(window);
                for _ in 0..n {
                    if in_flight.len() == window {
                        let oldest = in_flight.pop_front().expect("window is not empty");
                        if !oldest.await?.is_ack() {
                            return Err("lapin: a publish was nacked".into());
                        }
                    }
                    let confirm = self
                        .confirm
                        .basic_publish(
                            "",
                            &self.queue,
                            BasicPublishOptions::default(),
                            BODY,
                            BasicProperties::default(),
                        )
                        .await?;
                    in_flight.push_back(confirm);
                }
                loop_done = started.elapsed();
                for confirm in in_flight {
                    if !confirm.await?.is_ack() {
                        return Err("lapin: a publish was nacked".into());
                    }
                }
            } else {
                for _ in 0..n {
                    // Without confirms the returned confirmation is "not requested"; drop it.
                    drop(
                        self.plain
                            .basic_publish(
                                "",
                                &self.queue,
                                BasicPublishOptions::default(),
                                BODY,
                                BasicProperties::default(),
                            )
                            .await?,
                    );
                }
                loop_done = started.elapsed();
                wait_for_count(n, started, || self.count()).await?;
            }
            let total = started.elapsed();
            wait_for_count(n, Instant::now(), || self.count()).await?;
            Ok(Timing { loop_done, total })
        }

        /// Consumes `n` messages from the (pre-filled) queue on a new channel: with no-ack
        /// when `prefetch` is `None`, otherwise with that `basic.qos` and one ack each.
        pub async fn consume(&self, n: usize, prefetch: Option<u16>) -> Result<Timing> {
            let channel = self.conn.create_channel().await?;
            if let Some(p) = prefetch {
                channel.basic_qos(p, BasicQosOptions::default()).await?;
            }
            let options = BasicConsumeOptions {
                no_ack: prefetch.is_none(),
                ..Default::default()
            };
            let started = Instant::now();
            let mut consumer = channel
                .basic_consume(&self.queue, CONSUMER_TAG, options, FieldTable::default())
                .await?;
            let mut received = 0;
            while received < n {
                let delivery = match consumer.next().await {
                    Some(d) => d?,
                    None => {
                        return Err(format!(
                            "lapin: the consumer ended after {received} of {n} deliveries"
                        )
                        .into())
                    }
                };
                check_body(&delivery.data)?;
                if prefetch.is_some() && !delivery.acker.ack(BasicAckOptions::default()).await? {
                    return Err("lapin: a delivery could not be acked".into());
                }
                received += 1;
            }
            let loop_done = started.elapsed();
            // The cancel-ok comes after the broker has read every ack sent before it.
            channel
                .basic_cancel(consumer.tag().as_str(), BasicCancelOptions::default())
                .await?;
            let total = match prefetch {
                Some(_) => started.elapsed(),
                None => loop_done,
            };
            channel.close(200, "bye").await?;
            wait_for_empty(|| self.count()).await?;
            Ok(Timing { loop_done, total })
        }

        pub async fn finish(&self) -> Result<()> {
            self.purge().await?;
            self.conn.close(200, "bye").await?;
            Ok(())
        }
    }
}

// ---- driver ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lib {
    Warren,
    Lapin,
}

impl Lib {
    fn name(self) -> &'static str {
        match self {
            Lib::Warren => "warren",
            Lib::Lapin => "lapin",
        }
    }
}

struct Clients {
    warren: warren::Client,
    lapin: lapin_client::Client,
}

/// Runs `fut` for `lib` within `RUN_TIMEOUT * 2`, naming the client in errors.
async fn bounded<T>(lib: Lib, what: &str, fut: impl Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(RUN_TIMEOUT * 2, fut).await {
        Ok(r) => r.map_err(|e| format!("{} ({what}): {e}", lib.name()).into()),
        Err(_) => Err(format!(
            "{} ({what}): did not finish in {:?}",
            lib.name(),
            RUN_TIMEOUT * 2
        )
        .into()),
    }
}

impl Clients {
    async fn count(&self, lib: Lib) -> Result<u32> {
        match lib {
            Lib::Warren => self.warren.count().await,
            Lib::Lapin => self.lapin.count().await,
        }
    }

    /// Leaves exactly `n` messages in `lib`'s queue, published by Warren without confirms.
    async fn fill(&self, lib: Lib, n: usize) -> Result<()> {
        let queue = match lib {
            Lib::Warren => {
                self.warren.purge().await?;
                self.warren.queue()
            }
            Lib::Lapin => {
                self.lapin.purge().await?;
                self.lapin.queue()
            }
        };
        self.warren.publish_plain(queue, n).await?;
        wait_for_count(n, Instant::now(), || self.count(lib)).await?;
        match self.count(lib).await? as usize {
            c if c == n => Ok(()),
            c => Err(format!("the queue holds {c} messages after filling it with {n}").into()),
        }
    }

    async fn run(&self, lib: Lib, mode: Mode, n: usize, config: &Config) -> Result<Timing> {
        // Each step bounds its own waits for the queue; this also bounds a stalled client.
        match mode {
            Mode::Publish | Mode::PublishConfirms => {
                let confirms = mode == Mode::PublishConfirms;
                let run = async {
                    match lib {
                        Lib::Warren => self.warren.publish(n, confirms, config.window).await,
                        Lib::Lapin => self.lapin.publish(n, confirms, config.window).await,
                    }
                };
                bounded(lib, mode.key(), run).await
            }
            Mode::ConsumeNoAck | Mode::ConsumeAck => {
                bounded(lib, "filling the queue", self.fill(lib, n)).await?;
                let prefetch = (mode == Mode::ConsumeAck).then_some(config.prefetch);
                let run = async {
                    match lib {
                        Lib::Warren => self.warren.consume(n, prefetch).await,
                        Lib::Lapin => self.lapin.consume(n, prefetch).await,
                    }
                };
                bounded(lib, mode.key(), run).await
            }
        }
    }
}

fn median(values: &[f64]) -> Option<f64> {
    let mut values = values.to_vec();
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[mid]),
        _ => Some((values[mid - 1] + values[mid]) / 2.0),
    }
}

struct ModeResult {
    mode: Mode,
    label: String,
    messages: usize,
    /// Messages per second of each round, in round order.
    warren_rates: Vec<f64>,
    lapin_rates: Vec<f64>,
}

impl ModeResult {
    fn warren(&self) -> Option<f64> {
        median(&self.warren_rates)
    }

    fn lapin(&self) -> Option<f64> {
        median(&self.lapin_rates)
    }

    fn ratio(&self) -> Option<f64> {
        Some(self.warren()? / self.lapin()?)
    }
}

async fn bench(config: &Config) -> Result<Vec<ModeResult>> {
    let clients = Clients {
        warren: warren::Client::connect(&config.uri)
            .await
            .map_err(|e| format!("warren: connecting to {}: {e}", config.uri))?,
        lapin: lapin_client::Client::connect(&config.uri)
            .await
            .map_err(|e| format!("lapin: connecting to {}: {e}", config.uri))?,
    };

    // Untimed warm-up: connections, queues and every code path of both clients.
    let wanted = |lib: &Lib| !matches!(config.only, Some(only) if only != *lib);
    for mode in Mode::ALL {
        for lib in [Lib::Warren, Lib::Lapin].into_iter().filter(wanted) {
            clients.run(lib, mode, WARMUP_MESSAGES, config).await?;
        }
    }

    let mut results = Vec::new();
    for mode in Mode::ALL {
        let n = mode.messages(config);
        let label = mode.label(config);
        let mut rates = [Vec::new(), Vec::new()];
        for round in 0..config.rounds {
            let order = if round % 2 == 0 {
                [Lib::Warren, Lib::Lapin]
            } else {
                [Lib::Lapin, Lib::Warren]
            };
            for lib in order.into_iter().filter(wanted) {
                let timing = clients.run(lib, mode, n, config).await?;
                let rate = n as f64 / timing.total.as_secs_f64();
                let loop_ms = timing.loop_done.as_secs_f64() * 1e3;
                let detail = match mode {
                    Mode::Publish | Mode::PublishConfirms => {
                        format!(" (publish loop returned at {loop_ms:.1} ms)")
                    }
                    Mode::ConsumeNoAck => String::new(),
                    Mode::ConsumeAck => format!(" (last delivery acked at {loop_ms:.1} ms)"),
                };
                println!(
                    "  {label} round {}: {:<6} {n} msgs in {:>7.1} ms = {:>7.0} msg/s{detail}",
                    round + 1,
                    lib.name(),
                    timing.total.as_secs_f64() * 1e3,
                    rate,
                );
                rates[(lib == Lib::Lapin) as usize].push(rate);
            }
        }
        let [warren_rates, lapin_rates] = rates;
        results.push(ModeResult {
            mode,
            label,
            messages: n,
            warren_rates,
            lapin_rates,
        });
    }

    clients.warren.finish().await?;
    clients.lapin.finish().await?;
    Ok(results)
}

fn to_json(config: &Config, results: &[ModeResult]) -> serde_json::Value {
    use serde_json::json;
    let modes: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            json!({
                "key": r.mode.key(),
                "label": r.label,
                "messages": r.messages,
                "warren_rates": r.warren_rates,
                "lapin_rates": r.lapin_rates,
                "warren_median": r.warren(),
                "lapin_median": r.lapin(),
                "ratio": r.ratio(),
            })
        })
        .collect();
    json!({
        "config": {
            "uri": config.masked_uri(),
            "messages": config.messages,
            "confirm_messages": config.confirm_messages,
            "consume_messages": config.consume_messages,
            "rounds": config.rounds,
            "window": config.window,
            "prefetch": config.prefetch,
            "only": config.only.map(Lib::name),
        },
        "modes": modes,
    })
}

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("client_vs_lapin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("client_vs_lapin: building the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "client_vs_lapin: {} msgs/run publishing without confirms, {} with confirms (window {}), \
         {} consuming (no-ack, and manual ack with prefetch {}), {} rounds, 16-byte bodies, \
         broker {}",
        config.messages,
        config.confirm_messages,
        config.window,
        config.consume_messages,
        config.prefetch,
        config.rounds,
        config.uri
    );
    let outcome = runtime.block_on(async {
        match tokio::time::timeout(config.timeout, bench(&config)).await {
            Ok(r) => r,
            Err(_) => Err(format!("benchmark did not finish in {:?}", config.timeout).into()),
        }
    });
    let results = match outcome {
        Ok(results) => results,
        Err(e) => {
            eprintln!("client_vs_lapin: {e}");
            return ExitCode::FAILURE;
        }
    };
    for r in &results {
        match (r.warren(), r.lapin()) {
            (Some(w), Some(l)) => println!(
                "{}: warren {w:.0} msg/s, lapin {l:.0} msg/s, ratio {:.2}x",
                r.label,
                w / l
            ),
            (Some(w), None) => println!("{}: warren {w:.0} msg/s", r.label),
            (None, Some(l)) => println!("{}: lapin {l:.0} msg/s", r.label),
            (None, None) => {}
        }
    }
    if let Some(path) = &config.json {
        let text = match serde_json::to_string_pretty(&to_json(&config, &results)) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("client_vs_lapin: encoding the results: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("client_vs_lapin: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("client_vs_lapin: results written to {}", path.display());
    }
    ExitCode::SUCCESS
}
