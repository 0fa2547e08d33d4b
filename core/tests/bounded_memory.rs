//! A consumer that does not keep up must not grow the client without bound: a no-ack
//! consumer that sleeps while 1,000,000 messages are sent to it keeps the process's resident
//! memory within a stated bound (the client stops reading its socket once the consumer's
//! buffer is full, and TCP holds the rest back at the broker), and then every message
//! arrives, in order.
//!
//! Alone in its test binary, since it measures the whole process's RSS. The broker is the
//! `warren-broker` binary in a separate process (see `recovery/support.rs`).

#![cfg(target_os = "linux")]

#[path = "recovery/support.rs"]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, QueueDeclareOptions,
};
use warren_core::FieldTable;

/// Messages sent to the sleeping consumer.
const MESSAGES: u64 = 1_000_000;
/// The bound on the client process's RSS growth while they wait behind it. Without the bound
/// on the consumer's buffer, the client would hold all of them: about 600 bytes each, 600 MB.
const RSS_BOUND: u64 = 64 * 1024 * 1024;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmRSS in /proc/self/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_consumer_keeps_the_client_bounded_and_gets_every_message() {
    let broker = support::BrokerProcess::start().await;
    let uri = broker.uri();
    let queue = support::unique("slow-consumer");
    let consumer_conn = Connection::connect(&uri).await.unwrap();
    let ch = consumer_conn.open_channel().await.unwrap();
    ch.queue_declare(
        &queue,
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    let mut consumer = ch
        .basic_consume(
            &queue,
            "",
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();

    let baseline = rss_bytes();
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = std::thread::spawn({
        let (peak, sampling) = (peak.clone(), sampling.clone());
        move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    });

    // The publisher, on its own connection in this process, sends everything while the
    // consumer sleeps.
    let t0 = Instant::now();
    let publisher = Connection::connect(&uri).await.unwrap();
    let pch = publisher.open_channel().await.unwrap();
    for i in 0..MESSAGES {
        pch.basic_publish(
            "",
            &queue,
            BasicPublishOptions::default(),
            i.to_be_bytes().to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    }
    // Everything is on its way once a synchronous request on the same channel is answered.
    pch.basic_qos(0, false).await.unwrap();
    let published = t0.elapsed();
    // Sleep on: the broker keeps pushing what it can; the client must stay bounded.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held_back = peak.load(Ordering::Relaxed).saturating_sub(baseline);

    // Now read everything, in order.
    let mut expected = 0u64;
    while expected < MESSAGES {
        let d = support::within("the next message", consumer.next_delivery())
            .await
            .expect("consumer open")
            .expect("delivery");
        let n = u64::from_be_bytes(d.body[..].try_into().unwrap());
        assert_eq!(n, expected, "messages out of order or missing");
        expected += 1;
    }
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    println!(
        "{MESSAGES} messages: published in {published:.1?}, all consumed after {:.1?}; client RSS growth {:.1} MiB while the consumer slept, {:.1} MiB at most overall (bound {} MiB)",
        t0.elapsed(),
        held_back as f64 / 1048576.0,
        growth as f64 / 1048576.0,
        RSS_BOUND / 1048576
    );
    assert!(
        growth < RSS_BOUND,
        "client RSS grew by {growth} bytes (bound {RSS_BOUND})"
    );
    publisher.close().await.unwrap();
    consumer_conn.close().await.unwrap();
}
