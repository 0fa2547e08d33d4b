//! (d) A RabbitMQ cluster: three nodes on this machine (scripts/rabbitmq-cluster.sh), a
//! quorum queue, the client given all three URIs. The node the client is connected to is
//! stopped (`rabbitmqctl stop_app` through the script) while it publishes with confirms and
//! consumes: the client fails over to another node, its consumers resume, and every
//! confirmed message is consumed. Ignored by default; run with the cluster up:
//!
//! ```sh
//! ./scripts/rabbitmq-cluster.sh start
//! WARREN_CLUSTER_URIS="$(./scripts/rabbitmq-cluster.sh uris)" \
//!     cargo test -p warren-core --test recovery -- --ignored cluster
//! ./scripts/rabbitmq-cluster.sh stop
//! ```
//!
//! `WARREN_CLUSTER_CYCLES` (default 2) sets how many nodes are stopped in turn.

use std::process::Command;
use std::time::Duration;

use warren_core::client::ConnectionOptions;
use warren_core::{FieldTable, FieldValue};

use crate::support::*;

/// The cluster script's node number for an AMQP port (5681 is node 1).
fn node_of(port: u16) -> u16 {
    port - 5680
}

fn cluster_script(args: &[&str]) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/rabbitmq-cluster.sh"
    );
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .output()
        .expect("run scripts/rabbitmq-cluster.sh");
    assert!(
        out.status.success(),
        "rabbitmq-cluster.sh {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the three-node cluster of scripts/rabbitmq-cluster.sh and WARREN_CLUSTER_URIS"]
async fn cluster_failover_to_another_node() {
    let uris: Vec<String> = std::env::var("WARREN_CLUSTER_URIS")
        .expect("WARREN_CLUSTER_URIS: the cluster's URIs, space-separated")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(uris.len(), 3, "three cluster nodes");
    let cycles: usize = std::env::var("WARREN_CLUSTER_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut options = ConnectionOptions::from_uris(&uris).unwrap();
    let fast = fast_recovery(&uris[0]);
    options.recovery = fast.recovery;
    options.connection_timeout = fast.connection_timeout;
    let mut args = FieldTable::new();
    args.insert("x-queue-type", FieldValue::from("quorum"))
        .unwrap();
    let mut work = Workload::start(options, args, false).await;
    for cycle in 0..cycles {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        // Both of the workload's connections start on the first URI; recovery moves them on.
        let node = node_of(work.host_port());
        tokio::task::spawn_blocking(move || cluster_script(&["stop-node", &node.to_string()]))
            .await
            .unwrap();
        work.await_recovery(&format!("cluster cycle {cycle}: stopped node {node}"))
            .await;
        assert_ne!(
            node_of(work.host_port()),
            node,
            "failed over to another node"
        );
        tokio::task::spawn_blocking(move || cluster_script(&["start-node", &node.to_string()]))
            .await
            .unwrap();
    }
    let summary = work.finish().await;
    println!("cluster failover x{cycles}: {summary}");
    assert!(summary.recoveries >= cycles as u64);
}
