//! Limits, each refused with an AMQP error in RabbitMQ's words: `max_connections` (530 at
//! `connection.open`), channels per connection (channel-max negotiated in `tune`, 530 on the
//! channel past it), `max_message_size` (406 on the publish). In-process only; the raw-socket
//! cases that RabbitMQ can be checked against live in `raw_socket.rs`.

mod raw_support;
mod support;

use std::time::Duration;

use raw_support::*;
use warren_broker::BrokerConfig;
use warren_core::client::{BasicPublishOptions, Connection, QueueDeclareOptions};
use warren_core::codec::{self, Frame, Method, ShortString};
use warren_core::{BasicProperties, Error, FieldTable};

fn config(edit: impl FnOnce(&mut BrokerConfig)) -> BrokerConfig {
    let mut c = warren_config();
    edit(&mut c);
    c
}

async fn connect(t: &Target) -> Result<Connection, Error> {
    within(t, "connect", Connection::connect(&t.uri())).await
}

fn assert_amqp(r: Result<impl std::fmt::Debug, Error>, code: u16, text: &str) -> (u16, u16) {
    let e = match r {
        Err(Error::ConnectionClosed(e)) | Err(Error::ChannelClosed(e)) => e,
        other => panic!("expected a {code} error, got {other:?}"),
    };
    assert_eq!(e.reply_code, code, "{e:?}");
    assert!(
        e.reply_text.contains(text),
        "{:?} lacks {text:?}",
        e.reply_text
    );
    (e.class_id, e.method_id)
}

// ---- max_connections ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_refuses_at_connection_open() {
    let (t, broker) = warren_target(config(|c| c.max_connections = 2)).await;
    let state = t.state.clone().unwrap();
    let a = connect(&t).await.unwrap();
    let b = connect(&t).await.unwrap();
    assert_eq!(state.open_connections(), 2);

    // The third is refused at connection.open, with RabbitMQ's node-limit text.
    let ids = assert_amqp(
        connect(&t).await,
        530,
        "connection refused: node connection limit (2) is reached",
    );
    assert_eq!(ids, (10, 40));
    let mut raw = Raw::connect(&t).await;
    let opts = Handshake::default();
    let tune = raw.start_and_login(&opts).await;
    raw.tune_ok(&opts, &tune).await;
    raw.send_open("/").await;
    raw.expect_close(530, 10, 40).await;

    // Connections still in the handshake take no place: they cannot lock clients out.
    let mut idle = Vec::new();
    for _ in 0..5 {
        let mut r = Raw::connect(&t).await;
        r.start().await;
        idle.push(r);
    }
    drop(a);
    tokio::time::timeout(Duration::from_secs(5), async {
        while state.open_connections() > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("a closed connection gives its place back");
    let c = connect(&t).await.expect("a place was freed");
    let ch = c.open_channel().await.unwrap();
    ch.queue_declare("", exclusive(), FieldTable::new())
        .await
        .unwrap();
    let _ = b.close().await;
    let _ = c.close().await;
    drop(idle);
    broker.shutdown().await;
    assert_eq!(state.open_connections(), 0);
    assert_no_broker_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_connections_holds_under_a_rush() {
    let (t, broker) = warren_target(config(|c| c.max_connections = 3)).await;
    let attempts: Vec<_> = (0..12)
        .map(|_| {
            let uri = t.uri();
            tokio::spawn(async move { Connection::connect(&uri).await })
        })
        .collect();
    let mut open = Vec::new();
    let mut refused = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(c) => open.push(c),
            Err(Error::ConnectionClosed(e)) if e.reply_code == 530 => refused += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((open.len(), refused), (3, 9));
    assert_eq!(t.state.as_ref().unwrap().open_connections(), 3);
    broker.shutdown().await;
}

#[tokio::test]
async fn no_connection_limit_by_default() {
    let (t, broker) = warren_target(warren_config()).await;
    assert_eq!(t.state.as_ref().unwrap().config.max_connections, 0);
    let mut conns = Vec::new();
    for _ in 0..20 {
        conns.push(connect(&t).await.unwrap());
    }
    broker.shutdown().await;
}

// ---- channels per connection ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_max_is_negotiated_and_enforced() {
    let (t, broker) = warren_target(config(|c| c.channel_max = 3)).await;
    // The client is offered 3 and keeps to it.
    let conn = connect(&t).await.unwrap();
    assert_eq!(conn.tuning().channel_max, 3);
    let mut chans = Vec::new();
    for _ in 0..3 {
        chans.push(conn.open_channel().await.unwrap());
    }
    assert!(matches!(
        conn.open_channel().await,
        Err(Error::ChannelsExhausted(3))
    ));
    // A client asking for fewer gets fewer.
    let fewer = Connection::connect(&format!("{}?channel_max=2", t.uri()))
        .await
        .unwrap();
    assert_eq!(fewer.tuning().channel_max, 2);

    // A client that does not keep to it: 530, no method ids, RabbitMQ's words.
    let mut raw = Raw::open(&t).await;
    for ch in [1, 2, 3] {
        raw.open_channel(ch).await;
    }
    // A closed channel gives its place back.
    raw.send_method(2, codec::ChannelClose::default()).await;
    match raw.recv_method().await {
        (2, Method::ChannelCloseOk(_)) => {}
        other => panic!("expected close-ok, got {other:?}"),
    }
    raw.open_channel(4).await;
    raw.send_method(5, codec::ChannelOpen::default()).await;
    let text = raw.expect_close(530, 0, 0).await;
    assert!(
        text.contains("number of channels opened (3) has reached the negotiated channel_max (3)"),
        "{text}"
    );

    // Negotiating above the server's channel-max is refused (silently, as RabbitMQ).
    let opts = Handshake {
        channel_max: Some(4),
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    let tune = raw.start_and_login(&opts).await;
    assert_eq!(tune.channel_max, 3);
    raw.tune_ok(&opts, &tune).await;
    raw.send_open("/").await;
    raw.expect_silent_close().await;

    // Meanwhile the first connection is fine.
    chans[0]
        .queue_declare("", exclusive(), FieldTable::new())
        .await
        .unwrap();
    let _ = conn.close().await;
    broker.shutdown().await;
    assert_no_broker_panic();
}

// ---- max_message_size ----

fn exclusive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_message_size_refuses_the_publish_with_406() {
    let (t, broker) = warren_target(config(|c| c.max_message_size = 1000)).await;
    let conn = connect(&t).await.unwrap();
    let ch = conn.open_channel().await.unwrap();
    let q = ch
        .queue_declare("", exclusive(), FieldTable::new())
        .await
        .unwrap()
        .queue;
    let publish = |ch: &warren_core::client::Channel, size: usize| {
        let ch = ch.clone();
        let q = q.clone();
        async move {
            ch.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                vec![b'x'; size],
                BasicProperties::default(),
            )
            .await
        }
    };
    // At the limit: accepted.
    publish(&ch, 1000).await.unwrap();
    let got = ch.basic_get(&q, true).await.unwrap().expect("the message");
    assert_eq!(got.body.len(), 1000);
    // One byte more: the channel is closed with 406, naming basic.publish.
    publish(&ch, 1001).await.unwrap();
    let ids = assert_amqp(
        within(&t, "next method", ch.basic_get(&q, true)).await,
        406,
        "message size 1001 is larger than configured max size 1000",
    );
    assert_eq!(ids, (60, 40));
    // The connection is untouched; the queue did not get the message.
    let ch2 = conn.open_channel().await.unwrap();
    assert!(ch2.basic_get(&q, true).await.unwrap().is_none());
    publish(&ch2, 10).await.unwrap();
    assert!(ch2.basic_get(&q, true).await.unwrap().is_some());
    let _ = conn.close().await;
    broker.shutdown().await;
}

/// The refusal comes at the content header; the body frames that follow are dropped, however
/// many, and the connection stays in step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_frames_are_dropped_after_the_refusal() {
    let (t, broker) = warren_target(config(|c| c.max_message_size = 5000)).await;
    let opts = Handshake {
        frame_max: Some(4096),
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    raw.handshake(&opts).await;
    raw.open_channel(1).await;
    let mut fs = vec![
        Frame::Method(1, publish("limits.nowhere")),
        content_header(1, 20_000),
    ];
    for _ in 0..5 {
        fs.push(Frame::Body(1, vec![b'x'; 4000].into()));
    }
    raw.send(&frames(&fs)).await;
    let text = raw.expect_channel_close(1, 406, 60, 40).await;
    assert!(
        text.contains("message size 20000 is larger than configured max size 5000"),
        "{text}"
    );
    // Still in step: another channel works, and channel 1 can be opened again.
    raw.open_channel(2).await;
    raw.send_method(
        2,
        codec::QueueDeclare {
            queue: ShortString::from_static(""),
            exclusive: true,
            ..Default::default()
        },
    )
    .await;
    match raw.recv_method().await {
        (2, Method::QueueDeclareOk(_)) => {}
        other => panic!("expected declare-ok, got {other:?}"),
    }
    raw.open_channel(1).await;
    broker.shutdown().await;
    assert_no_broker_panic();
}
