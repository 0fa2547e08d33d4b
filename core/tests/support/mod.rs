//! Proptest strategies for the codec's property tests: strings, nested field tables and arrays
//! with every field type, basic properties, and (generated from the spec) every method.

#![allow(dead_code)]

use bytes::Bytes;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use warren_core::codec::{
    BasicProperties, Decimal, FieldTable, FieldValue, LongString, ShortString,
};

#[rustfmt::skip]
mod arbitrary_methods;

pub use arbitrary_methods::{any_method, method_strategies};

/// Arbitrary octets, mostly short, sometimes up to `max` long.
fn any_octets(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => vec(any::<u8>(), 0..16),
        1 => vec(any::<u8>(), 0..=max),
    ]
}

/// A short string of 0 to 255 arbitrary octets (not necessarily UTF-8).
pub fn any_short_string() -> impl Strategy<Value = ShortString> {
    any_octets(ShortString::MAX_LEN).prop_map(|v| ShortString::new(v).expect("at most 255 octets"))
}

/// A long string of arbitrary octets.
pub fn any_long_string() -> impl Strategy<Value = LongString> {
    any_octets(600).prop_map(LongString::from)
}

/// A 32-bit float: ordinary values, infinities, and NaNs with arbitrary payloads and signs.
fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>(),
        any::<u32>().prop_map(f32::from_bits),
        Just(f32::NAN),
        Just(-f32::NAN),
        Just(-0.0f32),
    ]
}

/// A 64-bit float: ordinary values, infinities, and NaNs with arbitrary payloads and signs.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        any::<u64>().prop_map(f64::from_bits),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(-0.0f64),
    ]
}

/// A field value that is not an array or table: every other RabbitMQ type.
pub fn any_scalar_value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        any::<bool>().prop_map(FieldValue::Boolean),
        any::<i8>().prop_map(FieldValue::ShortShortInt),
        any::<u8>().prop_map(FieldValue::ShortShortUInt),
        any::<i16>().prop_map(FieldValue::ShortInt),
        any::<u16>().prop_map(FieldValue::ShortUInt),
        any::<i32>().prop_map(FieldValue::LongInt),
        any::<u32>().prop_map(FieldValue::LongUInt),
        any::<i64>().prop_map(FieldValue::LongLongInt),
        any::<u64>().prop_map(FieldValue::LongLongUInt),
        any_f32().prop_map(FieldValue::Float),
        any_f64().prop_map(FieldValue::Double),
        (any::<u8>(), any::<u32>())
            .prop_map(|(scale, value)| FieldValue::Decimal(Decimal { scale, value })),
        any_long_string().prop_map(FieldValue::LongString),
        any::<u64>().prop_map(FieldValue::Timestamp),
        Just(FieldValue::Void),
        any_octets(64).prop_map(|v| FieldValue::ByteArray(Bytes::from(v))),
    ]
}

fn table_of(
    values: impl Strategy<Value = FieldValue>,
    max_len: usize,
) -> impl Strategy<Value = FieldTable> {
    btree_map(any_short_string(), values, 0..max_len).prop_map(FieldTable::from_iter)
}

/// Any field value, arrays and tables nested a few levels deep.
pub fn any_field_value() -> impl Strategy<Value = FieldValue> {
    any_scalar_value().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(FieldValue::Array),
            table_of(inner, 6).prop_map(FieldValue::Table),
        ]
    })
}

/// A field table whose values may be nested tables and arrays of every type.
pub fn any_table() -> impl Strategy<Value = FieldTable> {
    table_of(any_field_value(), 8)
}

/// Basic properties with each of the 14 present or absent independently.
pub fn any_properties() -> impl Strategy<Value = BasicProperties> {
    use proptest::option::of;
    (
        (
            of(any_short_string()),
            of(any_short_string()),
            of(any_table()),
            of(any::<u8>()),
            of(any::<u8>()),
            of(any_short_string()),
            of(any_short_string()),
        ),
        (
            of(any_short_string()),
            of(any_short_string()),
            of(any::<u64>()),
            of(any_short_string()),
            of(any_short_string()),
            of(any_short_string()),
            of(any_short_string()),
        ),
    )
        .prop_map(
            |(
                (
                    content_type,
                    content_encoding,
                    headers,
                    delivery_mode,
                    priority,
                    correlation_id,
                    reply_to,
                ),
                (expiration, message_id, timestamp, kind, user_id, app_id, cluster_id),
            )| BasicProperties {
                content_type,
                content_encoding,
                headers,
                delivery_mode,
                priority,
                correlation_id,
                reply_to,
                expiration,
                message_id,
                timestamp,
                kind,
                user_id,
                app_id,
                cluster_id,
            },
        )
}

/// Which of the 14 properties are present, in flag order (content-type first, bit 15).
pub fn present_properties(p: &BasicProperties) -> [bool; 14] {
    [
        p.content_type.is_some(),
        p.content_encoding.is_some(),
        p.headers.is_some(),
        p.delivery_mode.is_some(),
        p.priority.is_some(),
        p.correlation_id.is_some(),
        p.reply_to.is_some(),
        p.expiration.is_some(),
        p.message_id.is_some(),
        p.timestamp.is_some(),
        p.kind.is_some(),
        p.user_id.is_some(),
        p.app_id.is_some(),
        p.cluster_id.is_some(),
    ]
}
