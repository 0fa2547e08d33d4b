//! A published message as the broker keeps it: shared by every queue it was routed to.

use std::sync::Arc;

use bytes::Bytes;
use warren_core::codec::{BasicProperties, ShortString};

/// One published message. Immutable once routed; queues share it through [`MessageRef`], and
/// the body is the `Bytes` read from the publisher's socket, written unchanged to consumers.
#[derive(Debug)]
pub struct Message {
    /// Exchange it was published to.
    pub exchange: ShortString,
    /// Routing key it was published with.
    pub routing_key: ShortString,
    /// Its properties.
    pub properties: BasicProperties,
    /// Its body.
    pub body: Bytes,
}

/// A shared message.
pub type MessageRef = Arc<Message>;

/// The longest TTL or expiry RabbitMQ accepts, in milliseconds (ten years).
pub const MAX_EXPIRY_MS: u64 = 315_360_000_000;

impl Message {
    /// Whether the publisher asked for persistence (`delivery_mode` 2).
    pub fn is_persistent(&self) -> bool {
        self.properties.delivery_mode == Some(2)
    }
}

/// Why an `expiration` property is refused, in RabbitMQ's words (an Erlang term).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidExpiration(pub String);

/// Parses the `expiration` property as RabbitMQ does (`string:to_integer`, then the expiry
/// range check): `Ok(None)` when absent, the TTL in milliseconds, or why it is invalid.
pub fn parse_expiration(properties: &BasicProperties) -> Result<Option<u64>, InvalidExpiration> {
    let Some(exp) = &properties.expiration else {
        return Ok(None);
    };
    let s = exp.as_bytes();
    let (negative, rest) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(InvalidExpiration("no_integer".into()));
    }
    if digits < rest.len() {
        let left = String::from_utf8_lossy(&rest[digits..]);
        return Err(InvalidExpiration(format!("{{leftover_string,{left:?}}}")));
    }
    let text = std::str::from_utf8(&rest[..digits]).unwrap_or("0");
    let trimmed = text.trim_start_matches('0');
    let shown = if trimmed.is_empty() { "0" } else { trimmed };
    if negative && shown != "0" {
        return Err(InvalidExpiration(format!("{{value_negative,-{shown}}}")));
    }
    match text.parse::<u64>() {
        Ok(n) if n <= MAX_EXPIRY_MS => Ok(Some(n)),
        _ => Err(InvalidExpiration(format!("{{value_too_large,{shown}}}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warren_core::codec::ShortString;

    fn parse(s: &str) -> Result<Option<u64>, InvalidExpiration> {
        parse_expiration(&BasicProperties {
            expiration: Some(ShortString::try_from(s).unwrap()),
            ..Default::default()
        })
    }

    #[test]
    fn expiration_like_rabbitmq() {
        assert_eq!(parse("0"), Ok(Some(0)));
        assert_eq!(parse("+5"), Ok(Some(5)));
        assert_eq!(parse("007"), Ok(Some(7)));
        assert_eq!(parse("315360000000"), Ok(Some(315_360_000_000)));
        let e = |s: &str| parse(s).unwrap_err().0;
        assert_eq!(e("abc"), "no_integer");
        assert_eq!(e(""), "no_integer");
        assert_eq!(e(" 5"), "no_integer");
        assert_eq!(e("-1"), "{value_negative,-1}");
        assert_eq!(e("10x"), "{leftover_string,\"x\"}");
        assert_eq!(e("5 "), "{leftover_string,\" \"}");
        assert_eq!(e("1.5"), "{leftover_string,\".5\"}");
        assert_eq!(e("315360000001"), "{value_too_large,315360000001}");
        assert_eq!(
            e("99999999999999999999"),
            "{value_too_large,99999999999999999999}"
        );
    }
}
