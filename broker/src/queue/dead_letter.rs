//! Dead-lettering as RabbitMQ 3.10 does it (`rabbit_dead_letter`): the message is republished
//! to the queue's dead-letter exchange with an `x-death` history, `x-first-death-*` headers and
//! no `expiration`; cycles that would go round forever without a client rejecting are dropped.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use warren_core::codec::{FieldTable, FieldValue, LongString, ShortString};

use super::args::QueueArgs;
use super::QueueHost;
use crate::message::{Message, MessageRef};

/// Why a message was dead-lettered; the `reason` in `x-death`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `basic.reject` or `basic.nack` with `requeue=false`.
    Rejected,
    /// Its TTL ran out.
    Expired,
    /// The queue was over `x-max-length` / `x-max-length-bytes`.
    Maxlen,
}

impl Reason {
    /// The name RabbitMQ writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rejected => "rejected",
            Reason::Expired => "expired",
            Reason::Maxlen => "maxlen",
        }
    }
}

fn long(s: &str) -> FieldValue {
    FieldValue::LongString(LongString::from(s))
}

fn short_value(s: &ShortString) -> FieldValue {
    FieldValue::LongString(LongString(s.clone().into_bytes()))
}

fn text_of<'a>(t: &'a FieldTable, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    t.get(key).and_then(|v| v.as_str())
}

/// The message as it leaves `queue` for the dead-letter exchange `dlx`.
pub fn make_message(
    m: &Message,
    reason: Reason,
    queue: &ShortString,
    dlx: &ShortString,
    dlrk: Option<&ShortString>,
) -> Message {
    let mut props = m.properties.clone();
    let mut headers = props
        .headers
        .take()
        .map(as_rabbitmq_reencodes)
        .unwrap_or_default();
    // The first routing key is the publish's; CC keys follow.
    let mut keys = vec![short_value(&m.routing_key)];
    if let Some(FieldValue::Array(cc)) = headers.get("CC") {
        keys.extend(cc.iter().filter(|v| v.as_str().is_some()).cloned());
    }
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // In RabbitMQ's order: a first entry goes out as count, reason, queue, time, exchange,
    // routing-keys[, original-expiration].
    let mut info = FieldTable::new();
    info.insert_key(
        ShortString::from_static("count"),
        FieldValue::LongLongInt(1),
    );
    info.insert_key(ShortString::from_static("reason"), long(reason.as_str()));
    info.insert_key(ShortString::from_static("queue"), short_value(queue));
    info.insert_key(
        ShortString::from_static("time"),
        FieldValue::Timestamp(time),
    );
    info.insert_key(
        ShortString::from_static("exchange"),
        short_value(&m.exchange),
    );
    info.insert_key(
        ShortString::from_static("routing-keys"),
        FieldValue::Array(keys),
    );
    if let Some(exp) = &props.expiration {
        info.insert_key(
            ShortString::from_static("original-expiration"),
            short_value(exp),
        );
    }
    update_x_death(&mut headers, info, queue, reason);
    if dlrk.is_some() {
        headers.remove("CC");
    }
    props.headers = Some(headers);
    props.expiration = None;
    Message {
        exchange: dlx.clone(),
        routing_key: dlrk.cloned().unwrap_or_else(|| m.routing_key.clone()),
        properties: props,
        body: m.body.clone(),
    }
}

/// A table as RabbitMQ writes it back after decoding it: its encoder has no `L`, which its
/// decoder read as a signed `long`, so those values go out as `l` with the same bits. (An
/// untouched message keeps its original property bytes in RabbitMQ; a dead-lettered one is
/// re-encoded, its `x-death` added.)
fn as_rabbitmq_reencodes(table: FieldTable) -> FieldTable {
    fn value(v: FieldValue) -> FieldValue {
        match v {
            FieldValue::LongLongUInt(bits) => FieldValue::LongLongInt(bits as i64),
            FieldValue::Array(items) => FieldValue::Array(items.into_iter().map(value).collect()),
            FieldValue::Table(t) => FieldValue::Table(as_rabbitmq_reencodes(t)),
            other => other,
        }
    }
    table.into_iter().map(|(k, v)| (k, value(v))).collect()
}

/// `rabbit_misc:sort_field_table`: a stable sort by key.
fn sorted(t: FieldTable) -> FieldTable {
    let mut entries: Vec<_> = t.into_iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries.into_iter().collect()
}

fn count_of(t: &FieldTable) -> i64 {
    t.get("count").and_then(|v| v.as_i64()).unwrap_or(1)
}

/// `rabbit_dead_letter:update_x_death_header`: the first death adds `x-first-death-*`; a
/// repeated (queue, reason) increments that entry's count and moves it to the front, leaving
/// its other fields as they were. `info` starts with a count of 1. As in RabbitMQ, the headers
/// come out sorted by key, and so does the front entry unless it is the very first death.
fn update_x_death(headers: &mut FieldTable, info: FieldTable, queue: &ShortString, reason: Reason) {
    let key = ShortString::from_static("x-death");
    match headers.get("x-death") {
        None => {
            let exchange = info.get("exchange").cloned().unwrap_or(long(""));
            headers.insert_key(ShortString::from_static("x-first-death-exchange"), exchange);
            headers.insert_key(
                ShortString::from_static("x-first-death-reason"),
                long(reason.as_str()),
            );
            headers.insert_key(
                ShortString::from_static("x-first-death-queue"),
                short_value(queue),
            );
            headers.insert_key(key, FieldValue::Array(vec![FieldValue::Table(info)]));
        }
        Some(FieldValue::Array(deaths)) => {
            let q = queue.as_str();
            let matches = |v: &FieldValue| {
                v.as_table().is_some_and(|t| {
                    text_of(t, "queue").as_deref() == Some(&*q)
                        && text_of(t, "reason").as_deref() == Some(reason.as_str())
                })
            };
            let (same, others): (Vec<FieldValue>, Vec<FieldValue>) =
                deaths.iter().cloned().partition(|v| matches(v));
            let entry = match same.first().and_then(|v| v.as_table()) {
                None => FieldValue::Table(sorted(info)),
                Some(first) => {
                    // Entries from before RabbitMQ grouped deaths are merged into one.
                    let total: i64 = same.iter().filter_map(|v| v.as_table()).map(count_of).sum();
                    let mut t = first.clone();
                    t.insert_key(
                        ShortString::from_static("count"),
                        FieldValue::LongLongInt(total + 1),
                    );
                    FieldValue::Table(sorted(t))
                }
            };
            let mut list = Vec::with_capacity(others.len() + 1);
            list.push(entry);
            list.extend(others);
            headers.insert_key(key, FieldValue::Array(list));
        }
        Some(_) => {
            // Not an array (a client re-published it with converted headers): start over.
            headers.insert_key(key, FieldValue::Array(vec![FieldValue::Table(info)]));
        }
    }
    *headers = sorted(std::mem::take(headers));
}

/// `rabbit_dead_letter:is_cycle`: the target queue is already in the history, and no death
/// from the newest up to that queue's was a client's reject.
pub fn is_cycle(target: &ShortString, message: &Message) -> bool {
    let Some(FieldValue::Array(deaths)) = message
        .properties
        .headers
        .as_ref()
        .and_then(|h| h.get("x-death"))
    else {
        return false;
    };
    let target = target.as_str();
    let Some(at) = deaths.iter().position(|d| {
        d.as_table()
            .is_some_and(|t| text_of(t, "queue").as_deref() == Some(&*target))
    }) else {
        return false;
    };
    deaths[..=at].iter().all(|d| {
        d.as_table()
            .is_some_and(|t| text_of(t, "reason").as_deref() != Some("rejected"))
    })
}

/// Dead-letters `letters` from `queue`: republished through the dead-letter exchange to every
/// queue it routes to (following exchange bindings and alternate exchanges), except queues
/// that would close an automatic cycle. Dropped when the queue has no dead-letter exchange or
/// it does not exist, as in RabbitMQ. Call without holding any queue lock.
pub fn publish(
    host: &dyn QueueHost,
    queue: &ShortString,
    args: &QueueArgs,
    letters: Vec<(MessageRef, Reason)>,
) {
    let Some(dlx_name) = &args.dead_letter_exchange else {
        return;
    };
    let mut targets = Vec::new();
    for (m, reason) in letters {
        let msg: MessageRef = Arc::new(make_message(
            &m,
            reason,
            queue,
            dlx_name,
            args.dead_letter_routing_key.as_ref(),
        ));
        targets.clear();
        if !host.route_via(dlx_name, &msg, &mut targets) {
            tracing::debug!(queue = %queue, exchange = %dlx_name, "dead-letter exchange missing; message dropped");
            return;
        }
        for q in targets.drain(..) {
            if reason != Reason::Rejected && is_cycle(&q.name, &msg) {
                tracing::debug!(queue = %q.name, "dead-letter cycle; message dropped");
                continue;
            }
            q.publish(msg.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use warren_core::codec::BasicProperties;

    fn s(x: &'static str) -> ShortString {
        ShortString::from_static(x)
    }

    fn msg(expiration: Option<&'static str>) -> Message {
        Message {
            exchange: s("ex"),
            routing_key: s("rk"),
            properties: BasicProperties {
                expiration: expiration.map(s),
                ..Default::default()
            },
            body: Bytes::from_static(b"body"),
        }
    }

    fn at(t: &FieldTable, k: &str) -> FieldValue {
        t.get(k).cloned().unwrap()
    }

    fn deaths(m: &Message) -> Vec<FieldTable> {
        at(m.properties.headers.as_ref().unwrap(), "x-death")
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_table().unwrap().clone())
            .collect()
    }

    #[test]
    fn first_death_shape() {
        let d = make_message(
            &msg(Some("500")),
            Reason::Expired,
            &s("q1"),
            &s("dlx"),
            None,
        );
        assert_eq!(d.exchange, s("dlx"));
        assert_eq!(d.routing_key, s("rk"));
        assert_eq!(d.properties.expiration, None);
        let h = d.properties.headers.as_ref().unwrap();
        assert_eq!(at(h, "x-first-death-reason"), long("expired"));
        assert_eq!(at(h, "x-first-death-queue"), long("q1"));
        assert_eq!(at(h, "x-first-death-exchange"), long("ex"));
        let x = deaths(&d);
        assert_eq!(x.len(), 1);
        assert_eq!(at(&x[0], "count"), FieldValue::LongLongInt(1));
        assert_eq!(at(&x[0], "reason"), long("expired"));
        assert_eq!(at(&x[0], "queue"), long("q1"));
        assert_eq!(at(&x[0], "exchange"), long("ex"));
        assert_eq!(
            at(&x[0], "routing-keys"),
            FieldValue::Array(vec![long("rk")])
        );
        assert_eq!(at(&x[0], "original-expiration"), long("500"));
        assert!(matches!(at(&x[0], "time"), FieldValue::Timestamp(_)));
        let keys = |t: &FieldTable| t.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
        assert_eq!(
            keys(&x[0]),
            [
                "count",
                "reason",
                "queue",
                "time",
                "exchange",
                "routing-keys",
                "original-expiration"
            ]
        );
        assert_eq!(
            keys(h),
            [
                "x-death",
                "x-first-death-exchange",
                "x-first-death-queue",
                "x-first-death-reason"
            ]
        );
    }

    #[test]
    fn repeated_death_increments_and_moves_to_front() {
        let a = make_message(
            &msg(None),
            Reason::Rejected,
            &s("q1"),
            &s(""),
            Some(&s("q2")),
        );
        let b = make_message(&a, Reason::Expired, &s("q2"), &s(""), Some(&s("q1")));
        let c = make_message(&b, Reason::Rejected, &s("q1"), &s(""), Some(&s("q2")));
        let x = deaths(&c);
        assert_eq!(x.len(), 2);
        assert_eq!(at(&x[0], "queue"), long("q1"));
        assert_eq!(at(&x[0], "count"), FieldValue::LongLongInt(2));
        // The entry keeps the fields of the first death in that queue for that reason.
        assert_eq!(at(&x[0], "exchange"), long("ex"));
        assert_eq!(at(&x[1], "queue"), long("q2"));
        let keys = |t: &FieldTable| t.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
        // The front entry was rewritten, so sorted; the other one as it was written (sorted too,
        // as it was not the very first death).
        assert_eq!(
            keys(&x[0]),
            [
                "count",
                "exchange",
                "queue",
                "reason",
                "routing-keys",
                "time"
            ]
        );
        assert_eq!(keys(&x[1]), keys(&x[0]));
        let h = c.properties.headers.as_ref().unwrap();
        assert_eq!(at(h, "x-first-death-queue"), long("q1"));
        assert_eq!(at(h, "x-first-death-reason"), long("rejected"));
    }

    #[test]
    fn unsigned_longs_go_out_as_signed_longs() {
        let mut m = msg(None);
        let mut nested = FieldTable::new();
        nested.insert_key(s("n"), FieldValue::LongLongUInt(u64::MAX));
        let mut headers = FieldTable::new();
        headers.insert_key(s("big"), FieldValue::LongLongUInt(u64::MAX - 1));
        headers.insert_key(s("small"), FieldValue::LongLongUInt(7));
        headers.insert_key(
            s("deep"),
            FieldValue::Array(vec![FieldValue::Table(nested)]),
        );
        m.properties.headers = Some(headers);
        let d = make_message(&m, Reason::Rejected, &s("q1"), &s(""), None);
        let h = d.properties.headers.as_ref().unwrap();
        assert_eq!(at(h, "big"), FieldValue::LongLongInt(-2));
        assert_eq!(at(h, "small"), FieldValue::LongLongInt(7));
        let FieldValue::Array(deep) = at(h, "deep") else {
            panic!("deep is not an array");
        };
        assert_eq!(
            deep[0].as_table().unwrap().get("n"),
            Some(&FieldValue::LongLongInt(-1))
        );
    }

    #[test]
    fn cycles() {
        let a = make_message(&msg(None), Reason::Expired, &s("q1"), &s(""), None);
        assert!(is_cycle(&s("q1"), &a));
        assert!(!is_cycle(&s("q2"), &a));
        let b = make_message(&a, Reason::Rejected, &s("q2"), &s(""), None);
        // A client's reject since the last death in q1: not an automatic cycle.
        assert!(!is_cycle(&s("q1"), &b));
        let c = make_message(&a, Reason::Maxlen, &s("q2"), &s(""), None);
        assert!(is_cycle(&s("q1"), &c));
    }
}
