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

/// Connects the warren-core client as guest.
pub async fn connect(broker: &BrokerHandle) -> Connection {
    Connection::connect(&broker.amqp_uri())
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
