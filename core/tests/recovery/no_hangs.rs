//! No call waits forever: a publish stuck on back-pressure fails once the connection is gone
//! or its timeout passes, and `close()` gives up on a broker that does not read.

use std::time::{Duration, Instant};

use warren_core::client::{BasicPublishOptions, Channel, Connection, QueueDeclareOptions};
use warren_core::{Error, FieldTable};

use crate::support::*;

/// Publishes 64 KiB messages until one call waits (the broker blocks the connection and stops
/// reading, so the socket, the write queue and then the publish queue fill up). Returns the
/// still-waiting publish.
async fn publish_until_stuck(
    ch: &Channel,
    queue: &str,
) -> tokio::task::JoinHandle<warren_core::Result<warren_core::client::PublishConfirm>> {
    let body = vec![0u8; 64 * 1024];
    for _ in 0..100_000 {
        let ch2 = ch.clone();
        let (q, b) = (queue.to_string(), body.clone());
        let mut call = tokio::spawn(async move {
            ch2.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                b,
                Default::default(),
            )
            .await
        });
        if tokio::time::timeout(Duration::from_millis(200), &mut call)
            .await
            .is_err()
        {
            return call;
        }
    }
    panic!("publishing never blocked");
}

/// A broker whose memory alarm is always on: every publishing connection is blocked.
async fn blocking_broker() -> BrokerProcess {
    BrokerProcess::start_with(&["--memory-high-watermark", "0"]).await
}

async fn connect(
    uri: &str,
    f: impl FnOnce(&mut warren_core::client::ConnectionOptions),
) -> Connection {
    let mut options = fast_recovery(uri);
    options.limits.publish_queue = 8;
    f(&mut options);
    Connection::connect_with(options).await.unwrap()
}

/// A publish waiting on back-pressure fails promptly when the connection dies (recovery off).
#[tokio::test]
async fn a_waiting_publish_fails_when_the_connection_dies() {
    let mut broker = blocking_broker().await;
    let conn = connect(&broker.uri(), |o| o.recovery.enabled = false).await;
    let ch = conn.open_channel().await.unwrap();
    let q = unique("stuck");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let stuck = publish_until_stuck(&ch, &q).await;
    assert!(conn.is_blocked() || !stuck.is_finished());
    broker.kill();
    let t0 = Instant::now();
    match within("the stuck publish", stuck).await.unwrap() {
        Err(Error::Io(_)) => {}
        other => panic!("expected the connection's error, got {other:?}"),
    }
    assert!(t0.elapsed() < Duration::from_secs(5));
}

/// With `publish_timeout`, a publish held back while the broker blocks the connection fails
/// with `Timeout` (recovery on: the connection itself is fine).
#[tokio::test]
async fn publish_timeout_bounds_the_wait_while_blocked() {
    let broker = blocking_broker().await;
    let conn = connect(&broker.uri(), |o| {
        o.publish_timeout = Some(Duration::from_millis(500))
    })
    .await;
    let ch = conn.open_channel().await.unwrap();
    let q = unique("timeout");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let stuck = publish_until_stuck(&ch, &q).await;
    match within("the publish to time out", stuck).await.unwrap() {
        Err(Error::Timeout) => {}
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(conn.is_blocked(), "the broker announced connection.blocked");
    assert!(conn.is_open());
}

/// `close()` on a connection the broker does not read from gives up after `close_timeout`
/// and drops the socket.
#[tokio::test]
async fn close_gives_up_on_a_broker_that_does_not_read() {
    let broker = blocking_broker().await;
    let conn = connect(&broker.uri(), |o| o.close_timeout = Duration::from_secs(1)).await;
    let ch = conn.open_channel().await.unwrap();
    let q = unique("close");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let stuck = publish_until_stuck(&ch, &q).await;
    let t0 = Instant::now();
    within("close", conn.close()).await.unwrap();
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "close took {took:?}"
    );
    assert!(!conn.is_open());
    // The waiting publish is released too (queued before the close, or failed after it).
    within("the stuck publish", stuck).await.unwrap().ok();
}

/// A connection whose recovery cannot succeed fails every blocking call promptly once it
/// gives up: nothing waits on a dead connection.
#[test]
fn blocking_calls_fail_promptly_after_the_end() {
    use warren_core::client::blocking::{self, Next};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut broker = rt.block_on(BrokerProcess::start());
    let mut options = fast_recovery(&broker.uri());
    options.recovery.max_attempts = Some(2);
    let conn = blocking::Connection::connect_with(options).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("blocking-end");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .unwrap();
    let mut consumer = ch
        .basic_consume(&q, "", Default::default(), FieldTable::new())
        .unwrap();
    broker.kill();
    let t0 = Instant::now();
    match consumer.next(Some(Duration::from_secs(20))).unwrap() {
        Next::Ended(warren_core::client::ConsumerEnd::ConnectionClosed(_)) => {}
        other => panic!("expected the consumer to end, got {other:?}"),
    }
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(ch.queue_purge(&q).is_err());
    assert!(ch
        .basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            &b"x"[..],
            Default::default()
        )
        .is_err());
    assert!(conn.open_channel().is_err());
    assert!(conn.close().is_ok(), "closing a closed connection is fine");
    drop(rt);
}

/// In confirm mode the publish window is released by the broker's confirms, not by writing:
/// with `max_unconfirmed` 4 and the network cut (no confirms come back), the fifth publish
/// waits, and goes out once the first confirms arrive.
#[tokio::test]
async fn the_confirm_window_is_released_by_confirms() {
    let broker = BrokerProcess::start().await;
    let proxy = Proxy::start(broker.addr).await;
    let mut options = fast_recovery(&proxy.uri());
    options.limits.max_unconfirmed = 4;
    let conn = Connection::connect_with(options).await.unwrap();
    let ch = conn.open_channel().await.unwrap();
    let q = unique("window");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    ch.confirm_select().await.unwrap();
    proxy.cut();
    let mut confirms = Vec::new();
    for i in 0..4 {
        let c = within("a publish inside the window", async {
            ch.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                format!("{i}").into_bytes(),
                Default::default(),
            )
            .await
        })
        .await
        .unwrap();
        confirms.push(c);
    }
    let fifth = tokio::spawn({
        let (ch, q) = (ch.clone(), q.clone());
        async move {
            ch.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                &b"4"[..],
                Default::default(),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !fifth.is_finished(),
        "the fifth publish must wait for a confirm"
    );
    proxy.resume();
    let fifth = within("the fifth publish", fifth).await.unwrap().unwrap();
    for c in confirms {
        assert!(within("confirm", c).await.unwrap().is_ack());
    }
    assert!(within("the fifth confirm", fifth).await.unwrap().is_ack());
    conn.close().await.unwrap();
}
