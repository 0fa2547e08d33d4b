//! Shared helpers: the broker URI, connecting, unique names, bounded waits, temporary queues,
//! publishing with confirmation, draining queues and checking channel errors.

#![allow(dead_code)] // Each test module uses a different subset.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use warren_core::client::{
    BasicPublishOptions, Channel, Confirmation, Connection, ConnectionOptions, Consumer, Delivery,
    QueueDeclareOptions,
};
use warren_core::{AmqpError, BasicProperties, Error, FieldTable};

/// The longest any single step of a test may wait for the broker.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long to watch for something that must *not* arrive.
pub const QUIET: Duration = Duration::from_millis(300);

// Class and method ids from the AMQP 0-9-1 spec, as a channel.close names the failing method.
pub const EXCHANGE_DECLARE: (u16, u16) = (40, 10);
pub const EXCHANGE_DELETE: (u16, u16) = (40, 20);
pub const QUEUE_DECLARE: (u16, u16) = (50, 10);
pub const QUEUE_DELETE: (u16, u16) = (50, 40);
pub const BASIC_CONSUME: (u16, u16) = (60, 20);
pub const BASIC_PUBLISH: (u16, u16) = (60, 40);
pub const BASIC_GET: (u16, u16) = (60, 70);
pub const BASIC_ACK: (u16, u16) = (60, 80);
pub const TX_COMMIT: (u16, u16) = (90, 20);

/// The broker under test.
pub fn uri() -> String {
    std::env::var("WARREN_TEST_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// The broker URI with one more query parameter, e.g. `heartbeat=1`.
pub fn uri_with(param: &str) -> String {
    let base = uri();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{param}")
}

/// The user the tests connect as (RabbitMQ requires `user-id` to equal it).
pub fn username() -> String {
    ConnectionOptions::from_uri(&uri())
        .expect("WARREN_TEST_URI is a valid AMQP URI")
        .config
        .credentials
        .username
}

/// Awaits `fut`, failing the test if it takes longer than [`WAIT`].
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Connects to the broker under test.
pub async fn connect() -> Connection {
    within("connect", Connection::connect(&uri()))
        .await
        .expect("connect to the broker under test (is it running? set WARREN_TEST_URI)")
}

/// Connects without automatic recovery, for tests of how a connection ends.
pub async fn connect_without_recovery() -> Connection {
    let options = ConnectionOptions::from_uri(&uri())
        .expect("WARREN_TEST_URI is a valid AMQP URI")
        .without_recovery();
    within("connect", Connection::connect_with(options))
        .await
        .expect("connect to the broker under test")
}

/// A connection and one channel on it.
pub async fn open() -> (Connection, Channel) {
    let conn = connect().await;
    let ch = within("channel.open", conn.open_channel())
        .await
        .expect("open channel");
    (conn, ch)
}

/// A connection and one channel in confirm mode, so [`publish_confirmed`] can prove a message
/// reached every queue it routes to before the test looks at those queues.
pub async fn open_confirming() -> (Connection, Channel) {
    let (conn, ch) = open().await;
    within("confirm.select", ch.confirm_select())
        .await
        .expect("confirm.select");
    (conn, ch)
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "warren-test.{prefix}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Declares an exclusive queue with a unique name (deleted with the connection).
pub async fn temp_queue(ch: &Channel, prefix: &str) -> String {
    temp_queue_with(ch, prefix, FieldTable::new()).await
}

/// Declares an exclusive queue with a unique name and `arguments`.
pub async fn temp_queue_with(ch: &Channel, prefix: &str, arguments: FieldTable) -> String {
    let name = unique(prefix);
    let ok = within(
        "queue.declare",
        ch.queue_declare(
            &name,
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            arguments,
        ),
    )
    .await
    .expect("declare temporary queue");
    assert_eq!(ok.queue, name);
    name
}

/// Publishes without waiting for anything.
pub async fn publish(ch: &Channel, exchange: &str, key: &str, body: impl Into<Bytes>) {
    publish_props(ch, exchange, key, body, BasicProperties::default()).await;
}

/// Publishes with properties without waiting for anything.
pub async fn publish_props(
    ch: &Channel,
    exchange: &str,
    key: &str,
    body: impl Into<Bytes>,
    properties: BasicProperties,
) {
    within(
        "basic.publish",
        ch.basic_publish(
            exchange,
            key,
            BasicPublishOptions::default(),
            body,
            properties,
        ),
    )
    .await
    .expect("basic.publish");
}

/// Publishes on a channel in confirm mode and waits for the broker's ack, so the message is in
/// every queue it routes to.
pub async fn publish_confirmed(
    ch: &Channel,
    exchange: &str,
    key: &str,
    body: impl Into<Bytes>,
    properties: BasicProperties,
) {
    let confirm = within(
        "basic.publish",
        ch.basic_publish(
            exchange,
            key,
            BasicPublishOptions::default(),
            body,
            properties,
        ),
    )
    .await
    .expect("basic.publish");
    let outcome = within("publisher confirm", confirm)
        .await
        .expect("publisher confirm");
    assert_eq!(outcome, Confirmation::Ack, "broker nacked a publish");
}

/// `basic.get` with `no_ack = false`, bounded.
pub async fn get(ch: &Channel, queue: &str) -> Option<Delivery> {
    within("basic.get", ch.basic_get(queue, false))
        .await
        .expect("basic.get")
}

/// Takes every ready message from `queue` (auto-acked) and returns the bodies in order.
pub async fn drain(ch: &Channel, queue: &str) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    while let Some(d) = within("basic.get", ch.basic_get(queue, true))
        .await
        .expect("basic.get")
    {
        bodies.push(d.body.to_vec());
        assert!(bodies.len() < 10_000, "queue {queue} never drains");
    }
    bodies
}

/// The next delivery of `consumer`, which must arrive within [`WAIT`].
pub async fn next(consumer: &mut Consumer) -> Delivery {
    within("a delivery", consumer.next_delivery())
        .await
        .expect("consumer ended unexpectedly")
        .expect("consumer failed")
}

/// Asserts that `consumer` receives nothing for [`QUIET`].
pub async fn assert_quiet(consumer: &mut Consumer) {
    if let Ok(d) = tokio::time::timeout(QUIET, consumer.next_delivery()).await {
        panic!("expected no delivery, got {d:?}");
    }
}

/// Unwraps `Error::ChannelClosed` and checks its reply code and failing method.
#[track_caller]
pub fn assert_channel_closed(err: &Error, reply_code: u16, method: (u16, u16)) -> AmqpError {
    match err {
        Error::ChannelClosed(e) => {
            assert_eq!(
                (e.reply_code, e.class_id, e.method_id),
                (reply_code, method.0, method.1),
                "unexpected channel.close: {e}"
            );
            e.clone()
        }
        other => panic!("expected Error::ChannelClosed({reply_code}), got {other:?}"),
    }
}

/// Asserts that the connection still works: a new channel can declare, publish and get.
pub async fn assert_connection_usable(conn: &Connection) {
    let ch = within("channel.open", conn.open_channel())
        .await
        .expect("open a new channel after a channel error");
    let q = temp_queue(&ch, "usable").await;
    publish(&ch, "", &q, &b"still alive"[..]).await;
    let d = get(&ch, &q).await.expect("the message just published");
    assert_eq!(&d.body[..], b"still alive");
    d.ack().unwrap();
    within("channel.close", ch.close())
        .await
        .expect("channel.close");
}
