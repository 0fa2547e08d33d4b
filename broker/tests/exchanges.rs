//! Exchanges as the broker spec describes them, checked through the warren-core client against
//! the in-process broker (`<case>::warren`) and, when `WARREN_ORACLE_URI` is set, against
//! RabbitMQ (`<case>::rabbitmq`) so every expectation here is RabbitMQ's behaviour.
//!
//! Covered: direct, fanout, topic and headers routing; the default exchange; the predeclared
//! `amq.*` exchanges; exchange-to-exchange bindings; alternate exchanges; internal and
//! auto-delete exchanges; declare equivalence, passive declare, reserved names, delete; binding
//! identity.

mod amqp_support;
mod support;

use amqp_support::*;
use support::within;
use warren_core::client::ExchangeDeclareOptions;
use warren_core::codec::{Decimal, LongString};
use warren_core::{BasicProperties, FieldTable, FieldValue};

cases!(
    direct_routes_by_exact_key,
    fanout_routes_to_every_bound_queue,
    topic_star_and_hash,
    topic_many_bindings,
    headers_all_and_any,
    headers_with_x,
    headers_void_values,
    headers_value_equality_across_types,
    headers_invalid_x_match_is_406,
    default_exchange,
    predeclared_exchanges,
    exchange_to_exchange_chain,
    exchange_cycles_and_diamonds_deliver_once,
    alternate_exchange,
    internal_exchange,
    auto_delete_exchange,
    declare_equivalence,
    passive_declare_and_reserved_names,
    unknown_exchange_type_is_503,
    publish_to_missing_exchange_is_404,
    delete_idempotent_and_if_unused,
    binding_identity,
    unbind_missing_queue_or_exchange,
);

fn props_with_headers(headers: FieldTable) -> BasicProperties {
    BasicProperties {
        headers: Some(headers),
        ..Default::default()
    }
}

fn tbl(pairs: Vec<(&str, FieldValue)>) -> FieldTable {
    let mut t = FieldTable::new();
    for (k, v) in pairs {
        t.insert(k, v).unwrap();
    }
    t
}

fn s(v: &str) -> FieldValue {
    FieldValue::LongString(LongString::from(v))
}

async fn direct_routes_by_exact_key(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "direct", "direct").await;
    let qa = queue(&ch, "direct-a").await;
    let qb = queue(&ch, "direct-b").await;
    bind(&ch, &qa, &x, "red", FieldTable::new()).await;
    bind(&ch, &qb, &x, "green", FieldTable::new()).await;
    bind(&ch, &qb, &x, "blue", FieldTable::new()).await;
    // Two queues on one key both get the message.
    bind(&ch, &qa, &x, "both", FieldTable::new()).await;
    bind(&ch, &qb, &x, "both", FieldTable::new()).await;
    // The empty key is a key like any other.
    bind(&ch, &qa, &x, "", FieldTable::new()).await;

    for (key, body) in [
        ("red", "1"),
        ("green", "2"),
        ("blue", "3"),
        ("black", "4"),
        ("both", "5"),
        ("", "6"),
        ("Red", "7"),
        ("red.x", "8"),
    ] {
        publish_confirmed(&ch, &x, key, body).await;
    }
    assert_eq!(drain(&ch, &qa).await, ["1", "5", "6"]);
    assert_eq!(drain(&ch, &qb).await, ["2", "3", "5"]);
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn fanout_routes_to_every_bound_queue(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "fanout", "fanout").await;
    let qs = [
        queue(&ch, "fan-a").await,
        queue(&ch, "fan-b").await,
        queue(&ch, "fan-c").await,
    ];
    for (i, q) in qs.iter().enumerate() {
        // The binding key is ignored.
        bind(&ch, q, &x, &format!("key-{i}"), FieldTable::new()).await;
    }
    let unbound = queue(&ch, "fan-unbound").await;
    publish_confirmed(&ch, &x, "anything", "m1").await;
    publish_confirmed(&ch, &x, "", "m2").await;
    for q in &qs {
        assert_eq!(drain(&ch, q).await, ["m1", "m2"], "queue {q}");
    }
    assert!(drain(&ch, &unbound).await.is_empty());
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn topic_star_and_hash(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "topic", "topic").await;
    let patterns = [
        "#", "*", "a.*", "a.#", "*.b", "#.b", "a.*.c", "a.#.c", "a.b.c", "*.*", "#.#", "a.*.#", "",
        "a..c",
    ];
    let mut queues = Vec::new();
    for p in patterns {
        let q = queue(&ch, "topic").await;
        bind(&ch, &q, &x, p, FieldTable::new()).await;
        queues.push(q);
    }
    let keys = [
        "a", "a.b", "a.b.c", "a.x.y.c", "b", "x.b", "", "a..c", "c.b.a",
    ];
    for k in keys {
        publish_confirmed(&ch, &x, k, k).await;
    }
    let expected: [&[&str]; 14] = [
        /* #     */
        &[
            "a", "a.b", "a.b.c", "a.x.y.c", "b", "x.b", "", "a..c", "c.b.a",
        ],
        /* *     */ &["a", "b"],
        /* a.*   */ &["a.b"],
        /* a.#   */ &["a", "a.b", "a.b.c", "a.x.y.c", "a..c"],
        /* *.b   */ &["a.b", "x.b"],
        /* #.b   */ &["a.b", "b", "x.b"],
        /* a.*.c */ &["a.b.c", "a..c"],
        /* a.#.c */ &["a.b.c", "a.x.y.c", "a..c"],
        /* a.b.c */ &["a.b.c"],
        /* *.*   */ &["a.b", "x.b"],
        /* #.#   */
        &[
            "a", "a.b", "a.b.c", "a.x.y.c", "b", "x.b", "", "a..c", "c.b.a",
        ],
        /* a.*.# */ &["a.b", "a.b.c", "a.x.y.c", "a..c"],
        /* ""    */ &[""],
        /* a..c  */ &["a..c"],
    ];
    for ((p, q), want) in patterns.iter().zip(&queues).zip(expected) {
        assert_eq!(drain(&ch, q).await, want, "pattern {p:?}");
    }
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn topic_many_bindings(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "topic-many", "topic").await;
    // 100 queues with one exact pattern each, plus one queue bound with 300 patterns.
    let mut queues = Vec::new();
    for i in 0..100 {
        let q = queue(&ch, "topic-many").await;
        bind(
            &ch,
            &q,
            &x,
            &format!("region{}.*.event", i % 10),
            FieldTable::new(),
        )
        .await;
        queues.push(q);
    }
    let many = queue(&ch, "topic-many-patterns").await;
    for i in 0..300 {
        bind(&ch, &many, &x, &format!("#.k{i}"), FieldTable::new()).await;
    }
    // A queue reached through several matching bindings gets one copy.
    bind(&ch, &many, &x, "#", FieldTable::new()).await;
    bind(&ch, &many, &x, "region3.#", FieldTable::new()).await;

    publish_confirmed(&ch, &x, "region3.eu.event", "r3").await;
    publish_confirmed(&ch, &x, "x.y.k299", "k299").await;
    for (i, q) in queues.iter().enumerate() {
        let want: &[&str] = if i % 10 == 3 { &["r3"] } else { &[] };
        assert_eq!(drain(&ch, q).await, want, "queue {i}");
    }
    assert_eq!(drain(&ch, &many).await, ["r3", "k299"]);
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn headers_all_and_any(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "headers", "headers").await;
    let q_all = queue(&ch, "h-all").await;
    let q_any = queue(&ch, "h-any").await;
    let q_default = queue(&ch, "h-default").await;
    let q_empty_all = queue(&ch, "h-empty-all").await;
    let q_empty_any = queue(&ch, "h-empty-any").await;
    bind(
        &ch,
        &q_all,
        &x,
        "",
        table(&[("x-match", "all"), ("a", "1"), ("b", "2")]),
    )
    .await;
    bind(
        &ch,
        &q_any,
        &x,
        "",
        table(&[("x-match", "any"), ("a", "1"), ("b", "2")]),
    )
    .await;
    // No x-match means all.
    bind(&ch, &q_default, &x, "", table(&[("a", "1"), ("b", "2")])).await;
    // Nothing to compare: all matches everything, any matches nothing.
    bind(&ch, &q_empty_all, &x, "", table(&[("x-match", "all")])).await;
    bind(&ch, &q_empty_any, &x, "", table(&[("x-match", "any")])).await;

    let msgs: [(&str, Option<FieldTable>); 7] = [
        ("both", Some(table(&[("a", "1"), ("b", "2")]))),
        (
            "both+extra",
            Some(table(&[("a", "1"), ("b", "2"), ("c", "3")])),
        ),
        ("only-a", Some(table(&[("a", "1")]))),
        ("a-wrong", Some(table(&[("a", "9"), ("b", "2")]))),
        ("none-match", Some(table(&[("c", "3")]))),
        ("no-headers", None),
        ("empty-headers", Some(FieldTable::new())),
    ];
    for (body, headers) in msgs {
        let props = BasicProperties {
            headers,
            ..Default::default()
        };
        // The routing key is ignored.
        publish_confirmed_props(&ch, &x, "ignored", body, props).await;
    }
    assert_eq!(drain(&ch, &q_all).await, ["both", "both+extra"]);
    assert_eq!(drain(&ch, &q_default).await, ["both", "both+extra"]);
    assert_eq!(
        drain(&ch, &q_any).await,
        ["both", "both+extra", "only-a", "a-wrong"]
    );
    assert_eq!(drain(&ch, &q_empty_all).await.len(), 7);
    assert!(drain(&ch, &q_empty_any).await.is_empty());
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn headers_with_x(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "headers-x", "headers").await;
    let q_all = queue(&ch, "h-all").await;
    let q_any = queue(&ch, "h-any").await;
    let q_all_x = queue(&ch, "h-all-x").await;
    let q_any_x = queue(&ch, "h-any-x").await;
    let binding = |mode: &str| table(&[("x-match", mode), ("x-k", "1"), ("a", "1")]);
    bind(&ch, &q_all, &x, "", binding("all")).await;
    bind(&ch, &q_any, &x, "", binding("any")).await;
    bind(&ch, &q_all_x, &x, "", binding("all-with-x")).await;
    bind(&ch, &q_any_x, &x, "", binding("any-with-x")).await;

    let msgs = [
        ("a", table(&[("a", "1")])),
        ("a+xk", table(&[("a", "1"), ("x-k", "1")])),
        ("xk", table(&[("x-k", "1")])),
        ("a+xk-wrong", table(&[("a", "1"), ("x-k", "2")])),
    ];
    for (body, headers) in msgs {
        publish_confirmed_props(&ch, &x, "", body, props_with_headers(headers)).await;
    }
    // all / any ignore x- keys in the binding.
    assert_eq!(drain(&ch, &q_all).await, ["a", "a+xk", "a+xk-wrong"]);
    assert_eq!(drain(&ch, &q_any).await, ["a", "a+xk", "a+xk-wrong"]);
    // The -with-x modes compare them too (but not x-match itself).
    assert_eq!(drain(&ch, &q_all_x).await, ["a+xk"]);
    assert_eq!(
        drain(&ch, &q_any_x).await,
        ["a", "a+xk", "xk", "a+xk-wrong"]
    );
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn headers_void_values(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "headers-void", "headers").await;
    let q_all = queue(&ch, "h-void-all").await;
    let q_any = queue(&ch, "h-void-any").await;
    // A void binding value asks only for the key's presence.
    let args = |mode: &str| {
        tbl(vec![
            ("x-match", s(mode)),
            ("k", FieldValue::Void),
            ("a", s("1")),
        ])
    };
    bind(&ch, &q_all, &x, "", args("all")).await;
    bind(&ch, &q_any, &x, "", args("any")).await;
    let msgs = [
        ("k-str+a", tbl(vec![("k", s("anything")), ("a", s("1"))])),
        (
            "k-int+a",
            tbl(vec![("k", FieldValue::LongInt(5)), ("a", s("1"))]),
        ),
        (
            "k-void+a",
            tbl(vec![("k", FieldValue::Void), ("a", s("1"))]),
        ),
        ("k-only", tbl(vec![("k", s("x"))])),
        ("a-only", tbl(vec![("a", s("1"))])),
        ("neither", tbl(vec![("b", s("1"))])),
    ];
    for (body, headers) in msgs {
        publish_confirmed_props(&ch, &x, "", body, props_with_headers(headers)).await;
    }
    assert_eq!(drain(&ch, &q_all).await, ["k-str+a", "k-int+a", "k-void+a"]);
    assert_eq!(
        drain(&ch, &q_any).await,
        ["k-str+a", "k-int+a", "k-void+a", "k-only", "a-only"]
    );
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

/// Which header values equal a binding value, by RabbitMQ's rules: numbers compare by value
/// whatever their width, and otherwise as RabbitMQ decodes them.
async fn headers_value_equality_across_types(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "headers-num", "headers").await;
    let q_int = queue(&ch, "h-int").await;
    let q_str = queue(&ch, "h-str").await;
    let q_bool = queue(&ch, "h-bool").await;
    bind(
        &ch,
        &q_int,
        &x,
        "",
        tbl(vec![("n", FieldValue::LongInt(1))]),
    )
    .await;
    bind(&ch, &q_str, &x, "", tbl(vec![("n", s("1"))])).await;
    bind(
        &ch,
        &q_bool,
        &x,
        "",
        tbl(vec![("n", FieldValue::Boolean(true))]),
    )
    .await;
    let values = [
        ("b", FieldValue::ShortShortInt(1)),
        ("B", FieldValue::ShortShortUInt(1)),
        ("s", FieldValue::ShortInt(1)),
        ("u", FieldValue::ShortUInt(1)),
        ("I", FieldValue::LongInt(1)),
        ("i", FieldValue::LongUInt(1)),
        ("l", FieldValue::LongLongInt(1)),
        ("l2", FieldValue::LongLongInt(2)),
        ("f", FieldValue::Float(1.0)),
        ("d", FieldValue::Double(1.0)),
        ("D", FieldValue::Decimal(Decimal { scale: 0, value: 1 })),
        ("T", FieldValue::Timestamp(1)),
        ("t", FieldValue::Boolean(true)),
        ("S", s("1")),
        ("x", FieldValue::ByteArray(bytes::Bytes::from_static(b"1"))),
    ];
    for (body, v) in values {
        publish_confirmed_props(&ch, &x, "", body, props_with_headers(tbl(vec![("n", v)]))).await;
    }
    let ints = drain(&ch, &q_int).await;
    let strs = drain(&ch, &q_str).await;
    let bools = drain(&ch, &q_bool).await;
    // RabbitMQ 3.10 compares the decoded values with Erlang's `==`: every integer width,
    // floats and timestamps equal the integer 1; a byte array equals the long string.
    assert_eq!(ints, ["b", "B", "s", "u", "I", "i", "l", "f", "d", "T"]);
    assert_eq!(strs, ["S", "x"]);
    assert_eq!(bools, ["t"]);
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn headers_invalid_x_match_is_406(t: &Target) {
    let (conn, ch) = t.open().await;
    let x = exchange(&ch, "headers-bad", "headers").await;
    let q = queue(&ch, "h-bad").await;
    let r = within(
        "queue.bind",
        ch.queue_bind(&q, &x, "", table(&[("x-match", "ALL")])),
    )
    .await;
    let e = assert_channel_closed(r, 406, QUEUE_BIND);
    assert_eq!(
        e.reply_text,
        r#"PRECONDITION_FAILED - Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x"#
    );
    let ch = channel(&conn).await;
    let mut args = FieldTable::new();
    args.insert("x-match", FieldValue::LongInt(1)).unwrap();
    let r = within("queue.bind", ch.queue_bind(&q, &x, "", args)).await;
    let e = assert_channel_closed(r, 406, QUEUE_BIND);
    assert_eq!(
        e.reply_text,
        "PRECONDITION_FAILED - Invalid x-match field type signedint (value 1); expected longstr"
    );
    let ch = channel(&conn).await;
    // Other exchange types do not look at x-match.
    let d = exchange(&ch, "headers-bad-direct", "direct").await;
    bind(&ch, &q, &d, "", table(&[("x-match", "ALL")])).await;
    delete_exchanges(&ch, &[&d]).await;
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn default_exchange(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let qa = queue(&ch, "default-a").await;
    let qb = queue(&ch, "default-b").await;
    // Every queue is bound to the default exchange by its name.
    publish_confirmed(&ch, "", &qa, "to-a").await;
    publish_confirmed(&ch, "", &qb, "to-b").await;
    publish_confirmed(&ch, "", "no-such-queue-anywhere", "lost").await;
    assert_eq!(drain(&ch, &qa).await, ["to-a"]);
    assert_eq!(drain(&ch, &qb).await, ["to-b"]);
    // Binding to or from it, unbinding, deleting and declaring it are all refused.
    let r = within("queue.bind", ch.queue_bind(&qa, "", &qa, FieldTable::new())).await;
    assert_channel_closed(r, 403, QUEUE_BIND);
    let ch = channel(&conn).await;
    let r = within(
        "queue.unbind",
        ch.queue_unbind(&qa, "", &qa, FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 403, QUEUE_UNBIND);
    let ch = channel(&conn).await;
    let x = exchange(&ch, "default-e2e", "fanout").await;
    let r = within(
        "exchange.bind",
        ch.exchange_bind(&x, "", "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 403, EXCHANGE_BIND);
    let ch = channel(&conn).await;
    let r = within(
        "exchange.bind",
        ch.exchange_bind("", &x, "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 403, EXCHANGE_BIND);
    let ch = channel(&conn).await;
    let r = within(
        "exchange.unbind",
        ch.exchange_unbind("", &x, "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 403, EXCHANGE_UNBIND);
    let ch = channel(&conn).await;
    let r = within("exchange.delete", ch.exchange_delete("", false)).await;
    assert_channel_closed(r, 403, EXCHANGE_DELETE);
    let ch = channel(&conn).await;
    let r = within(
        "exchange.declare",
        ch.exchange_declare(
            "",
            "direct",
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await;
    assert_channel_closed(r, 403, EXCHANGE_DECLARE);
    let ch = channel(&conn).await;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let r = within(
        "exchange.declare",
        ch.exchange_declare("", "direct", passive, FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 403, EXCHANGE_DECLARE);
    let ch = channel(&conn).await;
    // The default exchange still routes after all that.
    publish(&ch, "", &qa, "still").await;
    assert_eq!(drain(&ch, &qa).await, ["still"]);
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn predeclared_exchanges(t: &Target) {
    let (conn, mut ch) = t.open().await;
    let all = [
        ("amq.direct", "direct"),
        ("amq.fanout", "fanout"),
        ("amq.topic", "topic"),
        ("amq.headers", "headers"),
        ("amq.match", "headers"),
    ];
    for (name, kind) in all {
        let passive = ExchangeDeclareOptions {
            passive: true,
            ..Default::default()
        };
        within(
            "passive declare",
            ch.exchange_declare(name, "", passive, FieldTable::new()),
        )
        .await
        .unwrap_or_else(|e| panic!("passive declare {name}: {e}"));
        // Declaring with the same type and durable=true is a no-op.
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        within(
            "declare",
            ch.exchange_declare(name, kind, durable, FieldTable::new()),
        )
        .await
        .unwrap_or_else(|e| panic!("redeclare {name}: {e}"));
        for other in ["direct", "fanout", "topic", "headers"] {
            if other == kind {
                continue;
            }
            let r = within(
                "declare with another type",
                ch.exchange_declare(name, other, durable, FieldTable::new()),
            )
            .await;
            assert_channel_closed(r, 406, EXCHANGE_DECLARE);
            ch = channel(&conn).await;
        }
        // Not durable: inequivalent too.
        let r = within(
            "declare non-durable",
            ch.exchange_declare(name, kind, Default::default(), FieldTable::new()),
        )
        .await;
        assert_channel_closed(r, 406, EXCHANGE_DECLARE);
        ch = channel(&conn).await;
        let r = within("delete", ch.exchange_delete(name, false)).await;
        assert_channel_closed(r, 403, EXCHANGE_DELETE);
        ch = channel(&conn).await;
    }
    // They route like any exchange of their type.
    within("confirm.select", ch.confirm_select()).await.unwrap();
    let q = queue(&ch, "amq-direct").await;
    bind(&ch, &q, "amq.direct", &q, FieldTable::new()).await;
    bind(&ch, &q, "amq.topic", &format!("{q}.#"), FieldTable::new()).await;
    bind(&ch, &q, "amq.match", "", tbl(vec![("q", s(&q))])).await;
    publish_confirmed(&ch, "amq.direct", &q, "direct").await;
    publish_confirmed(&ch, "amq.topic", &format!("{q}.a.b"), "topic").await;
    publish_confirmed_props(
        &ch,
        "amq.match",
        "",
        "match",
        props_with_headers(tbl(vec![("q", s(&q))])),
    )
    .await;
    assert_eq!(drain(&ch, &q).await, ["direct", "topic", "match"]);
    close(conn).await;
}

async fn exchange_to_exchange_chain(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x1 = exchange(&ch, "chain1", "topic").await;
    let x2 = exchange(&ch, "chain2", "direct").await;
    let x3 = exchange(&ch, "chain3", "fanout").await;
    let q_end = queue(&ch, "chain-end").await;
    let q_mid = queue(&ch, "chain-mid").await;
    // x1 --(orders.*)--> x2 --(orders.eu)--> x3 --> q_end ; x2 --(orders.us)--> q_mid
    bind_exchange(&ch, &x2, &x1, "orders.*").await;
    bind_exchange(&ch, &x3, &x2, "orders.eu").await;
    bind(&ch, &q_end, &x3, "", FieldTable::new()).await;
    bind(&ch, &q_mid, &x2, "orders.us", FieldTable::new()).await;
    for k in ["orders.eu", "orders.us", "orders.asia", "other.eu"] {
        publish_confirmed(&ch, &x1, k, k).await;
    }
    assert_eq!(drain(&ch, &q_end).await, ["orders.eu"]);
    assert_eq!(drain(&ch, &q_mid).await, ["orders.us"]);
    // Unbinding the middle link cuts the chain; the rest stays.
    within(
        "exchange.unbind",
        ch.exchange_unbind(&x3, &x2, "orders.eu", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &x1, "orders.eu", "after-unbind").await;
    publish_confirmed(&ch, &x3, "", "direct-to-x3").await;
    assert_eq!(drain(&ch, &q_end).await, ["direct-to-x3"]);
    // Deleting a destination exchange removes the bindings to it.
    delete_exchanges(&ch, &[&x2]).await;
    bind_exchange(&ch, &x3, &x1, "#").await;
    publish_confirmed(&ch, &x1, "orders.us", "x2-gone").await;
    assert_eq!(drain(&ch, &q_end).await, ["x2-gone"]);
    assert!(drain(&ch, &q_mid).await.is_empty());
    delete_exchanges(&ch, &[&x1, &x3]).await;
    close(conn).await;
}

async fn exchange_cycles_and_diamonds_deliver_once(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let a = exchange(&ch, "cycle-a", "fanout").await;
    let b = exchange(&ch, "cycle-b", "fanout").await;
    let c = exchange(&ch, "cycle-c", "fanout").await;
    let q = queue(&ch, "cycle").await;
    // a -> b -> c -> a (a cycle), a -> q, b -> q, c -> q, and a -> a (a self-loop).
    bind_exchange(&ch, &b, &a, "").await;
    bind_exchange(&ch, &c, &b, "").await;
    bind_exchange(&ch, &a, &c, "").await;
    bind_exchange(&ch, &a, &a, "").await;
    for x in [&a, &b, &c] {
        bind(&ch, &q, x, "", FieldTable::new()).await;
    }
    publish_confirmed(&ch, &a, "", "via-a").await;
    publish_confirmed(&ch, &c, "", "via-c").await;
    assert_eq!(drain(&ch, &q).await, ["via-a", "via-c"]);

    // Diamond: d -> e -> q2, d -> f -> q2, and d -> q2 with two keys.
    let d = exchange(&ch, "diamond-d", "direct").await;
    let e = exchange(&ch, "diamond-e", "fanout").await;
    let f = exchange(&ch, "diamond-f", "fanout").await;
    let q2 = queue(&ch, "diamond").await;
    bind_exchange(&ch, &e, &d, "k").await;
    bind_exchange(&ch, &f, &d, "k").await;
    bind(&ch, &q2, &e, "", FieldTable::new()).await;
    bind(&ch, &q2, &f, "", FieldTable::new()).await;
    bind(&ch, &q2, &d, "k", FieldTable::new()).await;
    publish_confirmed(&ch, &d, "k", "once").await;
    assert_eq!(drain(&ch, &q2).await, ["once"]);
    delete_exchanges(&ch, &[&a, &b, &c, &d, &e, &f]).await;
    close(conn).await;
}

async fn alternate_exchange(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    // main --AE--> ae1 (direct, routes "k1") --AE--> ae2 (fanout)
    let ae2 = exchange(&ch, "ae2", "fanout").await;
    let ae1 = exchange_with(
        &ch,
        "ae1",
        "direct",
        Default::default(),
        table(&[("alternate-exchange", ae2.as_str())]),
    )
    .await;
    let main = exchange_with(
        &ch,
        "ae-main",
        "direct",
        Default::default(),
        table(&[("alternate-exchange", ae1.as_str())]),
    )
    .await;
    let q_main = queue(&ch, "ae-main").await;
    let q_ae1 = queue(&ch, "ae1").await;
    let q_ae2 = queue(&ch, "ae2").await;
    bind(&ch, &q_main, &main, "routed", FieldTable::new()).await;
    bind(&ch, &q_ae1, &ae1, "k1", FieldTable::new()).await;
    bind(&ch, &q_ae2, &ae2, "", FieldTable::new()).await;

    publish_confirmed(&ch, &main, "routed", "routed").await;
    publish_confirmed(&ch, &main, "k1", "to-ae1").await;
    publish_confirmed(&ch, &main, "other", "to-ae2").await;
    assert_eq!(drain(&ch, &q_main).await, ["routed"]);
    assert_eq!(drain(&ch, &q_ae1).await, ["to-ae1"]);
    assert_eq!(drain(&ch, &q_ae2).await, ["to-ae2"]);

    // A mandatory message that an alternate exchange routes is not returned.
    let confirm = publish_with(&ch, &main, "other", "mandatory", Default::default(), true).await;
    assert!(within("confirm", confirm).await.unwrap().is_ack());
    assert!(ch.try_recv_return().is_none());
    assert_eq!(drain(&ch, &q_ae2).await, ["mandatory"]);

    // An exchange routing to another exchange counts as routed, even if that one routes
    // nowhere: main's AE is not used.
    let sink = exchange(&ch, "ae-sink", "direct").await;
    bind_exchange(&ch, &sink, &main, "to-sink").await;
    publish_confirmed(&ch, &main, "to-sink", "sunk").await;
    assert!(drain(&ch, &q_ae1).await.is_empty());
    assert!(drain(&ch, &q_ae2).await.is_empty());

    // An alternate exchange that does not exist: the message is unroutable.
    let missing = unique("ae-missing");
    let orphan = exchange_with(
        &ch,
        "ae-orphan",
        "direct",
        Default::default(),
        table(&[("alternate-exchange", missing.as_str())]),
    )
    .await;
    let confirm = publish_with(&ch, &orphan, "x", "unroutable", Default::default(), true).await;
    let returned = within("basic.return", ch.recv_return())
        .await
        .expect("a return");
    assert_eq!(returned.reply_code, 312);
    assert!(within("confirm", confirm).await.unwrap().is_ack());

    // Alternate exchanges that point at each other do not loop.
    let p = unique("ae-loop-p");
    let r = unique("ae-loop-r");
    within(
        "declare",
        ch.exchange_declare(
            &p,
            "direct",
            Default::default(),
            table(&[("alternate-exchange", r.as_str())]),
        ),
    )
    .await
    .unwrap();
    within(
        "declare",
        ch.exchange_declare(
            &r,
            "direct",
            Default::default(),
            table(&[("alternate-exchange", p.as_str())]),
        ),
    )
    .await
    .unwrap();
    let confirm = publish_with(&ch, &p, "x", "loop", Default::default(), true).await;
    let returned = within("basic.return", ch.recv_return())
        .await
        .expect("a return");
    assert_eq!(returned.reply_code, 312);
    assert!(within("confirm", confirm).await.unwrap().is_ack());
    delete_exchanges(&ch, &[&main, &ae1, &ae2, &sink, &orphan, &p, &r]).await;
    close(conn).await;
}

async fn internal_exchange(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let internal = exchange_with(
        &ch,
        "internal",
        "fanout",
        ExchangeDeclareOptions {
            internal: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await;
    let front = exchange(&ch, "internal-front", "direct").await;
    let q = queue(&ch, "internal").await;
    bind(&ch, &q, &internal, "", FieldTable::new()).await;
    bind_exchange(&ch, &internal, &front, "k").await;
    publish_confirmed(&ch, &front, "k", "via-e2e").await;
    assert_eq!(drain(&ch, &q).await, ["via-e2e"]);
    // Publishing to it directly is refused.
    publish(&ch, &internal, "", "direct").await;
    let r = within("next method", ch.queue_purge(&q)).await;
    assert_channel_closed(r, 403, BASIC_PUBLISH);
    let ch = channel(&conn).await;
    assert!(drain(&ch, &q).await.is_empty());
    // An internal exchange can be an alternate exchange.
    let with_ae = exchange_with(
        &ch,
        "internal-ae-user",
        "direct",
        Default::default(),
        table(&[("alternate-exchange", internal.as_str())]),
    )
    .await;
    publish(&ch, &with_ae, "nothing", "via-ae").await;
    sync(&ch).await;
    assert_eq!(drain(&ch, &q).await, ["via-ae"]);
    delete_exchanges(&ch, &[&internal, &front, &with_ae]).await;
    close(conn).await;
}

async fn exchange_exists(ch_conn: &warren_core::Connection, name: &str) -> bool {
    let ch = channel(ch_conn).await;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match within(
        "passive declare",
        ch.exchange_declare(name, "direct", passive, FieldTable::new()),
    )
    .await
    {
        Ok(()) => {
            let _ = within("channel.close", ch.close()).await;
            true
        }
        Err(e) if e.reply_code() == Some(404) => false,
        Err(e) => panic!("passive declare {name}: {e}"),
    }
}

async fn auto_delete_exchange(t: &Target) {
    let (conn, ch) = t.open().await;
    let auto = ExchangeDeclareOptions {
        auto_delete: true,
        ..Default::default()
    };
    // Never bound: stays.
    let x0 = exchange_with(&ch, "ad-never", "direct", auto, FieldTable::new()).await;
    assert!(exchange_exists(&conn, &x0).await);

    // Deleted when its last binding (as source) goes.
    let x = exchange_with(&ch, "ad", "direct", auto, FieldTable::new()).await;
    let q1 = queue(&ch, "ad1").await;
    let q2 = queue(&ch, "ad2").await;
    bind(&ch, &q1, &x, "a", FieldTable::new()).await;
    bind(&ch, &q2, &x, "b", FieldTable::new()).await;
    within("unbind", ch.queue_unbind(&q1, &x, "a", FieldTable::new()))
        .await
        .unwrap();
    assert!(exchange_exists(&conn, &x).await, "one binding left");
    within("unbind", ch.queue_unbind(&q2, &x, "b", FieldTable::new()))
        .await
        .unwrap();
    assert!(
        !exchange_exists(&conn, &x).await,
        "deleted with its last binding"
    );

    // Also when the last bound queue is deleted.
    let y = exchange_with(&ch, "ad-q", "fanout", auto, FieldTable::new()).await;
    let q3 = queue(&ch, "ad3").await;
    bind(&ch, &q3, &y, "", FieldTable::new()).await;
    within("queue.delete", ch.queue_delete(&q3, false, false))
        .await
        .unwrap();
    assert!(
        !exchange_exists(&conn, &y).await,
        "deleted with its last queue"
    );

    // Also when its only destination exchange is deleted.
    let src = exchange_with(&ch, "ad-src", "fanout", auto, FieldTable::new()).await;
    let dst = exchange(&ch, "ad-dst", "fanout").await;
    bind_exchange(&ch, &dst, &src, "").await;
    delete_exchanges(&ch, &[&dst]).await;
    assert!(
        !exchange_exists(&conn, &src).await,
        "deleted with its destination"
    );

    // Bindings where it is the destination do not count.
    let dest_only = exchange_with(&ch, "ad-dest-only", "fanout", auto, FieldTable::new()).await;
    let feeder = exchange(&ch, "ad-feeder", "fanout").await;
    let q4 = queue(&ch, "ad4").await;
    bind(&ch, &q4, &dest_only, "", FieldTable::new()).await;
    bind_exchange(&ch, &dest_only, &feeder, "").await;
    within(
        "exchange.unbind",
        ch.exchange_unbind(&dest_only, &feeder, "", FieldTable::new()),
    )
    .await
    .unwrap();
    assert!(
        exchange_exists(&conn, &dest_only).await,
        "still has its queue binding"
    );
    // A source binding to an exchange counts: removing it is the last one.
    let holder = exchange(&ch, "ad-holder", "fanout").await;
    bind_exchange(&ch, &holder, &dest_only, "").await;
    within(
        "unbind",
        ch.queue_unbind(&q4, &dest_only, "", FieldTable::new()),
    )
    .await
    .unwrap();
    assert!(
        exchange_exists(&conn, &dest_only).await,
        "still bound to holder"
    );
    within(
        "exchange.unbind",
        ch.exchange_unbind(&holder, &dest_only, "", FieldTable::new()),
    )
    .await
    .unwrap();
    assert!(!exchange_exists(&conn, &dest_only).await);
    delete_exchanges(&ch, &[&x0, &feeder, &holder]).await;
    close(conn).await;
}

async fn declare_equivalence(t: &Target) {
    let (conn, mut ch) = t.open().await;
    let ae = unique("eq-ae");
    let x = exchange_with(
        &ch,
        "eq",
        "direct",
        Default::default(),
        table(&[("alternate-exchange", ae.as_str())]),
    )
    .await;
    let same_args = table(&[("alternate-exchange", ae.as_str())]);
    // Identical: fine.
    within(
        "redeclare",
        ch.exchange_declare(&x, "direct", Default::default(), same_args.clone()),
    )
    .await
    .unwrap();
    let mismatches: Vec<(&str, &str, ExchangeDeclareOptions, FieldTable)> = vec![
        ("type", "fanout", Default::default(), same_args.clone()),
        (
            "durable",
            "direct",
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            same_args.clone(),
        ),
        (
            "auto_delete",
            "direct",
            ExchangeDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            same_args.clone(),
        ),
        (
            "internal",
            "direct",
            ExchangeDeclareOptions {
                internal: true,
                ..Default::default()
            },
            same_args.clone(),
        ),
        (
            "alternate-exchange",
            "direct",
            Default::default(),
            table(&[("alternate-exchange", "another")]),
        ),
        (
            "alternate-exchange",
            "direct",
            Default::default(),
            FieldTable::new(),
        ),
    ];
    for (what, kind, options, args) in mismatches {
        let r = within(
            "inequivalent redeclare",
            ch.exchange_declare(&x, kind, options, args),
        )
        .await;
        let e = assert_channel_closed(r, 406, EXCHANGE_DECLARE);
        assert!(
            e.reply_text.contains(&format!("inequivalent arg '{what}'")),
            "{what}: {}",
            e.reply_text
        );
        ch = channel(&conn).await;
    }
    // RabbitMQ compares only alternate-exchange among the arguments: others are ignored.
    let mut extra = same_args.clone();
    extra.insert("x-whatever", "1").unwrap();
    within(
        "redeclare with an unrelated argument",
        ch.exchange_declare(&x, "direct", Default::default(), extra),
    )
    .await
    .unwrap();
    // A passive declare ignores type and flags.
    let passive = ExchangeDeclareOptions {
        passive: true,
        durable: true,
        ..Default::default()
    };
    within(
        "passive declare",
        ch.exchange_declare(&x, "topic", passive, FieldTable::new()),
    )
    .await
    .unwrap();
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn passive_declare_and_reserved_names(t: &Target) {
    let (conn, ch) = t.open().await;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let r = within(
        "passive declare",
        ch.exchange_declare(&unique("missing"), "direct", passive, FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 404, EXCHANGE_DECLARE);
    let ch = channel(&conn).await;
    let r = within(
        "declare amq.",
        ch.exchange_declare(
            &format!("amq.{}", unique("mine")),
            "direct",
            Default::default(),
            FieldTable::new(),
        ),
    )
    .await;
    let e = assert_channel_closed(r, 403, EXCHANGE_DECLARE);
    assert!(
        e.reply_text.contains("reserved prefix 'amq.*'"),
        "{}",
        e.reply_text
    );
    let ch = channel(&conn).await;
    // A passive declare of a missing amq. name is just not found.
    let r = within(
        "passive declare amq.",
        ch.exchange_declare(
            &format!("amq.{}", unique("mine")),
            "direct",
            passive,
            FieldTable::new(),
        ),
    )
    .await;
    assert_channel_closed(r, 404, EXCHANGE_DECLARE);
    let ch = channel(&conn).await;
    // Deleting any amq. exchange is refused, existing or not.
    let r = within(
        "delete amq.",
        ch.exchange_delete(&format!("amq.{}", unique("mine")), false),
    )
    .await;
    assert_channel_closed(r, 403, EXCHANGE_DELETE);
    let ch = channel(&conn).await;
    // "Amq." is not reserved.
    let x = format!("Amq.{}", unique("case"));
    within(
        "declare Amq.",
        ch.exchange_declare(&x, "direct", Default::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn unknown_exchange_type_is_503(t: &Target) {
    let (conn, ch) = t.open().await;
    let r = within(
        "declare",
        ch.exchange_declare(
            &unique("bad-type"),
            "x-no-such-type",
            Default::default(),
            FieldTable::new(),
        ),
    )
    .await;
    assert_connection_closed(r, 503, EXCHANGE_DECLARE);
    assert!(!conn.is_open());
}

async fn publish_to_missing_exchange_is_404(t: &Target) {
    let (conn, ch) = t.open().await;
    publish(&ch, &unique("nowhere"), "k", "x").await;
    let r = within("next method", ch.basic_qos(0, false)).await;
    assert_channel_closed(r, 404, BASIC_PUBLISH);
    let ch = channel(&conn).await;
    // Binding to a missing exchange, or from one, is 404 too.
    let q = queue(&ch, "missing-x").await;
    let r = within(
        "queue.bind",
        ch.queue_bind(&q, &unique("nowhere"), "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 404, QUEUE_BIND);
    let ch = channel(&conn).await;
    let x = exchange(&ch, "missing-peer", "fanout").await;
    let r = within(
        "exchange.bind",
        ch.exchange_bind(&unique("nowhere"), &x, "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 404, EXCHANGE_BIND);
    let ch = channel(&conn).await;
    let r = within(
        "exchange.bind",
        ch.exchange_bind(&x, &unique("nowhere"), "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 404, EXCHANGE_BIND);
    let ch = channel(&conn).await;
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}

async fn delete_idempotent_and_if_unused(t: &Target) {
    let (conn, ch) = t.open().await;
    // Deleting what does not exist succeeds.
    within(
        "delete missing",
        ch.exchange_delete(&unique("never"), false),
    )
    .await
    .unwrap();
    within(
        "delete missing if-unused",
        ch.exchange_delete(&unique("never"), true),
    )
    .await
    .unwrap();
    let x = exchange(&ch, "del", "direct").await;
    let q = queue(&ch, "del").await;
    bind(&ch, &q, &x, "k", FieldTable::new()).await;
    let r = within("delete if-unused", ch.exchange_delete(&x, true)).await;
    let e = assert_channel_closed(r, 406, EXCHANGE_DELETE);
    assert!(e.reply_text.contains("in use"), "{}", e.reply_text);
    let ch = channel(&conn).await;
    within("unbind", ch.queue_unbind(&q, &x, "k", FieldTable::new()))
        .await
        .unwrap();
    within("delete if-unused", ch.exchange_delete(&x, true))
        .await
        .unwrap();
    // Twice is fine.
    within("delete again", ch.exchange_delete(&x, false))
        .await
        .unwrap();

    // "Unused" looks only at bindings where the exchange is the source.
    let src = exchange(&ch, "del-src", "fanout").await;
    let dst = exchange(&ch, "del-dst", "fanout").await;
    bind_exchange(&ch, &dst, &src, "").await;
    within(
        "delete destination if-unused",
        ch.exchange_delete(&dst, true),
    )
    .await
    .unwrap();
    let r = within("delete source if-unused", ch.exchange_delete(&src, true)).await;
    // The binding went with its destination, so the source is unused now.
    r.unwrap();

    // Deleting an exchange deletes its bindings: a new one with the same name starts empty.
    let y = exchange(&ch, "del-recreate", "fanout").await;
    bind(&ch, &q, &y, "", FieldTable::new()).await;
    delete_exchanges(&ch, &[&y]).await;
    within(
        "re-declare",
        ch.exchange_declare(&y, "fanout", Default::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    within("confirm.select", ch.confirm_select()).await.unwrap();
    publish_confirmed(&ch, &y, "", "unbound").await;
    assert!(drain(&ch, &q).await.is_empty());
    delete_exchanges(&ch, &[&y]).await;
    close(conn).await;
}

async fn binding_identity(t: &Target) {
    let (conn, ch) = t.open_confirming().await;
    let x = exchange(&ch, "bind-id", "direct").await;
    let q = queue(&ch, "bind-id").await;
    // Rebinding the same (source, destination, key, arguments) is idempotent.
    bind(&ch, &q, &x, "k", FieldTable::new()).await;
    bind(&ch, &q, &x, "k", FieldTable::new()).await;
    publish_confirmed(&ch, &x, "k", "1").await;
    assert_eq!(drain(&ch, &q).await, ["1"]);
    // Different arguments make another binding; one copy still.
    bind(&ch, &q, &x, "k", table(&[("tag", "other")])).await;
    publish_confirmed(&ch, &x, "k", "2").await;
    assert_eq!(drain(&ch, &q).await, ["2"]);
    // One unbind removes the binding bound twice; the one with arguments remains.
    within("unbind", ch.queue_unbind(&q, &x, "k", FieldTable::new()))
        .await
        .unwrap();
    publish_confirmed(&ch, &x, "k", "3").await;
    assert_eq!(drain(&ch, &q).await, ["3"]);
    within(
        "unbind with arguments",
        ch.queue_unbind(&q, &x, "k", table(&[("tag", "other")])),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &x, "k", "4").await;
    assert!(drain(&ch, &q).await.is_empty());
    // Unbinding what is not bound succeeds.
    within(
        "unbind missing",
        ch.queue_unbind(&q, &x, "k", FieldTable::new()),
    )
    .await
    .unwrap();
    within(
        "unbind missing",
        ch.queue_unbind(&q, &x, "nope", FieldTable::new()),
    )
    .await
    .unwrap();
    let other = exchange(&ch, "bind-id-e2e", "fanout").await;
    within(
        "exchange.unbind missing",
        ch.exchange_unbind(&other, &x, "k", FieldTable::new()),
    )
    .await
    .unwrap();
    // The same for exchange-to-exchange bindings.
    bind_exchange(&ch, &other, &x, "k").await;
    bind_exchange(&ch, &other, &x, "k").await;
    bind(&ch, &q, &other, "", FieldTable::new()).await;
    publish_confirmed(&ch, &x, "k", "5").await;
    assert_eq!(drain(&ch, &q).await, ["5"]);
    within(
        "exchange.unbind",
        ch.exchange_unbind(&other, &x, "k", FieldTable::new()),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, &x, "k", "6").await;
    assert!(drain(&ch, &q).await.is_empty());
    // Arguments are compared as tables: their order does not matter.
    let h = exchange(&ch, "bind-id-headers", "headers").await;
    let q2 = queue(&ch, "bind-id-headers").await;
    bind(
        &ch,
        &q2,
        &h,
        "",
        table(&[("x-match", "any"), ("a", "1"), ("b", "2")]),
    )
    .await;
    bind(
        &ch,
        &q2,
        &h,
        "",
        table(&[("b", "2"), ("a", "1"), ("x-match", "any")]),
    )
    .await;
    let props = BasicProperties {
        headers: Some(table(&[("a", "1")])),
        ..Default::default()
    };
    publish_confirmed_props(&ch, &h, "", "h1", props.clone()).await;
    assert_eq!(drain(&ch, &q2).await, ["h1"]);
    within(
        "unbind with reordered arguments",
        ch.queue_unbind(
            &q2,
            &h,
            "",
            table(&[("a", "1"), ("b", "2"), ("x-match", "any")]),
        ),
    )
    .await
    .unwrap();
    publish_confirmed_props(&ch, &h, "", "h2", props).await;
    assert!(
        drain(&ch, &q2).await.is_empty(),
        "one unbind removed the binding"
    );
    delete_exchanges(&ch, &[&x, &other, &h]).await;
    close(conn).await;
}

async fn unbind_missing_queue_or_exchange(t: &Target) {
    let (conn, ch) = t.open().await;
    let x = exchange(&ch, "unbind-missing", "direct").await;
    let q = queue(&ch, "unbind-missing").await;
    // RabbitMQ 3.10 treats every unbind as idempotent: a missing queue, destination or source
    // exchange is not an error either.
    within(
        "queue.unbind, no queue",
        ch.queue_unbind(&unique("no-queue"), &x, "k", FieldTable::new()),
    )
    .await
    .unwrap();
    within(
        "queue.unbind, no exchange",
        ch.queue_unbind(&q, &unique("no-exchange"), "k", FieldTable::new()),
    )
    .await
    .unwrap();
    within(
        "exchange.unbind, no destination",
        ch.exchange_unbind(&unique("no-exchange"), &x, "k", FieldTable::new()),
    )
    .await
    .unwrap();
    within(
        "exchange.unbind, no source",
        ch.exchange_unbind(&x, &unique("no-exchange"), "k", FieldTable::new()),
    )
    .await
    .unwrap();
    // Binding a missing queue is 404.
    let r = within(
        "queue.bind, no queue",
        ch.queue_bind(&unique("no-queue"), &x, "k", FieldTable::new()),
    )
    .await;
    assert_channel_closed(r, 404, QUEUE_BIND);
    let ch = channel(&conn).await;
    delete_exchanges(&ch, &[&x]).await;
    close(conn).await;
}
