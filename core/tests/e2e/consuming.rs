//! Consuming: consumer streams, ack / nack / reject, basic.get, recover, cancel and prefetch.

use futures_util::StreamExt;
use warren_core::client::{BasicConsumeOptions, QueueDeclareOptions};
use warren_core::{Error, FieldTable};

use crate::support::*;

async fn consume(ch: &warren_core::Channel, q: &str) -> warren_core::Consumer {
    within(
        "basic.consume",
        ch.basic_consume(q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .expect("basic.consume")
}

async fn fill(ch: &warren_core::Channel, q: &str, bodies: &[&str]) {
    for b in bodies {
        publish_confirmed(ch, "", q, b.as_bytes().to_vec(), Default::default()).await;
    }
}

#[tokio::test]
async fn consumer_receives_in_order_with_metadata() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "order").await;
    let bodies: Vec<String> = (0..50).map(|i| format!("message {i}")).collect();
    for b in &bodies {
        publish(&ch, "", &q, b.clone().into_bytes()).await;
    }
    assert!(within("confirms", ch.wait_for_confirms()).await.unwrap());

    let tag = unique("tag");
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(&q, &tag, BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    assert_eq!(consumer.tag(), tag);
    let mut last_tag = 0;
    for want in &bodies {
        // The consumer is also a futures Stream.
        let d = within("a delivery", consumer.next())
            .await
            .expect("stream ended")
            .expect("delivery");
        assert_eq!(&d.body[..], want.as_bytes());
        assert_eq!(d.consumer_tag, tag.as_str());
        assert_eq!(d.exchange, "");
        assert_eq!(d.routing_key, q.as_str());
        assert!(!d.redelivered);
        assert_eq!(d.message_count, None);
        assert!(d.delivery_tag > last_tag, "delivery tags increase");
        last_tag = d.delivery_tag;
        d.ack().unwrap();
    }
    within("basic.cancel", consumer.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn nack_with_requeue_redelivers() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "nack").await;
    fill(&ch, &q, &["again"]).await;
    let mut consumer = consume(&ch, &q).await;
    let first = next(&mut consumer).await;
    assert!(!first.redelivered);
    first.nack(true).unwrap();
    let second = next(&mut consumer).await;
    assert_eq!(&second.body[..], b"again");
    assert!(
        second.redelivered,
        "a requeued message is flagged redelivered"
    );
    assert_ne!(second.delivery_tag, first.delivery_tag);
    second.ack().unwrap();
    within("basic.cancel", consumer.cancel()).await.unwrap();
    assert!(get(&ch, &q).await.is_none());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn nack_without_requeue_drops_and_nack_multiple_requeues_all() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "nack-multi").await;
    fill(&ch, &q, &["a", "b", "c"]).await;
    let a = get(&ch, &q).await.unwrap();
    let _b = get(&ch, &q).await.unwrap();
    let c = get(&ch, &q).await.unwrap();
    a.nack(false).unwrap(); // dropped
    c.channel().basic_nack(c.delivery_tag, true, true).unwrap(); // b and c back
    let again: Vec<_> = [get(&ch, &q).await.unwrap(), get(&ch, &q).await.unwrap()].into();
    let bodies: Vec<_> = again.iter().map(|d| d.body.to_vec()).collect();
    assert_eq!(bodies, vec![b"b".to_vec(), b"c".to_vec()]);
    assert!(again.iter().all(|d| d.redelivered));
    again[1].ack_multiple().unwrap();
    assert!(get(&ch, &q).await.is_none());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn reject_without_requeue_drops_the_message() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "reject").await;
    fill(&ch, &q, &["doomed", "kept"]).await;
    let mut consumer = consume(&ch, &q).await;
    let doomed = next(&mut consumer).await;
    assert_eq!(&doomed.body[..], b"doomed");
    doomed.reject(false).unwrap();
    let kept = next(&mut consumer).await;
    assert_eq!(&kept.body[..], b"kept");
    assert!(!kept.redelivered);
    kept.reject(true).unwrap();
    let kept_again = next(&mut consumer).await;
    assert_eq!(&kept_again.body[..], b"kept");
    assert!(kept_again.redelivered);
    kept_again.ack().unwrap();
    assert_quiet(&mut consumer).await;
    within("basic.cancel", consumer.cancel()).await.unwrap();
    assert!(get(&ch, &q).await.is_none(), "rejected message came back");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn basic_get_and_get_empty() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "get").await;
    assert!(get(&ch, &q).await.is_none(), "get on an empty queue");
    fill(&ch, &q, &["one", "two"]).await;

    let one = get(&ch, &q).await.unwrap();
    assert_eq!(&one.body[..], b"one");
    assert_eq!(one.message_count, Some(1), "messages left after this one");
    assert_eq!(one.routing_key, q.as_str());
    assert_eq!(one.exchange, "");
    assert!(!one.redelivered);
    let two = within("basic.get", ch.basic_get(&q, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&two.body[..], b"two");
    assert_eq!(two.message_count, Some(0));
    assert!(get(&ch, &q).await.is_none());
    one.ack().unwrap();

    // Nothing is left unacknowledged: closing the channel requeues nothing.
    ch.close().await.unwrap();
    let ch2 = conn.open_channel().await.unwrap();
    assert!(get(&ch2, &q).await.is_none());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn ack_multiple_acknowledges_every_earlier_delivery() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "ack-multi").await;
    fill(&ch, &q, &["1", "2", "3", "4"]).await;
    let mut consumer = consume(&ch, &q).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(next(&mut consumer).await);
    }
    got[2].ack_multiple().unwrap(); // 1, 2 and 3
    let fourth = next(&mut consumer).await;
    assert_eq!(&fourth.body[..], b"4");
    within("basic.cancel", consumer.cancel()).await.unwrap();
    // Close the channel: only the unacknowledged fourth message is requeued.
    ch.close().await.unwrap();

    let ch2 = conn.open_channel().await.unwrap();
    let back = get(&ch2, &q)
        .await
        .expect("the unacked message is requeued");
    assert_eq!(&back.body[..], b"4");
    assert!(back.redelivered);
    back.ack().unwrap();
    assert!(get(&ch2, &q).await.is_none());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn recover_with_requeue_redelivers_unacked() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "recover").await;
    fill(&ch, &q, &["r1", "r2"]).await;
    let mut consumer = consume(&ch, &q).await;
    let r1 = next(&mut consumer).await;
    let r2 = next(&mut consumer).await;
    assert!(!r1.redelivered && !r2.redelivered);
    within("basic.recover", ch.basic_recover(true))
        .await
        .unwrap();
    let mut again = vec![next(&mut consumer).await, next(&mut consumer).await];
    again.sort_by(|a, b| a.body.cmp(&b.body));
    assert_eq!(&again[0].body[..], b"r1");
    assert_eq!(&again[1].body[..], b"r2");
    assert!(again.iter().all(|d| d.redelivered));
    for d in &again {
        d.ack().unwrap();
    }
    assert_quiet(&mut consumer).await;
    within("basic.cancel", consumer.cancel()).await.unwrap();
    assert!(get(&ch, &q).await.is_none());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn cancel_ends_the_consumer_stream() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "cancel").await;
    let mut consumer = consume(&ch, &q).await;
    fill(&ch, &q, &["before"]).await;
    let before = next(&mut consumer).await;
    before.ack().unwrap();

    within("basic.cancel", consumer.cancel()).await.unwrap();
    let end = within("the end of the stream", consumer.next_delivery()).await;
    assert!(end.is_none(), "stream after cancel yielded {end:?}");
    assert!(consumer.next().await.is_none(), "stream stays ended");

    // Messages published after the cancel stay in the queue.
    fill(&ch, &q, &["after"]).await;
    assert_eq!(drain(&ch, &q).await, vec![b"after".to_vec()]);
    // The channel itself is fine.
    assert!(ch.is_open());
    conn.close().await.unwrap();
}

#[tokio::test]
async fn prefetch_limits_unacknowledged_deliveries() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "prefetch").await;
    fill(&ch, &q, &["p1", "p2", "p3", "p4", "p5"]).await;
    within("basic.qos", ch.basic_qos(2, false)).await.unwrap();
    let mut consumer = consume(&ch, &q).await;
    let p1 = next(&mut consumer).await;
    let _p2 = next(&mut consumer).await;
    assert_quiet(&mut consumer).await; // a third would exceed the prefetch of 2

    p1.ack().unwrap();
    let p3 = next(&mut consumer).await;
    assert_eq!(&p3.body[..], b"p3");
    assert_quiet(&mut consumer).await;

    p3.ack_multiple().unwrap(); // acks p2 and p3: two slots free
    let p4 = next(&mut consumer).await;
    let p5 = next(&mut consumer).await;
    assert_eq!((&p4.body[..], &p5.body[..]), (&b"p4"[..], &b"p5"[..]));
    p5.ack_multiple().unwrap();
    within("basic.cancel", consumer.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn no_ack_consumer_needs_no_acknowledgements() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "no-ack").await;
    fill(&ch, &q, &["n1", "n2", "n3"]).await;
    // A prefetch limit does not apply to no-ack consumers.
    within("basic.qos", ch.basic_qos(1, false)).await.unwrap();
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(
            &q,
            "",
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    for want in ["n1", "n2", "n3"] {
        let d = next(&mut consumer).await;
        assert_eq!(&d.body[..], want.as_bytes());
    }
    within("basic.cancel", consumer.cancel()).await.unwrap();
    ch.close().await.unwrap();
    let ch2 = conn.open_channel().await.unwrap();
    assert!(get(&ch2, &q).await.is_none(), "no-ack deliveries came back");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn two_consumers_share_a_queue() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "shared-consumers").await;
    let ch2 = conn.open_channel().await.unwrap();
    let mut c1 = consume(&ch, &q).await;
    let mut c2 = consume(&ch2, &q).await;
    for i in 0..10u8 {
        publish_confirmed(&ch, "", &q, vec![i], Default::default()).await;
    }
    // Round-robin: each gets some; together they get everything exactly once.
    let mut seen = Vec::new();
    let mut from = [0, 0];
    while seen.len() < 10 {
        tokio::select! {
            d = next(&mut c1) => { from[0] += 1; seen.push(d.body[0]); d.ack().unwrap(); }
            d = next(&mut c2) => { from[1] += 1; seen.push(d.body[0]); d.ack().unwrap(); }
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<u8>>());
    assert!(
        from[0] > 0 && from[1] > 0,
        "both consumers served: {from:?}"
    );
    within("basic.cancel", c1.cancel()).await.unwrap();
    within("basic.cancel", c2.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn deleting_the_queue_cancels_its_consumers() {
    // RabbitMQ sends basic.cancel to consumers of a deleted queue when the client announces
    // the consumer_cancel_notify capability (Warren does).
    let (conn, ch) = open().await;
    let q = unique("cancel-notify");
    within(
        "queue.declare",
        ch.queue_declare(
            &q,
            QueueDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    let mut consumer = consume(&ch, &q).await;
    let other = conn.open_channel().await.unwrap();
    within("queue.delete", other.queue_delete(&q, false, false))
        .await
        .unwrap();
    match within("the consumer to end", consumer.next_delivery()).await {
        Some(Err(Error::ConsumerCancelled(tag))) => assert_eq!(tag, consumer.tag()),
        other => panic!("expected ConsumerCancelled, got {other:?}"),
    }
    assert!(consumer.next_delivery().await.is_none());
    assert!(ch.is_open(), "a broker cancel leaves the channel open");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn closing_the_channel_ends_its_consumers_and_requeues() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "close-consumer").await;
    fill(&ch, &q, &["unacked"]).await;
    let mut consumer = consume(&ch, &q).await;
    let d = next(&mut consumer).await;
    assert!(!d.redelivered);
    within("channel.close", ch.close()).await.unwrap();
    let end = within("the end of the stream", consumer.next_delivery()).await;
    assert!(
        matches!(end, None | Some(Err(Error::ChannelClosedByClient))),
        "stream after channel.close yielded {end:?}"
    );
    // Acking on a closed channel is refused locally.
    assert!(d.ack().is_err());

    let ch2 = conn.open_channel().await.unwrap();
    let back = get(&ch2, &q).await.expect("unacked message requeued");
    assert!(back.redelivered);
    back.ack().unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn cancel_with_deliveries_in_flight_loses_nothing() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "cancel-in-flight").await;
    const N: usize = 300;
    for i in 0..N as u32 {
        publish(&ch, "", &q, i.to_be_bytes().to_vec()).await;
    }
    assert!(within("confirms", ch.wait_for_confirms()).await.unwrap());
    let mut consumer = consume(&ch, &q).await;
    let first = next(&mut consumer).await;
    within("basic.cancel", consumer.cancel()).await.unwrap();
    // Everything the broker sent before cancel-ok is still yielded, then the stream ends.
    let mut received = vec![first];
    while let Some(d) = within("the end of the stream", consumer.next_delivery()).await {
        received.push(d.expect("delivery"));
    }
    for d in &received {
        d.ack().unwrap();
    }
    let rest = drain(&ch, &q).await;
    assert_eq!(
        received.len() + rest.len(),
        N,
        "{} delivered + {} left",
        received.len(),
        rest.len()
    );
    let mut all: Vec<Vec<u8>> = received.iter().map(|d| d.body.to_vec()).collect();
    all.extend(rest);
    let want: Vec<Vec<u8>> = (0..N as u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(all, want, "order across the cancel");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn dropping_a_consumer_cancels_it_and_requeues_what_it_missed() {
    let (_conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "dropped-consumer").await;
    let consumer = consume(&ch, &q).await;
    // The consumer is dropped without a cancel: deliveries that arrive afterwards must not stay
    // unacknowledged on a consumer nobody reads.
    drop(consumer);
    fill(&ch, &q, &["a", "b"]).await;
    let mut got = Vec::new();
    for _ in 0..250 {
        if let Some(d) = within("basic.get", ch.basic_get(&q, false)).await.unwrap() {
            got.push(String::from_utf8_lossy(&d.body).into_owned());
            d.ack().unwrap();
            if got.len() == 2 {
                break;
            }
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    got.sort();
    assert_eq!(got, ["a", "b"]);
    let declared = within(
        "passive declare",
        ch.queue_declare(
            &q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        declared.consumer_count, 0,
        "the dropped consumer was not cancelled"
    );
}
