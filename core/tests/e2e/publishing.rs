//! Publishing: mandatory returns, unroutable messages, ordering and concurrent publishers.

use warren_core::client::{BasicPublishOptions, Confirmation};
use warren_core::codec::ShortString;
use warren_core::{BasicProperties, FieldTable, FieldValue};

use crate::support::*;

const MANDATORY: BasicPublishOptions = BasicPublishOptions {
    mandatory: true,
    immediate: false,
};

fn props_with_header() -> BasicProperties {
    let mut headers = FieldTable::new();
    headers.insert("origin", "publishing test").unwrap();
    headers.insert("attempt", FieldValue::LongInt(7)).unwrap();
    BasicProperties {
        content_type: Some(ShortString::from_static("text/plain")),
        correlation_id: Some(ShortString::from_static("corr-312")),
        headers: Some(headers),
        ..Default::default()
    }
}

#[tokio::test]
async fn mandatory_unroutable_message_is_returned() {
    let (conn, ch) = open().await;
    let key = unique("nowhere");
    let props = props_with_header();
    within(
        "basic.publish",
        ch.basic_publish(
            "amq.direct",
            &key,
            MANDATORY,
            &b"return to sender"[..],
            props.clone(),
        ),
    )
    .await
    .unwrap();
    let returned = within("basic.return", ch.recv_return())
        .await
        .expect("a returned message");
    assert_eq!(returned.reply_code, 312);
    assert_eq!(returned.reply_text, "NO_ROUTE");
    assert_eq!(returned.exchange, "amq.direct");
    assert_eq!(returned.routing_key, key.as_str());
    assert_eq!(&returned.body[..], b"return to sender");
    assert_eq!(returned.properties, props);
    assert!(ch.try_recv_return().is_none(), "exactly one return");

    // Through the default exchange to a queue that does not exist: also NO_ROUTE.
    let missing = unique("no-such-queue");
    within(
        "basic.publish",
        ch.basic_publish("", &missing, MANDATORY, &b""[..], Default::default()),
    )
    .await
    .unwrap();
    let returned = within("basic.return", ch.recv_return()).await.unwrap();
    assert_eq!(returned.reply_code, 312);
    assert_eq!(returned.exchange, "");
    assert_eq!(returned.routing_key, missing.as_str());
    assert!(returned.body.is_empty());
    assert_eq!(returned.properties, BasicProperties::default());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn returns_arrive_before_the_confirm_and_routable_messages_are_not_returned() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "mandatory-ok").await;

    // Routable: delivered, not returned.
    let confirm = within(
        "basic.publish",
        ch.basic_publish("", &q, MANDATORY, &b"routable"[..], Default::default()),
    )
    .await
    .unwrap();
    assert_eq!(within("confirm", confirm).await.unwrap(), Confirmation::Ack);
    assert!(ch.try_recv_return().is_none());
    assert_eq!(drain(&ch, &q).await, vec![b"routable".to_vec()]);

    // Unroutable: the broker sends basic.return, then acks (it took responsibility by
    // returning it); the return is therefore waiting once the confirm resolves.
    let key = unique("unroutable");
    let confirm = within(
        "basic.publish",
        ch.basic_publish(
            "amq.topic",
            &key,
            MANDATORY,
            &b"lost"[..],
            Default::default(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(within("confirm", confirm).await.unwrap(), Confirmation::Ack);
    let returned = ch
        .try_recv_return()
        .expect("basic.return is processed before the basic.ack that follows it");
    assert_eq!(returned.reply_code, 312);
    assert_eq!(&returned.body[..], b"lost");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn unroutable_message_without_mandatory_is_dropped_silently() {
    let (conn, ch) = open_confirming().await;
    let key = unique("dropped");
    publish_confirmed(&ch, "amq.direct", &key, &b"dropped"[..], Default::default()).await;
    assert!(ch.try_recv_return().is_none());
    assert!(
        tokio::time::timeout(QUIET, ch.recv_return()).await.is_err(),
        "non-mandatory message was returned"
    );
    assert!(ch.is_open());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn many_publishes_arrive_in_order() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "many").await;
    const N: u32 = 2000;
    let mut confirms = Vec::new();
    for i in 0..N {
        let c = ch
            .basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                i.to_be_bytes().to_vec(),
                Default::default(),
            )
            .await
            .unwrap();
        confirms.push(c);
    }
    for c in confirms {
        assert_eq!(within("confirm", c).await.unwrap(), Confirmation::Ack);
    }
    let got = drain(&ch, &q).await;
    assert_eq!(got.len(), N as usize);
    for (i, body) in got.iter().enumerate() {
        assert_eq!(
            body[..],
            (i as u32).to_be_bytes(),
            "message {i} out of order"
        );
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn concurrent_publishers_on_one_channel_and_many_channels() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "concurrent").await;
    let mut tasks = Vec::new();
    // Four tasks sharing one channel handle, four with a channel each.
    for t in 0..8u8 {
        let shared = ch.clone();
        let conn = conn.clone();
        let q = q.clone();
        tasks.push(tokio::spawn(async move {
            let own;
            let ch = if t < 4 {
                &shared
            } else {
                own = conn.open_channel().await.unwrap();
                own.confirm_select().await.unwrap();
                &own
            };
            for i in 0..100u8 {
                publish(ch, "", &q, vec![t, i]).await;
            }
            assert!(ch.wait_for_confirms().await.unwrap());
        }));
    }
    for t in tasks {
        within("publisher task", t).await.unwrap();
    }
    let got = drain(&ch, &q).await;
    assert_eq!(got.len(), 800);
    // Per publisher, order is preserved.
    for t in 0..8u8 {
        let seq: Vec<u8> = got.iter().filter(|b| b[0] == t).map(|b| b[1]).collect();
        assert_eq!(seq, (0..100).collect::<Vec<u8>>(), "publisher {t}");
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn multi_frame_message_is_returned_whole() {
    let (conn, ch) = open().await;
    let frame_max = conn.tuning().frame_max.max(4096) as usize;
    let body: Vec<u8> = (0..3 * frame_max + 17).map(|i| (i % 251) as u8).collect();
    let key = unique("big-return");
    within(
        "basic.publish",
        ch.basic_publish(
            "amq.direct",
            &key,
            MANDATORY,
            body.clone(),
            props_with_header(),
        ),
    )
    .await
    .unwrap();
    let returned = within("basic.return", ch.recv_return()).await.unwrap();
    assert_eq!(returned.reply_code, 312);
    assert_eq!(returned.body.len(), body.len());
    assert!(returned.body[..] == body[..], "returned body differs");
    assert_eq!(returned.properties, props_with_header());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn more_publishes_than_the_client_buffers_at_once() {
    // More publishes than the client queues before applying back-pressure (16 Ki).
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "back-pressure").await;
    const N: u32 = 20_000;
    for i in 0..N {
        publish(&ch, "", &q, i.to_be_bytes().to_vec()).await;
    }
    assert!(within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    let ok = within(
        "passive queue.declare",
        ch.queue_declare(
            &q,
            warren_core::client::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(ok.message_count, N);
    assert_eq!(within("queue.purge", ch.queue_purge(&q)).await.unwrap(), N);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn publishes_queued_before_connection_close_are_delivered() {
    let (conn, ch) = open().await;
    let q = unique("flushed-on-close");
    let mut args = FieldTable::new();
    args.insert("x-expires", FieldValue::LongInt(60_000))
        .unwrap();
    within(
        "queue.declare",
        ch.queue_declare(&q, Default::default(), args),
    )
    .await
    .unwrap();
    for i in 0..500u32 {
        publish(&ch, "", &q, i.to_be_bytes().to_vec()).await;
    }
    // No confirms, no channel.close: connection.close must still send them all first.
    within("connection.close", conn.close()).await.unwrap();

    let (conn, ch) = open().await;
    let got = drain(&ch, &q).await;
    assert_eq!(got.len(), 500, "publishes lost on close");
    within("queue.delete", ch.queue_delete(&q, false, false))
        .await
        .unwrap();
    conn.close().await.unwrap();
}
