//! The headers exchange: `x-match` `all`/`any` (ignoring `x-` keys) and `all-with-x`/`any-with-x`.

use warren_core::codec::{FieldTable, FieldValue};

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

/// Equality as RabbitMQ compares header values: numbers by value across integer widths.
fn values_equal(a: &FieldValue, b: &FieldValue) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
