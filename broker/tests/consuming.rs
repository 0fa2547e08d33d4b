//! Consuming and publishing as the broker spec describes them, checked through the warren-core
//! client against the in-process broker (`<case>::warren`) and, when `WARREN_ORACLE_URI` is
//! set, against RabbitMQ (`<case>::rabbitmq`), so every expectation is RabbitMQ's behaviour.
//!
//! Covered: round-robin dispatch; prefetch per consumer and per channel (`global`); ack,
//! multiple ack, nack and reject with requeue; basic.recover; requeue on channel and connection
//! close; exclusive consumers; broker-initiated cancel; basic.get; no-ack consumers; consumer
//! priorities; mandatory returns; publisher confirms; transactions; `user_id` validation.

mod amqp_support;
mod support;

use amqp_support::*;
use support::within;
use warren_core::client::{BasicConsumeOptions, Consumer};
use warren_core::codec::ShortString;
use warren_core::{BasicProperties, Channel, Error, FieldTable, FieldValue};

cases!(
    round_robin_across_consumers,
    prefetch_per_consumer,
    prefetch_per_channel_global,
    prefetch_per_consumer_and_per_channel_combined,
    basic_get_does_not_use_channel_prefetch,
    ack_multiple,
    nack_and_reject_with_requeue,
    requeue_restores_original_order,
    nack_and_reject_without_requeue_drop,
    requeue_keeps_the_prefetch_limit,
    recover_requeues_unacked,
    recover_without_requeue_is_not_implemented,
    unacked_requeued_when_channel_closes,
    unacked_requeued_when_connection_closes,
    exclusive_consumers,
    consumer_cancelled_when_queue_deleted,
    basic_get_and_message_count,
    no_ack_consumer,
    consumer_priorities,
    mandatory_unroutable_is_returned,
    publisher_confirms,
    transactions_hold_publishes_until_commit,
    transactions_hold_acks_until_commit,
    transaction_and_confirm_modes_exclude_each_other,
    user_id_must_match_the_authenticated_user,
);

fn ack_mode() -> BasicConsumeOptions {
    BasicConsumeOptions::default()
}

async fn consume(ch: &Channel, queue: &str, options: BasicConsumeOptions) -> Consumer {
    consume_with(ch, queue, options, FieldTable::new()).await
}

async fn consume_with(
    ch: &Channel,
    queue: &str,
    options: BasicConsumeOptions,
    arguments: FieldTable,
) -> Consumer {
    within(
        "basic.consume",
        ch.basic_consume(queue, "", options, arguments),
    )
    .await
    .unwrap_or_else(|e| panic!("consume from {queue}: {e}"))
}

async fn qos(ch: &Channel, prefetch: u16, global: bool) {
    within("basic.qos", ch.basic_qos(prefetch, global))
        .await
        .expect("basic.qos");
}

async fn fill(ch: &Channel, queue: &str, bodies: &[&str]) {
    for b in bodies {
        publish_confirmed(ch, "", queue, b).await;
    }
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

async fn round_robin_across_consumers(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "rr").await;
    let c_ch = [
        channel(&conn).await,
        channel(&conn).await,
        channel(&conn).await,
    ];
    let mut consumers = Vec::new();
    for c in &c_ch {
        consumers.push(
            consume(
                c,
                &q,
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
            )
            .await,
        );
    }
    let bodies = numbered("m", 9);
    for b in &bodies {
        publish_confirmed(&ch, "", &q, b).await;
    }
    // Each consumer gets every third message, in order.
    for (i, c) in consumers.iter_mut().enumerate() {
        let got = next_bodies(c, 3).await;
        let want: Vec<String> = bodies.iter().skip(i).step_by(3).cloned().collect();
        assert_eq!(got, want, "consumer {i}");
    }
    for c in consumers.iter_mut() {
        assert_quiet(c).await;
    }
    close(conn).await;
}

async fn prefetch_per_consumer(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q1 = queue(&ch, "prefetch-1").await;
    let q2 = queue(&ch, "prefetch-2").await;
    let bodies = numbered("m", 6);
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    fill(&ch, &q1, &bodies).await;
    fill(&ch, &q2, &bodies).await;

    let cch = channel(&conn).await;
    qos(&cch, 2, false).await;
    let mut c1 = consume(&cch, &q1, ack_mode()).await;
    let first = next(&mut c1).await;
    let second = next(&mut c1).await;
    assert_eq!((body(&first), body(&second)), ("m1".into(), "m2".into()));
    assert_quiet(&mut c1).await;
    first.ack().unwrap();
    assert_eq!(body(&next(&mut c1).await), "m3");
    assert_quiet(&mut c1).await;

    // A new per-consumer limit applies to consumers created after it; c1 keeps 2.
    qos(&cch, 1, false).await;
    let mut c2 = consume(&cch, &q2, ack_mode()).await;
    let d = next(&mut c2).await;
    assert_eq!(body(&d), "m1");
    assert_quiet(&mut c2).await;
    second.ack().unwrap();
    assert_eq!(body(&next(&mut c1).await), "m4");
    assert_quiet(&mut c1).await;
    d.ack().unwrap();
    assert_eq!(body(&next(&mut c2).await), "m2");
    assert_quiet(&mut c2).await;

    // Raising the limit to 0 (unlimited) for new consumers.
    qos(&cch, 0, false).await;
    let q3 = queue(&ch, "prefetch-3").await;
    fill(&ch, &q3, &bodies).await;
    let mut c3 = consume(&cch, &q3, ack_mode()).await;
    assert_eq!(next_bodies(&mut c3, 6).await.len(), 6);
    close(conn).await;
}

async fn prefetch_per_channel_global(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q1 = queue(&ch, "global-1").await;
    let q2 = queue(&ch, "global-2").await;
    let bodies = numbered("m", 5);
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    fill(&ch, &q1, &bodies).await;
    fill(&ch, &q2, &bodies).await;

    let cch = channel(&conn).await;
    qos(&cch, 3, true).await;
    let mut c1 = consume(&cch, &q1, ack_mode()).await;
    let got1 = next_bodies(&mut c1, 3).await;
    assert_eq!(got1, ["m1", "m2", "m3"]);
    assert_quiet(&mut c1).await;
    // The limit is shared by the channel: a second consumer gets nothing yet.
    let mut c2 = consume(&cch, &q2, ack_mode()).await;
    assert_quiet(&mut c2).await;
    // Acking two on c1 frees two deliveries for the channel.
    cch.basic_ack(2, true).unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        tokio::select! {
            d = within("delivery", c1.next_delivery()) => got.push(("c1", body(&d.unwrap().unwrap()))),
            d = within("delivery", c2.next_delivery()) => got.push(("c2", body(&d.unwrap().unwrap()))),
        }
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert_quiet(&mut c1).await;
    assert_quiet(&mut c2).await;

    // Raising the global limit lets more through at once.
    qos(&cch, 0, true).await;
    let mut rest = 0;
    while tokio::time::timeout(QUIET, c1.next_delivery())
        .await
        .is_ok()
    {
        rest += 1;
    }
    while tokio::time::timeout(QUIET, c2.next_delivery())
        .await
        .is_ok()
    {
        rest += 1;
    }
    assert_eq!(
        rest,
        10 - 5,
        "every remaining message once the limit is lifted"
    );
    close(conn).await;
}

async fn prefetch_per_consumer_and_per_channel_combined(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q1 = queue(&ch, "combined-1").await;
    let q2 = queue(&ch, "combined-2").await;
    let bodies = numbered("m", 5);
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    fill(&ch, &q1, &bodies).await;
    fill(&ch, &q2, &bodies).await;

    let cch = channel(&conn).await;
    qos(&cch, 2, false).await;
    qos(&cch, 3, true).await;
    let mut c1 = consume(&cch, &q1, ack_mode()).await;
    // Per consumer: 2.
    assert_eq!(next_bodies(&mut c1, 2).await, ["m1", "m2"]);
    assert_quiet(&mut c1).await;
    // Per channel: 3, so the second consumer gets only one.
    let mut c2 = consume(&cch, &q2, ack_mode()).await;
    let d = next(&mut c2).await;
    assert_eq!(body(&d), "m1");
    assert_quiet(&mut c2).await;
    // Acking c2's message gives it (not c1, which is at its own limit) the next one.
    d.ack().unwrap();
    assert_eq!(body(&next(&mut c2).await), "m2");
    assert_quiet(&mut c1).await;
    assert_quiet(&mut c2).await;
    close(conn).await;
}

async fn basic_get_does_not_use_channel_prefetch(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q1 = queue(&ch, "get-prefetch-1").await;
    let q2 = queue(&ch, "get-prefetch-2").await;
    fill(&ch, &q1, &["a1", "a2"]).await;
    fill(&ch, &q2, &["b1", "b2"]).await;
    let cch = channel(&conn).await;
    qos(&cch, 1, true).await;
    let mut c = consume(&cch, &q1, ack_mode()).await;
    let first = next(&mut c).await;
    assert_eq!(body(&first), "a1");
    assert_quiet(&mut c).await;
    // basic.get ignores the limit, and acking what it fetched frees no consumer credit.
    let got = get(&cch, &q2).await.expect("b1");
    assert_eq!(body(&got), "b1");
    got.ack().unwrap();
    assert_quiet(&mut c).await;
    first.ack().unwrap();
    assert_eq!(body(&next(&mut c).await), "a2");
    close(conn).await;
}

async fn ack_multiple(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "ack-multiple").await;
    let bodies = numbered("m", 5);
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    fill(&ch, &q, &bodies).await;
    let cch = channel(&conn).await;
    let mut c = consume(&cch, &q, ack_mode()).await;
    let ds: Vec<_> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(next(&mut c).await);
        }
        v
    };
    // Acks m1..m3.
    ds[2].ack_multiple().unwrap();
    within("channel.close", cch.close()).await.unwrap();
    // m4 and m5 come back, redelivered.
    wait_ready(&ch, &q, 2).await;
    let rest: Vec<_> = {
        let mut v = Vec::new();
        while let Some(d) = get(&ch, &q).await {
            v.push((body(&d), d.redelivered));
            d.ack().unwrap();
        }
        v
    };
    assert_eq!(rest, [("m4".to_string(), true), ("m5".to_string(), true)]);

    // Acking an unknown tag is 406.
    let ach = channel(&conn).await;
    ach.basic_ack(99, false).unwrap();
    let r = within("next method", ach.basic_qos(0, false)).await;
    assert_channel_closed(r, 406, BASIC_ACK);
    // Ack multiple with tag 0 acks everything outstanding.
    let gch = channel(&conn).await;
    fill(&ch, &q, &["z1", "z2"]).await;
    let _ = get(&gch, &q).await.expect("z1");
    let _ = get(&gch, &q).await.expect("z2");
    gch.basic_ack(0, true).unwrap();
    within("channel.close", gch.close()).await.unwrap();
    assert_eq!(ready_count(&ch, &q).await, 0);
    close(conn).await;
}

async fn nack_and_reject_with_requeue(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "nack").await;
    fill(&ch, &q, &["m1", "m2", "m3", "m4", "m5"]).await;
    let gch = channel(&conn).await;
    let m1 = get(&gch, &q).await.unwrap();
    let m2 = get(&gch, &q).await.unwrap();
    let m3 = get(&gch, &q).await.unwrap();
    assert!(!m1.redelivered);
    // Requeued, they go back ahead of the messages never delivered, marked redelivered.
    m3.reject(true).unwrap();
    m1.nack(true).unwrap();
    let mut got = Vec::new();
    while let Some(d) = get(&gch, &q).await {
        got.push((body(&d), d.redelivered));
        d.ack().unwrap();
    }
    assert_eq!(
        got,
        [
            ("m1".to_string(), true),
            ("m3".to_string(), true),
            ("m4".to_string(), false),
            ("m5".to_string(), false),
        ]
    );
    m2.ack().unwrap();

    // nack multiple with requeue, through a consumer: redelivered in order.
    fill(&ch, &q, &["n1", "n2", "n3"]).await;
    let cch = channel(&conn).await;
    qos(&cch, 3, false).await;
    let mut c = consume(&cch, &q, ack_mode()).await;
    let ds = [next(&mut c).await, next(&mut c).await, next(&mut c).await];
    assert!(ds.iter().all(|d| !d.redelivered));
    cch.basic_nack(ds[2].delivery_tag, true, true).unwrap();
    let again = [next(&mut c).await, next(&mut c).await, next(&mut c).await];
    let got: Vec<(String, bool)> = again.iter().map(|d| (body(d), d.redelivered)).collect();
    assert_eq!(
        got,
        [
            ("n1".to_string(), true),
            ("n2".to_string(), true),
            ("n3".to_string(), true)
        ]
    );
    again[2].ack_multiple().unwrap();
    assert_quiet(&mut c).await;
    close(conn).await;
}

async fn requeue_keeps_the_prefetch_limit(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "requeue-prefetch").await;
    fill(&ch, &q, &["m1", "m2", "m3", "m4"]).await;
    let cch = channel(&conn).await;
    qos(&cch, 2, false).await;
    let mut c = consume(&cch, &q, ack_mode()).await;
    let d1 = next(&mut c).await;
    let _d2 = next(&mut c).await;
    assert_quiet(&mut c).await;
    // The requeued message comes straight back, and the consumer is at its limit again.
    d1.nack(true).unwrap();
    let again = next(&mut c).await;
    assert_eq!((body(&again), again.redelivered), ("m1".into(), true));
    assert_quiet(&mut c).await;
    again.reject(true).unwrap();
    let again = next(&mut c).await;
    assert_eq!((body(&again), again.redelivered), ("m1".into(), true));
    assert_quiet(&mut c).await;
    close(conn).await;
}

/// RabbitMQ puts a requeued message back at its original place in the queue, whatever order
/// the requeues come in.
async fn requeue_restores_original_order(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "requeue-order").await;
    fill(&ch, &q, &["m1", "m2", "m3", "m4"]).await;
    let gch = channel(&conn).await;
    let m1 = get(&gch, &q).await.unwrap();
    let m2 = get(&gch, &q).await.unwrap();
    let m3 = get(&gch, &q).await.unwrap();
    m1.nack(true).unwrap();
    m3.reject(true).unwrap();
    m2.nack(true).unwrap();
    let mut got = Vec::new();
    while let Some(d) = get(&gch, &q).await {
        got.push(body(&d));
        d.ack().unwrap();
    }
    assert_eq!(got, ["m1", "m2", "m3", "m4"]);
    close(conn).await;
}

async fn nack_and_reject_without_requeue_drop(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "drop").await;
    fill(&ch, &q, &["m1", "m2", "m3"]).await;
    let gch = channel(&conn).await;
    let m1 = get(&gch, &q).await.unwrap();
    let m2 = get(&gch, &q).await.unwrap();
    m1.reject(false).unwrap();
    m2.nack(false).unwrap();
    within("channel.close", gch.close()).await.unwrap();
    assert_eq!(drain(&ch, &q).await, ["m3"]);
    close(conn).await;
}

async fn recover_requeues_unacked(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "recover").await;
    fill(&ch, &q, &["m1", "m2", "m3"]).await;
    let cch = channel(&conn).await;
    // With a channel-wide limit, so recovering must give the credit back.
    qos(&cch, 2, true).await;
    let mut c = consume(&cch, &q, ack_mode()).await;
    let d1 = next(&mut c).await;
    let _d2 = next(&mut c).await;
    assert_quiet(&mut c).await;
    d1.ack().unwrap();
    let d3 = next(&mut c).await;
    assert_eq!(body(&d3), "m3");
    within("basic.recover", cch.basic_recover(true))
        .await
        .unwrap();
    let again = next_bodies(&mut c, 2).await;
    assert_eq!(again, ["m2", "m3"]);
    close(conn).await;
}

async fn recover_without_requeue_is_not_implemented(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "recover-false").await;
    fill(&ch, &q, &["m1"]).await;
    let _d = get(&ch, &q).await.unwrap();
    // RabbitMQ refuses requeue=false: 540 NOT_IMPLEMENTED, closing the connection.
    let r = within("basic.recover", ch.basic_recover(false)).await;
    assert_connection_closed(r, 540, BASIC_RECOVER);
    assert!(!conn.is_open());
}

async fn unacked_requeued_when_channel_closes(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "close-ch").await;
    fill(&ch, &q, &["m1", "m2", "m3"]).await;
    let cch = channel(&conn).await;
    let mut c = consume(&cch, &q, ack_mode()).await;
    let ds = [next(&mut c).await, next(&mut c).await, next(&mut c).await];
    ds[1].ack().unwrap();
    within("channel.close", cch.close()).await.unwrap();
    wait_ready(&ch, &q, 2).await;
    let mut got = Vec::new();
    while let Some(d) = get(&ch, &q).await {
        got.push((body(&d), d.redelivered));
        d.ack().unwrap();
    }
    assert_eq!(got, [("m1".to_string(), true), ("m3".to_string(), true)]);
    // Also when the channel is closed by an error.
    fill(&ch, &q, &["e1"]).await;
    let ech = channel(&conn).await;
    let d = get(&ech, &q).await.unwrap();
    assert!(!d.redelivered);
    ech.basic_ack(999, false).unwrap();
    let r = within("next method", ech.basic_qos(0, false)).await;
    assert_channel_closed(r, 406, BASIC_ACK);
    wait_ready(&ch, &q, 1).await;
    let back = get(&ch, &q)
        .await
        .expect("requeued after the channel error");
    assert_eq!((body(&back), back.redelivered), ("e1".into(), true));
    close(conn).await;
}

async fn unacked_requeued_when_connection_closes(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    // A queue that outlives the consuming connection.
    let q = unique("close-conn");
    within(
        "queue.declare",
        ch.queue_declare(&q, Default::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    fill(&ch, &q, &["m1", "m2"]).await;
    let (other, och) = t.open().await;
    let mut c = consume(&och, &q, ack_mode()).await;
    let _ = next_bodies(&mut c, 2).await;
    assert_eq!(ready_count(&ch, &q).await, 0);
    close(other).await;
    wait_ready(&ch, &q, 2).await;
    let mut got = Vec::new();
    while let Some(d) = get(&ch, &q).await {
        got.push((body(&d), d.redelivered));
        d.ack().unwrap();
    }
    assert_eq!(got, [("m1".to_string(), true), ("m2".to_string(), true)]);
    within("queue.delete", ch.queue_delete(&q, false, false))
        .await
        .unwrap();
    close(conn).await;
}

async fn exclusive_consumers(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = queue(&ch, "exclusive-consumer").await;
    let exclusive = BasicConsumeOptions {
        exclusive: true,
        ..Default::default()
    };
    let c1 = consume(&ch, &q, exclusive).await;
    let other = channel(&conn).await;
    let r = within(
        "second consumer",
        other.basic_consume(&q, "", ack_mode(), FieldTable::new()),
    )
    .await;
    let e = assert_channel_closed(r, 403, BASIC_CONSUME);
    assert!(e.reply_text.contains("exclusive"), "{}", e.reply_text);
    // Once the exclusive consumer is gone, others may consume.
    c1.cancel().await.unwrap();
    let other = channel(&conn).await;
    let _c2 = consume(&other, &q, ack_mode()).await;
    // An exclusive consumer is refused while another consumer exists.
    let third = channel(&conn).await;
    let r = within(
        "exclusive consumer",
        third.basic_consume(&q, "", exclusive, FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 403, BASIC_CONSUME);
    close(conn).await;
}

async fn consumer_cancelled_when_queue_deleted(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "cancel-notify").await;
    fill(&ch, &q, &["m1"]).await;
    let cch = channel(&conn).await;
    let mut c = consume(&cch, &q, ack_mode()).await;
    let d = next(&mut c).await;
    assert_eq!(body(&d), "m1");
    within("queue.delete", ch.queue_delete(&q, false, false))
        .await
        .unwrap();
    // The broker sends basic.cancel; the consumer ends with that reason.
    match within("cancel", c.next_delivery()).await {
        Some(Err(Error::ConsumerCancelled(tag))) => assert_eq!(tag, c.tag()),
        other => panic!("expected ConsumerCancelled, got {other:?}"),
    }
    assert!(within("end", c.next_delivery()).await.is_none());
    // The channel stays open; the delivery's tag is still valid to ack.
    assert!(cch.is_open());
    d.ack().unwrap();
    sync(&cch).await;
    assert!(cch.is_open());
    close(conn).await;
}

async fn basic_get_and_message_count(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "get").await;
    assert!(get(&ch, &q).await.is_none(), "get-empty");
    fill(&ch, &q, &["m1", "m2", "m3"]).await;
    let d = get(&ch, &q).await.unwrap();
    assert_eq!((body(&d), d.message_count), ("m1".into(), Some(2)));
    assert!(!d.redelivered);
    assert_eq!(d.routing_key.as_bytes(), q.as_bytes());
    assert!(d.exchange.is_empty());
    d.ack().unwrap();
    let d = within("basic.get", ch.basic_get(&q, true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((body(&d), d.message_count), ("m2".into(), Some(1)));
    let d = get(&ch, &q).await.unwrap();
    assert_eq!((body(&d), d.message_count), ("m3".into(), Some(0)));
    assert!(get(&ch, &q).await.is_none());
    // Unacked, so it comes back on reject.
    d.reject(true).unwrap();
    let d = get(&ch, &q).await.unwrap();
    assert_eq!((body(&d), d.redelivered), ("m3".into(), true));
    d.ack().unwrap();
    // basic.get from a missing queue is 404.
    let r = within("basic.get", ch.basic_get(&unique("missing"), false)).await;
    assert_channel_closed(r, 404, (60, 70));
    close(conn).await;
}

async fn no_ack_consumer(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "no-ack").await;
    let bodies = numbered("m", 5);
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    fill(&ch, &q, &bodies).await;
    let cch = channel(&conn).await;
    // Prefetch does not limit a no-ack consumer.
    qos(&cch, 1, false).await;
    qos(&cch, 1, true).await;
    let mut c = consume(
        &cch,
        &q,
        BasicConsumeOptions {
            no_ack: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(next_bodies(&mut c, 5).await, bodies);
    // Nothing is outstanding: closing the channel requeues nothing.
    within("channel.close", cch.close()).await.unwrap();
    assert_eq!(ready_count(&ch, &q).await, 0);
    close(conn).await;
}

async fn consumer_priorities(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "priorities").await;
    let cch = channel(&conn).await;
    qos(&cch, 2, false).await;
    let mut low = consume(&cch, &q, ack_mode()).await;
    let mut args = FieldTable::new();
    args.insert("x-priority", FieldValue::LongInt(10)).unwrap();
    let mut high = consume_with(&cch, &q, ack_mode(), args).await;
    let bodies = numbered("m", 5);
    let bodies: Vec<&str> = bodies.iter().map(String::as_str).collect();
    fill(&ch, &q, &bodies).await;
    // The high-priority consumer gets messages while it has credit...
    let h = next_bodies(&mut high, 2).await;
    assert_eq!(h, ["m1", "m2"]);
    // ...then the lower one.
    let l1 = next(&mut low).await;
    let l2 = next(&mut low).await;
    assert_eq!((body(&l1), body(&l2)), ("m3".into(), "m4".into()));
    assert_quiet(&mut low).await;
    assert_quiet(&mut high).await;
    // Credit back on the low one while the high one is full: low gets m5.
    l1.ack().unwrap();
    assert_eq!(body(&next(&mut low).await), "m5");
    close(conn).await;
}

async fn mandatory_unroutable_is_returned(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "mandatory", "direct").await;
    let q = queue(&ch, "mandatory").await;
    bind(&ch, &q, &x, "routed", FieldTable::new()).await;
    let props = BasicProperties {
        message_id: Some(ShortString::from_static("id-1")),
        ..Default::default()
    };
    let confirm = publish_with(&ch, &x, "nowhere", "lost", props, true).await;
    let r = within("basic.return", ch.recv_return())
        .await
        .expect("return");
    assert_eq!(r.reply_code, 312);
    assert_eq!(r.reply_text.as_bytes(), b"NO_ROUTE");
    assert_eq!(r.exchange.as_bytes(), x.as_bytes());
    assert_eq!(r.routing_key.as_bytes(), b"nowhere");
    assert_eq!(&r.body[..], b"lost");
    assert_eq!(
        r.properties
            .message_id
            .as_ref()
            .map(|m| m.as_bytes().to_vec()),
        Some(b"id-1".to_vec())
    );
    // Unroutable messages are still acked.
    assert!(within("confirm", confirm).await.unwrap().is_ack());
    // Routed mandatory messages are not returned; nor unroutable non-mandatory ones.
    let c1 = publish_with(&ch, &x, "routed", "ok", Default::default(), true).await;
    let c2 = publish_with(&ch, &x, "nowhere", "quiet", Default::default(), false).await;
    assert!(within("confirm", c1).await.unwrap().is_ack());
    assert!(within("confirm", c2).await.unwrap().is_ack());
    assert!(ch.try_recv_return().is_none());
    // The default exchange with no such queue.
    let c3 = publish_with(
        &ch,
        "",
        &unique("no-queue"),
        "lost2",
        Default::default(),
        true,
    )
    .await;
    let r = within("basic.return", ch.recv_return())
        .await
        .expect("return");
    assert_eq!((r.reply_code, &r.body[..]), (312, &b"lost2"[..]));
    assert!(within("confirm", c3).await.unwrap().is_ack());
    assert_eq!(drain(&ch, &q).await, ["ok"]);
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn publisher_confirms(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "confirms").await;
    let mut pending = Vec::new();
    for i in 0..50 {
        let key = if i % 2 == 0 {
            q.clone()
        } else {
            unique("none")
        };
        pending.push(publish_with(&ch, "", &key, "x", Default::default(), false).await);
    }
    for p in pending {
        assert!(within("confirm", p).await.unwrap().is_ack());
    }
    assert!(within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap());
    assert_eq!(ready_count(&ch, &q).await, 25);
    // confirm.select is idempotent.
    within("confirm.select", ch.confirm_select()).await.unwrap();
    publish_confirmed(&ch, "", &q, "after").await;
    close(conn).await;
}

async fn transactions_hold_publishes_until_commit(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = queue(&ch, "tx-publish").await;
    let tx = channel(&conn).await;
    within("tx.select", tx.tx_select()).await.unwrap();
    publish(&tx, "", &q, "t1").await;
    publish(&tx, "", &q, "t2").await;
    sync(&tx).await;
    assert_eq!(ready_count(&ch, &q).await, 0, "held until commit");
    within("tx.commit", tx.tx_commit()).await.unwrap();
    assert_eq!(drain(&ch, &q).await, ["t1", "t2"]);
    // Rollback discards.
    publish(&tx, "", &q, "r1").await;
    within("tx.rollback", tx.tx_rollback()).await.unwrap();
    within("tx.commit", tx.tx_commit()).await.unwrap();
    assert!(drain(&ch, &q).await.is_empty());
    // Mandatory returns come at commit.
    let x = exchange(&ch, "tx-mandatory", "direct").await;
    publish_with(&tx, &x, "nowhere", "ret", Default::default(), true).await;
    sync(&tx).await;
    assert!(tx.try_recv_return().is_none());
    within("tx.commit", tx.tx_commit()).await.unwrap();
    let r = within("basic.return", tx.recv_return())
        .await
        .expect("return");
    assert_eq!((r.reply_code, &r.body[..]), (312, &b"ret"[..]));
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn transactions_hold_acks_until_commit(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "tx-ack").await;
    fill(&ch, &q, &["m1", "m2"]).await;
    // An ack rolled back is forgotten: the message stays unacked and comes back on close.
    let tx = channel(&conn).await;
    within("tx.select", tx.tx_select()).await.unwrap();
    let d = get(&tx, &q).await.unwrap();
    d.ack().unwrap();
    within("tx.rollback", tx.tx_rollback()).await.unwrap();
    within("channel.close", tx.close()).await.unwrap();
    wait_ready(&ch, &q, 2).await;
    let back = get(&ch, &q).await.unwrap();
    assert_eq!((body(&back), back.redelivered), ("m1".into(), true));
    back.reject(true).unwrap();
    sync(&ch).await;

    // An ack not yet committed is not applied: closing the channel requeues the message.
    let tx = channel(&conn).await;
    within("tx.select", tx.tx_select()).await.unwrap();
    let d = get(&tx, &q).await.unwrap();
    d.ack().unwrap();
    sync(&tx).await;
    within("channel.close", tx.close()).await.unwrap();
    wait_ready(&ch, &q, 2).await;

    // Committed acks are applied; after a rollback the tag can be acked again.
    let tx = channel(&conn).await;
    within("tx.select", tx.tx_select()).await.unwrap();
    let d1 = get(&tx, &q).await.unwrap();
    let d2 = get(&tx, &q).await.unwrap();
    d1.ack().unwrap();
    within("tx.rollback", tx.tx_rollback()).await.unwrap();
    d1.ack().unwrap();
    // A rejection with requeue is held too.
    d2.reject(true).unwrap();
    sync(&tx).await;
    assert_eq!(ready_count(&ch, &q).await, 0);
    within("tx.commit", tx.tx_commit()).await.unwrap();
    let left = drain(&ch, &q).await;
    assert_eq!(left, ["m2"], "m1 acked, m2 requeued at commit");
    within("channel.close", tx.close()).await.unwrap();
    assert_eq!(ready_count(&ch, &q).await, 0);

    // A tag settled in the transaction is no longer outstanding: settling it again is 406.
    fill(&ch, &q, &["m3", "m4"]).await;
    let tx = channel(&conn).await;
    within("tx.select", tx.tx_select()).await.unwrap();
    let _d3 = get(&tx, &q).await.unwrap();
    let d4 = get(&tx, &q).await.unwrap();
    d4.ack_multiple().unwrap();
    tx.basic_reject(d4.delivery_tag - 1, true).unwrap();
    let r = within("tx.commit", tx.tx_commit()).await;
    let e = assert_channel_closed(r, 406, (60, 90));
    assert_eq!(
        e.reply_text,
        format!(
            "PRECONDITION_FAILED - unknown delivery tag {}",
            d4.delivery_tag - 1
        )
    );
    // Nothing was committed: both come back.
    wait_ready(&ch, &q, 2).await;
    close(conn).await;
}

async fn transaction_and_confirm_modes_exclude_each_other(t: &Target) {
    let (conn, ch) = t.open().await;
    let r = within("tx.commit", ch.tx_commit()).await;
    assert_channel_closed(r, 406, TX_COMMIT);
    let ch = channel(&conn).await;
    let r = within("tx.rollback", ch.tx_rollback()).await;
    assert_channel_closed(r, 406, TX_ROLLBACK);
    let ch = channel(&conn).await;
    within("tx.select", ch.tx_select()).await.unwrap();
    // tx.select is idempotent.
    within("tx.select", ch.tx_select()).await.unwrap();
    let r = within("confirm.select", ch.confirm_select()).await;
    assert_channel_closed(r, 406, CONFIRM_SELECT);
    let ch = channel(&conn).await;
    within("confirm.select", ch.confirm_select()).await.unwrap();
    let r = within("tx.select", ch.tx_select()).await;
    assert_channel_closed(r, 406, TX_SELECT);
    close(conn).await;
}

async fn user_id_must_match_the_authenticated_user(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let q = queue(&ch, "user-id").await;
    let user = warren_core::client::ConnectionOptions::from_uri(&t.uri)
        .unwrap()
        .config
        .credentials
        .username;
    let ok = BasicProperties {
        user_id: Some(ShortString::try_from(user.as_str()).unwrap()),
        ..Default::default()
    };
    publish_confirmed_props(&ch, "", &q, "mine", ok).await;
    let d = get(&ch, &q).await.unwrap();
    assert_eq!(
        d.properties.user_id.as_ref().map(|u| u.to_string()),
        Some(user.clone())
    );
    d.ack().unwrap();
    let bad = BasicProperties {
        user_id: Some(ShortString::from_static("someone-else")),
        ..Default::default()
    };
    let confirm = publish_with(&ch, "", &q, "forged", bad, false).await;
    let r = within("confirm", confirm).await;
    let e = assert_channel_closed(r, 406, BASIC_PUBLISH);
    assert!(e.reply_text.contains("user_id"), "{}", e.reply_text);
    let ch = channel(&conn).await;
    assert_eq!(ready_count(&ch, &q).await, 0);
    close(conn).await;
}
