//! Queue unit tests without a socket: consumers are mailbox senders read back directly, the
//! vhost is a fake [`QueueHost`].

use std::sync::Mutex as StdMutex;

use bytes::Bytes;
use warren_core::codec::{BasicProperties, FieldValue};

use super::*;

fn s(x: &str) -> ShortString {
    ShortString::try_from(x.to_string()).unwrap()
}

fn message(body: &str) -> MessageRef {
    Arc::new(Message {
        exchange: s(""),
        routing_key: s("q"),
        properties: BasicProperties::default(),
        body: Bytes::copy_from_slice(body.as_bytes()),
    })
}

fn body(m: &QueuedMessage) -> String {
    String::from_utf8(m.message.body.to_vec()).unwrap()
}

fn queue_with(args: &[(&str, FieldValue)], host: Option<Weak<dyn QueueHost>>) -> Arc<Queue> {
    let mut table = FieldTable::new();
    for (k, v) in args {
        table.insert(k, v.clone()).unwrap();
    }
    let name = s("q");
    let parsed = QueueArgs::parse(&name, "/", &table).unwrap();
    let options = QueueOptions {
        arguments: table,
        ..QueueOptions::default()
    };
    Queue::with_args(name, options, parsed, host, None)
}

/// A consumer whose deliveries land in the returned receiver.
fn consumer(
    tag: &str,
    no_ack: bool,
    prefetch: u32,
) -> (ConsumerHandle, mpsc::UnboundedReceiver<SessionMessage>) {
    let (outbox, rx) = mpsc::unbounded_channel();
    let handle = ConsumerHandle {
        tag: s(tag),
        channel: 1,
        connection_id: 1,
        outbox,
        no_ack,
        exclusive: false,
        priority: 0,
        credit: Credit::new(prefetch),
        channel_credit: Credit::new(0),
        unsent: Credit::new(UNSENT_LIMIT),
    };
    (handle, rx)
}

/// The deliveries waiting in `rx`: (consumer tag, body, redelivered).
fn delivered(rx: &mut mpsc::UnboundedReceiver<SessionMessage>) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        if let SessionMessage::Deliver {
            consumer_tag,
            message,
            ..
        } = m
        {
            out.push((
                consumer_tag.to_string(),
                body(&message),
                message.redelivered,
            ));
        }
    }
    out
}

#[test]
fn consumers_take_turns() {
    let q = Queue::new(s("q"), QueueOptions::default());
    let (a, mut rx_a) = consumer("a", true, 0);
    let (b, mut rx_b) = consumer("b", true, 0);
    q.consume(a).unwrap();
    q.consume(b).unwrap();
    for i in 0..4 {
        assert!(q.publish(message(&format!("m{i}"))));
    }
    let got_a: Vec<String> = delivered(&mut rx_a).into_iter().map(|d| d.1).collect();
    let got_b: Vec<String> = delivered(&mut rx_b).into_iter().map(|d| d.1).collect();
    assert_eq!(got_a, ["m0", "m2"]);
    assert_eq!(got_b, ["m1", "m3"]);
    assert_eq!(q.message_count(), 0);
    assert_eq!(q.consumer_count(), 2);
}

#[test]
fn prefetch_keeps_the_rest_in_the_queue_until_credit_returns() {
    let q = Queue::new(s("q"), QueueOptions::default());
    let (c, mut rx) = consumer("c", false, 2);
    let credit = c.credit.clone();
    q.consume(c).unwrap();
    for i in 0..5 {
        q.publish(message(&format!("m{i}")));
    }
    assert_eq!(delivered(&mut rx).len(), 2);
    assert_eq!(q.message_count(), 3);
    assert_eq!(credit.used(), 2);
    // One ack: credit back, the queue delivers one more.
    assert!(credit.give(1));
    q.try_dispatch();
    let next = delivered(&mut rx);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].1, "m2");
    assert_eq!(q.message_count(), 2);
}

#[test]
fn a_requeued_message_goes_back_to_its_place_marked_redelivered() {
    let q = Queue::new(s("q"), QueueOptions::default());
    for i in 0..3 {
        q.publish(message(&format!("m{i}")));
    }
    let (first, left) = q.get().unwrap();
    let (second, _) = q.get().unwrap();
    assert_eq!((body(&first), left), ("m0".to_string(), 2));
    assert!(!first.redelivered);
    // Requeued in the "wrong" order: each still goes back to where it was.
    q.requeue(vec![second]);
    q.requeue(vec![first]);
    let order: Vec<(String, bool)> = std::iter::from_fn(|| q.get())
        .map(|(m, _)| (body(&m), m.redelivered))
        .collect();
    assert_eq!(
        order,
        [
            ("m0".to_string(), true),
            ("m1".to_string(), true),
            ("m2".to_string(), false)
        ]
    );
}

#[tokio::test]
async fn expired_messages_are_never_handed_out() {
    let q = queue_with(&[("x-message-ttl", FieldValue::LongInt(20))], None);
    q.publish(message("old"));
    tokio::time::sleep(Duration::from_millis(40)).await;
    q.publish(message("new"));
    let (m, left) = q.get().unwrap();
    assert_eq!((body(&m), left), ("new".to_string(), 0));
    assert!(q.get().is_none());
}

#[test]
fn max_length_drops_from_the_head_by_default() {
    let q = queue_with(&[("x-max-length", FieldValue::LongInt(2))], None);
    for i in 0..3 {
        assert!(q.publish(message(&format!("m{i}"))));
    }
    assert_eq!(q.message_count(), 2);
    assert_eq!(body(&q.get().unwrap().0), "m1");
}

#[test]
fn reject_publish_refuses_what_does_not_fit() {
    let q = queue_with(
        &[
            ("x-max-length", FieldValue::LongInt(1)),
            (
                "x-overflow",
                FieldValue::LongString("reject-publish".into()),
            ),
        ],
        None,
    );
    assert!(q.publish(message("m0")));
    assert!(!q.publish(message("m1")));
    assert_eq!(q.message_count(), 1);
    assert_eq!(body(&q.get().unwrap().0), "m0");
}

/// A host that records what the queue asks of it.
#[derive(Debug, Default)]
struct FakeHost {
    /// (exchange, routing key, x-death present) of each dead letter routed.
    routed: StdMutex<Vec<(String, String, bool)>>,
    /// Queues removed as expired.
    removed: StdMutex<Vec<String>>,
}

impl QueueHost for FakeHost {
    fn route_via(&self, exchange: &ShortString, m: &Message, _: &mut Vec<Arc<Queue>>) -> bool {
        let x_death = m
            .properties
            .headers
            .as_ref()
            .is_some_and(|h| h.get("x-death").is_some());
        self.routed.lock().unwrap().push((
            exchange.to_string(),
            m.routing_key.to_string(),
            x_death,
        ));
        exchange.as_str() == "dlx"
    }

    fn remove_expired(&self, queue: &Arc<Queue>) {
        self.removed.lock().unwrap().push(queue.name.to_string());
    }
}

fn hosted(host: &Arc<FakeHost>) -> Option<Weak<dyn QueueHost>> {
    let dyn_host: Arc<dyn QueueHost> = host.clone();
    Some(Arc::downgrade(&dyn_host))
}

#[test]
fn rejected_messages_go_to_the_dead_letter_exchange_through_the_host() {
    let host = Arc::new(FakeHost::default());
    let q = queue_with(
        &[
            (
                "x-dead-letter-exchange",
                FieldValue::LongString("dlx".into()),
            ),
            (
                "x-dead-letter-routing-key",
                FieldValue::LongString("dead".into()),
            ),
        ],
        hosted(&host),
    );
    q.publish(message("m0"));
    let (m, _) = q.get().unwrap();
    q.reject(vec![m]);
    assert_eq!(
        *host.routed.lock().unwrap(),
        [("dlx".to_string(), "dead".to_string(), true)]
    );
}

#[test]
fn without_a_host_dead_letters_are_dropped() {
    let q = queue_with(
        &[(
            "x-dead-letter-exchange",
            FieldValue::LongString("dlx".into()),
        )],
        None,
    );
    q.publish(message("m0"));
    let (m, _) = q.get().unwrap();
    q.reject(vec![m]);
    assert_eq!(q.message_count(), 0);
}

#[tokio::test]
async fn an_unused_queue_expires_through_its_host() {
    let host = Arc::new(FakeHost::default());
    let q = queue_with(&[("x-expires", FieldValue::LongInt(20))], hosted(&host));
    q.touch();
    let t0 = std::time::Instant::now();
    while host.removed.lock().unwrap().is_empty() && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(*host.removed.lock().unwrap(), ["q".to_string()]);
    drop(q);
}
