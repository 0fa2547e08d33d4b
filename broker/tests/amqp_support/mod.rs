//! For the client-level broker tests (`exchanges.rs`, `consuming.rs`): the target a case runs
//! against — an in-process warren-broker, or RabbitMQ as the oracle when `WARREN_ORACLE_URI`
//! is set — and small helpers over the warren-core client. Every wait goes through
//! [`crate::support::within`], so a case fails instead of hanging.

#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use warren_broker::BrokerHandle;
use warren_core::client::{
    BasicPublishOptions, Channel, Confirmation, Connection, Consumer, Delivery,
    ExchangeDeclareOptions, QueueDeclareOptions,
};
use warren_core::{AmqpError, BasicProperties, Error, FieldTable};

use crate::support::within;

/// The environment variable naming the oracle broker, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`.
pub const ORACLE_ENV: &str = "WARREN_ORACLE_URI";

/// How long to watch for something that must *not* happen.
pub const QUIET: Duration = Duration::from_millis(300);

// Class and method ids, as a `channel.close` names the failing method.
pub const EXCHANGE_DECLARE: (u16, u16) = (40, 10);
pub const EXCHANGE_DELETE: (u16, u16) = (40, 20);
pub const EXCHANGE_BIND: (u16, u16) = (40, 30);
pub const EXCHANGE_UNBIND: (u16, u16) = (40, 40);
pub const QUEUE_DECLARE: (u16, u16) = (50, 10);
pub const QUEUE_BIND: (u16, u16) = (50, 20);
pub const QUEUE_UNBIND: (u16, u16) = (50, 50);
pub const BASIC_CONSUME: (u16, u16) = (60, 20);
pub const BASIC_PUBLISH: (u16, u16) = (60, 40);
pub const BASIC_ACK: (u16, u16) = (60, 80);
pub const BASIC_RECOVER: (u16, u16) = (60, 110);
pub const CONFIRM_SELECT: (u16, u16) = (85, 10);
pub const TX_SELECT: (u16, u16) = (90, 10);
pub const TX_COMMIT: (u16, u16) = (90, 20);
pub const TX_ROLLBACK: (u16, u16) = (90, 30);

/// Where a case runs.
pub struct Target {
    /// AMQP URI of the broker.
    pub uri: String,
    /// The in-process broker, or `None` for the oracle.
    broker: Option<BrokerHandle>,
}

impl Target {
    /// A fresh in-process broker.
    pub async fn warren() -> Target {
        let broker = crate::support::start().await;
        Target {
            uri: broker.amqp_uri(),
            broker: Some(broker),
        }
    }

    /// The oracle, when `WARREN_ORACLE_URI` is set (else `None`, and a line says so).
    pub fn oracle() -> Option<Target> {
        let Ok(uri) = std::env::var(ORACLE_ENV) else {
            crate::support::oracle_skipped(ORACLE_ENV, "amqp://guest:guest@127.0.0.1:5672/%2f");
            return None;
        };
        Some(Target { uri, broker: None })
    }

    /// Whether this is the oracle (RabbitMQ) rather than warren-broker.
    pub fn is_oracle(&self) -> bool {
        self.broker.is_none()
    }

    /// Shuts the in-process broker down.
    pub async fn finish(self) {
        if let Some(b) = self.broker {
            within("broker shutdown", b.shutdown()).await;
        }
    }

    /// A new connection, without automatic recovery: these tests check how the broker ends
    /// connections, which a reconnecting client would hide.
    pub async fn connect(&self) -> Connection {
        let options = warren_core::client::ConnectionOptions::from_uri(&self.uri)
            .expect("valid URI")
            .without_recovery();
        within("connect", Connection::connect_with(options))
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.uri))
    }

    /// A connection and a channel on it.
    pub async fn open(&self) -> (Connection, Channel) {
        let conn = self.connect().await;
        let ch = channel(&conn).await;
        (conn, ch)
    }

    /// A connection and a channel in confirm mode.
    pub async fn open_confirming(&self) -> (Connection, Channel) {
        let (conn, ch) = self.open().await;
        within("confirm.select", ch.confirm_select())
            .await
            .expect("confirm.select");
        (conn, ch)
    }
}

/// Defines cases as two tests each: `<case>::warren` against an in-process broker and
/// `<case>::rabbitmq` against `WARREN_ORACLE_URI` (skipped when unset). A case is an
/// `async fn(&Target)` in the including file.
#[macro_export]
macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn warren() {
                    let target = $crate::amqp_support::Target::warren().await;
                    super::$name(&target).await;
                    target.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn rabbitmq() {
                    if let Some(target) = $crate::amqp_support::Target::oracle() {
                        super::$name(&target).await;
                    }
                }
            }
        )*
    };
}

/// Opens another channel.
pub async fn channel(conn: &Connection) -> Channel {
    within("channel.open", conn.open_channel())
        .await
        .expect("channel.open")
}

/// A name no other case (or earlier run against the oracle) uses.
pub fn unique(prefix: &str) -> String {
    crate::support::unique(&format!("warren-test.{prefix}.{}", std::process::id()))
}

/// A field table from string pairs.
pub fn table(pairs: &[(&str, &str)]) -> FieldTable {
    let mut t = FieldTable::new();
    for (k, v) in pairs {
        t.insert(k, *v).unwrap();
    }
    t
}

/// Declares a non-durable exchange with a unique name.
pub async fn exchange(ch: &Channel, prefix: &str, kind: &str) -> String {
    exchange_with(ch, prefix, kind, Default::default(), FieldTable::new()).await
}

/// Declares an exchange with a unique name, options and arguments.
pub async fn exchange_with(
    ch: &Channel,
    prefix: &str,
    kind: &str,
    options: ExchangeDeclareOptions,
    arguments: FieldTable,
) -> String {
    let name = unique(prefix);
    within(
        "exchange.declare",
        ch.exchange_declare(&name, kind, options, arguments),
    )
    .await
    .unwrap_or_else(|e| panic!("declare {kind} exchange {name}: {e}"));
    name
}

/// Deletes exchanges (cleanup on the oracle, where they outlive the connection).
pub async fn delete_exchanges(ch: &Channel, names: &[&str]) {
    for n in names {
        within("exchange.delete", ch.exchange_delete(n, false))
            .await
            .unwrap_or_else(|e| panic!("delete exchange {n}: {e}"));
    }
}

/// Declares an exclusive queue with a unique name.
pub async fn queue(ch: &Channel, prefix: &str) -> String {
    queue_with(ch, prefix, FieldTable::new()).await
}

/// Declares an exclusive queue with a unique name and arguments.
pub async fn queue_with(ch: &Channel, prefix: &str, arguments: FieldTable) -> String {
    let name = unique(prefix);
    let options = QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    };
    within("queue.declare", ch.queue_declare(&name, options, arguments))
        .await
        .unwrap_or_else(|e| panic!("declare queue {name}: {e}"));
    name
}

/// Binds a queue.
pub async fn bind(ch: &Channel, queue: &str, exchange: &str, key: &str, args: FieldTable) {
    within("queue.bind", ch.queue_bind(queue, exchange, key, args))
        .await
        .unwrap_or_else(|e| panic!("bind {queue} to {exchange} with {key:?}: {e}"));
}

/// Binds exchange `destination` to `source`.
pub async fn bind_exchange(ch: &Channel, destination: &str, source: &str, key: &str) {
    within(
        "exchange.bind",
        ch.exchange_bind(destination, source, key, FieldTable::new()),
    )
    .await
    .unwrap_or_else(|e| panic!("bind exchange {destination} to {source}: {e}"));
}

/// Publishes without waiting for anything.
pub async fn publish(ch: &Channel, exchange: &str, key: &str, body: &str) {
    publish_with(ch, exchange, key, body, BasicProperties::default(), false).await;
}

/// Publishes with properties and `mandatory`, without waiting for a confirm.
pub async fn publish_with(
    ch: &Channel,
    exchange: &str,
    key: &str,
    body: &str,
    properties: BasicProperties,
    mandatory: bool,
) -> warren_core::client::PublishConfirm {
    let options = BasicPublishOptions {
        mandatory,
        ..Default::default()
    };
    within(
        "basic.publish",
        ch.basic_publish(
            exchange,
            key,
            options,
            Bytes::copy_from_slice(body.as_bytes()),
            properties,
        ),
    )
    .await
    .expect("basic.publish")
}

/// Publishes on a confirm-mode channel and waits for the ack: the message is then in every
/// queue it routes to.
pub async fn publish_confirmed(ch: &Channel, exchange: &str, key: &str, body: &str) {
    publish_confirmed_props(ch, exchange, key, body, BasicProperties::default()).await
}

/// [`publish_confirmed`] with properties.
pub async fn publish_confirmed_props(
    ch: &Channel,
    exchange: &str,
    key: &str,
    body: &str,
    properties: BasicProperties,
) {
    let confirm = publish_with(ch, exchange, key, body, properties, false).await;
    let outcome = within("publisher confirm", confirm)
        .await
        .expect("publisher confirm");
    assert_eq!(
        outcome,
        Confirmation::Ack,
        "publish to {exchange:?} was nacked"
    );
}

/// Every ready message of `queue` (auto-acked), as text, in order.
pub async fn drain(ch: &Channel, queue: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    while let Some(d) = within("basic.get", ch.basic_get(queue, true))
        .await
        .unwrap_or_else(|e| panic!("basic.get {queue}: {e}"))
    {
        bodies.push(body(&d));
        assert!(bodies.len() < 100_000, "queue {queue} never drains");
    }
    bodies
}

/// `basic.get` with acks.
pub async fn get(ch: &Channel, queue: &str) -> Option<Delivery> {
    within("basic.get", ch.basic_get(queue, false))
        .await
        .unwrap_or_else(|e| panic!("basic.get {queue}: {e}"))
}

/// A delivery's body as text.
pub fn body(d: &Delivery) -> String {
    String::from_utf8_lossy(&d.body).into_owned()
}

/// The next delivery of `consumer`.
pub async fn next(consumer: &mut Consumer) -> Delivery {
    within("a delivery", consumer.next_delivery())
        .await
        .expect("consumer ended")
        .expect("consumer failed")
}

/// The next `n` deliveries' bodies.
pub async fn next_bodies(consumer: &mut Consumer, n: usize) -> Vec<String> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(body(&next(consumer).await));
    }
    v
}

/// Asserts that `consumer` receives nothing for [`QUIET`].
pub async fn assert_quiet(consumer: &mut Consumer) {
    if let Ok(d) = tokio::time::timeout(QUIET, consumer.next_delivery()).await {
        panic!(
            "expected no delivery, got {:?}",
            d.map(|d| d.map(|d| body(&d)))
        );
    }
}

/// A round trip on `ch`: everything sent on it before has been handled by the broker.
pub async fn sync(ch: &Channel) {
    within("basic.qos round trip", ch.basic_qos(0, false))
        .await
        .ok();
}

/// The messages ready in `queue` (passive declare).
pub async fn ready_count(ch: &Channel, queue: &str) -> u32 {
    let options = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    within(
        "queue.declare passive",
        ch.queue_declare(queue, options, FieldTable::new()),
    )
    .await
    .unwrap_or_else(|e| panic!("passive declare {queue}: {e}"))
    .message_count
}

/// Waits until `queue` holds `n` ready messages (RabbitMQ requeues a closed channel's or
/// connection's deliveries asynchronously), failing after 10 s.
pub async fn wait_ready(ch: &Channel, queue: &str, n: u32) {
    within("messages to be ready", async {
        loop {
            if ready_count(ch, queue).await == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Unwraps a channel error with this reply code and failing method.
#[track_caller]
pub fn assert_channel_closed(
    result: Result<impl std::fmt::Debug, Error>,
    reply_code: u16,
    method: (u16, u16),
) -> AmqpError {
    match result {
        Err(Error::ChannelClosed(e)) => {
            assert_eq!(
                (e.reply_code, e.class_id, e.method_id),
                (reply_code, method.0, method.1),
                "unexpected channel.close: {e}"
            );
            e
        }
        other => panic!("expected channel.close {reply_code} for {method:?}, got {other:?}"),
    }
}

/// Unwraps a connection error with this reply code and failing method.
#[track_caller]
pub fn assert_connection_closed(
    result: Result<impl std::fmt::Debug, Error>,
    reply_code: u16,
    method: (u16, u16),
) -> AmqpError {
    match result {
        Err(Error::ConnectionClosed(e)) => {
            assert_eq!(
                (e.reply_code, e.class_id, e.method_id),
                (reply_code, method.0, method.1),
                "unexpected connection.close: {e}"
            );
            e
        }
        other => panic!("expected connection.close {reply_code} for {method:?}, got {other:?}"),
    }
}

/// Closes a connection, ignoring that it may be closed already.
pub async fn close(conn: Connection) {
    let _ = within("connection.close", conn.close()).await;
}
