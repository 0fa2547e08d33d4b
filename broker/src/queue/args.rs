//! Queue declaration arguments: validation with RabbitMQ 3.10's rules and words, the parsed
//! settings a classic queue runs with, and argument equivalence on redeclare.

use warren_core::codec::{FieldTable, FieldValue, ShortString};

use crate::error::{precondition_failed, AmqpException, AmqpResult};

pub use crate::message::MAX_EXPIRY_MS;

/// The highest `x-max-priority` RabbitMQ accepts.
pub const MAX_SUPPORTED_PRIORITY: i64 = 255;

/// What a full queue does with one more message (`x-overflow`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Drop (or dead-letter) the oldest message to make room.
    #[default]
    DropHead,
    /// Refuse the new message; the publisher gets `basic.nack` in confirm mode.
    RejectPublish,
    /// Refuse the new message and dead-letter it.
    RejectPublishDlx,
}

/// The settings a queue's declaration arguments ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueArgs {
    /// `x-message-ttl` in ms.
    pub message_ttl: Option<u64>,
    /// `x-expires` in ms: delete the queue after it was unused this long.
    pub expires: Option<u64>,
    /// `x-max-length`: most ready messages.
    pub max_length: Option<u64>,
    /// `x-max-length-bytes`: most ready body bytes.
    pub max_length_bytes: Option<u64>,
    /// `x-overflow`.
    pub overflow: Overflow,
    /// `x-dead-letter-exchange` (`""` is the default exchange).
    pub dead_letter_exchange: Option<ShortString>,
    /// `x-dead-letter-routing-key`.
    pub dead_letter_routing_key: Option<ShortString>,
    /// `x-max-priority`: a priority queue with priorities `0..=max`.
    pub max_priority: Option<u8>,
    /// `x-single-active-consumer`.
    pub single_active_consumer: bool,
}

/// The arguments a classic queue knows, in the order RabbitMQ compares them on redeclare.
const EQUIVALENCE_KEYS: &[&str] = &[
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-single-active-consumer",
    "x-queue-type",
    "x-queue-master-locator",
    "x-queue-version",
];

/// Arguments of other queue types, which a classic queue refuses.
const UNSUPPORTED_KEYS: &[&str] = &[
    "x-max-age",
    "x-stream-max-segment-size-bytes",
    "x-delivery-limit",
    "x-max-in-memory-length",
    "x-max-in-memory-bytes",
    "x-initial-cluster-size",
    "x-quorum-initial-group-size",
    "x-queue-leader-locator",
    "x-dead-letter-strategy",
];

/// RabbitMQ's (Erlang) name of a field type, as its error texts show it.
pub fn type_name(v: &FieldValue) -> &'static str {
    use FieldValue::*;
    match v {
        Boolean(_) => "bool",
        ShortShortInt(_) => "byte",
        ShortShortUInt(_) => "unsignedbyte",
        ShortInt(_) => "short",
        ShortUInt(_) => "unsignedshort",
        LongInt(_) => "signedint",
        LongUInt(_) => "unsignedint",
        // RabbitMQ decodes `L` as the same signed `long` as `l`.
        LongLongInt(_) | LongLongUInt(_) => "long",
        Float(_) => "float",
        Double(_) => "double",
        Decimal(_) => "decimal",
        LongString(_) => "longstr",
        Array(_) => "array",
        Timestamp(_) => "timestamp",
        Table(_) => "table",
        Void => "void",
        ByteArray(_) => "binary",
    }
}

/// RabbitMQ's type classes for equivalence: integers of any width compare equal.
fn type_class(v: &FieldValue) -> &'static str {
    use FieldValue::*;
    match v {
        ShortShortInt(_) | ShortShortUInt(_) | ShortInt(_) | ShortUInt(_) | LongInt(_)
        | LongUInt(_) | LongLongInt(_) | LongLongUInt(_) | Decimal(_) => "int",
        Float(_) | Double(_) => "float",
        other => type_name(other),
    }
}

/// An integer argument of one of the types RabbitMQ accepts for integers.
fn int_value(v: &FieldValue) -> Option<i64> {
    match v {
        FieldValue::Timestamp(_) => None,
        other => other.as_i64(),
    }
}

/// A value as Erlang's `~p` would print it, near enough for error texts.
fn erlang_term(v: &FieldValue) -> String {
    use FieldValue::*;
    match v {
        Boolean(b) => b.to_string(),
        Float(f) => format!("{f:?}"),
        Double(f) => format!("{f:?}"),
        Decimal(d) => format!("{{decimal,{},{}}}", d.scale, d.value),
        LongString(s) => s.as_str().into_owned(),
        Array(items) => format!(
            "[{}]",
            items.iter().map(erlang_term).collect::<Vec<_>>().join(",")
        ),
        Table(_) => "[...]".into(),
        Void => "undefined".into(),
        ByteArray(b) => format!("{b:?}"),
        other => other.as_i64().map(|n| n.to_string()).unwrap_or_default(),
    }
}

type Check = Result<(), String>;

fn check_int(v: &FieldValue) -> Result<i64, String> {
    int_value(v).ok_or_else(|| format!("\"expected integer, got {}\"", type_name(v)))
}

fn check_non_neg(v: &FieldValue) -> Result<i64, String> {
    let n = check_int(v)?;
    if n < 0 {
        return Err(format!("{{value_negative,{n}}}"));
    }
    Ok(n)
}

/// `rabbit_misc:check_expiry`.
pub(crate) fn check_expiry(n: i64) -> Check {
    if n < 0 {
        Err(format!("{{value_negative,{n}}}"))
    } else if n as u64 > MAX_EXPIRY_MS {
        Err(format!("{{value_too_large,{n}}}"))
    } else {
        Ok(())
    }
}

fn check_longstr(v: &FieldValue) -> Check {
    match v {
        FieldValue::LongString(_) => Ok(()),
        other => Err(format!("{{unacceptable_type,{}}}", type_name(other))),
    }
}

fn check_bool(v: &FieldValue) -> Check {
    match v {
        FieldValue::Boolean(_) => Ok(()),
        other => Err(format!("{{unacceptable_type,{}}}", type_name(other))),
    }
}

/// The validator RabbitMQ runs for `key`, or `None` if it does not validate that argument.
fn validate(key: &str, v: &FieldValue, args: &FieldTable) -> Option<Check> {
    Some(match key {
        "x-expires" => check_int(v).and_then(|n| {
            if n == 0 {
                Err("{value_zero,0}".into())
            } else {
                check_expiry(n)
            }
        }),
        "x-message-ttl" => check_int(v).and_then(check_expiry),
        "x-dead-letter-routing-key" => check_longstr(v).and_then(|()| {
            if args.contains_key("x-dead-letter-exchange") {
                Ok(())
            } else {
                Err("routing_key_but_no_dlx_defined".into())
            }
        }),
        "x-max-length" | "x-max-length-bytes" => check_non_neg(v).map(drop),
        "x-max-priority" => check_non_neg(v).and_then(|n| {
            if n > MAX_SUPPORTED_PRIORITY {
                Err(format!("{{max_value_exceeded,{n}}}"))
            } else {
                Ok(())
            }
        }),
        "x-overflow" => check_longstr(v).and_then(|()| match v.as_str().as_deref() {
            Some("drop-head" | "reject-publish" | "reject-publish-dlx") => Ok(()),
            _ => Err("invalid_overflow".into()),
        }),
        "x-queue-mode" => check_longstr(v).and_then(|()| match v.as_str().as_deref() {
            Some("default" | "lazy") => Ok(()),
            other => Err(format!(
                "\"unsupported queue mode '{}'\"",
                other.unwrap_or_default()
            )),
        }),
        "x-queue-version" => check_int(v).and_then(|n| match n {
            1 | 2 => Ok(()),
            n => Err(format!("\"unsupported queue version '{n}'\"")),
        }),
        "x-single-active-consumer" => check_bool(v),
        "x-queue-type" => check_longstr(v).and_then(|()| match v.as_str().as_deref() {
            Some("classic") => Ok(()),
            other => Err(format!(
                "\"unsupported queue type '{}'\"",
                other.unwrap_or_default()
            )),
        }),
        _ => return None,
    })
}

/// The order RabbitMQ runs its argument validators in.
const VALIDATION_ORDER: &[&str] = &[
    "x-expires",
    "x-message-ttl",
    "x-dead-letter-routing-key",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-priority",
    "x-overflow",
    "x-queue-mode",
    "x-queue-version",
    "x-single-active-consumer",
    "x-queue-type",
];

fn resource(name: &ShortString, vhost: &str) -> String {
    format!("queue '{name}' in vhost '{vhost}'")
}

impl QueueArgs {
    /// Validates a new queue's arguments as RabbitMQ does (406 with its text) and returns the
    /// settings they ask for. Arguments RabbitMQ does not know are accepted and ignored.
    pub fn parse(name: &ShortString, vhost: &str, args: &FieldTable) -> AmqpResult<QueueArgs> {
        // RabbitMQ's channel checks the dead-letter exchange's type before anything else.
        if let Some(v) = args.get("x-dead-letter-exchange") {
            if !matches!(v, FieldValue::LongString(_)) {
                return Err(precondition_failed(format!(
                    "invalid type '{}' for arg 'x-dead-letter-exchange' in {}",
                    type_name(v),
                    resource(name, vhost)
                )));
            }
        }
        for key in VALIDATION_ORDER {
            let Some(v) = args.get(key) else { continue };
            if let Some(Err(why)) = validate(key, v, args) {
                return Err(precondition_failed(format!(
                    "invalid arg '{key}' for {}: {why}",
                    resource(name, vhost)
                )));
            }
        }
        for key in UNSUPPORTED_KEYS {
            if args.contains_key(key) {
                return Err(precondition_failed(format!(
                    "invalid arg '{key}' for {} of queue type rabbit_classic_queue",
                    resource(name, vhost)
                )));
            }
        }
        let uint = |key: &str| {
            args.get(key)
                .and_then(int_value)
                .map(|n| u64::try_from(n).unwrap_or(0))
        };
        let short = |key: &str| {
            args.get(key)
                .and_then(|v| match v {
                    FieldValue::LongString(s) => Some(s.0.clone()),
                    _ => None,
                })
                // Longer than a short string: no exchange can have that name, so nothing routes.
                .map(|b| ShortString::new(b).unwrap_or_else(|_| ShortString::from_static("\0")))
        };
        let overflow = match args.get("x-overflow").and_then(|v| v.as_str()).as_deref() {
            Some("reject-publish") => Overflow::RejectPublish,
            Some("reject-publish-dlx") => Overflow::RejectPublishDlx,
            _ => Overflow::DropHead,
        };
        Ok(QueueArgs {
            message_ttl: uint("x-message-ttl"),
            expires: uint("x-expires"),
            max_length: uint("x-max-length"),
            max_length_bytes: uint("x-max-length-bytes"),
            overflow,
            dead_letter_exchange: short("x-dead-letter-exchange"),
            dead_letter_routing_key: short("x-dead-letter-routing-key"),
            max_priority: uint("x-max-priority").map(|n| n.min(255) as u8),
            single_active_consumer: args
                .get("x-single-active-consumer")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        })
    }

    /// Whether a queue holding `len` ready messages of `bytes` body bytes is over its limits.
    pub fn over_limit(&self, len: usize, bytes: usize) -> bool {
        self.max_length.is_some_and(|m| len as u64 > m)
            || self.max_length_bytes.is_some_and(|m| bytes as u64 > m)
    }

    /// Whether the queue has a length limit at all.
    pub fn has_limit(&self) -> bool {
        self.max_length.is_some() || self.max_length_bytes.is_some()
    }
}

/// How RabbitMQ shows one side of an inequivalent argument: bare when both sides are present,
/// with its type when the other side is missing.
fn shown(v: Option<&FieldValue>, bare: bool) -> String {
    match v {
        None => "none".into(),
        Some(v) if bare => format!("'{}'", erlang_term(v)),
        Some(v) => format!("the value '{}' of type '{}'", erlang_term(v), type_name(v)),
    }
}

/// Numeric equality across integer and float widths (Erlang's `==`).
fn loosely_equal(a: &FieldValue, b: &FieldValue) -> bool {
    let num = |v: &FieldValue| -> Option<f64> {
        match v {
            FieldValue::Float(f) => Some(f64::from(*f)),
            FieldValue::Double(d) => Some(*d),
            FieldValue::Decimal(_) | FieldValue::Timestamp(_) => None,
            other => other.as_i64().map(|n| n as f64),
        }
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Redeclare check: the arguments a classic queue knows must be equivalent (integers of any
/// width are); other arguments are not compared. 406 in RabbitMQ's words otherwise.
pub fn check_equivalence(
    name: &ShortString,
    vhost: &str,
    current: &FieldTable,
    received: &FieldTable,
) -> AmqpResult {
    for key in EQUIVALENCE_KEYS {
        let (cur, new) = (current.get(key), received.get(key));
        let ok = match (cur, new) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a == b || (type_class(a) == type_class(b) && loosely_equal(a, b)) || {
                    // Erlang compares the bare values last: 1000 == 1000.0.
                    loosely_equal(a, b) && a.as_str().is_none() && b.as_str().is_none()
                }
            }
            _ => false,
        };
        if !ok {
            let bare = cur.is_some() && new.is_some();
            return Err(inequivalent(
                key,
                name,
                vhost,
                &shown(new, bare),
                &shown(cur, bare),
            ));
        }
    }
    Ok(())
}

fn inequivalent(
    key: &str,
    name: &ShortString,
    vhost: &str,
    received: &str,
    current: &str,
) -> AmqpException {
    precondition_failed(format!(
        "inequivalent arg '{key}' for {}: received {received} but current is {current}",
        resource(name, vhost)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, FieldValue)]) -> FieldTable {
        let mut t = FieldTable::new();
        for (k, v) in entries {
            t.insert(k, v.clone()).unwrap();
        }
        t
    }

    fn name() -> ShortString {
        ShortString::from_static("q")
    }

    fn err(args: &[(&str, FieldValue)]) -> String {
        QueueArgs::parse(&name(), "/", &table(args))
            .unwrap_err()
            .text
    }

    #[test]
    fn texts_match_rabbitmq() {
        assert_eq!(
            err(&[("x-message-ttl", FieldValue::LongInt(-1))]),
            "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_negative,-1}"
        );
        assert_eq!(
            err(&[("x-expires", "x".into())]),
            "PRECONDITION_FAILED - invalid arg 'x-expires' for queue 'q' in vhost '/': \"expected integer, got longstr\""
        );
        assert_eq!(
            err(&[("x-expires", FieldValue::LongInt(0))]),
            "PRECONDITION_FAILED - invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}"
        );
        assert_eq!(
            err(&[("x-overflow", FieldValue::LongInt(5))]),
            "PRECONDITION_FAILED - invalid arg 'x-overflow' for queue 'q' in vhost '/': {unacceptable_type,signedint}"
        );
        assert_eq!(
            err(&[("x-dead-letter-exchange", FieldValue::LongInt(5))]),
            "PRECONDITION_FAILED - invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'"
        );
        assert_eq!(
            err(&[("x-dead-letter-routing-key", "k".into())]),
            "PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': routing_key_but_no_dlx_defined"
        );
        assert_eq!(
            err(&[("x-max-priority", FieldValue::LongInt(256))]),
            "PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue 'q' in vhost '/': {max_value_exceeded,256}"
        );
        assert_eq!(
            err(&[("x-message-ttl", FieldValue::LongLongInt(315_360_000_001))]),
            "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_too_large,315360000001}"
        );
        // Validators run in RabbitMQ's order, not the table's.
        assert!(err(&[
            ("x-max-length", FieldValue::LongInt(-1)),
            ("x-message-ttl", FieldValue::LongInt(-1)),
        ])
        .contains("'x-message-ttl'"));
    }

    #[test]
    fn parses_settings() {
        let a = QueueArgs::parse(
            &name(),
            "/",
            &table(&[
                ("x-message-ttl", FieldValue::ShortUInt(100)),
                ("x-max-length", FieldValue::LongLongInt(3)),
                ("x-overflow", "reject-publish-dlx".into()),
                ("x-dead-letter-exchange", "".into()),
                ("x-max-priority", FieldValue::ShortShortUInt(10)),
                ("x-single-active-consumer", true.into()),
                ("x-unknown", "whatever".into()),
            ]),
        )
        .unwrap();
        assert_eq!(a.message_ttl, Some(100));
        assert_eq!(a.max_length, Some(3));
        assert_eq!(a.overflow, Overflow::RejectPublishDlx);
        assert_eq!(a.dead_letter_exchange, Some(ShortString::empty()));
        assert_eq!(a.max_priority, Some(10));
        assert!(a.single_active_consumer);
    }

    #[test]
    fn equivalence_like_rabbitmq() {
        let cur = table(&[("x-max-length", FieldValue::LongInt(10))]);
        let ok = |new: &FieldTable| check_equivalence(&name(), "/", &cur, new);
        assert!(ok(&table(&[("x-max-length", FieldValue::LongLongInt(10))])).is_ok());
        assert!(ok(&table(&[
            ("x-max-length", FieldValue::LongInt(10)),
            ("x-foo", "bar".into())
        ]))
        .is_ok());
        assert_eq!(
            ok(&table(&[("x-max-length", FieldValue::LongInt(20))])).unwrap_err().text,
            "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received '20' but current is '10'"
        );
        assert_eq!(
            ok(&FieldTable::new()).unwrap_err().text,
            "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received none but current is the value '10' of type 'signedint'"
        );
        assert!(ok(&table(&[("x-max-length", "10".into())])).is_err());
    }
}
