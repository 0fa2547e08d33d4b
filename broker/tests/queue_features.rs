//! Classic-queue features, as RabbitMQ 3.10 has them: message TTL and per-message expiration,
//! queue expiry, length limits and overflow modes, single active consumer, priorities,
//! dead-lettering with `x-death`, and argument validation and equivalence.
//!
//! Every test runs against an in-process broker (`<test>::warren`) and, when
//! `WARREN_QUEUE_FEATURES_URI` is set (e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`), against
//! that broker too (`<test>::rabbitmq`), such as the RabbitMQ they are meant to match.

mod support;

use std::time::Duration;

use warren_broker::BrokerHandle;
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, Confirmation, Connection, Consumer,
    Delivery, QueueDeclareOptions,
};
use warren_core::{AmqpError, BasicProperties, Error, FieldTable, FieldValue};

/// The variable naming the other broker the tests also run against.
const ORACLE_ENV: &str = "WARREN_QUEUE_FEATURES_URI";

/// The broker under test: in-process, or the one `WARREN_QUEUE_FEATURES_URI` names.
struct Target {
    uri: String,
    _broker: Option<BrokerHandle>,
}

/// Defines each test as two: `<test>::warren` against an in-process broker and
/// `<test>::rabbitmq` against `WARREN_QUEUE_FEATURES_URI` (skipped, with a line saying so,
/// when unset). A test is an `async fn(&Target)` here.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn warren() {
                    let broker = crate::support::start().await;
                    let t = super::Target {
                        uri: broker.amqp_uri(),
                        _broker: Some(broker),
                    };
                    super::$name(&t).await;
                }

                #[tokio::test]
                async fn rabbitmq() {
                    let Ok(uri) = std::env::var(super::ORACLE_ENV) else {
                        crate::support::oracle_skipped(
                            super::ORACLE_ENV,
                            "amqp://guest:guest@127.0.0.1:5672/%2f",
                        );
                        return;
                    };
                    super::$name(&super::Target { uri, _broker: None }).await;
                }
            }
        )*
    };
}

on_both!(
    queue_ttl_expires_messages_without_consumers,
    per_message_expiration_and_the_smaller_ttl_wins,
    expired_messages_are_never_delivered,
    ttl_zero_reaches_a_waiting_consumer_only,
    invalid_expiration_closes_the_channel_with_406,
    expired_messages_are_dead_lettered_with_reason_expired,
    unused_queue_expires,
    max_length_drops_the_head_and_dead_letters_it_as_maxlen,
    max_length_bytes_counts_body_bytes,
    reject_publish_nacks_and_keeps_the_queue_as_it_was,
    reject_publish_dlx_nacks_and_dead_letters_the_refused_message,
    single_active_consumer_hands_over_in_registration_order,
    priority_queue_delivers_higher_priorities_first,
    rejected_messages_are_dead_lettered,
    repeated_deaths_count_per_queue_and_reason,
    automatic_dead_letter_cycles_are_dropped,
    invalid_arguments_are_refused_like_rabbitmq,
    argument_equivalence_on_redeclare,
);

impl Target {
    async fn connect(&self) -> Connection {
        support::within("connect", Connection::connect(&self.uri))
            .await
            .expect("connect")
    }

    async fn open(&self) -> (Connection, Channel) {
        let conn = self.connect().await;
        let ch = conn.open_channel().await.expect("open channel");
        (conn, ch)
    }

    async fn confirming(&self) -> (Connection, Channel) {
        let (conn, ch) = self.open().await;
        ch.confirm_select().await.expect("confirm.select");
        (conn, ch)
    }
}

fn name(prefix: &str) -> String {
    support::unique(&format!("qf.{}.{prefix}", std::process::id()))
}

fn args(entries: &[(&str, FieldValue)]) -> FieldTable {
    let mut t = FieldTable::new();
    for (k, v) in entries {
        t.insert(k, v.clone()).unwrap();
    }
    t
}

fn long(s: &str) -> FieldValue {
    FieldValue::from(s)
}

fn int(n: i32) -> FieldValue {
    FieldValue::LongInt(n)
}

fn exclusive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    }
}

async fn declare(ch: &Channel, queue: &str, arguments: FieldTable) {
    support::within(
        "queue.declare",
        ch.queue_declare(queue, exclusive(), arguments),
    )
    .await
    .expect("queue.declare");
}

/// Declares an exclusive queue named from `prefix`.
async fn queue(ch: &Channel, prefix: &str, arguments: FieldTable) -> String {
    let q = name(prefix);
    declare(ch, &q, arguments).await;
    q
}

fn props_expiring(ms: &str) -> BasicProperties {
    BasicProperties {
        expiration: Some(ms.try_into().unwrap()),
        ..Default::default()
    }
}

fn props_priority(p: u8) -> BasicProperties {
    BasicProperties {
        priority: Some(p),
        ..Default::default()
    }
}

async fn publish(ch: &Channel, exchange: &str, key: &str, body: &str, props: BasicProperties) {
    support::within(
        "basic.publish",
        ch.basic_publish(
            exchange,
            key,
            BasicPublishOptions::default(),
            body.as_bytes().to_vec(),
            props,
        ),
    )
    .await
    .expect("basic.publish");
}

/// Publishes on a confirming channel and returns the broker's answer.
async fn publish_confirm(
    ch: &Channel,
    exchange: &str,
    key: &str,
    body: &str,
    props: BasicProperties,
) -> Confirmation {
    let c = support::within(
        "basic.publish",
        ch.basic_publish(
            exchange,
            key,
            BasicPublishOptions::default(),
            body.as_bytes().to_vec(),
            props,
        ),
    )
    .await
    .expect("basic.publish");
    support::within("confirm", c).await.expect("confirm")
}

async fn get(ch: &Channel, q: &str, no_ack: bool) -> Option<Delivery> {
    support::within("basic.get", ch.basic_get(q, no_ack))
        .await
        .expect("basic.get")
}

/// Every ready message's body, auto-acked, in delivery order.
async fn drain(ch: &Channel, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(d) = get(ch, q, true).await {
        out.push(String::from_utf8_lossy(&d.body).into_owned());
        assert!(out.len() < 1000);
    }
    out
}

async fn consume(ch: &Channel, q: &str, no_ack: bool) -> Consumer {
    support::within(
        "basic.consume",
        ch.basic_consume(
            q,
            "",
            BasicConsumeOptions {
                no_ack,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .expect("basic.consume")
}

async fn next(c: &mut Consumer) -> Delivery {
    support::within("a delivery", c.next_delivery())
        .await
        .expect("consumer ended")
        .expect("consumer failed")
}

async fn quiet(c: &mut Consumer, ms: u64) {
    if let Ok(d) = tokio::time::timeout(Duration::from_millis(ms), c.next_delivery()).await {
        panic!("expected no delivery, got {d:?}");
    }
}

fn body(d: &Delivery) -> String {
    String::from_utf8_lossy(&d.body).into_owned()
}

async fn message_count(ch: &Channel, q: &str) -> u32 {
    let ok = support::within(
        "queue.declare passive",
        ch.queue_declare(
            q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .expect("passive declare");
    ok.message_count
}

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[track_caller]
fn channel_closed(err: &Error) -> AmqpError {
    match err {
        Error::ChannelClosed(e) => e.clone(),
        other => panic!("expected a channel error, got {other:?}"),
    }
}

fn header<'a>(d: &'a Delivery, key: &str) -> &'a FieldValue {
    d.properties
        .headers
        .as_ref()
        .and_then(|h| h.get(key))
        .unwrap_or_else(|| panic!("header {key} missing in {:?}", d.properties.headers))
}

fn deaths(d: &Delivery) -> Vec<FieldTable> {
    header(d, "x-death")
        .as_array()
        .expect("x-death is an array")
        .iter()
        .map(|v| v.as_table().expect("x-death entries are tables").clone())
        .collect()
}

fn keys(t: &FieldTable) -> Vec<String> {
    t.iter().map(|(k, _)| k.to_string()).collect()
}

fn field<'a>(t: &'a FieldTable, key: &str) -> &'a FieldValue {
    t.get(key)
        .unwrap_or_else(|| panic!("{key} missing in {t:?}"))
}

/// A dead-letter target queue and a consumer on it, on a channel of its own (so that
/// settling on `ch` with `multiple` does not reach its deliveries).
async fn dlx_target(ch: &Channel) -> (String, Consumer) {
    let t = queue(ch, "dl-target", FieldTable::new()).await;
    let own = ch.connection().open_channel().await.expect("open channel");
    let c = consume(&own, &t, false).await;
    (t, c)
}

fn dead_letter_to(target: &str) -> Vec<(&'static str, FieldValue)> {
    vec![
        ("x-dead-letter-exchange", long("")),
        ("x-dead-letter-routing-key", long(target)),
    ]
}

// ---- TTL ----

async fn queue_ttl_expires_messages_without_consumers(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let q = queue(&ch, "ttl", args(&[("x-message-ttl", int(400))])).await;
    for b in ["a", "b", "c"] {
        publish_confirm(&ch, "", &q, b, BasicProperties::default()).await;
    }
    assert_eq!(message_count(&ch, &q).await, 3);
    sleep_ms(900).await;
    // Dropped by the queue's timer, not only when someone looks.
    assert_eq!(message_count(&ch, &q).await, 0);
    assert!(get(&ch, &q, true).await.is_none());
    // A message published now is there until its own TTL runs out.
    publish(&ch, "", &q, "fresh", BasicProperties::default()).await;
    assert_eq!(drain(&ch, &q).await, ["fresh"]);
    conn.close().await.unwrap();
}

async fn per_message_expiration_and_the_smaller_ttl_wins(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = queue(&ch, "exp", FieldTable::new()).await;
    publish(&ch, "", &q, "short", props_expiring("100")).await;
    publish(&ch, "", &q, "long", props_expiring("60000")).await;
    publish(&ch, "", &q, "forever", BasicProperties::default()).await;
    sleep_ms(300).await;
    assert_eq!(drain(&ch, &q).await, ["long", "forever"]);

    // Queue TTL 100 ms beats a message's 60 s; a message's 100 ms beats the queue's 60 s.
    let q1 = queue(&ch, "exp-q", args(&[("x-message-ttl", int(100))])).await;
    publish(&ch, "", &q1, "x", props_expiring("60000")).await;
    let q2 = queue(&ch, "exp-m", args(&[("x-message-ttl", int(60_000))])).await;
    publish(&ch, "", &q2, "y", props_expiring("100")).await;
    publish(&ch, "", &q2, "z", BasicProperties::default()).await;
    sleep_ms(300).await;
    assert!(drain(&ch, &q1).await.is_empty());
    assert_eq!(drain(&ch, &q2).await, ["z"]);
    conn.close().await.unwrap();
}

async fn expired_messages_are_never_delivered(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = queue(&ch, "never", FieldTable::new()).await;
    // Expired behind a long-lived head: RabbitMQ keeps it until it reaches the head, then drops
    // it rather than delivering it.
    publish(&ch, "", &q, "head", props_expiring("60000")).await;
    publish(&ch, "", &q, "dies", props_expiring("50")).await;
    publish(&ch, "", &q, "tail", BasicProperties::default()).await;
    sleep_ms(200).await;
    assert_eq!(drain(&ch, &q).await, ["head", "tail"]);

    // The same for a consumer that arrives late.
    publish(&ch, "", &q, "head", props_expiring("60000")).await;
    publish(&ch, "", &q, "dies", props_expiring("50")).await;
    publish(&ch, "", &q, "tail", BasicProperties::default()).await;
    sleep_ms(200).await;
    let mut c = consume(&ch, &q, true).await;
    assert_eq!(body(&next(&mut c).await), "head");
    assert_eq!(body(&next(&mut c).await), "tail");
    quiet(&mut c, 200).await;
    conn.close().await.unwrap();
}

async fn ttl_zero_reaches_a_waiting_consumer_only(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = queue(&ch, "ttl0", args(&[("x-message-ttl", int(0))])).await;
    publish(&ch, "", &q, "nobody", BasicProperties::default()).await;
    assert_eq!(message_count(&ch, &q).await, 0);
    let mut c = consume(&ch, &q, true).await;
    publish(&ch, "", &q, "someone", BasicProperties::default()).await;
    assert_eq!(body(&next(&mut c).await), "someone");
    quiet(&mut c, 100).await;
    conn.close().await.unwrap();
}

async fn invalid_expiration_closes_the_channel_with_406(t: &Target) {
    let conn = t.connect().await;
    for (exp, why) in [
        ("abc", "no_integer"),
        ("-1", "{value_negative,-1}"),
        ("10x", "{leftover_string,\"x\"}"),
        ("315360000001", "{value_too_large,315360000001}"),
    ] {
        let ch = conn.open_channel().await.unwrap();
        let q = queue(&ch, "bad-exp", FieldTable::new()).await;
        publish(&ch, "", &q, "x", props_expiring(exp)).await;
        let err = ch
            .queue_declare(
                &q,
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::new(),
            )
            .await
            .expect_err("the channel is closed");
        let e = channel_closed(&err);
        assert_eq!((e.reply_code, e.class_id, e.method_id), (406, 60, 40));
        assert_eq!(
            e.reply_text,
            format!("PRECONDITION_FAILED - invalid expiration '{exp}': {why}")
        );
    }
    let ch = conn.open_channel().await.unwrap();
    let q = queue(&ch, "ok-exp", FieldTable::new()).await;
    publish(&ch, "", &q, "x", props_expiring("+007")).await;
    assert_eq!(drain(&ch, &q).await, ["x"]);
    conn.close().await.unwrap();
}

async fn expired_messages_are_dead_lettered_with_reason_expired(t: &Target) {
    let (conn, ch) = t.open().await;
    let (target_q, mut c) = dlx_target(&ch).await;
    let mut a = args(&dead_letter_to(&target_q));
    a.insert("x-message-ttl", int(100)).unwrap();
    let src = queue(&ch, "dl-exp", a).await;
    let props = BasicProperties {
        expiration: Some("50".try_into().unwrap()),
        message_id: Some("m1".try_into().unwrap()),
        ..Default::default()
    };
    publish(&ch, "", &src, "per-message", props).await;
    publish(&ch, "", &src, "queue-ttl", BasicProperties::default()).await;

    let d = next(&mut c).await;
    assert_eq!(body(&d), "per-message");
    assert_eq!(d.exchange, "");
    assert_eq!(d.routing_key, target_q.as_str());
    assert_eq!(d.properties.expiration, None, "expiration removed");
    assert_eq!(d.properties.message_id, Some("m1".try_into().unwrap()));
    let x = deaths(&d);
    assert_eq!(x.len(), 1);
    let e = &x[0];
    assert_eq!(field(e, "count"), &FieldValue::LongLongInt(1));
    assert_eq!(field(e, "reason"), &long("expired"));
    assert_eq!(field(e, "queue"), &long(&src));
    assert_eq!(field(e, "exchange"), &long(""));
    assert_eq!(
        field(e, "routing-keys"),
        &FieldValue::Array(vec![long(&src)])
    );
    assert_eq!(field(e, "original-expiration"), &long("50"));
    assert!(matches!(field(e, "time"), FieldValue::Timestamp(_)));
    // On the wire in RabbitMQ's order; the headers themselves come out sorted.
    assert_eq!(
        keys(e),
        [
            "count",
            "reason",
            "queue",
            "time",
            "exchange",
            "routing-keys",
            "original-expiration"
        ]
    );
    assert_eq!(
        keys(d.properties.headers.as_ref().unwrap()),
        [
            "x-death",
            "x-first-death-exchange",
            "x-first-death-queue",
            "x-first-death-reason"
        ]
    );
    assert_eq!(header(&d, "x-first-death-reason"), &long("expired"));
    assert_eq!(header(&d, "x-first-death-queue"), &long(&src));
    assert_eq!(header(&d, "x-first-death-exchange"), &long(""));
    d.ack().unwrap();

    let d = next(&mut c).await;
    assert_eq!(body(&d), "queue-ttl");
    let x = deaths(&d);
    assert_eq!(x[0].get("original-expiration"), None);
    assert_eq!(x[0].len(), 6);
    d.ack().unwrap();
    conn.close().await.unwrap();
}

// ---- x-expires ----

async fn unused_queue_expires(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = name("expires");
    let a = || args(&[("x-expires", int(500))]);
    ch.queue_declare(&q, QueueDeclareOptions::default(), a())
        .await
        .unwrap();
    publish(
        &ch,
        "",
        &q,
        "kept until the queue goes",
        BasicProperties::default(),
    )
    .await;
    // Redeclaring and basic.get count as use: each keeps it well past its 500 ms.
    for _ in 0..4 {
        sleep_ms(150).await;
        ch.queue_declare(&q, QueueDeclareOptions::default(), a())
            .await
            .unwrap();
    }
    for _ in 0..4 {
        sleep_ms(150).await;
        get(&ch, &q, true).await;
    }
    // A consumer keeps it too.
    let c = consume(&ch, &q, true).await;
    sleep_ms(800).await;
    assert_eq!(message_count(&ch, &q).await, 0);
    c.cancel().await.unwrap();
    sleep_ms(1000).await;
    let err = ch
        .queue_declare(
            &q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .expect_err("the queue expired");
    assert_eq!(channel_closed(&err).reply_code, 404);
    conn.close().await.unwrap();
}

// ---- length limits ----

async fn max_length_drops_the_head_and_dead_letters_it_as_maxlen(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let q = queue(&ch, "maxlen", args(&[("x-max-length", int(2))])).await;
    for b in ["1", "2", "3", "4"] {
        assert_eq!(
            publish_confirm(&ch, "", &q, b, BasicProperties::default()).await,
            Confirmation::Ack
        );
    }
    assert_eq!(drain(&ch, &q).await, ["3", "4"]);

    let (target_q, mut c) = dlx_target(&ch).await;
    let mut a = args(&dead_letter_to(&target_q));
    a.insert("x-max-length", int(1)).unwrap();
    let src = queue(&ch, "maxlen-dl", a).await;
    publish_confirm(&ch, "", &src, "old", BasicProperties::default()).await;
    publish_confirm(&ch, "", &src, "new", BasicProperties::default()).await;
    let d = next(&mut c).await;
    assert_eq!(body(&d), "old");
    assert_eq!(field(&deaths(&d)[0], "reason"), &long("maxlen"));
    assert_eq!(header(&d, "x-first-death-reason"), &long("maxlen"));
    d.ack().unwrap();
    assert_eq!(drain(&ch, &src).await, ["new"]);
    conn.close().await.unwrap();
}

async fn max_length_bytes_counts_body_bytes(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let q = queue(&ch, "maxbytes", args(&[("x-max-length-bytes", int(10))])).await;
    for b in ["aaaa", "bbbb", "cccc"] {
        publish_confirm(&ch, "", &q, b, BasicProperties::default()).await;
    }
    assert_eq!(drain(&ch, &q).await, ["bbbb", "cccc"]);
    // A message larger than the limit on its own does not stay.
    publish_confirm(&ch, "", &q, "0123456789A", BasicProperties::default()).await;
    assert!(drain(&ch, &q).await.is_empty());
    conn.close().await.unwrap();
}

async fn reject_publish_nacks_and_keeps_the_queue_as_it_was(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let full = queue(
        &ch,
        "reject",
        args(&[
            ("x-max-length", int(1)),
            ("x-overflow", long("reject-publish")),
        ]),
    )
    .await;
    let other = queue(&ch, "reject-other", FieldTable::new()).await;
    let fanout = name("reject-fanout");
    ch.exchange_declare(&fanout, "fanout", Default::default(), FieldTable::new())
        .await
        .unwrap();
    ch.queue_bind(&full, &fanout, "", FieldTable::new())
        .await
        .unwrap();
    ch.queue_bind(&other, &fanout, "", FieldTable::new())
        .await
        .unwrap();

    let mut outcomes = Vec::new();
    for b in ["1", "2", "3"] {
        outcomes.push(publish_confirm(&ch, "", &full, b, BasicProperties::default()).await);
    }
    assert_eq!(
        outcomes,
        [Confirmation::Ack, Confirmation::Nack, Confirmation::Nack]
    );
    // Routed to two queues, refused by one: nacked, yet the other queue has it.
    assert_eq!(
        publish_confirm(&ch, &fanout, "", "both", BasicProperties::default()).await,
        Confirmation::Nack
    );
    assert_eq!(drain(&ch, &other).await, ["both"]);
    assert_eq!(drain(&ch, &full).await, ["1"]);
    assert_eq!(
        publish_confirm(&ch, &fanout, "", "room", BasicProperties::default()).await,
        Confirmation::Ack
    );
    ch.exchange_delete(&fanout, false).await.unwrap();
    conn.close().await.unwrap();
}

async fn reject_publish_dlx_nacks_and_dead_letters_the_refused_message(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let (target_q, mut c) = dlx_target(&ch).await;
    let mut a = args(&dead_letter_to(&target_q));
    a.insert("x-max-length", int(1)).unwrap();
    a.insert("x-overflow", long("reject-publish-dlx")).unwrap();
    let src = queue(&ch, "reject-dlx", a).await;
    assert_eq!(
        publish_confirm(&ch, "", &src, "in", BasicProperties::default()).await,
        Confirmation::Ack
    );
    assert_eq!(
        publish_confirm(&ch, "", &src, "refused", BasicProperties::default()).await,
        Confirmation::Nack
    );
    let d = next(&mut c).await;
    assert_eq!(body(&d), "refused");
    assert_eq!(field(&deaths(&d)[0], "reason"), &long("maxlen"));
    assert_eq!(field(&deaths(&d)[0], "queue"), &long(&src));
    d.ack().unwrap();
    assert_eq!(drain(&ch, &src).await, ["in"]);
    conn.close().await.unwrap();
}

// ---- single active consumer ----

async fn single_active_consumer_hands_over_in_registration_order(t: &Target) {
    let (conn, ch) = t.open().await;
    let q = queue(
        &ch,
        "sac",
        args(&[("x-single-active-consumer", FieldValue::Boolean(true))]),
    )
    .await;
    let ch1 = conn.open_channel().await.unwrap();
    let ch2 = conn.open_channel().await.unwrap();
    let ch3 = conn.open_channel().await.unwrap();
    let mut c1 = consume(&ch1, &q, false).await;
    let mut c2 = consume(&ch2, &q, false).await;
    let mut c3 = consume(&ch3, &q, true).await;
    let ok = ch
        .queue_declare(
            &q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    assert_eq!(ok.consumer_count, 3);
    for b in ["1", "2", "3"] {
        publish(&ch, "", &q, b, BasicProperties::default()).await;
    }
    let first: Vec<Delivery> = vec![
        next(&mut c1).await,
        next(&mut c1).await,
        next(&mut c1).await,
    ];
    assert_eq!(first.iter().map(body).collect::<Vec<_>>(), ["1", "2", "3"]);
    quiet(&mut c2, 150).await;
    first[0].ack().unwrap();
    // The active consumer's channel closes: its unacked messages go to the next one.
    ch1.close().await.unwrap();
    let d = next(&mut c2).await;
    assert_eq!(body(&d), "2");
    assert!(d.redelivered);
    assert_eq!(body(&next(&mut c2).await), "3");
    publish(&ch, "", &q, "4", BasicProperties::default()).await;
    assert_eq!(body(&next(&mut c2).await), "4");
    quiet(&mut c3, 150).await;
    // Cancelled: the last one takes over new messages; its unacked ones stay with its channel
    // until that closes.
    c2.cancel().await.unwrap();
    publish(&ch, "", &q, "5", BasicProperties::default()).await;
    assert_eq!(body(&next(&mut c3).await), "5");
    ch2.close().await.unwrap();
    for want in ["2", "3", "4"] {
        let d = next(&mut c3).await;
        assert_eq!(body(&d), want);
        assert!(d.redelivered);
    }
    conn.close().await.unwrap();
}

// ---- priorities ----

async fn priority_queue_delivers_higher_priorities_first(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let q = queue(&ch, "prio", args(&[("x-max-priority", int(5))])).await;
    let sent: [(&str, Option<u8>); 7] = [
        ("none", None),
        ("p1", Some(1)),
        ("p5", Some(5)),
        ("p9", Some(9)),
        ("p3", Some(3)),
        ("p1b", Some(1)),
        ("p0", Some(0)),
    ];
    for (b, p) in sent {
        let props = p.map(props_priority).unwrap_or_default();
        publish_confirm(&ch, "", &q, b, props).await;
    }
    // Above the maximum counts as the maximum; FIFO within a priority; none is 0.
    assert_eq!(
        drain(&ch, &q).await,
        ["p5", "p9", "p3", "p1", "p1b", "none", "p0"]
    );

    // Requeued messages go back to the front of their priority.
    for (b, p) in [("low", 1), ("high", 4)] {
        publish_confirm(&ch, "", &q, b, props_priority(p)).await;
    }
    let d = get(&ch, &q, false).await.unwrap();
    assert_eq!(body(&d), "high");
    publish_confirm(&ch, "", &q, "high2", props_priority(4)).await;
    d.reject(true).unwrap();
    assert_eq!(drain(&ch, &q).await, ["high", "high2", "low"]);

    // Over its length limit, a priority queue drops the head: its highest-priority message.
    let limited = queue(
        &ch,
        "prio-maxlen",
        args(&[("x-max-priority", int(5)), ("x-max-length", int(2))]),
    )
    .await;
    for (b, p) in [("a", 1), ("b", 5), ("c", 1)] {
        publish_confirm(&ch, "", &limited, b, props_priority(p)).await;
    }
    assert_eq!(drain(&ch, &limited).await, ["a", "c"]);

    // Without x-max-priority, priorities are ignored.
    let plain = queue(&ch, "no-prio", FieldTable::new()).await;
    publish_confirm(&ch, "", &plain, "a", props_priority(1)).await;
    publish_confirm(&ch, "", &plain, "b", props_priority(9)).await;
    assert_eq!(drain(&ch, &plain).await, ["a", "b"]);
    conn.close().await.unwrap();
}

// ---- dead-lettering ----

async fn rejected_messages_are_dead_lettered(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let dlx = name("dlx");
    ch.exchange_declare(&dlx, "direct", Default::default(), FieldTable::new())
        .await
        .unwrap();
    let (target_q, mut c) = dlx_target(&ch).await;
    ch.queue_bind(&target_q, &dlx, "orig-key", FieldTable::new())
        .await
        .unwrap();
    // No routing key of its own: the message keeps the one it was published with.
    let src = queue(
        &ch,
        "dl-rej",
        args(&[("x-dead-letter-exchange", long(&dlx))]),
    )
    .await;
    ch.queue_bind(&src, "amq.direct", "orig-key", FieldTable::new())
        .await
        .unwrap();
    let headers = args(&[("zz-app", long("kept")), ("app", long("kept"))]);
    for b in ["nack", "reject", "multi1", "multi2", "requeued"] {
        let props = BasicProperties {
            headers: Some(headers.clone()),
            ..Default::default()
        };
        publish_confirm(&ch, "amq.direct", "orig-key", b, props).await;
    }
    get(&ch, &src, false).await.unwrap().nack(false).unwrap();
    get(&ch, &src, false).await.unwrap().reject(false).unwrap();
    let _m1 = get(&ch, &src, false).await.unwrap();
    let m2 = get(&ch, &src, false).await.unwrap();
    ch.basic_nack(m2.delivery_tag, true, false).unwrap();
    // requeue=true is not dead-lettering.
    get(&ch, &src, false).await.unwrap().nack(true).unwrap();

    for want in ["nack", "reject", "multi1", "multi2"] {
        let d = next(&mut c).await;
        assert_eq!(body(&d), want);
        assert_eq!(d.exchange, dlx.as_str());
        assert_eq!(d.routing_key, "orig-key");
        assert_eq!(header(&d, "app"), &long("kept"));
        assert_eq!(
            keys(d.properties.headers.as_ref().unwrap()),
            [
                "app",
                "x-death",
                "x-first-death-exchange",
                "x-first-death-queue",
                "x-first-death-reason",
                "zz-app"
            ]
        );
        let x = deaths(&d);
        assert_eq!(field(&x[0], "reason"), &long("rejected"));
        assert_eq!(field(&x[0], "queue"), &long(&src));
        assert_eq!(field(&x[0], "exchange"), &long("amq.direct"));
        assert_eq!(
            field(&x[0], "routing-keys"),
            &FieldValue::Array(vec![long("orig-key")])
        );
        assert_eq!(header(&d, "x-first-death-exchange"), &long("amq.direct"));
        d.ack().unwrap();
    }
    quiet(&mut c, 150).await;
    assert_eq!(drain(&ch, &src).await, ["requeued"]);

    // Without a dead-letter exchange a rejected message is gone.
    let plain = queue(&ch, "no-dlx", FieldTable::new()).await;
    publish_confirm(&ch, "", &plain, "x", BasicProperties::default()).await;
    get(&ch, &plain, false)
        .await
        .unwrap()
        .reject(false)
        .unwrap();
    assert!(drain(&ch, &plain).await.is_empty());
    // A dead-letter exchange that does not exist drops it too.
    let missing = queue(
        &ch,
        "missing-dlx",
        args(&[("x-dead-letter-exchange", long(&name("nowhere")))]),
    )
    .await;
    publish_confirm(&ch, "", &missing, "x", BasicProperties::default()).await;
    get(&ch, &missing, false)
        .await
        .unwrap()
        .reject(false)
        .unwrap();
    assert!(drain(&ch, &missing).await.is_empty());
    ch.exchange_delete(&dlx, false).await.unwrap();
    conn.close().await.unwrap();
}

async fn repeated_deaths_count_per_queue_and_reason(t: &Target) {
    let (conn, ch) = t.confirming().await;
    let q1 = name("ping");
    let q2 = name("pong");
    declare(&ch, &q1, args(&dead_letter_to(&q2))).await;
    declare(&ch, &q2, args(&dead_letter_to(&q1))).await;
    publish_confirm(&ch, "", &q1, "ball", BasicProperties::default()).await;
    // q1 -> q2 -> q1 -> q2, each time rejected by the client.
    get(&ch, &q1, false).await.unwrap().reject(false).unwrap();
    let d = loop_get(&ch, &q2).await;
    let first_time = field(&deaths(&d)[0], "time").clone();
    d.reject(false).unwrap();
    let d = loop_get(&ch, &q1).await;
    d.reject(false).unwrap();
    let d = loop_get(&ch, &q2).await;
    let x = deaths(&d);
    assert_eq!(x.len(), 2, "{x:?}");
    // The latest death (q1, rejected) is first, counted twice.
    assert_eq!(field(&x[0], "queue"), &long(&q1));
    assert_eq!(field(&x[0], "count"), &FieldValue::LongLongInt(2));
    assert_eq!(field(&x[0], "time"), &first_time);
    assert_eq!(field(&x[1], "queue"), &long(&q2));
    assert_eq!(field(&x[1], "count"), &FieldValue::LongLongInt(1));
    let sorted = [
        "count",
        "exchange",
        "queue",
        "reason",
        "routing-keys",
        "time",
    ];
    assert_eq!(keys(&x[0]), sorted);
    assert_eq!(keys(&x[1]), sorted);
    assert_eq!(header(&d, "x-first-death-queue"), &long(&q1));
    assert_eq!(header(&d, "x-first-death-reason"), &long("rejected"));
    // The routing key of the latest death is the one it had then: the dead-letter key.
    assert_eq!(
        field(&x[1], "routing-keys"),
        &FieldValue::Array(vec![long(&q2)])
    );
    d.ack().unwrap();
    conn.close().await.unwrap();
}

/// basic.get until a message arrives (dead-lettering is asynchronous in RabbitMQ).
async fn loop_get(ch: &Channel, q: &str) -> Delivery {
    for _ in 0..100 {
        if let Some(d) = get(ch, q, false).await {
            return d;
        }
        sleep_ms(20).await;
    }
    panic!("nothing arrived in {q}");
}

async fn automatic_dead_letter_cycles_are_dropped(t: &Target) {
    let (conn, ch) = t.confirming().await;
    // Expired messages dead-lettered back to their own queue would expire forever.
    let q = name("cycle");
    let mut a = args(&dead_letter_to(&q));
    a.insert("x-message-ttl", int(50)).unwrap();
    declare(&ch, &q, a).await;
    publish_confirm(&ch, "", &q, "loop", BasicProperties::default()).await;
    sleep_ms(300).await;
    assert_eq!(message_count(&ch, &q).await, 0);

    // Two queues expiring into each other: dropped when it would reach the first again.
    let a_q = name("cycle-a");
    let b_q = name("cycle-b");
    let mut aa = args(&dead_letter_to(&b_q));
    aa.insert("x-message-ttl", int(50)).unwrap();
    let mut ba = args(&dead_letter_to(&a_q));
    ba.insert("x-message-ttl", int(50)).unwrap();
    declare(&ch, &a_q, aa).await;
    declare(&ch, &b_q, ba).await;
    publish_confirm(&ch, "", &a_q, "loop", BasicProperties::default()).await;
    sleep_ms(400).await;
    assert_eq!(message_count(&ch, &a_q).await, 0);
    assert_eq!(message_count(&ch, &b_q).await, 0);

    // A client's reject breaks the cycle: the message comes back to its own queue.
    let r = name("cycle-rej");
    declare(&ch, &r, args(&dead_letter_to(&r))).await;
    publish_confirm(&ch, "", &r, "again", BasicProperties::default()).await;
    get(&ch, &r, false).await.unwrap().reject(false).unwrap();
    let d = loop_get(&ch, &r).await;
    assert_eq!(field(&deaths(&d)[0], "count"), &FieldValue::LongLongInt(1));
    d.reject(false).unwrap();
    let d = loop_get(&ch, &r).await;
    assert_eq!(field(&deaths(&d)[0], "count"), &FieldValue::LongLongInt(2));
    d.ack().unwrap();
    conn.close().await.unwrap();
}

// ---- arguments ----

async fn invalid_arguments_are_refused_like_rabbitmq(t: &Target) {
    let conn = t.connect().await;
    let cases: Vec<(Vec<(&str, FieldValue)>, &str)> = vec![
        (vec![("x-message-ttl", int(-1))], "invalid arg 'x-message-ttl' for queue '{q}' in vhost '/': {value_negative,-1}"),
        (vec![("x-message-ttl", long("1000"))], "invalid arg 'x-message-ttl' for queue '{q}' in vhost '/': \"expected integer, got longstr\""),
        (vec![("x-message-ttl", FieldValue::LongLongInt(315_360_000_001))], "invalid arg 'x-message-ttl' for queue '{q}' in vhost '/': {value_too_large,315360000001}"),
        (vec![("x-expires", int(0))], "invalid arg 'x-expires' for queue '{q}' in vhost '/': {value_zero,0}"),
        (vec![("x-expires", int(-5))], "invalid arg 'x-expires' for queue '{q}' in vhost '/': {value_negative,-5}"),
        (vec![("x-max-length", int(-1))], "invalid arg 'x-max-length' for queue '{q}' in vhost '/': {value_negative,-1}"),
        (vec![("x-max-length-bytes", FieldValue::Boolean(true))], "invalid arg 'x-max-length-bytes' for queue '{q}' in vhost '/': \"expected integer, got bool\""),
        (vec![("x-overflow", long("drop-tail"))], "invalid arg 'x-overflow' for queue '{q}' in vhost '/': invalid_overflow"),
        (vec![("x-overflow", int(1))], "invalid arg 'x-overflow' for queue '{q}' in vhost '/': {unacceptable_type,signedint}"),
        (vec![("x-max-priority", int(256))], "invalid arg 'x-max-priority' for queue '{q}' in vhost '/': {max_value_exceeded,256}"),
        (vec![("x-single-active-consumer", long("true"))], "invalid arg 'x-single-active-consumer' for queue '{q}' in vhost '/': {unacceptable_type,longstr}"),
        (vec![("x-dead-letter-exchange", int(1))], "invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue '{q}' in vhost '/'"),
        (vec![("x-dead-letter-routing-key", long("k"))], "invalid arg 'x-dead-letter-routing-key' for queue '{q}' in vhost '/': routing_key_but_no_dlx_defined"),
        (vec![("x-queue-mode", long("eager"))], "invalid arg 'x-queue-mode' for queue '{q}' in vhost '/': \"unsupported queue mode 'eager'\""),
        (vec![("x-max-age", long("1D"))], "invalid arg 'x-max-age' for queue '{q}' in vhost '/' of queue type rabbit_classic_queue"),
        // Checked in RabbitMQ's order, not the table's.
        (vec![("x-max-length", int(-1)), ("x-message-ttl", int(-2))], "invalid arg 'x-message-ttl' for queue '{q}' in vhost '/': {value_negative,-2}"),
    ];
    for (entries, text) in cases {
        let ch = conn.open_channel().await.unwrap();
        let q = name("bad-arg");
        let err = ch
            .queue_declare(&q, exclusive(), args(&entries))
            .await
            .expect_err("refused");
        let e = channel_closed(&err);
        assert_eq!((e.reply_code, e.class_id, e.method_id), (406, 50, 10));
        assert_eq!(
            e.reply_text,
            format!("PRECONDITION_FAILED - {}", text.replace("{q}", &q))
        );
    }
    // Valid ones, and arguments RabbitMQ does not know, are accepted.
    let ch = conn.open_channel().await.unwrap();
    queue(
        &ch,
        "good-args",
        args(&[
            ("x-message-ttl", FieldValue::ShortShortUInt(5)),
            ("x-expires", FieldValue::LongLongInt(60_000)),
            ("x-max-length", FieldValue::ShortInt(0)),
            ("x-overflow", long("reject-publish-dlx")),
            ("x-dead-letter-exchange", long("")),
            ("x-dead-letter-routing-key", long("k")),
            ("x-max-priority", FieldValue::ShortShortUInt(255)),
            ("x-single-active-consumer", FieldValue::Boolean(false)),
            ("x-queue-mode", long("lazy")),
            ("x-whatever", long("ignored")),
        ]),
    )
    .await;
    conn.close().await.unwrap();
}

async fn argument_equivalence_on_redeclare(t: &Target) {
    let conn = t.connect().await;
    let ch = conn.open_channel().await.unwrap();
    let q = queue(
        &ch,
        "equiv",
        args(&[("x-max-length", int(10)), ("x-custom", long("a"))]),
    )
    .await;
    // Same value in another integer width, and a different unknown argument: equivalent.
    declare(
        &ch,
        &q,
        args(&[
            ("x-max-length", FieldValue::LongLongInt(10)),
            ("x-custom", long("b")),
        ]),
    )
    .await;
    for (entries, text) in [
        (
            vec![("x-max-length", int(20))],
            "inequivalent arg 'x-max-length' for queue '{q}' in vhost '/': received '20' but current is '10'",
        ),
        (
            vec![],
            "inequivalent arg 'x-max-length' for queue '{q}' in vhost '/': received none but current is the value '10' of type 'signedint'",
        ),
        (
            vec![("x-max-length", int(10)), ("x-message-ttl", int(5))],
            "inequivalent arg 'x-message-ttl' for queue '{q}' in vhost '/': received the value '5' of type 'signedint' but current is none",
        ),
    ] {
        let ch = conn.open_channel().await.unwrap();
        let err = ch
            .queue_declare(&q, exclusive(), args(&entries))
            .await
            .expect_err("inequivalent");
        let e = channel_closed(&err);
        assert_eq!((e.reply_code, e.class_id, e.method_id), (406, 50, 10));
        assert_eq!(
            e.reply_text,
            format!("PRECONDITION_FAILED - {}", text.replace("{q}", &q))
        );
    }
    conn.close().await.unwrap();
}
