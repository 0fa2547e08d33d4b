//! The basics: connecting, channels and their numbers, a first round trip, consumers per
//! channel, and how channel and connection ends reach consumers.

use std::time::Duration;

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, ConnectionEvent, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::{BasicProperties, Connection, Error, FieldTable};

use crate::support::*;

#[tokio::test]
async fn publish_consume_ack_round_trip() {
    let conn = connect().await;
    let ch = conn.open_channel().await.unwrap();
    let q = unique("roundtrip");
    let ok = ch
        .queue_declare(
            &q,
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    assert_eq!(ok.queue, q);
    ch.basic_publish(
        "",
        &q,
        BasicPublishOptions::default(),
        &b"hello"[..],
        BasicProperties::default(),
    )
    .await
    .unwrap();
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let d = tokio::time::timeout(Duration::from_secs(5), consumer.next_delivery())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(&d.body[..], b"hello");
    assert_eq!(d.routing_key, q.as_str());
    d.ack().unwrap();
    consumer.cancel().await.unwrap();
    ch.close().await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn server_properties_and_tuning_are_exposed() {
    let conn = connect().await;
    let props = conn.server_properties();
    assert!(
        props.get("product").and_then(|v| v.as_str()).is_some(),
        "{props:?}"
    );
    let caps = props
        .get("capabilities")
        .and_then(|v| v.as_table())
        .expect("capabilities table");
    for cap in [
        "publisher_confirms",
        "exchange_exchange_bindings",
        "basic.nack",
    ] {
        assert_eq!(caps.get(cap).and_then(|v| v.as_bool()), Some(true), "{cap}");
    }
    let tuning = conn.tuning();
    assert!(tuning.frame_max == 0 || tuning.frame_max >= 4096);
    assert!(tuning.channel_max > 0);
    assert!(conn.is_open());
    assert!(conn.close_reason().is_none());
    let mut events = conn.events();
    conn.close().await.unwrap();
    assert!(!conn.is_open());
    match within("connection event", events.recv()).await {
        Some(ConnectionEvent::Closed(None)) => {}
        other => panic!("expected Closed(None) after close, got {other:?}"),
    }
}

#[tokio::test]
async fn channel_numbers_are_limited_and_reused() {
    let conn = within("connect", Connection::connect(&uri_with("channel_max=2")))
        .await
        .unwrap();
    assert_eq!(conn.tuning().channel_max, 2);
    let a = conn.open_channel().await.unwrap();
    let b = conn.open_channel().await.unwrap();
    assert_ne!(a.id(), b.id());
    match within("channel.open", conn.open_channel()).await {
        Err(Error::ChannelsExhausted(2)) => {}
        other => panic!("third channel with channel_max=2 gave {other:?}"),
    }
    // A channel closed by the client frees its number.
    a.close().await.unwrap();
    let c = conn.open_channel().await.unwrap();
    // So does a channel closed by the broker.
    let err = within("basic.get", c.basic_get(&unique("missing"), false))
        .await
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404));
    let d = within("channel.open", conn.open_channel())
        .await
        .expect("the number of a channel the broker closed is free again");
    // And so does dropping the last handle of a channel (closed in the background).
    drop(b);
    let mut reopened = None;
    for _ in 0..100 {
        match within("channel.open", conn.open_channel()).await {
            Ok(ch) => {
                reopened = Some(ch);
                break;
            }
            Err(Error::ChannelsExhausted(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => panic!("open after dropping a channel: {e}"),
        }
    }
    let e = reopened.expect("a dropped channel's number is never freed");
    let q = temp_queue(&e, "reused").await;
    d.confirm_select().await.unwrap();
    publish_confirmed(&d, "", &q, &b"on reused numbers"[..], Default::default()).await;
    assert_eq!(drain(&e, &q).await, vec![b"on reused numbers".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn many_channels_work_concurrently() {
    let conn = connect().await;
    let mut tasks = Vec::new();
    for i in 0..50u32 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            let ch = conn.open_channel().await.unwrap();
            let q = temp_queue(&ch, "many-channels").await;
            publish(&ch, "", &q, i.to_be_bytes().to_vec()).await;
            let d = get(&ch, &q).await.expect("own message");
            assert_eq!(d.body[..], i.to_be_bytes());
            d.ack().unwrap();
            ch.close().await.unwrap();
            ch.id()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(within("channel task", t).await.unwrap());
    }
    assert!(ids.iter().all(|&id| id > 0));
    conn.close().await.unwrap();
}

#[tokio::test]
async fn nowait_declares_take_effect() {
    let (conn, ch) = open().await;
    let x = unique("nowait-x");
    let q = unique("nowait-q");
    ch.exchange_declare(
        &x,
        "fanout",
        ExchangeDeclareOptions {
            nowait: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    let ok = ch
        .queue_declare(
            &q,
            QueueDeclareOptions {
                exclusive: true,
                nowait: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    assert_eq!(ok.queue, q);
    // The next synchronous call is answered after both declares were processed.
    within("queue.bind", ch.queue_bind(&q, &x, "", FieldTable::new()))
        .await
        .expect("both nowait declares took effect");
    publish(&ch, &x, "", &b"fanned"[..]).await;
    assert_eq!(drain(&ch, &q).await, vec![b"fanned".to_vec()]);
    within("exchange.delete", ch.exchange_delete(&x, false))
        .await
        .unwrap();
    assert!(ch.is_open());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn consumers_on_one_channel_get_their_own_deliveries() {
    let (conn, ch) = open().await;
    let q1 = temp_queue(&ch, "own-1").await;
    let q2 = temp_queue(&ch, "own-2").await;
    let mut c1 = ch
        .basic_consume(&q1, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let mut c2 = ch
        .basic_consume(&q2, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    assert_ne!(c1.tag(), c2.tag());
    for i in 0..5u8 {
        publish(&ch, "", &q1, vec![1, i]).await;
        publish(&ch, "", &q2, vec![2, i]).await;
    }
    for i in 0..5u8 {
        let d1 = next(&mut c1).await;
        let d2 = next(&mut c2).await;
        assert_eq!(&d1.body[..], &[1, i]);
        assert_eq!(&d2.body[..], &[2, i]);
        assert_eq!(d1.consumer_tag, c1.tag());
        assert_eq!(d2.consumer_tag, c2.tag());
        d1.ack().unwrap();
        d2.ack().unwrap();
    }
    within("basic.cancel", c1.cancel()).await.unwrap();
    // Cancelling one leaves the other running.
    publish(&ch, "", &q2, &b"still"[..]).await;
    assert_eq!(&next(&mut c2).await.body[..], b"still");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_channel_error_ends_its_consumers_with_that_error() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "consumer-error").await;
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let err = within("basic.get", ch.basic_get(&unique("missing"), false))
        .await
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404));
    match within("the consumer to end", consumer.next_delivery()).await {
        Some(Err(e)) => assert_eq!(e.amqp(), err.amqp()),
        other => panic!("expected the channel error, got {other:?}"),
    }
    assert!(consumer.next_delivery().await.is_none());
    // Returns end too.
    assert!(within("recv_return", ch.recv_return()).await.is_none());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn closing_the_connection_ends_consumers() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "conn-close-consumer").await;
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let end = within("the consumer to end", consumer.next_delivery()).await;
    assert!(
        matches!(end, None | Some(Err(Error::ConnectionClosedByClient))),
        "consumer after connection.close yielded {end:?}"
    );
    assert!(within("recv_return", ch.recv_return()).await.is_none());
}

/// Waits at most 3 s (a hang here is the failure being tested for; keep the suite fast).
async fn briefly<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(3), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not complete within 3 s"),
    }
}

// channel.close sent while an earlier request on the channel is unanswered. The spec has the
// client discard whatever the broker sends after that except close/close-ok, so the in-flight
// request must end as answered (if its reply came first) or with ChannelClosedByClient, and
// close() must complete.

#[track_caller]
fn settled(what: &str, r: &Result<(), Error>) {
    assert!(
        matches!(r, Ok(()) | Err(Error::ChannelClosedByClient)),
        "{what} in flight during channel.close gave {r:?}"
    );
}

#[tokio::test]
async fn closing_a_channel_with_a_declare_in_flight() {
    let (conn, ch) = open().await;
    let (declared, closed) = tokio::join!(
        briefly(
            "queue.declare",
            ch.queue_declare(
                "",
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::new()
            )
        ),
        briefly("channel.close", ch.close()),
    );
    settled("queue.declare", &declared.map(drop));
    closed.expect("channel.close");
    assert_connection_usable(&conn).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn closing_a_channel_with_a_get_in_flight() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "close-race-get").await;
    publish(&ch, "", &q, &b"in flight"[..]).await;
    let (got, closed) = tokio::join!(
        briefly("basic.get", ch.basic_get(&q, false)),
        briefly("channel.close", ch.close()),
    );
    settled("basic.get", &got.map(drop));
    closed.expect("channel.close");
    assert_connection_usable(&conn).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn closing_a_channel_with_a_consume_in_flight() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "close-race-consume").await;
    let (consumed, closed) = tokio::join!(
        briefly(
            "basic.consume",
            ch.basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        ),
        briefly("channel.close", ch.close()),
    );
    settled("basic.consume", &consumed.map(drop));
    closed.expect("channel.close");
    assert_connection_usable(&conn).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn channel_flow_active_is_acknowledged() {
    // RabbitMQ answers channel.flow(active=true) with flow-ok(true).
    let (conn, ch) = open().await;
    assert!(ch.flow_active());
    assert!(within("channel.flow", ch.channel_flow(true)).await.unwrap());
    assert!(ch.is_open());
    conn.close().await.unwrap();
}
