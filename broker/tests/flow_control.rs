//! Flow control (resource alarms), as RabbitMQ's: while memory is above the high watermark
//! or free disk below its limit, a connection that publishes is sent `connection.blocked`
//! (when it announced the capability) and no longer read from, while consumers keep being
//! served; when the alarm clears it is sent `connection.unblocked` and what it sent is
//! processed. Alarms are forced with a 1-byte watermark (or a limit above any free space) and
//! cleared by raising it, as `rabbitmqctl set_vm_memory_high_watermark` does.

mod raw_support;
mod support;

use std::time::Duration;

use bytes::Bytes;
use raw_support::{content_header, publish, Event, Handshake, Raw};
use support::{unique, within};
use warren_broker::config::{ConfigFile, MemoryWatermark};
use warren_broker::{BrokerConfig, BrokerHandle};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Channel, ConnectionEvent, Consumer,
    QueueDeclareOptions,
};
use warren_core::codec::{Frame, Method};
use warren_core::{BasicProperties, FieldTable};

/// Long enough for the broker to have handled anything that was going to be handled.
const SETTLE: Duration = Duration::from_millis(400);

fn alarm_on(broker: &BrokerHandle) {
    broker
        .state()
        .resources
        .set_memory_high_watermark(MemoryWatermark::Absolute(1));
    assert!(broker.state().resources.alarms().memory);
}

fn alarm_off(broker: &BrokerHandle) {
    let r = &broker.state().resources;
    r.set_memory_high_watermark(MemoryWatermark::Absolute(u64::MAX));
    r.set_disk_free_limit(0);
    assert!(!r.alarms().any());
}

async fn declare(ch: &Channel, name: &str) {
    within(
        "queue.declare",
        ch.queue_declare(name, QueueDeclareOptions::default(), FieldTable::new()),
    )
    .await
    .expect("queue.declare");
}

async fn ready(ch: &Channel, name: &str) -> u32 {
    let options = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    within(
        "passive queue.declare",
        ch.queue_declare(name, options, FieldTable::new()),
    )
    .await
    .expect("passive queue.declare")
    .message_count
}

async fn send(ch: &Channel, queue: &str, body: &'static str) {
    // Without confirms: the client only queues the frames (the broker is not reading them).
    within(
        "basic.publish",
        ch.basic_publish(
            "",
            queue,
            BasicPublishOptions::default(),
            Bytes::from_static(body.as_bytes()),
            BasicProperties::default(),
        ),
    )
    .await
    .expect("basic.publish");
}

async fn next_body(consumer: &mut Consumer) -> String {
    let d = within("a delivery", consumer.next_delivery())
        .await
        .expect("consumer open")
        .expect("delivery");
    d.ack().expect("ack");
    String::from_utf8_lossy(&d.body).into_owned()
}

async fn next_event(events: &mut warren_core::client::Events) -> ConnectionEvent {
    within("a connection event", events.recv())
        .await
        .expect("event stream")
}

#[tokio::test]
async fn publisher_is_blocked_until_the_alarm_clears_while_consumers_drain() {
    let broker = support::start().await;
    let queue = unique("flow");
    let (publisher, pch) = support::open(&broker).await;
    let (consumer_conn, cch) = support::open(&broker).await;
    declare(&cch, &queue).await;
    for body in ["before-1", "before-2", "before-3"] {
        send(&pch, &queue, body).await;
    }
    while ready(&cch, &queue).await < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut events = publisher.events();

    alarm_on(&broker);
    // Like RabbitMQ, nobody is told until it publishes: a connection that published before
    // the alarm is not blocked for that.
    tokio::time::sleep(SETTLE).await;
    assert!(events.try_recv().is_none(), "no event before publishing");
    assert!(!publisher.is_blocked());

    send(&pch, &queue, "during").await;
    match next_event(&mut events).await {
        ConnectionEvent::Blocked(reason) => assert_eq!(reason, "low on memory"),
        other => panic!("expected connection.blocked, got {other:?}"),
    }
    assert!(publisher.is_blocked());
    send(&pch, &queue, "during-2").await;

    // The consumer's connection is read (declare, consume, acks) and delivered to.
    let mut consumer = within(
        "basic.consume",
        cch.basic_consume(
            &queue,
            "",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .expect("basic.consume");
    for want in ["before-1", "before-2", "before-3"] {
        assert_eq!(next_body(&mut consumer).await, want);
    }
    tokio::time::sleep(SETTLE).await;
    assert_eq!(ready(&cch, &queue).await, 0);
    assert!(
        consumer.try_next().is_none(),
        "the blocked publisher's messages were not processed"
    );
    assert!(!consumer_conn.is_blocked());

    alarm_off(&broker);
    assert!(matches!(
        next_event(&mut events).await,
        ConnectionEvent::Unblocked
    ));
    assert_eq!(next_body(&mut consumer).await, "during");
    assert_eq!(next_body(&mut consumer).await, "during-2");
    send(&pch, &queue, "after").await;
    assert_eq!(next_body(&mut consumer).await, "after");
    assert!(!publisher.is_blocked());

    // A second alarm blocks it again, once it publishes.
    alarm_on(&broker);
    send(&pch, &queue, "again").await;
    assert!(matches!(
        next_event(&mut events).await,
        ConnectionEvent::Blocked(_)
    ));
    alarm_off(&broker);
    assert!(matches!(
        next_event(&mut events).await,
        ConnectionEvent::Unblocked
    ));
    assert_eq!(next_body(&mut consumer).await, "again");
    publisher.close().await.expect("close publisher");
    consumer_conn.close().await.expect("close consumer");
    broker.shutdown().await;
}

#[tokio::test]
async fn disk_alarm_blocks_with_its_reason() {
    let broker = support::start().await;
    let queue = unique("flow.disk");
    let (publisher, pch) = support::open(&broker).await;
    declare(&pch, &queue).await;
    let mut events = publisher.events();
    let r = &broker.state().resources;
    r.set_disk_free_limit(u64::MAX);
    assert!(r.alarms().disk && !r.alarms().memory);
    send(&pch, &queue, "x").await;
    match next_event(&mut events).await {
        ConnectionEvent::Blocked(reason) => assert_eq!(reason, "low on disk"),
        other => panic!("expected connection.blocked, got {other:?}"),
    }
    // Both alarms: still blocked, not told twice; clearing one is not enough.
    r.set_memory_high_watermark(MemoryWatermark::Absolute(1));
    assert_eq!(r.alarms().reason(), "low on memory & disk");
    r.set_disk_free_limit(0);
    tokio::time::sleep(SETTLE).await;
    assert!(events.try_recv().is_none());
    assert!(publisher.is_blocked());
    r.set_memory_high_watermark(MemoryWatermark::Absolute(u64::MAX));
    assert!(matches!(
        next_event(&mut events).await,
        ConnectionEvent::Unblocked
    ));
    assert_eq!(ready(&pch, &queue).await, 1);
    broker.shutdown().await;
}

/// A raw client: the capabilities table is `authentication_failure_close` only.
async fn raw_client(broker: &BrokerHandle, heartbeat: u16) -> Raw {
    let c = &broker.state().config;
    let target = raw_support::Target {
        name: "warren",
        addr: broker.local_addr(),
        state: Some(broker.state().clone()),
        handshake_timeout: c.handshake_timeout,
        silent_close_delay: c.silent_close_delay,
        frame_max: c.frame_max,
        channel_max: c.channel_max,
    };
    let mut raw = Raw::connect(&target).await;
    raw.handshake(&Handshake {
        heartbeat,
        ..Handshake::default()
    })
    .await;
    raw.open_channel(1).await;
    raw
}

async fn raw_publish(raw: &mut Raw, queue: &str, body: &'static [u8]) {
    raw.send_method(1, publish(queue)).await;
    raw.send_frame(&content_header(1, body.len() as u64)).await;
    raw.send_frame(&Frame::Body(1, Bytes::from_static(body)))
        .await;
}

/// Frames until `timeout` passes quietly, heartbeats counted apart; panics if the socket
/// closes.
async fn frames_within(raw: &mut Raw, timeout: Duration) -> (Vec<Frame>, usize) {
    let deadline = tokio::time::Instant::now() + timeout;
    let (mut frames, mut heartbeats) = (Vec::new(), 0);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match raw.recv(left).await {
            Event::Timeout => return (frames, heartbeats),
            Event::Frame(Frame::Heartbeat(0)) => heartbeats += 1,
            Event::Frame(f) => frames.push(f),
            other => panic!("expected frames, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn client_without_the_capability_is_blocked_without_a_word() {
    let broker = support::start().await;
    let queue = unique("flow.raw");
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, &queue).await;
    let mut raw = raw_client(&broker, 0).await;

    alarm_on(&broker);
    raw_publish(&mut raw, &queue, b"one").await;
    // A synchronous method after the publish: not read while blocked.
    raw.send_method(1, raw_support::queue_declare(&queue)).await;
    let (frames, _) = frames_within(&mut raw, SETTLE).await;
    assert!(frames.is_empty(), "nothing while blocked: {frames:?}");
    assert_eq!(ready(&ch, &queue).await, 0);

    alarm_off(&broker);
    match raw.recv_method().await {
        (1, Method::QueueDeclareOk(ok)) => assert_eq!(ok.message_count, 1),
        other => panic!("expected queue.declare-ok (and no connection.unblocked), got {other:?}"),
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn blocked_connections_get_heartbeats_and_are_not_timed_out() {
    let broker = support::start().await;
    let queue = unique("flow.hb");
    let (_conn, ch) = support::open(&broker).await;
    declare(&ch, &queue).await;
    // Heartbeat 1 s: the broker sends one every 0.5 s and would close a connection silent
    // for 2 s.
    let mut raw = raw_client(&broker, 1).await;
    alarm_on(&broker);
    raw_publish(&mut raw, &queue, b"hb").await;
    let (frames, heartbeats) = frames_within(&mut raw, Duration::from_millis(3000)).await;
    assert!(frames.is_empty(), "{frames:?}");
    assert!(heartbeats >= 3, "{heartbeats} heartbeats in 3 s");
    alarm_off(&broker);
    raw.send_method(1, raw_support::queue_declare(&queue)).await;
    match raw.recv_method().await {
        (1, Method::QueueDeclareOk(ok)) => assert_eq!(ok.message_count, 1),
        other => panic!("expected queue.declare-ok, got {other:?}"),
    }
    broker.shutdown().await;
}

#[tokio::test]
async fn consume_only_connections_are_never_blocked() {
    let broker = support::start().await;
    let queue = unique("flow.consume");
    let (_publisher, pch) = support::open(&broker).await;
    let (conn, ch) = support::open(&broker).await;
    declare(&ch, &queue).await;
    for body in ["m-1", "m-2", "m-3"] {
        send(&pch, &queue, body).await;
    }
    while ready(&ch, &queue).await < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut events = conn.events();
    alarm_on(&broker);
    // Declares, qos, consume, get, acks: all read and answered.
    within("basic.qos", ch.basic_qos(1, false))
        .await
        .expect("basic.qos");
    let got = within("basic.get", ch.basic_get(&queue, false))
        .await
        .expect("basic.get")
        .expect("a message");
    assert_eq!(&got.body[..], b"m-1");
    got.ack().expect("ack");
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(
            &queue,
            "",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .expect("basic.consume");
    assert_eq!(next_body(&mut consumer).await, "m-2");
    assert_eq!(next_body(&mut consumer).await, "m-3");
    assert_eq!(ready(&ch, &queue).await, 0);
    tokio::time::sleep(SETTLE).await;
    assert!(events.try_recv().is_none(), "no connection.blocked");
    assert!(!conn.is_blocked());
    alarm_off(&broker);
    broker.shutdown().await;
}

#[tokio::test]
async fn watermark_from_the_configuration() {
    let mut config = BrokerConfig::ephemeral();
    ConfigFile::parse("[limits]\nmemory_high_watermark = 1\ndisk_free_limit = \"1kB\"\n")
        .expect("parse")
        .apply(&mut config)
        .expect("apply");
    assert_eq!(config.memory_high_watermark, MemoryWatermark::Absolute(1));
    assert_eq!(config.disk_free_limit, 1000);
    let broker = support::start_with(config).await;
    assert!(broker.state().resources.alarms().memory);
    let queue = unique("flow.config");
    let (publisher, ch) = support::open(&broker).await;
    declare(&ch, &queue).await;
    let mut events = publisher.events();
    send(&ch, &queue, "x").await;
    assert!(matches!(
        next_event(&mut events).await,
        ConnectionEvent::Blocked(_)
    ));
    alarm_off(&broker);
    assert!(matches!(
        next_event(&mut events).await,
        ConnectionEvent::Unblocked
    ));

    let mut config = BrokerConfig::ephemeral();
    ConfigFile::parse("[limits]\nmemory_high_watermark = 0.5\n")
        .unwrap()
        .apply(&mut config)
        .unwrap();
    assert_eq!(config.memory_high_watermark, MemoryWatermark::Relative(0.5));
    assert!(ConfigFile::parse("[limits]\nmemory_high_watermark = -0.5\n").is_err());
    broker.shutdown().await;
}
