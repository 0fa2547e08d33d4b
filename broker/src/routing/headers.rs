//! The headers exchange: `x-match` `all`/`any` (ignoring `x-` keys) and `all-with-x`/`any-with-x`.

use warren_core::codec::{FieldTable, FieldValue};

use crate::error::{precondition_failed, AmqpResult};

/// How a headers binding matches, from its `x-match` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadersMatch {
    /// Every binding key must be present with an equal value (`x-` keys ignored).
    All,
    /// At least one binding key must match (`x-` keys ignored).
    Any,
    /// Like `All`, including `x-` keys.
    AllWithX,
    /// Like `Any`, including `x-` keys.
    AnyWithX,
}

impl HeadersMatch {
    /// Reads `x-match` from binding arguments; `None` means the value is invalid.
    pub fn from_arguments(args: &FieldTable) -> Option<HeadersMatch> {
        match args.get("x-match") {
            None => Some(HeadersMatch::All),
            Some(v) => match v.as_str()?.as_ref() {
                "all" => Some(HeadersMatch::All),
                "any" => Some(HeadersMatch::Any),
                "all-with-x" => Some(HeadersMatch::AllWithX),
                "any-with-x" => Some(HeadersMatch::AnyWithX),
                _ => None,
            },
        }
    }
}

/// Checks a headers binding's `x-match` as RabbitMQ does (406 with its texts): absent, or a
/// long string `all`, `any`, `all-with-x` or `any-with-x`.
pub fn check_binding(args: &FieldTable) -> AmqpResult {
    let Some(v) = args.get("x-match") else {
        return Ok(());
    };
    if HeadersMatch::from_arguments(args).is_some() {
        return Ok(());
    }
    Err(precondition_failed(match v {
        FieldValue::LongString(s) => format!(
            "Invalid x-match field value {}; expected all, any, all-with-x, or any-with-x",
            erlang_binary(s.as_bytes())
        ),
        other => format!(
            "Invalid x-match field type {} (value {}); expected longstr",
            super::type_name(other),
            erlang_term(other)
        ),
    }))
}

/// A binary as Erlang's `~p` prints it: `<<"text">>`, or its bytes when not printable.
fn erlang_binary(b: &[u8]) -> String {
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        let text: String = b
            .iter()
            .flat_map(|&c| match c {
                b'"' => vec!['\\', '"'],
                b'\\' => vec!['\\', '\\'],
                c => vec![char::from(c)],
            })
            .collect();
        format!("<<\"{text}\">>")
    } else {
        let bytes: Vec<String> = b.iter().map(u8::to_string).collect();
        format!("<<{}>>", bytes.join(","))
    }
}

/// A decoded field value roughly as Erlang's `~p` prints it.
fn erlang_term(v: &FieldValue) -> String {
    match v {
        FieldValue::Boolean(b) => b.to_string(),
        FieldValue::Float(f) => f.to_string(),
        FieldValue::Double(d) => d.to_string(),
        FieldValue::Timestamp(t) => t.to_string(),
        FieldValue::ByteArray(b) => erlang_binary(b),
        FieldValue::Void => "undefined".into(),
        other => match other.as_i64() {
            Some(n) => n.to_string(),
            None => format!("{other:?}"),
        },
    }
}

/// Whether a message's `headers` match a binding's arguments, as RabbitMQ decides it. A `void`
/// binding value only requires the key to be present.
pub fn matches(binding: &FieldTable, mode: HeadersMatch, headers: Option<&FieldTable>) -> bool {
    let with_x = matches!(mode, HeadersMatch::AllWithX | HeadersMatch::AnyWithX);
    let all = matches!(mode, HeadersMatch::All | HeadersMatch::AllWithX);
    let mut considered = binding.iter().filter(|(k, _)| {
        k.as_bytes() != b"x-match" && (with_x || !k.as_bytes().starts_with(b"x-"))
    });
    let hit = |(k, v): (&warren_core::codec::ShortString, &FieldValue)| {
        let Some(h) = headers.and_then(|h| h.get(&k.as_str())) else {
            return false;
        };
        matches!(v, FieldValue::Void) || values_equal(v, h)
    };
    if all {
        considered.all(hit)
    } else {
        considered.any(hit)
    }
}

/// Equality as RabbitMQ 3.10 compares header values: it decodes both and compares the values
/// with Erlang's `==`, ignoring the wire types. So every integer width, timestamps and floats
/// compare as numbers (`1 == 1.0`), a long string equals a byte array with the same bytes, and
/// anything else (booleans, decimals, tables, arrays, void) only equals the same kind of value.
fn values_equal(a: &FieldValue, b: &FieldValue) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.equals(y),
        (Some(_), None) | (None, Some(_)) => false,
        (None, None) => match (bytes(a), bytes(b)) {
            (Some(x), Some(y)) => x == y,
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => a == b,
        },
    }
}

#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    fn equals(self, other: Number) -> bool {
        match (self, other) {
            (Number::Int(x), Number::Int(y)) => x == y,
            (Number::Float(x), Number::Float(y)) => x == y,
            // Exact, as Erlang compares an integer with a float.
            (Number::Int(i), Number::Float(f)) | (Number::Float(f), Number::Int(i)) => {
                f.fract() == 0.0 && f.abs() < 1e38 && f as i128 == i
            }
        }
    }
}

fn number(v: &FieldValue) -> Option<Number> {
    Some(match *v {
        FieldValue::Float(f) => Number::Float(f64::from(f)),
        FieldValue::Double(d) => Number::Float(d),
        FieldValue::Timestamp(t) => Number::Int(i128::from(t)),
        ref other => Number::Int(i128::from(other.as_i64()?)),
    })
}

fn bytes(v: &FieldValue) -> Option<&[u8]> {
    match v {
        FieldValue::LongString(s) => Some(s.as_bytes()),
        FieldValue::ByteArray(b) => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use warren_core::codec::{Decimal as Dec, LongString as Long};

    use super::*;

    #[test]
    fn x_match_is_checked_with_rabbitmqs_texts() {
        let mut t = FieldTable::new();
        assert!(check_binding(&t).is_ok());
        for ok in ["all", "any", "all-with-x", "any-with-x"] {
            t.insert("x-match", ok).unwrap();
            assert!(check_binding(&t).is_ok());
        }
        t.insert("x-match", "ALL").unwrap();
        assert_eq!(
            check_binding(&t).unwrap_err().text,
            "PRECONDITION_FAILED - Invalid x-match field value <<\"ALL\">>; expected all, any, all-with-x, or any-with-x"
        );
        t.insert("x-match", FieldValue::LongInt(1)).unwrap();
        assert_eq!(
            check_binding(&t).unwrap_err().text,
            "PRECONDITION_FAILED - Invalid x-match field type signedint (value 1); expected longstr"
        );
    }

    #[test]
    fn values_compare_like_rabbitmq() {
        use FieldValue::*;
        let one = [
            ShortShortInt(1),
            ShortShortUInt(1),
            ShortInt(1),
            ShortUInt(1),
            LongInt(1),
            LongUInt(1),
            LongLongInt(1),
            Timestamp(1),
            Float(1.0),
            Double(1.0),
        ];
        for a in &one {
            for b in &one {
                assert!(values_equal(a, b), "{a:?} == {b:?}");
            }
        }
        let s = LongString(Long::from("1"));
        let x = ByteArray(Bytes::from_static(b"1"));
        assert!(values_equal(&s, &x));
        for other in [
            &s,
            &Boolean(true),
            &Decimal(Dec { scale: 0, value: 1 }),
            &Double(1.5),
            &LongInt(2),
            &Void,
        ] {
            assert!(!values_equal(&LongInt(1), other), "1 != {other:?}");
        }
        assert!(values_equal(&Double(1.5), &Float(1.5)));
        assert!(!values_equal(&Double(f64::NAN), &Double(f64::NAN)));
        assert!(values_equal(&Boolean(true), &Boolean(true)));
        assert!(!values_equal(&Boolean(true), &s));
        assert!(values_equal(&Void, &Void));
        assert!(values_equal(&LongLongInt(i64::MAX), &LongLongInt(i64::MAX)));
        assert!(values_equal(&Timestamp(u64::MAX), &Timestamp(u64::MAX)));
        assert!(!values_equal(&Timestamp(u64::MAX), &LongLongInt(-1)));
    }
}
