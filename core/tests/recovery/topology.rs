//! What recovery re-declares: the recorded topology, minus what the application deleted or
//! filtered out, with refusals reported and skipped.

use std::time::Duration;

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, Connection, ConnectionEvent, ConsumerEnd,
    ExchangeDeclareOptions, QueueDeclareOptions, RecordedEntity, TopologyFilter,
};
use warren_core::{Error, FieldTable, FieldValue};

use crate::support::*;

/// Whether `queue` exists, asked on a channel of its own (a 404 closes it).
async fn queue_exists(conn: &Connection, queue: &str) -> bool {
    let ch = conn.open_channel().await.unwrap();
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match ch.queue_declare(queue, passive, FieldTable::new()).await {
        Ok(_) => {
            ch.close().await.unwrap();
            true
        }
        Err(e) if e.reply_code() == Some(404) => false,
        Err(e) => panic!("passive declare of {queue}: {e}"),
    }
}

async fn exchange_exists(conn: &Connection, exchange: &str) -> bool {
    let ch = conn.open_channel().await.unwrap();
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match ch
        .exchange_declare(exchange, "direct", passive, FieldTable::new())
        .await
    {
        Ok(()) => {
            ch.close().await.unwrap();
            true
        }
        Err(e) if e.reply_code() == Some(404) => false,
        Err(e) => panic!("passive declare of {exchange}: {e}"),
    }
}

async fn get_body(ch: &Channel, queue: &str) -> Option<String> {
    within("basic.get", ch.basic_get(queue, true))
        .await
        .unwrap()
        .map(|d| String::from_utf8_lossy(&d.body).into_owned())
}

/// Exchanges, queues, queue and exchange-to-exchange bindings come back; what the application
/// deleted or unbound does not; a filtered-out queue is not recovered.
#[tokio::test]
async fn recorded_topology_comes_back_without_what_was_deleted_or_filtered() {
    let mut broker = BrokerProcess::start().await;
    let mut options = fast_recovery(&broker.uri());
    options.recovery.filter = Some(TopologyFilter::new(
        |e| !matches!(e, RecordedEntity::Queue(q) if q.name.contains("skip")),
    ));
    let conn = Connection::connect_with(options).await.unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let (src, dst, gone_x) = (unique("src"), unique("dst"), unique("gone-x"));
    let (q, gone_q, skip_q) = (unique("q"), unique("gone-q"), unique("skip-q"));
    let none = FieldTable::new;
    for (x, kind) in [(&src, "topic"), (&dst, "fanout"), (&gone_x, "direct")] {
        ch.exchange_declare(x, kind, ExchangeDeclareOptions::default(), none())
            .await
            .unwrap();
    }
    ch.exchange_bind(&dst, &src, "a.#", none()).await.unwrap();
    ch.exchange_bind(&dst, &src, "unbound.#", none())
        .await
        .unwrap();
    ch.exchange_unbind(&dst, &src, "unbound.#", none())
        .await
        .unwrap();
    for name in [&q, &gone_q, &skip_q] {
        ch.queue_declare(name, QueueDeclareOptions::default(), none())
            .await
            .unwrap();
    }
    ch.queue_bind(&q, &dst, "", none()).await.unwrap();
    ch.queue_bind(&gone_q, &src, "b.#", none()).await.unwrap();
    ch.queue_delete(&gone_q, false, false).await.unwrap();
    ch.exchange_delete(&gone_x, false).await.unwrap();

    broker.kill();
    broker.restart().await;
    recovered(&mut events).await;

    assert!(exchange_exists(&conn, &src).await);
    assert!(exchange_exists(&conn, &dst).await);
    assert!(queue_exists(&conn, &q).await);
    assert!(
        !exchange_exists(&conn, &gone_x).await,
        "deleted exchange recovered"
    );
    assert!(
        !queue_exists(&conn, &gone_q).await,
        "deleted queue recovered"
    );
    assert!(
        !queue_exists(&conn, &skip_q).await,
        "filtered queue recovered"
    );
    // Both bindings work: src -a.#-> dst -> q.
    for (key, body) in [("a.x", "routed"), ("unbound.x", "not routed")] {
        ch.basic_publish(
            &src,
            key,
            BasicPublishOptions::default(),
            body.as_bytes().to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    }
    let got = within("the routed message", async {
        loop {
            if let Some(b) = get_body(&ch, &q).await {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(got, "routed");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        get_body(&ch, &q).await,
        None,
        "the unbound binding came back"
    );
    conn.close().await.unwrap();
}

/// A declaration the broker now refuses is reported as a `TopologyRecoveryFailed` event and
/// skipped; the rest is recovered.
#[tokio::test]
async fn a_refused_declaration_is_reported_and_skipped() {
    let mut broker = BrokerProcess::start().await;
    let mut options = fast_recovery(&broker.uri());
    options.recovery.initial_delay = Duration::from_millis(1500);
    options.recovery.max_delay = Duration::from_millis(1500);
    options.recovery.jitter = false;
    let conn = Connection::connect_with(options).await.unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let (conflict, fine) = (unique("conflict"), unique("fine"));
    for name in [&conflict, &fine] {
        ch.queue_declare(name, QueueDeclareOptions::default(), FieldTable::new())
            .await
            .unwrap();
    }
    broker.kill();
    broker.restart().await;
    // Before the first client is back, someone declares the queue differently.
    let other = Connection::connect_with(fast_recovery(&broker.uri()).without_recovery())
        .await
        .unwrap();
    let och = other.open_channel().await.unwrap();
    let mut args = FieldTable::new();
    args.insert("x-max-length", FieldValue::LongInt(5)).unwrap();
    och.queue_declare(&conflict, QueueDeclareOptions::default(), args)
        .await
        .unwrap();
    let mut reported = None;
    loop {
        match within("recovery", events.recv()).await {
            Some(ConnectionEvent::TopologyRecoveryFailed { what, error }) => {
                reported = Some((what, error))
            }
            Some(ConnectionEvent::Recovered { .. }) => break,
            Some(_) => {}
            None => panic!("events ended"),
        }
    }
    let (what, error) = reported.expect("a TopologyRecoveryFailed event");
    assert!(what.contains(&conflict), "{what}");
    assert_eq!(error.reply_code(), Some(406), "{error}");
    assert!(queue_exists(&conn, &fine).await);
    // The application's channel is fine.
    ch.queue_declare(
        "",
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    other.close().await.unwrap();
    conn.close().await.unwrap();
}

/// An auto-delete queue whose last consumer the application cancelled is gone on the broker,
/// and recovery does not bring it back.
#[tokio::test]
async fn auto_delete_queue_is_forgotten_with_its_last_consumer() {
    let mut broker = BrokerProcess::start().await;
    let conn = Connection::connect_with(fast_recovery(&broker.uri()))
        .await
        .unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let q = unique("auto-delete");
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            auto_delete: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    let consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    consumer.cancel().await.unwrap();
    broker.kill();
    broker.restart().await;
    recovered(&mut events).await;
    assert!(!queue_exists(&conn, &q).await);
    conn.close().await.unwrap();
}

/// With topology recovery off, channels come back but consumers end (nothing would deliver to
/// them again) and nothing is re-declared.
#[tokio::test]
async fn topology_recovery_can_be_switched_off() {
    let mut broker = BrokerProcess::start().await;
    let mut options = fast_recovery(&broker.uri());
    options.recovery.topology = false;
    let conn = Connection::connect_with(options).await.unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let q = unique("no-topology");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    broker.kill();
    broker.restart().await;
    recovered(&mut events).await;
    match within("the consumer to end", consumer.recv()).await {
        Err(ConsumerEnd::ConnectionClosed(Error::ConnectionLost(_))) => {}
        other => panic!("expected the consumer to end, got {other:?}"),
    }
    assert!(!queue_exists(&conn, &q).await);
    assert!(ch.is_open(), "the channel itself is back");
    conn.close().await.unwrap();
}
