//! (b) Recovery against RabbitMQ itself: `rabbitmqctl stop_app` / `start_app` (every client
//! gets 320 CONNECTION_FORCED, then the port refuses until the app is back) and
//! `rabbitmqctl close_connection`. Ignored by default: they restart the local RabbitMQ with
//! root's `rabbitmqctl`; scripts/test.sh runs them (`--ignored`) against the RabbitMQ it
//! started. `WARREN_RABBITMQ_URI` names the broker (default guest on 127.0.0.1:5672).

use std::process::Command;
use std::time::Duration;

use warren_core::client::{Connection, ConnectionEvent};
use warren_core::{Error, FieldTable};

use crate::support::*;

fn rabbitmq_uri() -> String {
    std::env::var("WARREN_RABBITMQ_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// The tests here share the one local RabbitMQ and restart it: they take this lock so that
/// cargo's parallel test threads never run a `stop_app` under another test.
static RABBITMQ: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `rabbitmqctl` with `args`, failing the test if it fails.
fn rabbitmqctl(args: &[&str]) -> String {
    let out = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("run rabbitmqctl (is RabbitMQ installed?)");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "restarts the local RabbitMQ with rabbitmqctl; run by scripts/test.sh"]
async fn rabbitmq_stop_app_and_start_app() {
    let _only_us = RABBITMQ.lock().await;
    let mut work = Workload::start(fast_recovery(&rabbitmq_uri()), FieldTable::new(), true).await;
    for cycle in 0..2 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        tokio::task::spawn_blocking(|| {
            rabbitmqctl(&["stop_app"]);
            std::thread::sleep(Duration::from_millis(500));
            rabbitmqctl(&["start_app"]);
            rabbitmqctl(&["await_startup"]);
        })
        .await
        .unwrap();
        work.await_recovery(&format!("stop_app/start_app cycle {cycle}"))
            .await;
    }
    let summary = work.finish().await;
    println!("RabbitMQ stop_app/start_app x2: {summary}");
    assert_eq!(summary.recoveries, 2);
}

#[tokio::test]
#[ignore = "closes connections with rabbitmqctl; run by scripts/test.sh"]
async fn rabbitmq_close_connection_is_recovered() {
    let _only_us = RABBITMQ.lock().await;
    let name = unique("close-me");
    let uri = format!("{}?connection_name={name}", rabbitmq_uri());
    let conn = Connection::connect_with(fast_recovery(&uri)).await.unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let q = ch
        .queue_declare(
            "",
            warren_core::client::QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap()
        .queue;
    let mut consumer = ch
        .basic_consume(&q, "", Default::default(), FieldTable::new())
        .await
        .unwrap();
    // Found by the connection_name in its client properties.
    let pid = within("RabbitMQ to list the connection", async {
        loop {
            let name = name.clone();
            let listing = tokio::task::spawn_blocking(|| {
                rabbitmqctl(&[
                    "list_connections",
                    "-q",
                    "--no-table-headers",
                    "pid",
                    "client_properties",
                ])
            })
            .await
            .unwrap();
            if let Some(line) = listing.lines().find(|l| l.contains(&name)) {
                return line.split_whitespace().next().unwrap().to_string();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    tokio::task::spawn_blocking(move || {
        rabbitmqctl(&["close_connection", &pid, "closed by the recovery test"])
    })
    .await
    .unwrap();
    match wait_for_event(&mut events, "ConnectionLost", |e| {
        matches!(e, ConnectionEvent::ConnectionLost(_))
    })
    .await
    {
        ConnectionEvent::ConnectionLost(Error::ConnectionClosed(e)) => {
            assert_eq!(e.reply_code, 320, "{e}");
            assert!(e.reply_text.contains("closed by the recovery test"), "{e}");
        }
        other => panic!("expected 320 CONNECTION_FORCED, got {other:?}"),
    }
    let renamed = wait_for_event(&mut events, "QueueRenamed", |e| {
        matches!(e, ConnectionEvent::QueueRenamed { .. })
    })
    .await;
    let ConnectionEvent::QueueRenamed { new, .. } = renamed else {
        unreachable!()
    };
    recovered(&mut events).await;
    ch.basic_publish(
        "",
        &new,
        Default::default(),
        &b"after close_connection"[..],
        Default::default(),
    )
    .await
    .unwrap();
    let d = within(
        "a delivery on the recovered queue",
        consumer.next_delivery(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(&d.body[..], b"after close_connection");
    d.ack().unwrap();
    conn.close().await.unwrap();
}
