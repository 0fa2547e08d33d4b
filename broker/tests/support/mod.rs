//! Shared by the broker's integration tests: an in-process broker on an ephemeral port, and a
//! connected warren-core client.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use warren_broker::{Broker, BrokerConfig, BrokerHandle};
use warren_core::client::{Channel, Connection};

/// Starts a broker with default settings (guest/guest on `/`) on 127.0.0.1:0.
pub async fn start() -> BrokerHandle {
    start_with(BrokerConfig::ephemeral()).await
}

/// Starts a broker with `config` (its `listen` should be an ephemeral loopback port).
pub async fn start_with(config: BrokerConfig) -> BrokerHandle {
    Broker::start(config)
        .await
        .expect("start in-process broker")
}

/// Connects the warren-core client as guest, without automatic recovery: these tests watch
/// what the broker does to a connection, and a client that reconnects would hide it.
pub async fn connect(broker: &BrokerHandle) -> Connection {
    let options = warren_core::client::ConnectionOptions::from_uri(&broker.amqp_uri())
        .expect("valid URI")
        .without_recovery();
    Connection::connect_with(options)
        .await
        .expect("connect to in-process broker")
}

/// Connects and opens a channel.
pub async fn open(broker: &BrokerHandle) -> (Connection, Channel) {
    let conn = connect(broker).await;
    let ch = conn.open_channel().await.expect("open channel");
    (conn, ch)
}

/// A name unique within the test process.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}.{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Awaits `fut`, failing the test after 10 s instead of hanging.
pub async fn within<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(10), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// The marker of [`oracle_skipped`]'s line; `scripts/test.sh` fails its RabbitMQ run if it
/// finds one (an oracle variable it forgot to set).
pub const ORACLE_SKIPPED: &str = "RabbitMQ variants skipped";

/// Reports that a test's RabbitMQ variant did not run because `var` is not set (it then
/// passes without checking anything): once per variable and test binary, on the process's
/// stderr itself, which the test harness does not capture as it captures `eprintln!`.
pub fn oracle_skipped(var: &str, example: &str) {
    use std::io::Write;
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|v| v == var) {
        return;
    }
    said.push(var.to_string());
    let binary = std::env::args()
        .next()
        .and_then(|path| {
            let stem = std::path::Path::new(&path)
                .file_stem()?
                .to_str()?
                .to_string();
            // target/debug/deps/<test>-<hash>
            Some(
                stem.rsplit_once('-')
                    .map_or(stem.clone(), |(name, _)| name.to_string()),
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        std::io::stderr(),
        "note: {binary}: {ORACLE_SKIPPED} ({var} is not set; e.g. {var}={example})"
    );
}
