//! `warren-broker`: runs the reference broker until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use warren_broker::config::{BrokerConfig, ConfigFile};
use warren_broker::Broker;

/// Warren's reference AMQP 0-9-1 broker.
#[derive(Debug, Parser)]
#[command(name = "warren-broker", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "WARREN_LISTEN")]
    listen: Option<SocketAddr>,
    /// TOML configuration file (users, vhosts, limits).
    #[arg(long, env = "WARREN_CONFIG")]
    config: Option<PathBuf>,
    /// Log level or filter (error, warn, info, debug, trace).
    #[arg(long, env = "WARREN_LOG", default_value = "info")]
    log_level: String,
}

fn main() {
    let args = Args::parse();
    let mut config = BrokerConfig::default();
    let mut log_level = args.log_level.clone();
    if let Some(path) = &args.config {
        match ConfigFile::load(path) {
            Ok(file) => {
                if let Some(level) = &file.log_level {
                    if std::env::var_os("WARREN_LOG").is_none() && args.log_level == "info" {
                        log_level = level.clone();
                    }
                }
                file.apply(&mut config);
            }
            Err(e) => {
                eprintln!("warren-broker: {e}");
                std::process::exit(2);
            }
        }
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&log_level).unwrap_or_else(|_| "info".into()),
        )
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("warren-broker: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    let result: std::io::Result<()> = rt.block_on(async move {
        let handle = Broker::start(config).await?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        handle.shutdown().await;
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("warren-broker: {e}");
        std::process::exit(1);
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
