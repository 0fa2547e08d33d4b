//! Message log unit tests without a socket: publish, sync, read back, recover after a clean
//! shutdown, after a crash, and past a torn tail.

use std::time::Duration;

use bytes::Bytes;
use warren_core::codec::BasicProperties;

use super::*;

fn s(x: &str) -> ShortString {
    ShortString::try_from(x.to_string()).unwrap()
}

fn message(body: &str, priority: u8) -> Message {
    Message {
        exchange: s("ex"),
        routing_key: s("rk"),
        properties: BasicProperties {
            delivery_mode: Some(2),
            priority: Some(priority),
            ..Default::default()
        },
        body: Bytes::copy_from_slice(body.as_bytes()),
    }
}

/// Waits (bounded) until the log reports `batch` synced.
fn wait_synced(store: &MessageStore, batch: u64) {
    let rx = store.synced();
    let t0 = std::time::Instant::now();
    while *rx.borrow() < batch {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "batch {batch} never synced"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn key(vhost: &str, queue: &str) -> (String, String) {
    (vhost.into(), queue.into())
}

#[test]
fn published_messages_are_synced_read_back_and_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recovered) = MessageStore::open(dir.path()).unwrap();
    assert!(recovered.is_empty());
    let q = s("q");
    let (a, _) = store.publish("/", &q, &message("a", 1));
    let (b, batch) = store.publish("/", &q, &message("b", 7));
    let (gone, _) = store.publish("/", &q, &message("gone", 0));
    store.ack([gone]);
    store.delivered([a.id]);
    wait_synced(&store, batch);
    let back = store.read(&[b, a]).unwrap();
    assert_eq!(back[0].body, Bytes::from_static(b"b"));
    assert_eq!(back[1].body, Bytes::from_static(b"a"));
    assert_eq!(back[0].properties.priority, Some(7));
    assert_eq!(back[0].routing_key, s("rk"));
    store.close();
    drop(store);

    let (store, recovered) = MessageStore::open(dir.path()).unwrap();
    let got = &recovered[&key("/", "q")];
    let summary: Vec<(u64, bool, u8, u32)> = got
        .iter()
        .map(|m| (m.persist.id, m.redelivered, m.priority, m.body_len))
        .collect();
    // In publish order; the acknowledged one is gone; after a clean shutdown only the one
    // delivered before is redelivered.
    assert_eq!(summary, [(a.id, true, 1, 1), (b.id, false, 7, 1)]);
    let bodies = store.read(&[got[0].persist, got[1].persist]).unwrap();
    assert_eq!(bodies[1].body, Bytes::from_static(b"b"));
    store.close();
}

#[test]
fn after_a_crash_every_recovered_message_is_redelivered() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = MessageStore::open(dir.path()).unwrap();
    let (_, batch) = store.publish("v", &s("q"), &message("m", 0));
    wait_synced(&store, batch);
    store.close();
    drop(store);
    // No clean-shutdown marker: as if the process had died.
    std::fs::remove_file(dir.path().join(CLEAN_MARKER)).unwrap();
    let (store, recovered) = MessageStore::open(dir.path()).unwrap();
    assert!(recovered[&key("v", "q")].iter().all(|m| m.redelivered));
    store.close();
}

#[test]
fn a_torn_tail_loses_only_the_torn_record() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = MessageStore::open(dir.path()).unwrap();
    let q = s("q");
    store.publish("/", &q, &message("kept", 0));
    let (_, batch) = store.publish("/", &q, &message("torn", 0));
    wait_synced(&store, batch);
    store.close();
    drop(store);
    let seg = seg_path(dir.path(), 1);
    let len = std::fs::metadata(&seg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let (store, recovered) = MessageStore::open(dir.path()).unwrap();
    let got = &recovered[&key("/", "q")];
    assert_eq!(got.len(), 1);
    let back = store.read(&[got[0].persist]).unwrap();
    assert_eq!(back[0].body, Bytes::from_static(b"kept"));
    store.close();
}

#[test]
fn a_deleted_queue_leaves_nothing_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = MessageStore::open(dir.path()).unwrap();
    let (r, _) = store.publish("/", &s("q"), &message("m", 0));
    let (_, batch) = store.publish("/", &s("other"), &message("n", 0));
    store.queue_deleted("/", &s("q"), vec![r]);
    wait_synced(&store, batch);
    store.close();
    drop(store);
    let (store, recovered) = MessageStore::open(dir.path()).unwrap();
    assert!(!recovered.contains_key(&key("/", "q")));
    assert_eq!(recovered[&key("/", "other")].len(), 1);
    store.close();
}

#[test]
fn the_synced_batch_only_moves_forward_and_covers_every_publish_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = MessageStore::open(dir.path()).unwrap();
    let rx = store.synced();
    let mut last = 0;
    for i in 0..20 {
        let (_, batch) = store.publish("/", &s("q"), &message(&format!("m{i}"), 0));
        assert!(batch >= last, "batches are handed out in order");
        last = batch;
    }
    wait_synced(&store, last);
    assert!(*rx.borrow() >= last);
    store.close();
}
