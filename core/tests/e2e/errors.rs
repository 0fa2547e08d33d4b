//! Errors: soft errors close only their channel (reply code and failing class/method reported,
//! the connection and its other channels carry on, later calls on the closed channel report the
//! same error); invalid arguments are refused before anything is sent; hard errors and failed
//! handshakes end the connection.

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, Connection, ExchangeDeclareOptions,
    QueueDeclareOptions,
};
use warren_core::{AmqpError, Error, FieldTable, FieldValue};

use crate::support::*;

fn passive_queue() -> QueueDeclareOptions {
    QueueDeclareOptions {
        passive: true,
        ..Default::default()
    }
}

fn exclusive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    }
}

/// After a soft error: the channel reports it and refuses everything with the same error, the
/// connection stays open and can open new channels.
async fn assert_only_channel_closed(conn: &Connection, ch: &Channel, expected: &AmqpError) {
    assert!(!ch.is_open(), "channel still open after {expected}");
    assert_eq!(
        ch.close_reason().as_ref().and_then(Error::amqp),
        Some(expected)
    );
    let same = |what: &str, err: Error| {
        assert_eq!(
            err.amqp(),
            Some(expected),
            "{what} on the closed channel: {err:?}"
        );
    };
    same(
        "queue.declare",
        within(
            "queue.declare",
            ch.queue_declare("", exclusive(), FieldTable::new()),
        )
        .await
        .unwrap_err(),
    );
    same(
        "basic.get",
        within("basic.get", ch.basic_get("q", false))
            .await
            .unwrap_err(),
    );
    same(
        "basic.publish",
        within(
            "basic.publish",
            ch.basic_publish(
                "",
                "q",
                BasicPublishOptions::default(),
                &b""[..],
                Default::default(),
            ),
        )
        .await
        .unwrap_err(),
    );
    same(
        "basic.consume",
        within(
            "basic.consume",
            ch.basic_consume("q", "", BasicConsumeOptions::default(), FieldTable::new()),
        )
        .await
        .unwrap_err(),
    );
    same("basic.ack", ch.basic_ack(1, false).unwrap_err());
    same(
        "confirm.select",
        within("confirm.select", ch.confirm_select())
            .await
            .unwrap_err(),
    );
    // Closing an already closed channel is not an error.
    within("channel.close", ch.close()).await.unwrap();
    assert!(conn.is_open(), "a channel error closed the connection");
    assert!(conn.close_reason().is_none());
    assert_connection_usable(conn).await;
}

#[tokio::test]
async fn consume_from_missing_queue_closes_only_the_channel() {
    let (conn, ch) = open().await;
    // Another channel, busy with a consumer, must not notice.
    let bystander = conn.open_channel().await.unwrap();
    let bq = temp_queue(&bystander, "bystander").await;
    let mut bconsumer = within(
        "basic.consume",
        bystander.basic_consume(&bq, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();

    let missing = unique("missing");
    let err = within(
        "basic.consume",
        ch.basic_consume(
            &missing,
            "",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .expect_err("consume from a missing queue");
    let amqp = assert_channel_closed(&err, 404, BASIC_CONSUME);
    assert!(
        amqp.reply_text.starts_with("NOT_FOUND"),
        "{}",
        amqp.reply_text
    );
    assert!(amqp.reply_text.contains(&missing), "{}", amqp.reply_text);
    assert_only_channel_closed(&conn, &ch, &amqp).await;

    publish(&bystander, "", &bq, &b"unaffected"[..]).await;
    let d = next(&mut bconsumer).await;
    assert_eq!(&d.body[..], b"unaffected");
    d.ack().unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn passive_declare_of_missing_queue_is_404() {
    let (conn, ch) = open().await;
    let err = within(
        "passive queue.declare",
        ch.queue_declare(&unique("missing"), passive_queue(), FieldTable::new()),
    )
    .await
    .expect_err("passive declare of a missing queue");
    let amqp = assert_channel_closed(&err, 404, QUEUE_DECLARE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn passive_declare_of_missing_exchange_is_404() {
    let (conn, ch) = open().await;
    let err = within(
        "passive exchange.declare",
        ch.exchange_declare(
            &unique("missing"),
            "direct",
            ExchangeDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .expect_err("passive declare of a missing exchange");
    let amqp = assert_channel_closed(&err, 404, EXCHANGE_DECLARE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn basic_get_from_missing_queue_is_404() {
    let (conn, ch) = open().await;
    let err = within("basic.get", ch.basic_get(&unique("missing"), false))
        .await
        .expect_err("get from a missing queue");
    let amqp = assert_channel_closed(&err, 404, BASIC_GET);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn publish_to_missing_exchange_closes_the_channel() {
    let (conn, ch) = open().await;
    // basic.publish has no reply: the error shows on the next synchronous call.
    publish(&ch, &unique("missing"), "key", &b"lost"[..]).await;
    let err = within(
        "queue.declare",
        ch.queue_declare("", exclusive(), FieldTable::new()),
    )
    .await
    .expect_err("the channel closed by the failed publish");
    let amqp = assert_channel_closed(&err, 404, BASIC_PUBLISH);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn publish_in_confirm_mode_to_missing_exchange_fails_its_confirm() {
    let (conn, ch) = open_confirming().await;
    let confirm = within(
        "basic.publish",
        ch.basic_publish(
            &unique("missing"),
            "key",
            BasicPublishOptions::default(),
            &b"lost"[..],
            Default::default(),
        ),
    )
    .await
    .unwrap();
    let err = within("confirm", confirm)
        .await
        .expect_err("confirm of a publish that closed the channel");
    let amqp = assert_channel_closed(&err, 404, BASIC_PUBLISH);
    let waited = within("wait_for_confirms", ch.wait_for_confirms())
        .await
        .unwrap_err();
    assert_eq!(waited.amqp(), Some(&amqp));
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn redeclaring_a_queue_with_other_arguments_is_406() {
    let (conn, ch) = open().await;
    let mut args = FieldTable::new();
    args.insert("x-max-length", FieldValue::LongInt(10))
        .unwrap();
    let q = temp_queue_with(&ch, "inequivalent", args).await;

    let mut other = FieldTable::new();
    other
        .insert("x-max-length", FieldValue::LongInt(20))
        .unwrap();
    let err = within("queue.declare", ch.queue_declare(&q, exclusive(), other))
        .await
        .expect_err("redeclare with another x-max-length");
    let amqp = assert_channel_closed(&err, 406, QUEUE_DECLARE);
    assert!(
        amqp.reply_text.starts_with("PRECONDITION_FAILED"),
        "{}",
        amqp.reply_text
    );
    assert_only_channel_closed(&conn, &ch, &amqp).await;

    // The queue is untouched and still declared as before.
    let ch = conn.open_channel().await.unwrap();
    let mut same = FieldTable::new();
    same.insert("x-max-length", FieldValue::LongInt(10))
        .unwrap();
    within("queue.declare", ch.queue_declare(&q, exclusive(), same))
        .await
        .expect("redeclare with equal arguments");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn redeclaring_a_queue_with_another_durable_flag_is_406() {
    // Not exclusive: RabbitMQ declares exclusive queues non-durable whatever the flag says.
    // x-expires removes the queue even if the test fails before deleting it.
    let expiring = || {
        let mut args = FieldTable::new();
        args.insert("x-expires", FieldValue::LongInt(60_000))
            .unwrap();
        args
    };
    let (conn, ch) = open().await;
    let q = unique("durable-flip");
    within(
        "queue.declare",
        ch.queue_declare(&q, QueueDeclareOptions::default(), expiring()),
    )
    .await
    .unwrap();
    let err = within(
        "queue.declare",
        ch.queue_declare(
            &q,
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            expiring(),
        ),
    )
    .await
    .expect_err("redeclare as durable");
    let amqp = assert_channel_closed(&err, 406, QUEUE_DECLARE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    let ch = conn.open_channel().await.unwrap();
    within("queue.delete", ch.queue_delete(&q, false, false))
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn redeclaring_an_exchange_with_another_type_is_406() {
    let (conn, ch) = open().await;
    let x = unique("retype");
    within(
        "exchange.declare",
        ch.exchange_declare(
            &x,
            "direct",
            ExchangeDeclareOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    let err = within(
        "exchange.declare",
        ch.exchange_declare(
            &x,
            "fanout",
            ExchangeDeclareOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .expect_err("redeclare as fanout");
    let amqp = assert_channel_closed(&err, 406, EXCHANGE_DECLARE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    let ch = conn.open_channel().await.unwrap();
    within("exchange.delete", ch.exchange_delete(&x, false))
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn conditional_deletes_are_refused_with_406() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "not-empty").await;
    publish_confirmed(&ch, "", &q, &b"x"[..], Default::default()).await;
    let err = within("queue.delete", ch.queue_delete(&q, false, true))
        .await
        .expect_err("if_empty delete of a non-empty queue");
    let amqp = assert_channel_closed(&err, 406, QUEUE_DELETE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;

    let ch = conn.open_channel().await.unwrap();
    let x = unique("in-use");
    within(
        "exchange.declare",
        ch.exchange_declare(&x, "fanout", Default::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    within("queue.bind", ch.queue_bind(&q, &x, "", FieldTable::new()))
        .await
        .unwrap();
    let err = within("exchange.delete", ch.exchange_delete(&x, true))
        .await
        .expect_err("if_unused delete of a bound exchange");
    let amqp = assert_channel_closed(&err, 406, EXCHANGE_DELETE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;

    let ch = conn.open_channel().await.unwrap();
    within("exchange.delete", ch.exchange_delete(&x, false))
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn exclusive_queue_of_another_connection_is_locked_405() {
    let (owner, och) = open().await;
    let q = temp_queue(&och, "locked").await;

    let (conn, ch) = open().await;
    let err = within(
        "passive queue.declare",
        ch.queue_declare(&q, passive_queue(), FieldTable::new()),
    )
    .await
    .expect_err("access to another connection's exclusive queue");
    let amqp = assert_channel_closed(&err, 405, QUEUE_DECLARE);
    assert!(
        amqp.reply_text.starts_with("RESOURCE_LOCKED"),
        "{}",
        amqp.reply_text
    );
    assert_only_channel_closed(&conn, &ch, &amqp).await;

    let ch = conn.open_channel().await.unwrap();
    let err = within(
        "basic.consume",
        ch.basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .expect_err("consume from another connection's exclusive queue");
    assert_channel_closed(&err, 405, BASIC_CONSUME);
    conn.close().await.unwrap();
    owner.close().await.unwrap();
}

#[tokio::test]
async fn second_consumer_on_an_exclusively_consumed_queue_is_403() {
    let (conn, ch) = open().await;
    let q = temp_queue(&ch, "exclusive-consumer").await;
    let first = within(
        "basic.consume",
        ch.basic_consume(
            &q,
            "",
            BasicConsumeOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    let ch2 = conn.open_channel().await.unwrap();
    let err = within(
        "basic.consume",
        ch2.basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .expect_err("second consumer of an exclusively consumed queue");
    let amqp = assert_channel_closed(&err, 403, BASIC_CONSUME);
    assert_only_channel_closed(&conn, &ch2, &amqp).await;
    assert!(ch.is_open());
    within("basic.cancel", first.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn ack_of_an_unknown_delivery_tag_is_406() {
    let (conn, ch) = open().await;
    ch.basic_ack(4242, false).unwrap(); // no reply: the error shows on the next call
    let err = within(
        "queue.declare",
        ch.queue_declare("", exclusive(), FieldTable::new()),
    )
    .await
    .expect_err("the channel closed by the bad ack");
    let amqp = assert_channel_closed(&err, 406, BASIC_ACK);
    assert!(amqp.reply_text.contains("4242"), "{}", amqp.reply_text);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn commit_without_select_is_406() {
    let (conn, ch) = open().await;
    let err = within("tx.commit", ch.tx_commit())
        .await
        .expect_err("tx.commit on a non-transactional channel");
    let amqp = assert_channel_closed(&err, 406, TX_COMMIT);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn reserved_and_internal_exchanges_are_403() {
    let (conn, ch) = open().await;
    // Names starting with "amq." are reserved for the broker.
    let err = within(
        "exchange.declare",
        ch.exchange_declare(
            &format!("amq.{}", unique("reserved")),
            "direct",
            Default::default(),
            FieldTable::new(),
        ),
    )
    .await
    .expect_err("declare of an amq.* exchange");
    let amqp = assert_channel_closed(&err, 403, EXCHANGE_DECLARE);
    assert_only_channel_closed(&conn, &ch, &amqp).await;

    // An internal exchange takes no publishes.
    let ch = conn.open_channel().await.unwrap();
    let x = unique("internal-only");
    within(
        "exchange.declare",
        ch.exchange_declare(
            &x,
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
    publish(&ch, &x, "", &b"refused"[..]).await;
    let err = within(
        "queue.declare",
        ch.queue_declare("", exclusive(), FieldTable::new()),
    )
    .await
    .expect_err("the channel closed by publishing to an internal exchange");
    let amqp = assert_channel_closed(&err, 403, BASIC_PUBLISH);
    assert_only_channel_closed(&conn, &ch, &amqp).await;
    let ch = conn.open_channel().await.unwrap();
    within("exchange.delete", ch.exchange_delete(&x, false))
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn names_longer_than_255_bytes_are_refused_before_sending() {
    let (conn, ch) = open().await;
    let long = "n".repeat(256);
    let invalid = |what: &str, r: Result<(), Error>| match r {
        Err(Error::InvalidArgument(msg)) => assert!(msg.contains("255"), "{what}: {msg}"),
        other => panic!("{what} with a 256-byte name gave {other:?}"),
    };
    invalid(
        "queue.declare",
        ch.queue_declare(&long, exclusive(), FieldTable::new())
            .await
            .map(drop),
    );
    invalid(
        "exchange.declare",
        ch.exchange_declare(&long, "direct", Default::default(), FieldTable::new())
            .await,
    );
    invalid(
        "queue.bind",
        ch.queue_bind("q", "amq.direct", &long, FieldTable::new())
            .await,
    );
    invalid(
        "basic.publish",
        ch.basic_publish(
            "",
            &long,
            BasicPublishOptions::default(),
            &b""[..],
            Default::default(),
        )
        .await
        .map(drop),
    );
    invalid(
        "basic.consume",
        ch.basic_consume(
            "q",
            &long,
            BasicConsumeOptions::default(),
            FieldTable::new(),
        )
        .await
        .map(drop),
    );
    invalid("basic.get", ch.basic_get(&long, false).await.map(drop));
    // Multi-byte characters count in bytes: 128 two-byte characters are 256 bytes.
    invalid(
        "queue.declare (UTF-8)",
        ch.queue_declare(&"é".repeat(128), exclusive(), FieldTable::new())
            .await
            .map(drop),
    );
    assert!(FieldTable::new().insert(&long, true).is_err());

    // Nothing reached the broker: the channel is open and works.
    assert!(ch.is_open());
    let q = temp_queue(&ch, "after-invalid").await;
    publish(&ch, "", &q, &b"fine"[..]).await;
    assert_eq!(drain(&ch, &q).await, vec![b"fine".to_vec()]);
    conn.close().await.unwrap();
}

#[tokio::test]
async fn closed_channel_and_connection_refuse_further_use() {
    let (conn, ch) = open().await;
    within("channel.close", ch.close()).await.unwrap();
    assert!(!ch.is_open());
    match within(
        "queue.declare",
        ch.queue_declare("", exclusive(), FieldTable::new()),
    )
    .await
    {
        Err(Error::ChannelClosedByClient) => {}
        other => panic!("queue.declare on a closed channel gave {other:?}"),
    }
    assert!(matches!(
        ch.basic_ack(1, false),
        Err(Error::ChannelClosedByClient)
    ));

    let other = conn.open_channel().await.unwrap();
    within("connection.close", conn.close()).await.unwrap();
    assert!(!conn.is_open());
    assert!(!other.is_open());
    // Closing twice is fine.
    within("connection.close", conn.close()).await.unwrap();
    match within("channel.open", conn.open_channel()).await {
        Err(Error::ConnectionClosedByClient) => {}
        other => panic!("open_channel after close gave {other:?}"),
    }
    match within("basic.get", other.basic_get("q", false)).await {
        Err(Error::ConnectionClosedByClient) | Err(Error::ChannelClosedByClient) => {}
        other => panic!("basic.get after connection.close gave {other:?}"),
    }
}

#[tokio::test]
async fn immediate_publish_is_a_connection_error_540() {
    // RabbitMQ does not implement `immediate` and closes the connection with 540
    // NOT_IMPLEMENTED (documented in its spec-differences page). Without recovery: this is
    // about how the connection ends.
    let conn = connect_without_recovery().await;
    let ch = within("channel.open", conn.open_channel()).await.unwrap();
    let q = temp_queue(&ch, "immediate").await;
    let mut events = conn.events();
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    within(
        "basic.publish",
        ch.basic_publish(
            "",
            &q,
            BasicPublishOptions {
                immediate: true,
                mandatory: false,
            },
            &b"now"[..],
            Default::default(),
        ),
    )
    .await
    .unwrap();
    let err = within(
        "queue.declare",
        ch.queue_declare("", exclusive(), FieldTable::new()),
    )
    .await
    .expect_err("the connection closed by the immediate publish");
    match &err {
        Error::ConnectionClosed(e) => {
            assert_eq!(
                (e.reply_code, e.class_id, e.method_id),
                (540, 60, 40),
                "{e}"
            );
            assert!(e.is_hard());
        }
        other => panic!("expected ConnectionClosed(540), got {other:?}"),
    }
    assert!(!conn.is_open());
    assert!(!ch.is_open());
    assert_eq!(
        conn.close_reason().as_ref().and_then(Error::amqp),
        err.amqp()
    );
    match within("connection event", events.recv()).await {
        Some(warren_core::client::ConnectionEvent::Closed(Some(e))) => {
            assert_eq!(e.reply_code(), Some(540))
        }
        other => panic!("expected a Closed event, got {other:?}"),
    }
    // Consumers end with the connection's error.
    match within("the consumer to end", consumer.next_delivery()).await {
        Some(Err(e)) => assert_eq!(e.amqp(), err.amqp()),
        other => panic!("expected the connection error, got {other:?}"),
    }
    assert!(consumer.next_delivery().await.is_none());
    let again = within("channel.open", conn.open_channel())
        .await
        .expect_err("open_channel on a dead connection");
    assert_eq!(again.amqp(), err.amqp());
}

#[tokio::test]
async fn wrong_password_is_an_authentication_failure() {
    let mut url = url::Url::parse(&uri()).unwrap();
    url.set_password(Some("definitely-not-the-password"))
        .unwrap();
    match within("connect", Connection::connect(url.as_str())).await {
        Err(Error::AuthenticationFailed(_)) => {}
        other => panic!("connect with a wrong password gave {other:?}"),
    }
}

#[tokio::test]
async fn unknown_vhost_is_refused() {
    let mut url = url::Url::parse(&uri()).unwrap();
    url.set_path(&unique("no-such-vhost"));
    match within("connect", Connection::connect(url.as_str())).await {
        // RabbitMQ answers connection.open for a missing vhost with 530 NOT_ALLOWED.
        Err(Error::ConnectionClosed(e)) => assert_eq!(e.reply_code, 530, "{e}"),
        other => panic!("connect to a missing vhost gave {other:?}"),
    }
}

#[tokio::test]
async fn frames_larger_than_frame_max_are_refused_before_sending() {
    // A content header or method frame must fit in frame_max (spec 4.2.3); one that does not
    // cannot be sent, so the client must refuse it the way it refuses over-long names, instead
    // of letting the broker kill the whole connection with 501 FRAME_ERROR.
    let (conn, ch) = open().await;
    let frame_max = conn.tuning().frame_max as usize;
    assert!(frame_max > 0);
    let q = temp_queue(&ch, "oversized").await;
    let huge = "x".repeat(frame_max + 1000);

    let mut headers = FieldTable::new();
    headers.insert("big", huge.as_str()).unwrap();
    let props = warren_core::BasicProperties {
        headers: Some(headers),
        ..Default::default()
    };
    let published = within(
        "basic.publish",
        ch.basic_publish("", &q, BasicPublishOptions::default(), &b"body"[..], props),
    )
    .await;
    let roundtrip = within("basic.get", ch.basic_get(&q, true)).await;
    assert!(
        matches!(published, Err(Error::InvalidArgument(_))),
        "publish with a {}-byte content header gave {published:?}; then basic.get gave {:?}",
        frame_max + 1000,
        roundtrip.map(|d| d.is_some()),
    );
    assert!(
        conn.is_open(),
        "connection closed: {:?}",
        conn.close_reason()
    );

    let mut args = FieldTable::new();
    args.insert("x-big", huge.as_str()).unwrap();
    let declared = within(
        "queue.declare",
        ch.queue_declare(&unique("oversized-args"), exclusive(), args),
    )
    .await;
    assert!(
        matches!(declared, Err(Error::InvalidArgument(_))),
        "queue.declare with a {}-byte method frame gave {declared:?}",
        frame_max + 1000,
    );
    assert!(ch.is_open() && conn.is_open());
    assert_connection_usable(&conn).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn unreachable_first_host_fails_over_to_the_next() {
    // Port 1 on the broker's host: refused (or filtered, then the short timeout applies).
    let mut dead = url::Url::parse(&uri_with("connection_timeout=2000")).unwrap();
    dead.set_port(Some(1)).unwrap();
    match within("connect", Connection::connect(dead.as_str())).await {
        Err(Error::Io(_)) | Err(Error::ConnectTimeout(_)) => {}
        other => panic!("connect to a closed port gave {other:?}"),
    }
    let options =
        warren_core::client::ConnectionOptions::from_uris(&[dead.to_string(), uri()]).unwrap();
    assert_eq!(options.hosts.len(), 2);
    let conn = within("connect", Connection::connect_with(options))
        .await
        .expect("fail over to the second host");
    assert_eq!(
        conn.host().port,
        url::Url::parse(&uri()).unwrap().port().unwrap_or(5672)
    );
    assert_connection_usable(&conn).await;
    conn.close().await.unwrap();
}
