//! The broker as a library: starts in-process on an ephemeral port, serves, shuts down cleanly.

mod support;

use std::time::{Duration, Instant};

use warren_core::client::{BasicPublishOptions, QueueDeclareOptions};
use warren_core::{BasicProperties, Error, FieldTable};

#[tokio::test]
async fn starts_serves_and_shuts_down_in_milliseconds() {
    let t0 = Instant::now();
    let broker = support::start().await;
    assert_ne!(broker.local_addr().port(), 0);
    let (conn, ch) = support::open(&broker).await;
    let q = ch
        .queue_declare(
            "",
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    assert!(q.queue.starts_with("amq.gen-"), "{}", q.queue);
    ch.basic_publish(
        "",
        &q.queue,
        BasicPublishOptions::default(),
        &b"x"[..],
        BasicProperties::default(),
    )
    .await
    .unwrap();
    let got = support::within("get", ch.basic_get(&q.queue, true))
        .await
        .unwrap()
        .expect("a message");
    assert_eq!(&got.body[..], b"x");
    let mut events = conn.events();
    support::within("shutdown", broker.shutdown()).await;
    // The client is told why: 320 CONNECTION_FORCED.
    let reason = support::within("close event", async {
        loop {
            if let Some(warren_core::client::ConnectionEvent::Closed(e)) = events.recv().await {
                return e;
            }
        }
    })
    .await;
    match reason {
        Some(Error::ConnectionClosed(e)) => assert_eq!(e.reply_code, 320),
        other => panic!("expected 320 CONNECTION_FORCED, got {other:?}"),
    }
    // Generous bound: this is about "milliseconds, not seconds", not a benchmark.
    assert!(t0.elapsed() < Duration::from_secs(5));
}
