//! Publish throughput of Warren against lapin, on a live broker.
//!
//! One run measures four things, each as messages per second of 16-byte bodies published to a
//! fresh exclusive (server-named) queue on the default exchange:
//!
//! - Warren without confirms, lapin without confirms;
//! - Warren with publisher confirms, lapin with publisher confirms, each keeping up to `WINDOW`
//!   confirmations outstanding and awaiting the oldest when the window is full.
//!
//! A timed run starts after the queue is purged and stops when the broker has every message:
//! without confirms, when a passive `queue.declare` reports all of them in the queue; with
//! confirms, when the last confirmation has arrived. The two clients alternate (A/B, then B/A)
//! for `ROUNDS` rounds after a short untimed warm-up; the medians and the Warren/lapin ratio are
//! reported per mode.
//!
//! Run with `cargo bench -p warren-core --bench publish_vs_lapin`. Environment:
//!
//! | variable | default |
//! | --- | --- |
//! | `WARREN_BENCH_URI` | `amqp://guest:guest@127.0.0.1:5672/%2f` |
//! | `WARREN_BENCH_MESSAGES` (per run, no confirms) | 200000 |
//! | `WARREN_BENCH_CONFIRM_MESSAGES` (per run, confirms) | 50000 |
//! | `WARREN_BENCH_ROUNDS` | 3 |
//! | `WARREN_BENCH_WINDOW` (outstanding confirms) | 256 |
//! | `WARREN_BENCH_TIMEOUT_SECS` (whole run) | 600 |
//! | `WARREN_BENCH_ONLY` (`warren` or `lapin`: run one client, e.g. under strace or perf) | both |

use std::collections::VecDeque;
use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

const BODY: &[u8; 16] = b"0123456789abcdef";
/// A timed run that takes longer than this has failed.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// Messages per client and mode in the untimed warm-up.
const WARMUP_MESSAGES: usize = 5_000;

struct Config {
    uri: String,
    messages: usize,
    confirm_messages: usize,
    rounds: usize,
    window: usize,
    timeout: Duration,
    only: Option<Lib>,
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
            rounds: env_or("WARREN_BENCH_ROUNDS", 3)?,
            window: env_or("WARREN_BENCH_WINDOW", 256)?,
            timeout: Duration::from_secs(env_or("WARREN_BENCH_TIMEOUT_SECS", 600)?),
            only: match std::env::var("WARREN_BENCH_ONLY").as_deref() {
                Err(_) | Ok("") => None,
                Ok("warren") => Some(Lib::Warren),
                Ok("lapin") => Some(Lib::Lapin),
                Ok(other) => {
                    return Err(format!("WARREN_BENCH_ONLY={other:?}: use warren or lapin").into())
                }
            },
        };
        if config.messages == 0 || config.confirm_messages == 0 || config.rounds == 0 {
            return Err("message counts and rounds must be at least 1".into());
        }
        if config.window == 0 {
            return Err("WARREN_BENCH_WINDOW must be at least 1".into());
        }
        Ok(config)
    }
}

/// One timed run.
struct Timing {
    /// When the client's publish loop returned (all `basic_publish` calls made, and with
    /// confirms all but the last window confirmed).
    loop_done: Duration,
    /// When the broker had every message: the measured time.
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

// ---- Warren ----

mod warren {
    use super::*;
    use warren_core::client::{
        BasicPublishOptions, Channel, Connection, PublishConfirm, QueueDeclareOptions,
    };
    use warren_core::{BasicProperties, FieldTable};

    pub struct Client {
        _conn: Connection,
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
                _conn: conn,
                plain,
                confirm,
                queue: ok.queue,
            })
        }

        async fn count(&self) -> Result<u32> {
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

        pub async fn run(&self, n: usize, confirms: bool, window: usize) -> Result<Timing> {
            self.plain.queue_purge(&self.queue).await?;
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
                for _ in 0..n {
                    self.plain
                        .basic_publish(
                            "",
                            &self.queue,
                            BasicPublishOptions::default(),
                            body.clone(),
                            BasicProperties::default(),
                        )
                        .await?;
                }
                loop_done = started.elapsed();
                wait_for_count(n, started, || self.count()).await?;
            }
            let total = started.elapsed();
            // Every message must be in the queue, whichever way the run ended.
            wait_for_count(n, Instant::now(), || self.count()).await?;
            Ok(Timing { loop_done, total })
        }

        pub async fn finish(&self) -> Result<()> {
            self.plain.queue_purge(&self.queue).await?;
            self._conn.close().await?;
            Ok(())
        }
    }
}

// ---- lapin ----

mod lapin_client {
    use super::*;
    use lapin::options::{
        BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueuePurgeOptions,
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

        async fn count(&self) -> Result<u32> {
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

        pub async fn run(&self, n: usize, confirms: bool, window: usize) -> Result<Timing> {
            self.plain
                .queue_purge(&self.queue, QueuePurgeOptions::default())
                .await?;
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

        pub async fn finish(&self) -> Result<()> {
            self.plain
                .queue_purge(&self.queue, QueuePurgeOptions::default())
                .await?;
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

impl Clients {
    async fn run(&self, lib: Lib, n: usize, confirms: bool, window: usize) -> Result<Timing> {
        let run = async {
            match lib {
                Lib::Warren => self.warren.run(n, confirms, window).await,
                Lib::Lapin => self.lapin.run(n, confirms, window).await,
            }
        };
        // The run bounds its own wait for the queue; this also bounds a stalled publish.
        match tokio::time::timeout(RUN_TIMEOUT * 2, run).await {
            Ok(r) => r.map_err(|e| format!("{}: {e}", lib.name()).into()),
            Err(_) => Err(format!(
                "{}: run did not finish in {:?}",
                lib.name(),
                RUN_TIMEOUT * 2
            )
            .into()),
        }
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[mid]),
        _ => Some((values[mid - 1] + values[mid]) / 2.0),
    }
}

struct ModeResult {
    label: String,
    warren: Option<f64>,
    lapin: Option<f64>,
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

    // Untimed warm-up: connections, queues and both code paths of both clients.
    let wanted = |lib: &Lib| !matches!(config.only, Some(only) if only != *lib);
    for confirms in [false, true] {
        for lib in [Lib::Warren, Lib::Lapin].into_iter().filter(wanted) {
            clients
                .run(lib, WARMUP_MESSAGES, confirms, config.window)
                .await?;
        }
    }

    let modes = [
        (false, config.messages, "publish (no confirms)".to_string()),
        (
            true,
            config.confirm_messages,
            format!("publish (confirms, window {})", config.window),
        ),
    ];
    let mut results = Vec::new();
    for (confirms, n, label) in modes {
        let mut rates = [Vec::new(), Vec::new()];
        for round in 0..config.rounds {
            let order = if round % 2 == 0 {
                [Lib::Warren, Lib::Lapin]
            } else {
                [Lib::Lapin, Lib::Warren]
            };
            for lib in order.into_iter().filter(wanted) {
                let timing = clients.run(lib, n, confirms, config.window).await?;
                let rate = n as f64 / timing.total.as_secs_f64();
                println!(
                    "  {label} round {}: {:<6} {n} msgs in {:>7.1} ms = {:>7.0} msg/s \
                     (publish loop returned at {:.1} ms)",
                    round + 1,
                    lib.name(),
                    timing.total.as_secs_f64() * 1e3,
                    rate,
                    timing.loop_done.as_secs_f64() * 1e3,
                );
                rates[(lib == Lib::Lapin) as usize].push(rate);
            }
        }
        let [mut w, mut l] = rates;
        results.push(ModeResult {
            label,
            warren: median(&mut w),
            lapin: median(&mut l),
        });
    }

    clients.warren.finish().await?;
    clients.lapin.finish().await?;
    Ok(results)
}

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("publish_vs_lapin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("publish_vs_lapin: building the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "publish_vs_lapin: {} msgs/run without confirms, {} with confirms (window {}), {} rounds, \
         16-byte bodies, broker {}",
        config.messages, config.confirm_messages, config.window, config.rounds, config.uri
    );
    let outcome = runtime.block_on(async {
        match tokio::time::timeout(config.timeout, bench(&config)).await {
            Ok(r) => r,
            Err(_) => Err(format!("benchmark did not finish in {:?}", config.timeout).into()),
        }
    });
    match outcome {
        Ok(results) => {
            for r in results {
                match (r.warren, r.lapin) {
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
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("publish_vs_lapin: {e}");
            ExitCode::FAILURE
        }
    }
}
