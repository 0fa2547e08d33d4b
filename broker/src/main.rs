//! `warren-broker`: runs the reference broker until Ctrl-C (SIGINT) or SIGTERM, then closes
//! every connection with 320 CONNECTION_FORCED and exits 0.
//!
//! Settings, highest precedence first: flags, environment variables (`WARREN_LISTEN`,
//! `WARREN_CONFIG`, `WARREN_LOG`, `WARREN_DATA_DIR`, `WARREN_IN_MEMORY`,
//! `WARREN_MEMORY_HIGH_WATERMARK`, `WARREN_DISK_FREE_LIMIT`), the TOML file (see
//! `warren-broker.example.toml`), defaults (127.0.0.1:5672, guest/guest on `/` from loopback
//! only, durable state in [`default_data_dir`]). Exit status: 0 after a
//! clean shutdown, 1 if the broker cannot start or a second signal cuts the shutdown short,
//! 2 for bad arguments or configuration.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use warren_broker::config::{default_data_dir, BrokerConfig, ConfigFile};
use warren_broker::Broker;

/// Warren's reference AMQP 0-9-1 broker.
#[derive(Debug, Parser)]
#[command(name = "warren-broker", version)]
struct Args {
    /// Address to listen on [default: 127.0.0.1:5672, or the config file's `listen`].
    #[arg(long, env = "WARREN_LISTEN", value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// TOML configuration file: users, vhosts, permissions, limits, log level.
    #[arg(long, env = "WARREN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log level (error, warn, info, debug, trace) or a tracing filter
    /// (`info,warren_broker::connection=debug`) [default: info, or the file's `log_level`].
    #[arg(long, alias = "log", env = "WARREN_LOG", value_name = "FILTER")]
    log_level: Option<String>,
    /// Directory for durable state: definitions and persistent messages [default:
    /// $XDG_DATA_HOME/warren-broker, else ~/.local/share/warren-broker, or the file's
    /// `data_dir`]. One broker at a time may use it.
    #[arg(long, env = "WARREN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory: nothing is written, nothing survives a restart (overrides
    /// --data-dir).
    #[arg(long, env = "WARREN_IN_MEMORY")]
    in_memory: bool,
    /// Block publishers above this resident memory: a fraction of RAM (0.4) or bytes
    /// (2147483648, 2GB, 512MiB) [default: 0.4, or the file's `memory_high_watermark`].
    #[arg(
        long,
        env = "WARREN_MEMORY_HIGH_WATERMARK",
        value_name = "FRACTION|BYTES"
    )]
    memory_high_watermark: Option<warren_broker::config::MemoryWatermark>,
    /// Block publishers while the data directory's disk has less free space than this
    /// (50000000, 50MB, 1GiB) [default: 50MB, or the file's `disk_free_limit`].
    #[arg(long, env = "WARREN_DISK_FREE_LIMIT", value_name = "BYTES", value_parser = warren_broker::config::parse_bytes)]
    disk_free_limit: Option<u64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = BrokerConfig {
        data_dir: Some(default_data_dir()),
        ..BrokerConfig::default()
    };
    let mut file_log_level = None;
    if let Some(path) = &args.config {
        let applied = ConfigFile::load(path).and_then(|file| {
            file_log_level = file.log_level.clone();
            file.apply(&mut config)
        });
        if let Err(e) = applied {
            eprintln!("warren-broker: configuration error: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = Some(dir);
    }
    if args.in_memory {
        config.data_dir = None;
    }
    if let Some(w) = args.memory_high_watermark {
        config.memory_high_watermark = w;
    }
    if let Some(b) = args.disk_free_limit {
        config.disk_free_limit = b;
    }
    if let Err(e) = config.validate() {
        eprintln!("warren-broker: configuration error: {e}");
        return ExitCode::from(2);
    }
    let filter = args
        .log_level
        .or(file_log_level)
        .unwrap_or_else(|| "info".into());
    let filter = match EnvFilter::try_new(&filter) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("warren-broker: invalid log level {filter:?}: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("warren-broker: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(run(config))
}

async fn run(config: BrokerConfig) -> ExitCode {
    // Handlers first: a signal that arrives once clients can connect must shut down cleanly.
    let mut signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let users = config.users.len();
    let vhosts = config.vhosts.len();
    let data_dir = match &config.data_dir {
        Some(d) => d.display().to_string(),
        None => "none (in memory)".into(),
    };
    let handle = match Broker::start(config).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %handle.local_addr(), users, vhosts, %data_dir, "ready");
    let signal = signals.next().await;
    tracing::info!("{signal} received: closing connections (320 CONNECTION_FORCED) and stopping");
    tokio::select! {
        () = handle.shutdown() => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        signal = signals.next() => {
            tracing::warn!("{signal} received again: exiting without waiting for connections");
            ExitCode::FAILURE
        }
    }
}

/// SIGINT (Ctrl-C) and SIGTERM.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Waits for the next signal; returns its name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
