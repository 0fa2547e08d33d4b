//! Direct reply-to (`amq.rabbitmq.reply-to`), as RabbitMQ implements it. The checks run against
//! the in-process broker, and also against `WARREN_ORACLE_URI` (e.g. RabbitMQ) when set.

mod support;

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Connection, QueueDeclareOptions,
};
use warren_core::codec::ShortString;
use warren_core::{BasicProperties, FieldTable};

use support::within;

async fn rpc_round_trip(uri: &str) {
    let server_conn = Connection::connect(uri).await.unwrap();
    let server = server_conn.open_channel().await.unwrap();
    let requests = support::unique("rpc-requests");
    server
        .queue_declare(
            &requests,
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();
    let mut incoming = server
        .basic_consume(
            &requests,
            "",
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap();

    let client_conn = Connection::connect(uri).await.unwrap();
    let client = client_conn.open_channel().await.unwrap();
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..Default::default()
    };
    let mut replies = client
        .basic_consume("amq.rabbitmq.reply-to", "", no_ack, FieldTable::new())
        .await
        .unwrap();
    let props = BasicProperties {
        reply_to: Some(ShortString::from_static("amq.rabbitmq.reply-to")),
        correlation_id: Some(ShortString::from_static("42")),
        ..Default::default()
    };
    client
        .basic_publish(
            "",
            &requests,
            BasicPublishOptions::default(),
            &b"ping"[..],
            props,
        )
        .await
        .unwrap();

    let req = within("request", incoming.next_delivery())
        .await
        .unwrap()
        .unwrap();
    let reply_to = req.properties.reply_to.clone().expect("reply_to set");
    assert!(
        reply_to.as_bytes().starts_with(b"amq.rabbitmq.reply-to."),
        "rewritten reply_to: {reply_to:?}"
    );
    let props = BasicProperties {
        correlation_id: req.properties.correlation_id.clone(),
        ..Default::default()
    };
    let mandatory = BasicPublishOptions {
        mandatory: true,
        ..Default::default()
    };
    server
        .basic_publish("", &reply_to.as_str(), mandatory, &b"pong"[..], props)
        .await
        .unwrap();

    let reply = within("reply", replies.next_delivery())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply.body[..], b"pong");
    assert_eq!(
        reply
            .properties
            .correlation_id
            .as_ref()
            .map(|c| c.to_string()),
        Some("42".to_string())
    );
    // RabbitMQ treats the reply-to name as "not a queue": a mandatory reply is delivered and
    // also returned as unroutable.
    let returned = within("return", server.recv_return())
        .await
        .expect("basic.return");
    assert_eq!(returned.reply_code, 312);
    client_conn.close().await.unwrap();
    server_conn.close().await.unwrap();
}

async fn publishing_without_reply_consumer_is_406(uri: &str) {
    let conn = Connection::connect(uri).await.unwrap();
    let ch = conn.open_channel().await.unwrap();
    let props = BasicProperties {
        reply_to: Some(ShortString::from_static("amq.rabbitmq.reply-to")),
        ..Default::default()
    };
    ch.basic_publish(
        "",
        "nowhere",
        BasicPublishOptions::default(),
        &b"x"[..],
        props,
    )
    .await
    .unwrap();
    let err = within(
        "channel close",
        ch.queue_declare(
            "",
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::new(),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.reply_code(), Some(406), "{err}");
    assert!(conn.is_open());
    conn.close().await.unwrap();
}

async fn reply_consumer_must_be_no_ack(uri: &str) {
    let conn = Connection::connect(uri).await.unwrap();
    let ch = conn.open_channel().await.unwrap();
    let err = ch
        .basic_consume(
            "amq.rabbitmq.reply-to",
            "",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(406), "{err}");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn direct_reply_to_against_the_reference_broker() {
    let broker = support::start().await;
    let uri = broker.amqp_uri();
    rpc_round_trip(&uri).await;
    publishing_without_reply_consumer_is_406(&uri).await;
    reply_consumer_must_be_no_ack(&uri).await;
    broker.shutdown().await;
}

#[tokio::test]
async fn direct_reply_to_against_the_oracle() {
    let Ok(uri) = std::env::var("WARREN_ORACLE_URI") else {
        support::oracle_skipped("WARREN_ORACLE_URI", "amqp://guest:guest@127.0.0.1:5672/%2f");
        return;
    };
    rpc_round_trip(&uri).await;
    publishing_without_reply_consumer_is_406(&uri).await;
    reply_consumer_must_be_no_ack(&uri).await;
}
