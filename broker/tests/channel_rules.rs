//! Channel rules of RabbitMQ that well-known clients seldom exercise, over raw frames: the
//! empty queue name meaning the channel's most recently declared queue, `basic.cancel` sent
//! by the broker only to clients that announce `consumer_cancel_notify`, `basic.recover-async`,
//! and how `tx.commit` ends when it must wait for the message log or a queue refused a
//! publish.
//!
//! Every case runs against an in-process broker (`<case>::warren`) and against the broker
//! named by `WARREN_RAW_ORACLE` (`<case>::rabbitmq`, e.g. `127.0.0.1:5672`), with the same
//! assertions. RabbitMQ 3.10.8's behaviour they pin down:
//! * an empty queue name in `queue.bind`, `queue.unbind`, `queue.purge`, `queue.delete`,
//!   `basic.consume` and `basic.get` is the queue the channel declared last (any successful
//!   `queue.declare`, passive or `nowait` included); an empty routing key in `queue.bind` and
//!   `queue.unbind` whose queue name is empty too becomes that queue's name; with no queue
//!   declared on the channel yet the answer is `channel.close` 404 "NOT_FOUND - no previously
//!   declared queue", naming the method;
//! * a consumer whose queue is deleted is told with `basic.cancel` (nowait set) only when its
//!   connection announced `consumer_cancel_notify`; otherwise it is removed without a word;
//! * `basic.recover-async` with requeue requeues every unacknowledged delivery and sends
//!   nothing back; without requeue it is 540 "NOT_IMPLEMENTED - requeue=false" (connection);
//! * a method other than `channel.close` while `tx.commit` waits for its messages to be
//!   stored is 504 "CHANNEL_ERROR - unexpected command while processing 'tx.commit'"
//!   (connection), naming that method;
//! * a transaction with a publish that a queue refused (`x-overflow` `reject-publish`) ends
//!   in `channel.close` 406 "PRECONDITION_FAILED - partial tx completion" naming `tx.commit`,
//!   not `commit-ok`.

mod raw_support;
mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use raw_support::*;
use warren_core::codec::{self, BasicProperties, Frame, Method, ShortString};

/// How long to watch for a frame that must not come.
const QUIET: Duration = Duration::from_millis(500);

/// A name no other case, and no earlier run against the oracle, uses.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "warren-test.rules.{prefix}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn short(s: &str) -> ShortString {
    ShortString::try_from(s).expect("short string")
}

/// The next method on `ch`; anything else (another channel, content, a close) fails the test.
async fn reply(raw: &mut Raw, ch: u16) -> Method {
    match raw.recv_method().await {
        (c, m) if c == ch => m,
        other => panic!(
            "{}: expected a reply on channel {ch}, got {other:?}",
            raw.target.name
        ),
    }
}

/// Sends `method` on `ch` and returns the reply.
async fn call(raw: &mut Raw, ch: u16, method: impl Into<Method>) -> Method {
    raw.send_method(ch, method).await;
    reply(raw, ch).await
}

/// The content frames of a delivery, `get-ok` or return: the body as text.
async fn content(raw: &mut Raw, ch: u16) -> String {
    let name = raw.target.name;
    let size = match raw.recv(REPLY_TIMEOUT).await {
        Event::Frame(Frame::Header(c, h)) if c == ch => h.body_size as usize,
        other => panic!("{name}: expected a content header on {ch}, got {other:?}"),
    };
    let mut body = Vec::new();
    while body.len() < size {
        match raw.recv(REPLY_TIMEOUT).await {
            Event::Frame(Frame::Body(c, b)) if c == ch => body.extend_from_slice(&b),
            other => panic!("{name}: expected a content body on {ch}, got {other:?}"),
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// `queue.declare` of an exclusive queue.
fn exclusive_queue(name: &str, passive: bool, nowait: bool) -> codec::QueueDeclare {
    codec::QueueDeclare {
        queue: short(name),
        passive,
        exclusive: true,
        nowait,
        ..Default::default()
    }
}

/// Declares an exclusive queue and expects its `declare-ok`.
async fn declare(raw: &mut Raw, ch: u16, name: &str) {
    match call(raw, ch, exclusive_queue(name, false, false)).await {
        Method::QueueDeclareOk(ok) => assert_eq!(ok.queue, name),
        other => panic!("{}: queue.declare {name}: {other:?}", raw.target.name),
    }
}

/// Publishes `body` (transient) with `mandatory`, without waiting for anything.
async fn publish_to(
    raw: &mut Raw,
    ch: u16,
    exchange: &str,
    key: &str,
    body: &str,
    mandatory: bool,
) {
    publish_props(
        raw,
        ch,
        exchange,
        key,
        body,
        mandatory,
        BasicProperties::default(),
    )
    .await;
}

async fn publish_props(
    raw: &mut Raw,
    ch: u16,
    exchange: &str,
    key: &str,
    body: &str,
    mandatory: bool,
    properties: BasicProperties,
) {
    let publish = codec::BasicPublish {
        exchange: short(exchange),
        routing_key: short(key),
        mandatory,
        ..Default::default()
    };
    raw.send(&frames(&[
        Frame::Method(ch, publish.into()),
        Frame::Header(
            ch,
            Box::new(codec::ContentHeader {
                class_id: BasicProperties::CLASS_ID,
                body_size: body.len() as u64,
                properties,
            }),
        ),
        Frame::Body(ch, body.as_bytes().to_vec().into()),
    ]))
    .await;
}

/// `basic.get` with acks of `queue`: (routing key, body, redelivered), or `None` if empty.
async fn get(raw: &mut Raw, ch: u16, queue: &str) -> Option<(String, String, bool)> {
    let get = codec::BasicGet {
        queue: short(queue),
        ..Default::default()
    };
    match call(raw, ch, get).await {
        Method::BasicGetEmpty(_) => None,
        Method::BasicGetOk(ok) => {
            let body = content(raw, ch).await;
            Some((ok.routing_key.as_str().into_owned(), body, ok.redelivered))
        }
        other => panic!("{}: basic.get {queue:?}: {other:?}", raw.target.name),
    }
}

/// A round trip on `ch` (`basic.qos` changes nothing here): returns the methods that came
/// before its `qos-ok`.
async fn sync(raw: &mut Raw, ch: u16) -> Vec<Method> {
    raw.send_method(ch, codec::BasicQos::default()).await;
    let mut before = Vec::new();
    loop {
        match reply(raw, ch).await {
            Method::BasicQosOk(_) => return before,
            other => before.push(other),
        }
    }
}

// ---- the empty queue name ----

const NO_PREVIOUS_QUEUE: &str = "NOT_FOUND - no previously declared queue";

/// Before any `queue.declare` on the channel, an empty queue name is 404 for each method that
/// takes the shortcut, and the error names that method.
async fn empty_queue_name_before_any_declare_is_404(t: Target) {
    let mut raw = Raw::open(&t).await;
    let exchange = short("amq.direct");
    let methods: Vec<(Method, (u16, u16))> = vec![
        (codec::BasicGet::default().into(), (60, 70)),
        (codec::BasicConsume::default().into(), (60, 20)),
        (codec::QueuePurge::default().into(), (50, 30)),
        (codec::QueueDelete::default().into(), (50, 40)),
        (
            codec::QueueBind {
                exchange: exchange.clone(),
                ..Default::default()
            }
            .into(),
            (50, 20),
        ),
        (
            codec::QueueUnbind {
                exchange,
                ..Default::default()
            }
            .into(),
            (50, 50),
        ),
    ];
    for (i, (method, (class_id, method_id))) in methods.into_iter().enumerate() {
        let ch = i as u16 + 1;
        raw.open_channel(ch).await;
        raw.send_method(ch, method).await;
        let text = raw.expect_channel_close(ch, 404, class_id, method_id).await;
        assert_eq!(
            text, NO_PREVIOUS_QUEUE,
            "{}: {class_id}/{method_id}",
            t.name
        );
    }
}
raw_case!(empty_queue_name_before_any_declare_is_404);

/// The shortcut through a whole queue's life on one channel: bind (with and without the
/// routing-key shortcut), get, unbind, consume, purge, delete; the most recent declaration
/// wins, passive and `nowait` ones included; other channels are not affected.
async fn empty_queue_name_is_the_last_declared_queue(t: Target) {
    let name = t.name;
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let first = unique("first");
    let second = unique("second");
    let explicit = unique("key");
    // Auto-delete: gone with its last binding, when the queues go with the connection.
    let exchange = unique("x");
    let declare_x = codec::ExchangeDeclare {
        exchange: short(&exchange),
        kind: short("direct"),
        auto_delete: true,
        ..Default::default()
    };
    assert!(matches!(
        call(&mut raw, 1, declare_x).await,
        Method::ExchangeDeclareOk(_)
    ));

    // `first` declared without a reply, then `second`, then `first` again, passively.
    raw.send_method(1, exclusive_queue(&first, false, true))
        .await;
    declare(&mut raw, 1, &second).await;
    match call(&mut raw, 1, exclusive_queue(&first, true, false)).await {
        Method::QueueDeclareOk(ok) => assert_eq!(ok.queue, first.as_str()),
        other => panic!("{name}: passive declare: {other:?}"),
    }

    // Empty queue and key: `first`, bound with its own name as the key.
    let bind = |queue: &str, key: &str| codec::QueueBind {
        queue: short(queue),
        exchange: short(&exchange),
        routing_key: short(key),
        ..Default::default()
    };
    for (queue, key) in [("", ""), ("", explicit.as_str()), (second.as_str(), "")] {
        match call(&mut raw, 1, bind(queue, key)).await {
            Method::QueueBindOk(_) => {}
            other => panic!("{name}: queue.bind {queue:?} with {key:?}: {other:?}"),
        }
    }
    publish_to(&mut raw, 1, &exchange, &first, "by name", true).await;
    publish_to(&mut raw, 1, &exchange, &explicit, "by key", true).await;
    publish_to(&mut raw, 1, &exchange, "", "by empty key", true).await;
    assert_eq!(
        sync(&mut raw, 1).await,
        vec![],
        "{name}: a publish came back"
    );
    assert_eq!(
        get(&mut raw, 1, "").await,
        Some((first.clone(), "by name".into(), false)),
        "{name}: the queue's own name is the key of the shortcut binding"
    );
    assert_eq!(
        get(&mut raw, 1, "").await,
        Some((explicit.clone(), "by key".into(), false)),
        "{name}: a routing key that is not empty is kept"
    );
    assert_eq!(
        get(&mut raw, 1, "").await,
        None,
        "{name}: `first` is drained"
    );
    assert_eq!(
        get(&mut raw, 1, &second).await,
        Some((String::new(), "by empty key".into(), false)),
        "{name}: a queue named explicitly keeps its empty routing key"
    );

    // Unbind with both shortcuts: the binding keyed by the queue's name goes.
    let unbind = codec::QueueUnbind {
        exchange: short(&exchange),
        ..Default::default()
    };
    assert!(matches!(
        call(&mut raw, 1, unbind).await,
        Method::QueueUnbindOk(_)
    ));
    publish_to(&mut raw, 1, &exchange, &first, "unrouted", true).await;
    match reply(&mut raw, 1).await {
        Method::BasicReturn(r) => assert_eq!(
            (r.reply_code, r.routing_key.as_str()),
            (312, first.as_str().into())
        ),
        other => panic!("{name}: expected the publish back after the unbind: {other:?}"),
    }
    assert_eq!(content(&mut raw, 1).await, "unrouted");

    // Consume.
    let consume = codec::BasicConsume {
        consumer_tag: short("rules.consumer"),
        no_ack: true,
        ..Default::default()
    };
    match call(&mut raw, 1, consume).await {
        Method::BasicConsumeOk(ok) => assert_eq!(ok.consumer_tag, "rules.consumer"),
        other => panic!("{name}: basic.consume \"\": {other:?}"),
    }
    publish_to(&mut raw, 1, &exchange, &explicit, "consumed", false).await;
    match reply(&mut raw, 1).await {
        Method::BasicDeliver(d) => assert_eq!(d.consumer_tag, "rules.consumer"),
        other => panic!("{name}: expected a delivery: {other:?}"),
    }
    assert_eq!(content(&mut raw, 1).await, "consumed");
    let cancel = codec::BasicCancel {
        consumer_tag: short("rules.consumer"),
        nowait: false,
    };
    assert!(matches!(
        call(&mut raw, 1, cancel).await,
        Method::BasicCancelOk(_)
    ));

    // Purge.
    publish_to(&mut raw, 1, &exchange, &explicit, "purged 1", false).await;
    publish_to(&mut raw, 1, &exchange, &explicit, "purged 2", false).await;
    match call(&mut raw, 1, codec::QueuePurge::default()).await {
        Method::QueuePurgeOk(ok) => assert_eq!(ok.message_count, 2, "{name}: purge-ok"),
        other => panic!("{name}: queue.purge \"\": {other:?}"),
    }

    // Another channel has a most recently declared queue of its own: none yet.
    raw.open_channel(2).await;
    raw.send_method(2, codec::BasicGet::default()).await;
    let text = raw.expect_channel_close(2, 404, 60, 70).await;
    assert_eq!(text, NO_PREVIOUS_QUEUE, "{name}: channel 2");

    // Delete; the name stays the channel's most recent one, now naming no queue.
    match call(&mut raw, 1, codec::QueueDelete::default()).await {
        Method::QueueDeleteOk(ok) => assert_eq!(ok.message_count, 0),
        other => panic!("{name}: queue.delete \"\": {other:?}"),
    }
    raw.send_method(1, codec::BasicGet::default()).await;
    let text = raw.expect_channel_close(1, 404, 60, 70).await;
    assert_eq!(
        text,
        format!("NOT_FOUND - no queue '{first}' in vhost '/'"),
        "{name}: basic.get \"\" after the queue was deleted"
    );
}
raw_case!(empty_queue_name_is_the_last_declared_queue);

// ---- consumer_cancel_notify ----

/// Deletes the queue under a consumer (from another channel of the same connection, as the
/// queue is exclusive) and returns the `basic.cancel` that the consumer's channel received,
/// if any; then checks that the consumer is gone either way: its tag can be used again.
async fn cancel_after_queue_deletion(
    t: &Target,
    announce: Option<bool>,
) -> Option<codec::BasicCancel> {
    let name = t.name;
    let opts = Handshake {
        consumer_cancel_notify: announce,
        ..Default::default()
    };
    let mut raw = Raw::connect(t).await;
    raw.handshake(&opts).await;
    raw.open_channel(1).await;
    raw.open_channel(2).await;
    let queue = unique("cancelled");
    declare(&mut raw, 1, &queue).await;
    let tag = short("rules.cancelled");
    let consume = codec::BasicConsume {
        queue: short(&queue),
        consumer_tag: tag.clone(),
        ..Default::default()
    };
    assert!(matches!(
        call(&mut raw, 1, consume).await,
        Method::BasicConsumeOk(_)
    ));
    let delete = codec::QueueDelete {
        queue: short(&queue),
        ..Default::default()
    };
    raw.send_method(2, delete).await;

    // RabbitMQ's consumer channel learns of the deletion on its own time, before or after
    // the delete-ok on the other channel: wait for the cancel if one is due, and long enough
    // to see that none comes otherwise.
    let mut cancel = None;
    let mut deleted = false;
    let wait = if announce == Some(true) {
        REPLY_TIMEOUT
    } else {
        QUIET
    };
    while !deleted || (cancel.is_none() && announce == Some(true)) {
        match raw.recv(if deleted { wait } else { REPLY_TIMEOUT }).await {
            Event::Frame(Frame::Method(2, Method::QueueDeleteOk(_))) if !deleted => deleted = true,
            Event::Frame(Frame::Method(1, Method::BasicCancel(c))) if cancel.is_none() => {
                cancel = Some(c)
            }
            Event::Timeout if deleted => break,
            other => {
                panic!("{name}: expected delete-ok and basic.cancel or nothing, got {other:?}")
            }
        }
    }
    // Nothing else, and no cancel came late.
    match raw.recv(QUIET).await {
        Event::Timeout => {}
        other => panic!("{name}: unexpected after the deletion: {other:?}"),
    }

    let other = unique("after-cancel");
    declare(&mut raw, 1, &other).await;
    let consume = codec::BasicConsume {
        queue: short(&other),
        consumer_tag: tag,
        ..Default::default()
    };
    match call(&mut raw, 1, consume).await {
        Method::BasicConsumeOk(_) => {}
        other => panic!("{name}: the cancelled consumer's tag is still taken: {other:?}"),
    }
    cancel
}

async fn queue_deletion_cancels_a_consumer_that_announced_cancel_notify(t: Target) {
    let cancel = cancel_after_queue_deletion(&t, Some(true)).await;
    let cancel = cancel.unwrap_or_else(|| panic!("{}: no basic.cancel", t.name));
    assert_eq!(cancel.consumer_tag, "rules.cancelled");
    assert!(cancel.nowait, "{}: basic.cancel without nowait", t.name);
}
raw_case!(queue_deletion_cancels_a_consumer_that_announced_cancel_notify);

async fn queue_deletion_removes_other_consumers_silently(t: Target) {
    for announce in [None, Some(false)] {
        let cancel = cancel_after_queue_deletion(&t, announce).await;
        assert_eq!(
            cancel, None,
            "{}: consumer_cancel_notify {announce:?}",
            t.name
        );
    }
}
raw_case!(queue_deletion_removes_other_consumers_silently);

// ---- basic.recover-async ----

/// Requeues every unacknowledged delivery (here from `basic.get`), as `basic.recover` does,
/// and answers nothing.
async fn recover_async_requeues_without_a_reply(t: Target) {
    let name = t.name;
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let queue = unique("recover-async");
    declare(&mut raw, 1, &queue).await;
    for body in ["m1", "m2"] {
        publish_to(&mut raw, 1, "", &queue, body, false).await;
    }
    for body in ["m1", "m2"] {
        let got = get(&mut raw, 1, &queue).await;
        assert_eq!(
            got,
            Some((queue.clone(), body.to_string(), false)),
            "{name}"
        );
    }
    raw.send_method(1, codec::BasicRecoverAsync { requeue: true })
        .await;
    assert_eq!(
        sync(&mut raw, 1).await,
        vec![],
        "{name}: recover-async was answered"
    );
    for body in ["m1", "m2"] {
        let got = get(&mut raw, 1, &queue).await;
        assert_eq!(got, Some((queue.clone(), body.to_string(), true)), "{name}");
    }
    assert_eq!(get(&mut raw, 1, &queue).await, None, "{name}");
}
raw_case!(recover_async_requeues_without_a_reply);

async fn recover_async_without_requeue_is_not_implemented(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_method(1, codec::BasicRecoverAsync { requeue: false })
        .await;
    let text = raw.expect_close(540, 60, 100).await;
    assert_eq!(text, "NOT_IMPLEMENTED - requeue=false", "{}", t.name);
}
raw_case!(recover_async_without_requeue_is_not_implemented);

// ---- tx.commit ----

/// How long the in-process broker's message log lets appends gather in the tx cases: long
/// enough that a `commit-ok` sent before the sync is seen as such.
const SLOW_SYNC: Duration = Duration::from_millis(500);

/// Publishes a persistent message to a durable queue in a transaction and sends `tx.commit`
/// and `basic.qos` in one write: the `basic.qos` arrives while the commit waits for the
/// message to be stored, which RabbitMQ refuses with a connection error.
async fn method_while_tx_commit_is_pending_is_504(t: Target) {
    let name = t.name;
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let queue = unique("tx-pending");
    let durable = codec::QueueDeclare {
        queue: short(&queue),
        durable: true,
        ..Default::default()
    };
    assert!(matches!(
        call(&mut raw, 1, durable).await,
        Method::QueueDeclareOk(_)
    ));
    assert!(matches!(
        call(&mut raw, 1, codec::TxSelect {}).await,
        Method::TxSelectOk(_)
    ));
    let persistent = BasicProperties {
        delivery_mode: Some(2),
        ..Default::default()
    };
    publish_props(&mut raw, 1, "", &queue, "committed", false, persistent).await;
    raw.send(&frames(&[
        Frame::Method(1, codec::TxCommit {}.into()),
        Frame::Method(1, codec::BasicQos::default().into()),
    ]))
    .await;
    let text = raw.expect_close(504, 60, 10).await;
    assert_eq!(
        text, "CHANNEL_ERROR - unexpected command while processing 'tx.commit'",
        "{name}"
    );

    // The commit went through all the same; the queue is durable, so clean it up.
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let delete = codec::QueueDelete {
        queue: short(&queue),
        ..Default::default()
    };
    match call(&mut raw, 1, delete).await {
        Method::QueueDeleteOk(ok) => assert_eq!(ok.message_count, 1, "{name}: delete-ok"),
        other => panic!("{name}: queue.delete: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_while_tx_commit_is_pending_is_504_warren() {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (target, broker) = warren_target(warren_config().with_data_dir(dir.path())).await;
    target
        .state
        .as_ref()
        .and_then(|s| s.message_store.as_ref())
        .expect("a message log in the data directory")
        .set_group_commit(SLOW_SYNC);
    run_case(target, method_while_tx_commit_is_pending_is_504).await;
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_while_tx_commit_is_pending_is_504_rabbitmq() {
    if let Some(target) = oracle_target() {
        run_case(target, method_while_tx_commit_is_pending_is_504).await;
    }
}

/// A transaction whose publish a queue refuses (full, `x-overflow` `reject-publish`) fails at
/// commit.
async fn tx_with_a_refused_publish_fails_at_commit(t: Target) {
    let name = t.name;
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let queue = unique("tx-refused");
    let mut args = codec::FieldTable::new();
    args.insert_key(short("x-max-length"), codec::FieldValue::LongLongInt(0));
    args.insert_key(short("x-overflow"), "reject-publish".into());
    let full = codec::QueueDeclare {
        queue: short(&queue),
        exclusive: true,
        arguments: args,
        ..Default::default()
    };
    assert!(matches!(
        call(&mut raw, 1, full).await,
        Method::QueueDeclareOk(_)
    ));
    assert!(matches!(
        call(&mut raw, 1, codec::TxSelect {}).await,
        Method::TxSelectOk(_)
    ));
    publish_to(&mut raw, 1, "", &queue, "refused", false).await;
    raw.send_method(1, codec::TxCommit {}).await;
    let text = raw.expect_channel_close(1, 406, 90, 20).await;
    assert_eq!(
        text, "PRECONDITION_FAILED - partial tx completion",
        "{name}"
    );
}
raw_case!(tx_with_a_refused_publish_fails_at_commit);
