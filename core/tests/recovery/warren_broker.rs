//! Recovery against the reference broker's binary: SIGKILL and restart under load, a cut
//! network, what the application sees of a lost link, and when recovery must stop.

use std::time::Duration;

use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Confirmation, Connection, ConnectionEvent,
    QueueDeclareOptions, RecoveryOptions,
};
use warren_core::{Error, FieldTable};

use crate::support::*;

/// (a) The broker is SIGKILLed and restarted several times while a publisher in confirm mode
/// and two consumers run, with no reconnection code in the application: every confirmed
/// persistent message is consumed at least once, the consumers simply continue, and a
/// server-named queue with its binding comes back (under a new name) each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_confirmed_message_is_consumed_across_kill_9_restarts() {
    let cycles: usize = std::env::var("WARREN_RECOVERY_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut broker = BrokerProcess::start().await;
    let mut work = Workload::start(fast_recovery(&broker.uri()), FieldTable::new(), true).await;
    for cycle in 0..cycles {
        tokio::time::sleep(Duration::from_millis(300 + fastrand::u64(..400))).await;
        broker.kill();
        tokio::time::sleep(Duration::from_millis(fastrand::u64(..200))).await;
        broker.restart().await;
        work.await_recovery(&format!("kill {cycle}: {}", broker.log()))
            .await;
    }
    let summary = work.finish().await;
    println!("{cycles} kills: {summary}");
    assert_eq!(
        summary.renames, cycles,
        "the server-named queue is renamed at every recovery"
    );
    assert_eq!(summary.recoveries, cycles as u64);
}

/// (c) A network cut: the proxy stops forwarding, the client notices missed heartbeats,
/// recovers through the proxy once it forwards again, and the consumer continues. Publishes
/// written into the cut are reported unconfirmed, and a delivery tag from before the cut is
/// refused while the message comes back redelivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_heartbeats_on_a_cut_network_recover_and_report_what_was_lost() {
    let broker = BrokerProcess::start().await;
    let proxy = Proxy::start(broker.addr).await;
    let conn = Connection::connect_with(fast_recovery(&format!("{}?heartbeat=1", proxy.uri())))
        .await
        .unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let q = unique("cut");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    ch.confirm_select().await.unwrap();
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let first = ch
        .basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            &b"before"[..],
            persistent("before"),
        )
        .await
        .unwrap();
    assert_eq!(within("confirm", first).await.unwrap(), Confirmation::Ack);
    let before = within("delivery", consumer.next_delivery())
        .await
        .unwrap()
        .unwrap();
    assert!(!before.redelivered);

    proxy.cut();
    let lost_publish = ch
        .basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            &b"into the cut"[..],
            persistent("cut"),
        )
        .await
        .unwrap();
    match wait_for_event(&mut events, "ConnectionLost", |e| {
        matches!(e, ConnectionEvent::ConnectionLost(_))
    })
    .await
    {
        ConnectionEvent::ConnectionLost(Error::MissedHeartbeats) => {}
        other => panic!("expected missed heartbeats, got {other:?}"),
    }
    assert!(!conn.is_connected());
    assert!(conn.is_open(), "recovering, not closed");
    match within("the unconfirmed publish", lost_publish).await {
        Err(Error::PublishUnconfirmed(cause)) => {
            assert!(matches!(*cause, Error::MissedHeartbeats), "{cause}")
        }
        other => panic!("expected PublishUnconfirmed, got {other:?}"),
    }
    // The delivery from before the cut can no longer be acknowledged.
    match before.ack() {
        Err(Error::StaleDeliveryTag(tag)) => assert_eq!(tag, before.delivery_tag),
        other => panic!("expected StaleDeliveryTag, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.resume();
    recovered(&mut events).await;
    assert!(conn.is_connected());
    // The same consumer gets the unacknowledged message again (the broker requeued it when it
    // dropped the old connection), then new ones; tags keep growing.
    let again = within("redelivery", consumer.next_delivery())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&again.body[..], b"before");
    assert!(again.redelivered);
    assert!(again.delivery_tag > before.delivery_tag);
    again.ack().unwrap();
    let c = ch
        .basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            &b"after"[..],
            persistent("after"),
        )
        .await
        .unwrap();
    assert_eq!(
        within("confirm after recovery", c).await.unwrap(),
        Confirmation::Ack
    );
    loop {
        let d = within("delivery after recovery", consumer.next_delivery())
            .await
            .unwrap()
            .unwrap();
        d.ack().unwrap();
        if &d.body[..] == b"after" {
            break;
        }
    }
    let m = conn.metrics();
    assert_eq!(m.recoveries, 1);
    assert!(m.unconfirmed_lost >= 1, "{m:?}");
    conn.close().await.unwrap();
}

/// A channel error (404) closes the channel only: no recovery starts.
#[tokio::test]
async fn a_channel_error_is_not_a_reason_to_recover() {
    let broker = BrokerProcess::start().await;
    let conn = Connection::connect_with(fast_recovery(&broker.uri()))
        .await
        .unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let err = ch
        .queue_declare(
            &unique("missing"),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404));
    match wait_for_event(&mut events, "ChannelClosed", |_| true).await {
        ConnectionEvent::ChannelClosed { channel, error } => {
            assert_eq!(channel, ch.id());
            assert_eq!(error.reply_code, 404);
        }
        other => panic!("expected ChannelClosed, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(events.try_recv().is_none(), "no recovery event");
    assert!(conn.is_connected());
    assert_eq!(conn.metrics().recoveries, 0);
    conn.close().await.unwrap();
}

/// Without recovery, a killed broker ends the connection and every handle with the error.
#[tokio::test]
async fn with_recovery_off_a_lost_connection_ends_everything() {
    let mut broker = BrokerProcess::start().await;
    let conn = Connection::connect_with(fast_recovery(&broker.uri()).without_recovery())
        .await
        .unwrap();
    let ch = conn.open_channel().await.unwrap();
    let q = unique("off");
    ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new())
        .await
        .unwrap();
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .await
        .unwrap();
    broker.kill();
    match within("the consumer to end", consumer.recv()).await {
        Err(warren_core::client::ConsumerEnd::ConnectionClosed(Error::Io(_))) => {}
        other => panic!("expected the connection's I/O error, got {other:?}"),
    }
    assert!(!conn.is_open());
    let err = within(
        "declare on a dead connection",
        ch.queue_declare(&q, QueueDeclareOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

/// Recovery gives up after `max_attempts` rounds while the broker stays down, and says so.
#[tokio::test]
async fn recovery_gives_up_after_max_attempts() {
    let mut broker = BrokerProcess::start().await;
    let mut options = fast_recovery(&broker.uri());
    options.recovery = RecoveryOptions {
        initial_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
        max_attempts: Some(3),
        ..RecoveryOptions::default()
    };
    let conn = Connection::connect_with(options).await.unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    broker.kill();
    let mut attempts = 0;
    loop {
        match within("recovery to give up", events.recv()).await {
            Some(ConnectionEvent::RecoveryStarted { attempt }) => {
                attempts += 1;
                assert_eq!(attempt, attempts);
            }
            Some(ConnectionEvent::RecoveryFailed(_)) => break,
            Some(_) => {}
            None => panic!("events ended before RecoveryFailed"),
        }
    }
    assert_eq!(attempts, 3);
    match within("Closed", events.recv()).await {
        Some(ConnectionEvent::Closed(Some(_))) => {}
        other => panic!("expected Closed, got {other:?}"),
    }
    assert!(!conn.is_open());
    assert!(within("open_channel", conn.open_channel()).await.is_err());
    assert!(within(
        "declare",
        ch.queue_declare("", QueueDeclareOptions::default(), FieldTable::new())
    )
    .await
    .is_err());
}

/// An error the broker will repeat stops recovery with that error instead of looping: the
/// restarted broker no longer knows the user.
#[tokio::test]
async fn refused_credentials_stop_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broker.toml");
    let users = |name: &str| {
        format!(
            "[[users]]\nname = \"{name}\"\npassword = \"secret\"\n\n[[users.permissions]]\nvhost = \"/\"\nconfigure = \".*\"\nwrite = \".*\"\nread = \".*\"\n"
        )
    };
    std::fs::write(&config, users("app")).unwrap();
    let config_arg = config.to_str().unwrap().to_string();
    let mut broker = BrokerProcess::start_with(&["--config", &config_arg]).await;
    let uri = format!("amqp://app:secret@{}/%2f", broker.addr);
    let conn = Connection::connect_with(fast_recovery(&uri)).await.unwrap();
    let mut events = conn.events();
    std::fs::write(&config, users("someone-else")).unwrap();
    broker.restart().await;
    match wait_for_event(&mut events, "RecoveryFailed", |e| {
        matches!(e, ConnectionEvent::RecoveryFailed(_))
    })
    .await
    {
        ConnectionEvent::RecoveryFailed(Error::AuthenticationFailed(_)) => {}
        other => panic!("expected authentication failure, got {other:?}"),
    }
    assert!(matches!(
        conn.close_reason(),
        Some(Error::AuthenticationFailed(_))
    ));
}

/// QoS, confirm mode and the consumer come back with the channel: with prefetch 1 restored,
/// an unacknowledged delivery holds back the next one.
#[tokio::test]
async fn channel_settings_are_restored() {
    let mut broker = BrokerProcess::start().await;
    let conn = Connection::connect_with(fast_recovery(&broker.uri()))
        .await
        .unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    let q = unique("qos");
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    ch.basic_qos(1, false).await.unwrap();
    ch.confirm_select().await.unwrap();
    let mut consumer = ch
        .basic_consume(
            &q,
            "qos-consumer",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        )
        .await
        .unwrap();
    let id_before = ch.id();
    broker.kill();
    broker.restart().await;
    recovered(&mut events).await;
    assert_eq!(ch.id(), id_before);
    assert!(ch.is_confirm_mode());
    let seq = ch.next_publish_seq_no();
    for i in 0..3 {
        let c = ch
            .basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                format!("{i}").into_bytes(),
                persistent("x"),
            )
            .await
            .unwrap();
        assert_eq!(within("confirm", c).await.unwrap(), Confirmation::Ack);
    }
    assert_eq!(ch.next_publish_seq_no(), seq + 3, "sequence numbers go on");
    let first = within("first delivery", consumer.next_delivery())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.consumer_tag.as_str(), "qos-consumer");
    // Prefetch 1: nothing more until the first is acknowledged.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), consumer.next_delivery())
            .await
            .is_err()
    );
    first.ack().unwrap();
    let second = within("second delivery", consumer.next_delivery())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&second.body[..], b"1");
    second.ack().unwrap();
    conn.close().await.unwrap();
}

/// `close()` during recovery stops it at once.
#[tokio::test]
async fn close_during_recovery_stops_it() {
    let mut broker = BrokerProcess::start().await;
    let mut options = fast_recovery(&broker.uri());
    options.recovery.initial_delay = Duration::from_secs(30);
    options.recovery.max_delay = Duration::from_secs(30);
    let conn = Connection::connect_with(options).await.unwrap();
    let mut events = conn.events();
    broker.kill();
    wait_for_event(&mut events, "ConnectionLost", |e| {
        matches!(e, ConnectionEvent::ConnectionLost(_))
    })
    .await;
    let t0 = std::time::Instant::now();
    within("close", conn.close()).await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(!conn.is_open());
    match wait_for_event(&mut events, "Closed", |e| {
        matches!(e, ConnectionEvent::Closed(_))
    })
    .await
    {
        ConnectionEvent::Closed(None) => {}
        other => panic!("expected a clean Closed, got {other:?}"),
    }
}

/// Deliveries handed to the application stay readable while the client reconnects, and a
/// pending RPC fails with `ConnectionLost` rather than hanging.
#[tokio::test]
async fn in_flight_requests_fail_with_connection_lost() {
    let broker = BrokerProcess::start().await;
    let proxy = Proxy::start(broker.addr).await;
    let conn = Connection::connect_with(fast_recovery(&format!("{}?heartbeat=1", proxy.uri())))
        .await
        .unwrap();
    let mut events = conn.events();
    let ch = conn.open_channel().await.unwrap();
    proxy.cut();
    let declare = tokio::spawn({
        let ch = ch.clone();
        async move {
            ch.queue_declare(
                &unique("in-flight"),
                QueueDeclareOptions::default(),
                FieldTable::new(),
            )
            .await
        }
    });
    match within("the in-flight declare", declare).await.unwrap() {
        Err(Error::ConnectionLost(cause)) => assert!(matches!(*cause, Error::MissedHeartbeats)),
        other => panic!("expected ConnectionLost, got {other:?}"),
    }
    proxy.resume();
    recovered(&mut events).await;
    // The handle works again.
    ch.queue_declare(
        &unique("after"),
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .await
    .unwrap();
    conn.close().await.unwrap();
}
