//! A consumer that stops reading: the backlog stays in the queue (bounded buffering per
//! consumer connection), other consumers of the queue get what it cannot take, and every
//! message still arrives once it reads again.
//!
//! Runs against the in-process broker, and against the broker named by `WARREN_RAW_ORACLE`
//! (e.g. `127.0.0.1:5672`) when it is set, with the same assertions — RabbitMQ limits the
//! deliveries it has handed to a channel but not yet written to the socket the same way.

mod raw_support;
mod support;

use std::time::{Duration, Instant};

use raw_support::*;
use warren_core::client::{BasicPublishOptions, Connection, QueueDeclareOptions};
use warren_core::codec::{self, Frame, Method};
use warren_core::{BasicProperties, FieldTable};

const MESSAGES: u32 = 20_000;
const SIZE: usize = 4096;

/// A raw-socket connection that declares `queue`, consumes from it with no-ack, and then
/// reads nothing until the test says so.
async fn stalled_consumer(t: &Target, queue: &str) -> Raw {
    let mut raw = Raw::open(t).await;
    raw.open_channel(1).await;
    raw.send_method(
        1,
        codec::QueueDeclare {
            queue: queue.try_into().unwrap(),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(
        raw.recv_method().await,
        (1, Method::QueueDeclareOk(_))
    ));
    raw.send_method(
        1,
        codec::BasicConsume {
            queue: queue.try_into().unwrap(),
            no_ack: true,
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(
        raw.recv_method().await,
        (1, Method::BasicConsumeOk(_))
    ));
    raw
}

/// Puts `ch` in confirm mode, publishes [`MESSAGES`] bodies of [`SIZE`] bytes to `queue` and
/// waits until the broker has confirmed every one.
async fn publish_confirmed(ch: &warren_core::client::Channel, queue: &str) {
    ch.confirm_select().await.unwrap();
    let body = bytes::Bytes::from(vec![b'x'; SIZE]);
    let mut confirms = Vec::new();
    for _ in 0..MESSAGES {
        confirms.push(
            ch.basic_publish(
                "",
                queue,
                BasicPublishOptions::default(),
                body.clone(),
                BasicProperties::default(),
            )
            .await
            .unwrap(),
        );
    }
    for c in confirms {
        assert!(c.await.unwrap().is_ack());
    }
}

async fn stalled_no_ack_consumer(t: Target) {
    let queue = format!("slow-consumer-{}", std::process::id());
    // The consumer: raw socket, no-ack, and then it reads nothing.
    let mut raw = stalled_consumer(&t, &queue).await;

    // A publisher fills the queue, with confirms so every message is in.
    let conn = Connection::connect(&t.uri()).await.unwrap();
    let ch = conn.open_channel().await.unwrap();
    publish_confirmed(&ch, &queue).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let ready = ch
        .queue_declare(&queue, passive, FieldTable::new())
        .await
        .unwrap()
        .message_count;
    // At most a few thousand deliveries are buffered for the stalled consumer (kernel socket
    // buffers, the connection's output, the unsent limit); the rest wait in the queue.
    assert!(
        ready > MESSAGES / 4,
        "{}: only {ready} of {MESSAGES} still in the queue: the broker buffered the rest for a consumer that does not read",
        t.name
    );

    // The consumer reads again: every message arrives, in order of publication.
    let until = Instant::now() + Duration::from_secs(60);
    let mut delivered = 0u32;
    while delivered < MESSAGES {
        assert!(
            Instant::now() < until,
            "{}: {delivered} of {MESSAGES} delivered",
            t.name
        );
        match raw.recv(Duration::from_secs(10)).await {
            Event::Frame(Frame::Method(1, Method::BasicDeliver(_))) => delivered += 1,
            Event::Frame(_) => {}
            other => panic!("{}: {other:?} after {delivered} deliveries", t.name),
        }
    }
    let empty = ch
        .queue_declare(&queue, passive, FieldTable::new())
        .await
        .unwrap()
        .message_count;
    assert_eq!(empty, 0, "{}", t.name);
    ch.queue_delete(&queue, false, false).await.unwrap();
    conn.close().await.unwrap();
}

/// Two no-ack consumers on one queue, one of which stops reading: the other gets the
/// messages the stalled one cannot take, instead of every second message waiting behind a
/// socket nobody reads.
async fn stalled_consumer_does_not_starve_its_sibling(t: Target) {
    let queue = format!("slow-sibling-{}", std::process::id());
    let raw = stalled_consumer(&t, &queue).await;

    // The sibling reads everything it is given.
    let conn = Connection::connect(&t.uri()).await.unwrap();
    let cch = conn.open_channel().await.unwrap();
    let mut consumer = cch
        .basic_consume(
            &queue,
            "",
            warren_core::client::BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = received.clone();
    let reader = tokio::spawn(async move {
        while let Some(Ok(_)) = consumer.next_delivery().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });

    let pch = conn.open_channel().await.unwrap();
    publish_confirmed(&pch, &queue).await;
    // Everything the stalled consumer was not given reaches the sibling.
    let until = Instant::now() + Duration::from_secs(20);
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    loop {
        let ready = pch
            .queue_declare(&queue, passive, FieldTable::new())
            .await
            .unwrap()
            .message_count;
        if ready == 0 || Instant::now() > until {
            assert_eq!(ready, 0, "{}: messages left in the queue", t.name);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        got > MESSAGES * 3 / 5,
        "{}: the reading consumer got only {got} of {MESSAGES}",
        t.name
    );
    reader.abort();
    pch.queue_delete(&queue, false, false).await.unwrap();
    conn.close().await.unwrap();
    drop(raw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_consumer_does_not_starve_its_sibling_warren() {
    let (t, _broker) = warren_target(warren_config()).await;
    stalled_consumer_does_not_starve_its_sibling(t).await;
    assert_no_broker_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_consumer_does_not_starve_its_sibling_rabbitmq() {
    if let Some(t) = oracle_target() {
        stalled_consumer_does_not_starve_its_sibling(t).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_no_ack_consumer_leaves_the_backlog_in_the_queue_warren() {
    let (t, _broker) = warren_target(warren_config()).await;
    stalled_no_ack_consumer(t).await;
    assert_no_broker_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_no_ack_consumer_leaves_the_backlog_in_the_queue_rabbitmq() {
    if let Some(t) = oracle_target() {
        stalled_no_ack_consumer(t).await;
    }
}
