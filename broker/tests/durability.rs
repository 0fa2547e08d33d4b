//! Persistent messages on disk: restart keeps the persistent messages of durable queues in
//! order (transient ones are dropped), unacknowledged ones come back `redelivered`, confirms
//! and `tx.commit-ok` follow the fsync, a torn or corrupted tail is skipped, and fully
//! acknowledged segments are reclaimed. In-process brokers on a temporary data directory,
//! restarted in the test.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use bytes::Bytes;
use warren_broker::{BrokerConfig, BrokerHandle};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, Confirmation, QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};

use support::within;

async fn start(dir: &Path) -> BrokerHandle {
    support::start_with(BrokerConfig::ephemeral().with_data_dir(dir)).await
}

fn persistent() -> BasicProperties {
    BasicProperties {
        delivery_mode: Some(2),
        ..Default::default()
    }
}

async fn declare(ch: &Channel, name: &str, durable: bool) {
    let options = QueueDeclareOptions {
        durable,
        ..Default::default()
    };
    within(
        "queue.declare",
        ch.queue_declare(name, options, FieldTable::new()),
    )
    .await
    .expect("queue.declare");
}

async fn publish(ch: &Channel, queue: &str, body: &str, props: BasicProperties) {
    let confirm = within(
        "basic.publish",
        ch.basic_publish(
            "",
            queue,
            BasicPublishOptions::default(),
            Bytes::copy_from_slice(body.as_bytes()),
            props,
        ),
    )
    .await
    .expect("basic.publish");
    assert_eq!(
        within("confirm", confirm).await.expect("confirm"),
        Confirmation::Ack
    );
}

async fn confirming(broker: &BrokerHandle) -> (warren_core::client::Connection, Channel) {
    let (conn, ch) = support::open(broker).await;
    within("confirm.select", ch.confirm_select())
        .await
        .expect("confirm.select");
    (conn, ch)
}

/// Every ready message: (body, redelivered), auto-acked.
async fn drain(ch: &Channel, queue: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    while let Some(d) = within("basic.get", ch.basic_get(queue, true))
        .await
        .expect("basic.get")
    {
        out.push((String::from_utf8_lossy(&d.body).into_owned(), d.redelivered));
    }
    out
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("messages"))
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "seg"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_persistent_messages_in_order_and_drops_transient() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (conn, ch) = confirming(&broker).await;
    declare(&ch, "durable.q", true).await;
    declare(&ch, "transient.q", false).await;
    for i in 0..100 {
        let props = if i % 3 == 0 {
            BasicProperties::default()
        } else {
            persistent()
        };
        publish(&ch, "durable.q", &format!("m{i}"), props).await;
        publish(&ch, "transient.q", &format!("t{i}"), persistent()).await;
    }
    conn.close().await.ok();
    broker.shutdown().await;

    let broker = start(dir.path()).await;
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, "durable.q", true).await;
    let got = drain(&ch, "durable.q").await;
    let want: Vec<(String, bool)> = (0..100)
        .filter(|i| i % 3 != 0)
        .map(|i| (format!("m{i}"), false))
        .collect();
    assert_eq!(got, want);
    declare(&ch, "transient.q", false).await;
    assert!(drain(&ch, "transient.q").await.is_empty());
    broker.shutdown().await;

    // Drained (auto-acked) before this restart: nothing comes back.
    let broker = start(dir.path()).await;
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, "durable.q", true).await;
    assert!(drain(&ch, "durable.q").await.is_empty());
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_before_restart_come_back_redelivered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (conn, ch) = confirming(&broker).await;
    declare(&ch, "work", true).await;
    for i in 0..10 {
        publish(&ch, "work", &format!("m{i}"), persistent()).await;
    }
    // A consumer takes four with acks and acknowledges the second only.
    let (conn2, ch2) = support::open(&broker).await;
    within("qos", ch2.basic_qos(4, false)).await.unwrap();
    let mut consumer = within(
        "basic.consume",
        ch2.basic_consume(
            "work",
            "",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        let d = within("delivery", consumer.next_delivery())
            .await
            .unwrap()
            .unwrap();
        got.push(d);
    }
    got[1].ack().unwrap();
    // The ack frees credit: a fifth delivery shows the broker applied it.
    let fifth = within("delivery", consumer.next_delivery())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&fifth.body[..], b"m4");
    // A crash: the log is what was written; the channel's requeue is not logged.
    drop(consumer);
    conn2.close().await.ok();
    conn.close().await.ok();
    broker.shutdown().await;

    let broker = start(dir.path()).await;
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, "work", true).await;
    let got = drain(&ch, "work").await;
    let want: Vec<(String, bool)> = [0, 2, 3, 4, 5, 6, 7, 8, 9]
        .iter()
        .map(|&i| (format!("m{i}"), i <= 4))
        .collect();
    assert_eq!(got, want);
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_comes_after_the_message_is_synced() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (_conn, ch) = confirming(&broker).await;
    declare(&ch, "synced", true).await;
    for i in 0..20 {
        let body = format!("needle-{i}-{}", std::process::id());
        let before = warren_broker::storage::FSYNCS.load(Ordering::SeqCst);
        publish(&ch, "synced", &body, persistent()).await;
        assert!(
            warren_broker::storage::FSYNCS.load(Ordering::SeqCst) > before,
            "confirmed before any fsync"
        );
        // Confirmed: the record is in a segment file (written before the fsync).
        let on_disk = segments(dir.path()).iter().any(|p| {
            let data = std::fs::read(p).unwrap_or_default();
            data.windows(body.len()).any(|w| w == body.as_bytes())
        });
        assert!(on_disk, "confirmed message {i} is not in the log");
    }
    // Records are packed: 20 small publishes take a few kilobytes, no holes.
    let size: u64 = segments(dir.path())
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(size < 20 * 200, "log of {size} bytes for 20 small messages");
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tx_commit_ok_comes_after_the_messages_are_synced() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, "tx-synced", true).await;
    // The log lets each batch gather for a while before writing it: a commit-ok sent before
    // the sync would arrive long before the records reach the segment file.
    broker
        .state()
        .message_store
        .as_ref()
        .expect("a message log in the data directory")
        .set_group_commit(std::time::Duration::from_millis(300));
    within("tx.select", ch.tx_select())
        .await
        .expect("tx.select");
    let bodies: Vec<String> = (0..3)
        .map(|i| format!("tx-needle-{i}-{}", std::process::id()))
        .collect();
    for body in &bodies {
        within(
            "basic.publish",
            ch.basic_publish(
                "",
                "tx-synced",
                BasicPublishOptions::default(),
                Bytes::copy_from_slice(body.as_bytes()),
                persistent(),
            ),
        )
        .await
        .expect("basic.publish");
    }
    let before = warren_broker::storage::FSYNCS.load(Ordering::SeqCst);
    within("tx.commit", ch.tx_commit())
        .await
        .expect("tx.commit");
    assert!(
        warren_broker::storage::FSYNCS.load(Ordering::SeqCst) > before,
        "commit-ok before any fsync"
    );
    let log: Vec<u8> = segments(dir.path())
        .iter()
        .flat_map(|p| std::fs::read(p).unwrap_or_default())
        .collect();
    for body in &bodies {
        assert!(
            log.windows(body.len()).any(|w| w == body.as_bytes()),
            "commit-ok came before {body} was in the log"
        );
    }
    broker.shutdown().await;
}

async fn fill_and_stop(dir: &Path, n: usize) {
    let broker = start(dir).await;
    let (conn, ch) = confirming(&broker).await;
    declare(&ch, "torn", true).await;
    for i in 0..n {
        publish(&ch, "torn", &format!("message-{i:04}"), persistent()).await;
    }
    conn.close().await.ok();
    broker.shutdown().await;
}

async fn recovered(dir: &Path) -> Vec<String> {
    let broker = start(dir).await;
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, "torn", true).await;
    let got = drain(&ch, "torn")
        .await
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    broker.shutdown().await;
    got
}

fn expected(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("message-{i:04}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_tail_is_skipped_and_the_rest_recovered() {
    let dir = tempfile::tempdir().unwrap();
    fill_and_stop(dir.path(), 20).await;
    let last = segments(dir.path()).pop().expect("a segment");
    let len = std::fs::metadata(&last).unwrap().len();
    // A short write: the last record loses its last 5 bytes.
    let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(len - 5).unwrap();
    drop(f);
    assert_eq!(recovered(dir.path()).await, expected(19));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_record_is_skipped_never_delivered_wrong() {
    let dir = tempfile::tempdir().unwrap();
    fill_and_stop(dir.path(), 20).await;
    let last = segments(dir.path()).pop().expect("a segment");
    let mut data = std::fs::read(&last).unwrap();
    let at = data.len() - 3; // inside the last body
    data[at] ^= 0x20;
    std::fs::write(&last, &data).unwrap();
    assert_eq!(recovered(dir.path()).await, expected(19));

    // Garbage appended after valid records (a torn header) is skipped too.
    let dir = tempfile::tempdir().unwrap();
    fill_and_stop(dir.path(), 5).await;
    let last = segments(dir.path()).pop().expect("a segment");
    let mut data = std::fs::read(&last).unwrap();
    data.extend_from_slice(&[0xff, 0xff, 0x00]);
    std::fs::write(&last, &data).unwrap();
    assert_eq!(recovered(dir.path()).await, expected(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acked_segments_are_reclaimed_under_steady_traffic() {
    // Small segments so that the steady state spans many of them.
    warren_broker::storage::SEGMENT_BYTES.store(16 * 1024, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (_conn, ch) = confirming(&broker).await;
    declare(&ch, "steady", true).await;
    let (_conn2, ch2) = support::open(&broker).await;
    let body = "x".repeat(200);
    let mut max_segments = 0;
    for round in 0..40 {
        for _ in 0..50 {
            publish(&ch, "steady", &body, persistent()).await;
        }
        for _ in 0..50 {
            let d = within("basic.get", ch2.basic_get("steady", false))
                .await
                .unwrap()
                .expect("a message");
            d.ack().unwrap();
        }
        // Let the acks be logged and the writer reclaim.
        within("qos", ch2.basic_qos(0, false)).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if round > 0 {
            max_segments = max_segments.max(segments(dir.path()).len());
        }
    }
    // 40 rounds wrote about 40 * 50 * 230 B = 460 KB: ~28 segments without reclamation.
    assert!(max_segments <= 4, "segments on disk: {max_segments}");
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_recovered_messages_are_redelivered() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (conn, ch) = confirming(&broker).await;
    declare(&ch, "crashed", true).await;
    for i in 0..3 {
        publish(&ch, "crashed", &format!("m{i}"), persistent()).await;
    }
    conn.close().await.ok();
    broker.shutdown().await;
    // As a crash leaves the log: without the clean-shutdown marker, a delivery whose
    // DELIVERED record was not synced cannot come back as a first delivery.
    std::fs::remove_file(dir.path().join("messages").join("clean-shutdown")).expect("marker");
    let restarted = start(dir.path()).await;
    let (_conn2, ch2) = support::open(&restarted).await;
    declare(&ch2, "crashed", true).await;
    let want: Vec<(String, bool)> = (0..3).map(|i| (format!("m{i}"), true)).collect();
    assert_eq!(drain(&ch2, "crashed").await, want);
    restarted.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_queue_keeps_bodies_on_disk_and_delivers_them_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start(dir.path()).await;
    let (conn, ch) = confirming(&broker).await;
    declare(&ch, "deep", true).await;
    let n: i32 = 6000; // well beyond the 2048 messages kept in memory at the head
    let props = |i: i32| {
        if i % 7 == 0 {
            BasicProperties::default()
        } else {
            persistent()
        }
    };
    let mut confirms = Vec::new();
    for i in 0..n {
        let c = ch
            .basic_publish(
                "",
                "deep",
                BasicPublishOptions::default(),
                Bytes::from(format!("deep-{i}")),
                props(i),
            )
            .await
            .expect("basic.publish");
        confirms.push(c);
    }
    for c in confirms {
        assert_eq!(within("confirm", c).await.unwrap(), Confirmation::Ack);
    }
    // Half drained now (paged bodies read back, transient ones kept aside in order)...
    let mut got = Vec::new();
    for _ in 0..n / 2 {
        let d = within("basic.get", ch.basic_get("deep", true))
            .await
            .unwrap()
            .expect("a message");
        got.push(String::from_utf8_lossy(&d.body).into_owned());
    }
    let want: Vec<String> = (0..n / 2).map(|i| format!("deep-{i}")).collect();
    assert_eq!(got, want);
    conn.close().await.ok();
    broker.shutdown().await;
    // ...the rest after a restart: the persistent ones, in order.
    let broker = start(dir.path()).await;
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, "deep", true).await;
    let got: Vec<String> = drain(&ch, "deep")
        .await
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    let want: Vec<String> = (n / 2..n)
        .filter(|i| i % 7 != 0)
        .map(|i| format!("deep-{i}"))
        .collect();
    assert_eq!(got, want);
    broker.shutdown().await;
}
