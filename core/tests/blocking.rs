//! The blocking facade against a real broker (`WARREN_TEST_URI`, default local RabbitMQ).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use warren_core::client::blocking::{Connection, Next};
use warren_core::client::{
    BasicConsumeOptions, BasicPublishOptions, Confirmation, ConnectionEvent, ConsumerEnd,
    QueueDeclareOptions,
};
use warren_core::{BasicProperties, FieldTable};

fn uri() -> String {
    std::env::var("WARREN_TEST_URI")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn with_query(uri: &str, query: &str) -> String {
    if uri.contains('?') {
        format!("{uri}&{query}")
    } else {
        format!("{uri}?{query}")
    }
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "warren-blocking.{prefix}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The point of the facade: a handler that sleeps for three heartbeat intervals does not lose
/// its connection, and the ack it sends afterwards reaches the broker.
#[test]
fn busy_handler_keeps_connection_alive_and_acks() {
    let conn = Connection::connect(&with_query(&uri(), "heartbeat=1")).unwrap();
    assert_eq!(conn.tuning().heartbeat, 1);
    let ch = conn.open_channel().unwrap();
    let q = unique("busy");
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            auto_delete: false,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    ch.basic_publish(
        "",
        &q,
        BasicPublishOptions::default(),
        &b"slow job"[..],
        BasicProperties::default(),
    )
    .unwrap();
    ch.basic_qos(1, false).unwrap();
    let consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let handler = consumer
        .spawn_handler(move |d| {
            // Busy for three heartbeat intervals: no Warren call happens on this thread.
            std::thread::sleep(Duration::from_millis(3500));
            d.ack().unwrap();
            let _ = done_tx.send(d.body.clone());
        })
        .unwrap();
    let body = done_rx
        .recv_timeout(Duration::from_secs(15))
        .expect("handler finished");
    assert_eq!(&body[..], b"slow job");
    // Give the ack a moment to be written, then prove the connection survived and the ack
    // went through: a second channel sees an empty queue with one consumer.
    std::thread::sleep(Duration::from_millis(300));
    assert!(conn.is_open(), "connection died: {:?}", conn.close_reason());
    let ch2 = conn.open_channel().unwrap();
    let ok = ch2
        .queue_declare(
            &q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap();
    assert_eq!(ok.message_count, 0, "the ack did not reach the broker");
    assert_eq!(ok.consumer_count, 1);
    ch2.queue_delete(&q, false, false).unwrap();
    // Deleting the queue cancels the consumer; the handler thread ends with the broker's cancel.
    let ended = handler.join().unwrap();
    assert!(
        matches!(ended, ConsumerEnd::CancelledByBroker),
        "ended with {ended:?}"
    );
    conn.close().unwrap();
}

#[test]
fn handles_work_from_many_threads() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = Arc::new(conn.open_channel().unwrap());
    let q = unique("threads");
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    ch.confirm_select().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ch = ch.clone();
            let q = q.clone();
            std::thread::spawn(move || {
                for i in 0..250 {
                    let body = format!("{t}-{i}");
                    let c = ch
                        .basic_publish(
                            "",
                            &q,
                            BasicPublishOptions::default(),
                            body,
                            BasicProperties::default(),
                        )
                        .unwrap();
                    if i % 50 == 0 {
                        assert_eq!(c.wait().unwrap(), Confirmation::Ack);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(ch.wait_for_confirms().unwrap());
    let mut consumer = ch
        .basic_consume(
            &q,
            "",
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap();
    let mut got = 0;
    while got < 1000 {
        match consumer.next(Some(Duration::from_secs(5))).unwrap() {
            Next::Delivery(_) => got += 1,
            other => panic!("only {got} of 1000 deliveries arrived, then {other:?}"),
        }
    }
    // Pulling with a timeout says so when nothing arrives.
    assert!(matches!(
        consumer.next(Some(Duration::from_millis(100))).unwrap(),
        Next::Timeout
    ));
    conn.close().unwrap();
}

#[test]
fn blocking_call_inside_async_runtime_is_an_error_not_a_panic() {
    let conn = Connection::connect(&uri()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt.block_on(async { conn.open_channel().unwrap_err() });
    assert!(
        matches!(err, warren_core::Error::InvalidState(_)),
        "{err:?}"
    );
    conn.close().unwrap();
}

#[test]
fn channel_error_is_reported_and_connection_survives() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let err = ch
        .queue_declare(
            &unique("missing"),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404));
    assert!(!ch.is_open());
    let ch2 = conn.open_channel().unwrap();
    ch2.queue_declare(
        "",
        QueueDeclareOptions {
            exclusive: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    conn.close().unwrap();
}

fn exclusive() -> QueueDeclareOptions {
    QueueDeclareOptions {
        exclusive: true,
        ..Default::default()
    }
}

fn publish(ch: &warren_core::client::blocking::Channel, queue: &str, body: &str) {
    ch.basic_publish(
        "",
        queue,
        BasicPublishOptions::default(),
        body.as_bytes().to_vec(),
        BasicProperties::default(),
    )
    .unwrap();
}

/// One loop serves many consumers through an inbox: deliveries from two channels arrive in
/// one place, one channel's items can be taken alone, and consumer ends are items too.
#[test]
fn an_inbox_serves_many_consumers_in_one_loop() {
    use warren_core::client::InboxItem;
    let conn = Connection::connect(&uri()).unwrap();
    let (a, b) = (conn.open_channel().unwrap(), conn.open_channel().unwrap());
    let (qa, qb) = (unique("inbox-a"), unique("inbox-b"));
    a.queue_declare(&qa, exclusive(), FieldTable::new())
        .unwrap();
    b.queue_declare(&qb, exclusive(), FieldTable::new())
        .unwrap();
    let inbox = conn.inbox();
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..Default::default()
    };
    let ta = a
        .basic_consume_to_inbox(&inbox, &qa, "", no_ack, FieldTable::new())
        .unwrap();
    let tb = b
        .basic_consume_to_inbox(&inbox, &qb, "", no_ack, FieldTable::new())
        .unwrap();
    assert_eq!(inbox.consumers(), 2);
    publish(&a, &qa, "for a");
    publish(&b, &qb, "for b");
    publish(&a, &qa, "for a again");
    std::thread::sleep(Duration::from_millis(200));
    // Only channel b's item, though channel a's arrived first.
    match inbox
        .next_for_channel(b.id(), Some(Duration::from_secs(5)))
        .unwrap()
    {
        Some(InboxItem::Delivery(d)) => {
            assert_eq!(&d.body[..], b"for b");
            assert_eq!(d.consumer_tag.as_str(), tb);
            assert_eq!(d.channel().id(), b.id());
        }
        other => panic!("expected b's delivery, got {other:?}"),
    }
    let mut bodies = Vec::new();
    for _ in 0..2 {
        match inbox.next(Some(Duration::from_secs(5))).unwrap() {
            Some(InboxItem::Delivery(d)) => {
                assert_eq!(d.consumer_tag.as_str(), ta);
                bodies.push(String::from_utf8_lossy(&d.body).into_owned());
            }
            other => panic!("expected a delivery, got {other:?}"),
        }
    }
    assert_eq!(bodies, ["for a", "for a again"]);
    assert!(
        inbox
            .next(Some(Duration::from_millis(100)))
            .unwrap()
            .is_none(),
        "timeout"
    );
    a.basic_cancel(&ta).unwrap();
    match inbox.next(Some(Duration::from_secs(5))).unwrap() {
        Some(InboxItem::Ended {
            channel,
            consumer_tag,
            reason: ConsumerEnd::CancelledByApp,
        }) => {
            assert_eq!((channel, consumer_tag.as_str()), (a.id(), ta.as_str()));
        }
        other => panic!("expected the end of a's consumer, got {other:?}"),
    }
    assert_eq!(inbox.consumers(), 1);
    assert_eq!(inbox.consumers_of(b.id()), 1);
    conn.close().unwrap();
}

/// `next` says how a consumer ended: cancelled by the application, by the broker, or with its
/// channel.
#[test]
fn next_says_why_a_consumer_ended() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("ends");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    let end_of = |c: &mut warren_core::client::blocking::Consumer| loop {
        match c.next(Some(Duration::from_secs(5))).unwrap() {
            Next::Ended(end) => return end,
            Next::Delivery(_) => {}
            Next::Timeout => panic!("the consumer did not end"),
        }
    };
    let mut by_app = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    by_app.cancel().unwrap();
    assert!(matches!(end_of(&mut by_app), ConsumerEnd::CancelledByApp));
    // Asked again, it says the same.
    assert!(matches!(
        by_app.next(None).unwrap(),
        Next::Ended(ConsumerEnd::CancelledByApp)
    ));

    let other = conn.open_channel().unwrap();
    let q2 = unique("ends-deleted");
    ch.queue_declare(&q2, exclusive(), FieldTable::new())
        .unwrap();
    let mut by_broker = ch
        .basic_consume(&q2, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let mut events = conn.events();
    other.queue_delete(&q2, false, false).unwrap();
    assert!(matches!(
        end_of(&mut by_broker),
        ConsumerEnd::CancelledByBroker
    ));
    match events.recv(Some(Duration::from_secs(5))).unwrap() {
        Some(ConnectionEvent::ConsumerCancelled {
            channel,
            consumer_tag,
        }) => {
            assert_eq!(channel, ch.id());
            assert_eq!(consumer_tag, by_broker.tag());
        }
        other => panic!("expected ConsumerCancelled, got {other:?}"),
    }

    let mut with_channel = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let err = ch
        .queue_declare(
            &unique("absent"),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404));
    match end_of(&mut with_channel) {
        ConsumerEnd::ChannelClosed(e) => assert_eq!(e.reply_code(), Some(404)),
        other => panic!("expected the channel's 404, got {other:?}"),
    }
    match events.recv(Some(Duration::from_secs(5))).unwrap() {
        Some(ConnectionEvent::ChannelClosed { channel, error }) => {
            assert_eq!((channel, error.reply_code), (ch.id(), 404));
        }
        other => panic!("expected ChannelClosed, got {other:?}"),
    }
    conn.close().unwrap();
}

/// Returned messages, per-publish confirms and the confirm event stream, from blocking code.
#[test]
fn returns_and_confirm_events_reach_blocking_code() {
    use warren_core::client::{ConfirmOutcome, Returned};
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("confirm-events");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    ch.confirm_select().unwrap();
    let events = ch.confirm_events();
    assert_eq!(ch.next_publish_seq_no(), 1);
    let mut last = None;
    for i in 0..10 {
        last = Some(
            ch.basic_publish(
                "",
                &q,
                BasicPublishOptions::default(),
                format!("{i}").into_bytes(),
                BasicProperties::default(),
            )
            .unwrap(),
        );
    }
    assert_eq!(ch.next_publish_seq_no(), 11);
    assert_eq!(last.unwrap().wait().unwrap(), Confirmation::Ack);
    let mut confirmed_up_to = 0;
    while confirmed_up_to < 10 {
        let ev = events
            .recv(Some(Duration::from_secs(5)))
            .unwrap()
            .expect("a confirm event");
        assert_eq!(ev.outcome, ConfirmOutcome::Ack);
        assert!(ev.seq_no > confirmed_up_to);
        confirmed_up_to = ev.seq_no;
    }
    // An unroutable mandatory message comes back.
    let c = ch
        .basic_publish(
            "",
            &unique("nobody-home"),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            &b"lost"[..],
            BasicProperties::default(),
        )
        .unwrap();
    assert_eq!(
        c.wait().unwrap(),
        Confirmation::Ack,
        "RabbitMQ acks unroutable messages"
    );
    let returned: Returned = ch
        .next_return(Some(Duration::from_secs(5)))
        .unwrap()
        .expect("the returned message");
    assert_eq!(returned.reply_code, 312);
    assert_eq!(&returned.body[..], b"lost");
    let m = conn.metrics();
    assert_eq!((m.published, m.confirmed, m.returned), (11, 11, 1), "{m:?}");
    conn.close().unwrap();
}

/// A confirm listener that reads late still sees every publish confirmed: more confirm events
/// than the returns buffer (1,024) wait for it (warren-broker acks each publish on its own).
#[test]
fn confirm_events_wait_for_a_listener_that_reads_late() {
    use warren_core::client::ConfirmOutcome;
    const N: u64 = 5_000;
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("confirm-events-late");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    ch.confirm_select().unwrap();
    let events = ch.confirm_events();
    for i in 0..N {
        ch.basic_publish(
            "",
            &q,
            BasicPublishOptions::default(),
            format!("{i}").into_bytes(),
            BasicProperties::default(),
        )
        .unwrap();
    }
    assert!(ch.wait_for_confirms().unwrap());
    // Only now does the listener read: every publish must be covered by some event.
    let mut covered = vec![false; N as usize + 1];
    while let Some(ev) = events.recv(Some(Duration::from_millis(500))).unwrap() {
        assert_eq!(ev.outcome, ConfirmOutcome::Ack);
        let from = if ev.multiple { 1 } else { ev.seq_no };
        for seq in from..=ev.seq_no {
            covered[seq as usize] = true;
        }
    }
    let missing = (1..=N).filter(|&s| !covered[s as usize]).count();
    assert_eq!(missing, 0, "{missing} publishes never reached the listener");
    conn.close().unwrap();
}

/// The RPC helper over direct reply-to: a server answers with the correlation id, calls run
/// concurrently from threads, an unroutable request fails at once, and a request nobody
/// answers times out.
#[test]
fn rpc_over_direct_reply_to() {
    let conn = Connection::connect(&uri()).unwrap();
    let server = conn.open_channel().unwrap();
    let q = unique("rpc");
    server
        .queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    let mut requests = server
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let serving = server.clone();
    let server_thread = std::thread::spawn(move || {
        let mut served = 0;
        while let Ok(Next::Delivery(req)) = requests.next(Some(Duration::from_secs(2))) {
            let reply = format!("echo {}", String::from_utf8_lossy(&req.body));
            let props = BasicProperties {
                correlation_id: req.properties.correlation_id.clone(),
                ..Default::default()
            };
            let to = req
                .properties
                .reply_to
                .as_ref()
                .unwrap()
                .as_str()
                .into_owned();
            serving
                .basic_publish(
                    "",
                    &to,
                    BasicPublishOptions::default(),
                    reply.into_bytes(),
                    props,
                )
                .unwrap();
            req.ack().unwrap();
            served += 1;
        }
        served
    });
    let client = Arc::new(conn.rpc_client().unwrap());
    let callers: Vec<_> = (0..4)
        .map(|t| {
            let (client, q) = (client.clone(), q.clone());
            std::thread::spawn(move || {
                for i in 0..5 {
                    let body = format!("{t}.{i}");
                    let reply = client
                        .call(
                            "",
                            &q,
                            body.clone(),
                            BasicProperties::default(),
                            Duration::from_secs(5),
                        )
                        .unwrap();
                    assert_eq!(String::from_utf8_lossy(&reply.body), format!("echo {body}"));
                }
            })
        })
        .collect();
    for c in callers {
        c.join().unwrap();
    }
    let err = client
        .call(
            "",
            &unique("no-server"),
            &b"?"[..],
            BasicProperties::default(),
            Duration::from_secs(5),
        )
        .unwrap_err();
    match err {
        warren_core::Error::Unroutable(e) => assert_eq!(e.reply_code, 312),
        other => panic!("expected Unroutable, got {other:?}"),
    }
    assert_eq!(server_thread.join().unwrap(), 20);
    // Nobody consumes the request queue any more: the call times out.
    let err = client
        .call(
            "",
            &q,
            &b"late"[..],
            BasicProperties::default(),
            Duration::from_millis(300),
        )
        .unwrap_err();
    assert!(matches!(err, warren_core::Error::Timeout), "{err:?}");
    conn.close().unwrap();
}

/// The nowait variants send without waiting, and the broker applies them in order.
#[test]
fn nowait_variants_and_other_channel_methods() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let (x, q) = (unique("nowait-x"), unique("nowait-q"));
    ch.exchange_declare(
        &x,
        "fanout",
        warren_core::client::ExchangeDeclareOptions {
            nowait: true,
            auto_delete: false,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    ch.queue_declare(
        &q,
        QueueDeclareOptions {
            nowait: true,
            ..Default::default()
        },
        FieldTable::new(),
    )
    .unwrap();
    ch.queue_bind_nowait(&q, &x, "", FieldTable::new()).unwrap();
    ch.basic_qos_nowait(10, false).unwrap();
    ch.basic_publish(
        &x,
        "",
        BasicPublishOptions::default(),
        &b"one"[..],
        BasicProperties::default(),
    )
    .unwrap();
    let tag = "nowait-consumer";
    let mut consumer = ch
        .basic_consume(
            &q,
            tag,
            BasicConsumeOptions {
                nowait: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap();
    assert_eq!(consumer.tag(), tag);
    let Next::Delivery(d) = consumer.next(Some(Duration::from_secs(5))).unwrap() else {
        panic!("expected the delivery");
    };
    // basic.recover-async: the unacknowledged message comes again, redelivered.
    ch.basic_recover_async(true).unwrap();
    let Next::Delivery(again) = consumer.next(Some(Duration::from_secs(5))).unwrap() else {
        panic!("expected the redelivery");
    };
    assert!(again.redelivered);
    assert_eq!(again.body, d.body);
    again.ack().unwrap();
    ch.basic_cancel_nowait(tag).unwrap();
    ch.queue_unbind_nowait(&q, &x, "", FieldTable::new())
        .unwrap();
    ch.queue_purge_nowait(&q).unwrap();
    ch.queue_delete_nowait(&q, false, false).unwrap();
    ch.exchange_delete_nowait(&x, false).unwrap();
    // A synchronous call on the same channel is answered only after they were all applied.
    let err = ch
        .queue_declare(
            &q,
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::new(),
        )
        .unwrap_err();
    assert_eq!(err.reply_code(), Some(404), "the nowait delete happened");
    let other = conn.open_channel().unwrap();
    assert!(other.channel_flow(true).unwrap(), "flow stays active");
    other.close_with(200, "done here").unwrap();
    assert!(!other.is_open());
    conn.close_with(200, "bye").unwrap();
}

/// The connection's events reach a handler thread.
#[test]
fn event_handler_thread_sees_the_end() {
    let conn = Connection::connect(&uri()).unwrap();
    let (tx, rx) = mpsc::channel();
    let handler = conn
        .spawn_event_handler(move |ev| {
            let _ = tx.send(format!("{ev:?}"));
        })
        .unwrap();
    conn.close().unwrap();
    let seen = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(seen, "Closed(None)");
    handler.join().unwrap();
}

/// An application's own metrics collector (e.g. shared by every connection of a process)
/// hears what the connection's counters count.
#[test]
fn a_metrics_collector_of_the_application_is_called() {
    use std::sync::atomic::AtomicU64;
    use warren_core::client::{ConnectionOptions, MetricsCollector};
    #[derive(Debug, Default)]
    struct Counting {
        published: AtomicU64,
        delivered: AtomicU64,
        channels: AtomicU64,
    }
    impl MetricsCollector for Counting {
        fn published(&self, count: u64, _body_bytes: u64) {
            self.published.fetch_add(count, Ordering::Relaxed);
        }
        fn delivered(&self, count: u64, _body_bytes: u64) {
            self.delivered.fetch_add(count, Ordering::Relaxed);
        }
        fn channel_opened(&self) {
            self.channels.fetch_add(1, Ordering::Relaxed);
        }
    }
    let collector = Arc::new(Counting::default());
    let mut options = ConnectionOptions::from_uri(&uri()).unwrap();
    options.metrics = Some(collector.clone());
    let conn = Connection::connect_with(options).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("metrics");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    for i in 0..3 {
        publish(&ch, &q, &format!("{i}"));
    }
    for _ in 0..3 {
        ch.basic_get(&q, true).unwrap().expect("a message");
    }
    assert_eq!(collector.published.load(Ordering::Relaxed), 3);
    assert_eq!(collector.delivered.load(Ordering::Relaxed), 3);
    assert_eq!(collector.channels.load(Ordering::Relaxed), 1);
    let own = conn.metrics();
    assert_eq!(
        (own.published, own.delivered, own.channels, own.connections),
        (3, 3, 1, 1)
    );
    conn.close().unwrap();
}

/// `buffered` counts what arrived and was not read yet (pika's `get_waiting_message_count`).
#[test]
fn a_consumer_counts_its_unread_deliveries() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("buffered");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    for i in 0..3 {
        publish(&ch, &q, &format!("m{i}"));
    }
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while consumer.buffered() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(consumer.buffered(), 3);
    match consumer.next(Some(Duration::from_secs(5))).unwrap() {
        Next::Delivery(d) => assert_eq!(&d.body[..], b"m0"),
        other => panic!("expected a delivery, got {other:?}"),
    }
    assert_eq!(consumer.buffered(), 2);
    conn.close().unwrap();
}

/// `Inbox::wake` ends a long wait at once from another thread (pika's
/// `add_callback_threadsafe` needs it), a wake before the wait is not lost, and after the woken
/// wait the inbox waits and delivers as before.
#[test]
fn an_inbox_wait_is_ended_by_wake_from_another_thread() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("inbox-wake");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    let inbox = conn.inbox();
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..Default::default()
    };
    ch.basic_consume_to_inbox(&inbox, &q, "", no_ack, FieldTable::new())
        .unwrap();

    let waker = inbox.clone();
    let started = std::time::Instant::now();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        waker.wake();
    });
    let got = inbox.next(Some(Duration::from_secs(20))).unwrap();
    assert!(got.is_none(), "woken, not a delivery: {got:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the wake ended the wait: {:?}",
        started.elapsed()
    );
    thread.join().unwrap();

    // Woken before waiting: the wait returns at once.
    inbox.wake();
    let started = std::time::Instant::now();
    assert!(inbox
        .next_for_channel(ch.id(), Some(Duration::from_secs(20)))
        .unwrap()
        .is_none());
    assert!(started.elapsed() < Duration::from_secs(5));

    // The permit is used up: the next wait times out, and deliveries still come.
    assert!(inbox
        .next(Some(Duration::from_millis(100)))
        .unwrap()
        .is_none());
    publish(&ch, &q, "after the wake");
    match inbox.next(Some(Duration::from_secs(5))).unwrap() {
        Some(warren_core::client::InboxItem::Delivery(d)) => {
            assert_eq!(&d.body[..], b"after the wake")
        }
        other => panic!("expected the delivery, got {other:?}"),
    }
}

/// A zero timeout only looks at what is there: it does not wait for the runtime's timer
/// (tokio rounds deadlines up to its next millisecond tick, which made each empty look at an
/// inbox or at the confirms cost about a millisecond). 200 empty looks take well under the
/// 200 ms that one tick each would.
#[test]
fn a_zero_timeout_returns_without_waiting_for_the_timer() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    ch.confirm_select().unwrap();
    let inbox = conn.inbox();
    let confirms = ch.confirm_events();
    // Warm up (the first look may set up the runtime's timer).
    let _ = inbox.next(Some(Duration::ZERO)).unwrap();
    let started = std::time::Instant::now();
    for _ in 0..100 {
        assert!(inbox.next(Some(Duration::ZERO)).unwrap().is_none());
        assert!(confirms.recv(Some(Duration::ZERO)).unwrap().is_none());
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(100),
        "200 empty looks took {elapsed:?}"
    );
}

/// A zero timeout only looks at what already arrived: nothing there, and the call returns at
/// once (it used to arm a timer and cost a tick of the runtime's clock, about a millisecond,
/// which a PHP loop polling for confirms or deliveries paid on every call).
#[test]
fn a_zero_timeout_never_waits() {
    let conn = Connection::connect(&uri()).unwrap();
    let ch = conn.open_channel().unwrap();
    let q = unique("zero-timeout");
    ch.queue_declare(&q, exclusive(), FieldTable::new())
        .unwrap();
    ch.confirm_select().unwrap();
    let confirms = ch.confirm_events();
    let inbox = conn.inbox();
    ch.basic_consume_to_inbox(
        &inbox,
        &q,
        "",
        BasicConsumeOptions::default(),
        FieldTable::new(),
    )
    .unwrap();
    let mut events = conn.events();
    let mut consumer = ch
        .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
        .unwrap();
    let calls = 50;
    let started = std::time::Instant::now();
    for _ in 0..calls {
        assert!(confirms.recv(Some(Duration::ZERO)).unwrap().is_none());
        assert!(inbox.next(Some(Duration::ZERO)).unwrap().is_none());
        assert!(inbox
            .next_for_channel(ch.id(), Some(Duration::ZERO))
            .unwrap()
            .is_none());
        assert!(events.recv(Some(Duration::ZERO)).unwrap().is_none());
        assert!(ch.next_return(Some(Duration::ZERO)).unwrap().is_none());
        assert!(matches!(
            consumer.next(Some(Duration::ZERO)).unwrap(),
            Next::Timeout
        ));
    }
    let elapsed = started.elapsed();
    // 300 looks; with a timer each they took 300 ms or more.
    assert!(elapsed < Duration::from_millis(150), "{elapsed:?}");
    // What did arrive is still found with a zero timeout.
    publish(&ch, &q, "there");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut found = false;
    while !found && std::time::Instant::now() < deadline {
        found = inbox.next(Some(Duration::ZERO)).unwrap().is_some()
            || matches!(
                consumer.next(Some(Duration::ZERO)).unwrap(),
                Next::Delivery(_)
            );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(found);
    conn.close().unwrap();
}
