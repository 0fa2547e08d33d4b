//! Exchanges: declare, bind, unbind and delete of every standard type, exchange-to-exchange
//! bindings, and that routing delivers to exactly the queues it should.

use warren_core::client::{Channel, ExchangeDeclareOptions};
use warren_core::{BasicProperties, FieldTable, FieldValue};

use crate::support::*;

async fn declare_exchange(ch: &Channel, prefix: &str, kind: &str) -> String {
    let name = unique(prefix);
    within(
        "exchange.declare",
        ch.exchange_declare(
            &name,
            kind,
            ExchangeDeclareOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("declare {kind} exchange: {e}"));
    name
}

async fn delete_exchange(ch: &Channel, name: &str) {
    within("exchange.delete", ch.exchange_delete(name, false))
        .await
        .expect("exchange.delete");
}

async fn bind(ch: &Channel, queue: &str, exchange: &str, key: &str, args: FieldTable) {
    within("queue.bind", ch.queue_bind(queue, exchange, key, args))
        .await
        .expect("queue.bind");
}

fn headers(pairs: &[(&str, &str)]) -> FieldTable {
    let mut t = FieldTable::new();
    for (k, v) in pairs {
        t.insert(k, *v).unwrap();
    }
    t
}

#[tokio::test]
async fn direct_exchange_routes_by_exact_key() {
    let (conn, ch) = open_confirming().await;
    let x = declare_exchange(&ch, "direct", "direct").await;
    let qa = temp_queue(&ch, "direct-a").await;
    let qb = temp_queue(&ch, "direct-b").await;
    bind(&ch, &qa, &x, "red", FieldTable::new()).await;
    bind(&ch, &qb, &x, "green", FieldTable::new()).await;
    // One queue may be bound with several keys.
    bind(&ch, &qb, &x, "blue", FieldTable::new()).await;

    for (key, body) in [("red", "1"), ("green", "2"), ("blue", "3"), ("black", "4")] {
        publish_confirmed(&ch, &x, key, body.as_bytes().to_vec(), Default::default()).await;
    }
    assert_eq!(drain(&ch, &qa).await, vec![b"1".to_vec()]);
    assert_eq!(drain(&ch, &qb).await, vec![b"2".to_vec(), b"3".to_vec()]);

    within(
        "queue.unbind",
        ch.queue_unbind(&qb, &x, "green", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &x, "green", &b"5"[..], Default::default()).await;
    publish_confirmed(&ch, &x, "blue", &b"6"[..], Default::default()).await;
    assert_eq!(
        drain(&ch, &qb).await,
        vec![b"6".to_vec()],
        "unbound key still routes"
    );

    delete_exchange(&ch, &x).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn fanout_exchange_ignores_routing_key() {
    let (conn, ch) = open_confirming().await;
    let x = declare_exchange(&ch, "fanout", "fanout").await;
    let q1 = temp_queue(&ch, "fanout-1").await;
    let q2 = temp_queue(&ch, "fanout-2").await;
    let unbound = temp_queue(&ch, "fanout-unbound").await;
    bind(&ch, &q1, &x, "", FieldTable::new()).await;
    bind(&ch, &q2, &x, "ignored", FieldTable::new()).await;

    publish_confirmed(&ch, &x, "anything", &b"m1"[..], Default::default()).await;
    publish_confirmed(&ch, &x, "", &b"m2"[..], Default::default()).await;
    let both = vec![b"m1".to_vec(), b"m2".to_vec()];
    assert_eq!(drain(&ch, &q1).await, both);
    assert_eq!(drain(&ch, &q2).await, both);
    assert!(drain(&ch, &unbound).await.is_empty());

    within(
        "queue.unbind",
        ch.queue_unbind(&q1, &x, "", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &x, "k", &b"m3"[..], Default::default()).await;
    assert!(drain(&ch, &q1).await.is_empty());
    assert_eq!(drain(&ch, &q2).await, vec![b"m3".to_vec()]);

    delete_exchange(&ch, &x).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn topic_exchange_star_and_hash_wildcards() {
    let (conn, ch) = open_confirming().await;
    let x = declare_exchange(&ch, "topic", "topic").await;
    let star = temp_queue(&ch, "topic-star").await;
    let hash = temp_queue(&ch, "topic-hash").await;
    let tail = temp_queue(&ch, "topic-tail").await;
    let exact = temp_queue(&ch, "topic-exact").await;
    bind(&ch, &star, &x, "stock.*.nyse", FieldTable::new()).await;
    bind(&ch, &hash, &x, "stock.#", FieldTable::new()).await;
    bind(&ch, &tail, &x, "#.nyse", FieldTable::new()).await;
    bind(&ch, &exact, &x, "stock.ibm.nyse", FieldTable::new()).await;

    let cases: &[(&str, &[&String])] = &[
        ("stock.ibm.nyse", &[&star, &hash, &tail, &exact]),
        ("stock.ibm.x.nyse", &[&hash, &tail]), // * is exactly one word
        ("stock.nyse", &[&hash, &tail]),       // * cannot match zero words
        ("stock", &[&hash]),                   // # matches zero words
        ("bond.nyse", &[&tail]),
        ("nyse", &[&tail]),
        ("stocks.ibm.nyse", &[&tail]), // words match whole: "stocks" is not "stock"
        ("bond.ibm.lse", &[]),
    ];
    for (key, expected) in cases {
        publish_confirmed(&ch, &x, key, key.as_bytes().to_vec(), Default::default()).await;
        for q in [&star, &hash, &tail, &exact] {
            let got = drain(&ch, q).await;
            let want: Vec<Vec<u8>> = if expected.contains(&q) {
                vec![key.as_bytes().to_vec()]
            } else {
                vec![]
            };
            assert_eq!(got, want, "routing key {key:?} to queue {q}");
        }
    }

    delete_exchange(&ch, &x).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn headers_exchange_x_match_all_and_any() {
    let (conn, ch) = open_confirming().await;
    let x = declare_exchange(&ch, "headers", "headers").await;
    let all = temp_queue(&ch, "headers-all").await;
    let any = temp_queue(&ch, "headers-any").await;
    bind(
        &ch,
        &all,
        &x,
        "",
        headers(&[("x-match", "all"), ("format", "pdf"), ("type", "report")]),
    )
    .await;
    bind(
        &ch,
        &any,
        &x,
        "",
        headers(&[("x-match", "any"), ("format", "pdf"), ("type", "report")]),
    )
    .await;

    // (message headers, reaches the x-match=all queue, reaches the x-match=any queue)
    type Case = (&'static [(&'static str, &'static str)], bool, bool);
    let cases: &[Case] = &[
        (&[("format", "pdf"), ("type", "report")], true, true),
        (
            &[("format", "pdf"), ("type", "report"), ("extra", "1")],
            true,
            true,
        ),
        (&[("format", "pdf")], false, true),
        (&[("type", "report"), ("format", "zip")], false, true),
        (&[("format", "zip")], false, false),
        (&[], false, false),
    ];
    for (i, (hdrs, to_all, to_any)) in cases.iter().enumerate() {
        let props = BasicProperties {
            headers: Some(headers(hdrs)),
            ..Default::default()
        };
        let body = format!("case {i}").into_bytes();
        // The routing key plays no part in a headers exchange.
        publish_confirmed(&ch, &x, "ignored", body.clone(), props).await;
        let expect = |yes: bool| if yes { vec![body.clone()] } else { vec![] };
        assert_eq!(
            drain(&ch, &all).await,
            expect(*to_all),
            "x-match=all, {hdrs:?}"
        );
        assert_eq!(
            drain(&ch, &any).await,
            expect(*to_any),
            "x-match=any, {hdrs:?}"
        );
    }
    // A message without any headers property reaches neither.
    publish_confirmed(&ch, &x, "", &b"bare"[..], Default::default()).await;
    assert!(drain(&ch, &all).await.is_empty());
    assert!(drain(&ch, &any).await.is_empty());

    // Unbinding needs the same arguments as binding.
    within(
        "queue.unbind",
        ch.queue_unbind(
            &any,
            &x,
            "",
            headers(&[("x-match", "any"), ("format", "pdf"), ("type", "report")]),
        ),
    )
    .await
    .unwrap();
    let props = BasicProperties {
        headers: Some(headers(&[("format", "pdf"), ("type", "report")])),
        ..Default::default()
    };
    publish_confirmed(&ch, &x, "", &b"after"[..], props).await;
    assert_eq!(drain(&ch, &all).await, vec![b"after".to_vec()]);
    assert!(drain(&ch, &any).await.is_empty());

    delete_exchange(&ch, &x).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn headers_exchange_matches_non_string_values() {
    let (conn, ch) = open_confirming().await;
    let x = declare_exchange(&ch, "headers-int", "headers").await;
    let q = temp_queue(&ch, "headers-int").await;
    let mut args = headers(&[("x-match", "all")]);
    args.insert("level", FieldValue::LongInt(3)).unwrap();
    args.insert("urgent", true).unwrap();
    bind(&ch, &q, &x, "", args).await;

    let mut matching = FieldTable::new();
    matching.insert("level", FieldValue::LongInt(3)).unwrap();
    matching.insert("urgent", true).unwrap();
    let mut other = FieldTable::new();
    other.insert("level", FieldValue::LongInt(4)).unwrap();
    other.insert("urgent", true).unwrap();
    for (body, hdrs) in [(&b"yes"[..], matching), (&b"no"[..], other)] {
        let props = BasicProperties {
            headers: Some(hdrs),
            ..Default::default()
        };
        publish_confirmed(&ch, &x, "", body, props).await;
    }
    assert_eq!(drain(&ch, &q).await, vec![b"yes".to_vec()]);

    delete_exchange(&ch, &x).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn exchange_to_exchange_bindings_route_and_unbind() {
    let (conn, ch) = open_confirming().await;
    let source = declare_exchange(&ch, "e2e-source", "topic").await;
    let dest = declare_exchange(&ch, "e2e-dest", "fanout").await;
    let q = temp_queue(&ch, "e2e").await;
    bind(&ch, &q, &dest, "", FieldTable::new()).await;
    within(
        "exchange.bind",
        ch.exchange_bind(&dest, &source, "orders.#", FieldTable::new()),
    )
    .await
    .unwrap();

    publish_confirmed(
        &ch,
        &source,
        "orders.eu.new",
        &b"o1"[..],
        Default::default(),
    )
    .await;
    publish_confirmed(&ch, &source, "invoices.eu", &b"i1"[..], Default::default()).await;
    assert_eq!(drain(&ch, &q).await, vec![b"o1".to_vec()]);

    // Chains of exchanges work too: source -> middle -> dest -> queue.
    let middle = declare_exchange(&ch, "e2e-middle", "direct").await;
    within(
        "exchange.bind",
        ch.exchange_bind(&middle, &source, "invoices.#", FieldTable::new()),
    )
    .await
    .unwrap();
    within(
        "exchange.bind",
        ch.exchange_bind(&dest, &middle, "invoices.eu", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &source, "invoices.eu", &b"i2"[..], Default::default()).await;
    publish_confirmed(&ch, &source, "invoices.us", &b"i3"[..], Default::default()).await;
    assert_eq!(drain(&ch, &q).await, vec![b"i2".to_vec()]);

    within(
        "exchange.unbind",
        ch.exchange_unbind(&dest, &source, "orders.#", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(
        &ch,
        &source,
        "orders.eu.new",
        &b"o2"[..],
        Default::default(),
    )
    .await;
    assert!(
        drain(&ch, &q).await.is_empty(),
        "unbound exchange still routes"
    );

    for x in [&source, &middle, &dest] {
        delete_exchange(&ch, x).await;
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn passive_declare_of_existing_exchanges() {
    let (conn, ch) = open().await;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    for kind in ["direct", "fanout", "topic", "headers"] {
        let x = declare_exchange(&ch, kind, kind).await;
        within(
            "passive exchange.declare",
            ch.exchange_declare(&x, kind, passive, FieldTable::new()),
        )
        .await
        .unwrap_or_else(|e| panic!("passive declare of {kind} exchange {x}: {e}"));
        delete_exchange(&ch, &x).await;
    }
    // The pre-declared exchanges every broker has.
    for (x, kind) in [
        ("amq.direct", "direct"),
        ("amq.fanout", "fanout"),
        ("amq.topic", "topic"),
        ("amq.headers", "headers"),
    ] {
        within(
            "passive exchange.declare",
            ch.exchange_declare(x, kind, passive, FieldTable::new()),
        )
        .await
        .unwrap_or_else(|e| panic!("passive declare of {x}: {e}"));
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn redeclare_with_same_options_and_delete_is_final() {
    let (conn, ch) = open().await;
    let x = unique("redeclare");
    let opts = ExchangeDeclareOptions {
        auto_delete: true,
        ..Default::default()
    };
    for _ in 0..2 {
        within(
            "exchange.declare",
            ch.exchange_declare(&x, "topic", opts, FieldTable::new()),
        )
        .await
        .expect("declare is idempotent with equal options");
    }
    delete_exchange(&ch, &x).await;
    // Once deleted, a passive declare fails with 404 and closes only that channel.
    let err = within(
        "passive exchange.declare",
        ch.exchange_declare(
            &x,
            "topic",
            ExchangeDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .expect_err("passive declare of a deleted exchange");
    assert_channel_closed(&err, 404, EXCHANGE_DECLARE);
    assert_connection_usable(&conn).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn internal_exchange_is_reachable_only_through_bindings() {
    let (conn, ch) = open_confirming().await;
    let front = declare_exchange(&ch, "internal-front", "fanout").await;
    let internal = unique("internal");
    within(
        "exchange.declare",
        ch.exchange_declare(
            &internal,
            "fanout",
            ExchangeDeclareOptions {
                internal: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    let q = temp_queue(&ch, "internal").await;
    bind(&ch, &q, &internal, "", FieldTable::new()).await;
    within(
        "exchange.bind",
        ch.exchange_bind(&internal, &front, "", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &front, "", &b"via front"[..], Default::default()).await;
    assert_eq!(drain(&ch, &q).await, vec![b"via front".to_vec()]);

    delete_exchange(&ch, &front).await;
    delete_exchange(&ch, &internal).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn alternate_exchange_receives_unroutable_messages() {
    // `alternate-exchange` (a RabbitMQ extension) in the declare arguments.
    let (conn, ch) = open_confirming().await;
    let ae = declare_exchange(&ch, "alternate", "fanout").await;
    let x = unique("with-ae");
    let mut args = FieldTable::new();
    args.insert("alternate-exchange", ae.as_str()).unwrap();
    within(
        "exchange.declare",
        ch.exchange_declare(&x, "direct", ExchangeDeclareOptions::default(), args),
    )
    .await
    .unwrap();
    let routed = temp_queue(&ch, "ae-routed").await;
    let unrouted = temp_queue(&ch, "ae-unrouted").await;
    bind(&ch, &routed, &x, "known", FieldTable::new()).await;
    bind(&ch, &unrouted, &ae, "", FieldTable::new()).await;

    publish_confirmed(&ch, &x, "known", &b"k"[..], Default::default()).await;
    publish_confirmed(&ch, &x, "unknown", &b"u"[..], Default::default()).await;
    assert_eq!(drain(&ch, &routed).await, vec![b"k".to_vec()]);
    assert_eq!(drain(&ch, &unrouted).await, vec![b"u".to_vec()]);

    delete_exchange(&ch, &x).await;
    delete_exchange(&ch, &ae).await;
    conn.close().await.unwrap();
}
