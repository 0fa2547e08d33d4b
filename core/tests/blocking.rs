//! The blocking facade against a real broker (`WARREN_TEST_URI`, default local RabbitMQ).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use warren_core::client::blocking::Connection;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Confirmation, QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};

fn uri() -> String {
    std::env::var("WARREN_TEST_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn with_query(uri: &str, query: &str) -> String {
    if uri.contains('?') {
        format!("{uri}&{query}")
    } else {
        format!("{uri}?{query}")
    }
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "warren-blocking.{prefix}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The point of the facade: a handler that sleeps for three heartbeat intervals does not lose
/// its connection, and the ack it sends afterwards reaches the broker.
#[test]
fn busy_handler_keeps_connection_alive_and_acks() {
    let conn = Connection::connect(&with_query(&uri(), "heartbeat=1")).unwrap();
    assert_eq!(conn.tuning().heartbeat, 1);
    let ch = conn.open_channel().unwrap();
    let q = unique("busy");
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            auto_delete: false,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    ch.basic_publish(
        "",
        &q,
        BasicPublishOptions::default(),
        &b"slow job"[..],
        BasicProperties::default(),
    )
    .unwrap();
    ch.basic_qos(1, false).unwrap();
    let consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let handler = consumer
        .spawn_handler(move |d| {
            // Busy for three heartbeat intervals: no Warren call happens on this thread.
            std::thread::sleep(Duration::from_millis(3500));
            d.ack().unwrap();
            let _ = done_tx.send(d.body.clone());
        })
        .unwrap();
    let body = done_rx
        .recv_timeout(Duration::from_secs(15))
        .expect("handler finished");
    assert_eq!(&body[..], b"slow job");
    // Give the ack a moment to be written, then prove the connection survived and the ack
    // went through: a second channel sees an empty queue with one consumer.
    std::thread::sleep(Duration::from_millis(300));
    assert!(conn.is_open(), "connection died: {:?}", conn.close_reason());
    let ch2 = conn.open_channel().unwrap();
    let ok = ch2
        .queue_declare(
            &q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap();
    assert_eq!(ok.message_count, 0, "the ack did not reach the broker");
    assert_eq!(ok.consumer_count, 1);
    ch2.queue_delete(&q, false, false).unwrap();
    // Deleting the queue cancels the consumer; the handler thread ends with the broker's cancel.
    let ended = handler.join().unwrap();
    assert!(ended.is_err());
    conn.close().unwrap();
}

#[test]
fn handles_work_from_many_threads() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = Arc::new(conn.open_channel().unwrap());
    let q = unique("threads");
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    ch.confirm_select().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ch = ch.clone();
            let q = q.clone();
            std::thread::spawn(move || {
                for i in 0..250 {
                    let body = format!("{t}-{i}");
                    let c = ch
                        .basic_publish(
                            "",
                            &q,
                            BasicPublishOptions::default(),
                            body,
                            BasicProperties::default(),
                        )
                        .unwrap();
                    if i % 50 == 0 {
                        assert_eq!(c.wait().unwrap(), Confirmation::Ack);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(ch.wait_for_confirms().unwrap());
    let mut consumer = ch
        .basic_consume(
            &q,
            "",
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap();
    let mut got = 0;
    while got < 1000 {
        match consumer.next(Some(Duration::from_secs(5))).unwrap() {
            Some(_) => got += 1,
            None => panic!("only {got} of 1000 deliveries arrived"),
        }
    }
    // Pulling with a timeout returns None when nothing arrives.
    assert!(consumer
        .next(Some(Duration::from_millis(100)))
        .unwrap()
        .is_none());
    conn.close().unwrap();
}

#[test]
fn blocking_call_inside_async_runtime_is_an_error_not_a_panic() {
    let conn = Connection::connect(&uri()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt.block_on(async { conn.open_channel().unwrap_err() });
    assert!(
        matches!(err, warren_core::Error::InvalidState(_)),
        "{err:?}"
    );
    conn.close().unwrap();
}

#[test]
fn channel_error_is_reported_and_connection_survives() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let err = ch
        .queue_declare(
            &unique("missing"),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404));
    assert!(!ch.is_open());
    let ch2 = conn.open_channel().unwrap();
    ch2.queue_declare(
        "",
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    conn.close().unwrap();
}
