//! PHP values ⇄ AMQP field values, tables and basic properties, encoded exactly as
//! php-amqplib encodes them (its "rabbit" field types, the default), so that a table sent by
//! this extension and by php-amqplib are the same bytes:
//!
//! | PHP | AMQP |
//! |---|---|
//! | `string` | `S` long string |
//! | `int` | `I` if it fits 32 bits, else `l` |
//! | `float` | `S`, the float as PHP's `strval()` writes it (php-amqplib does this) |
//! | `bool` / `null` | `t` / `V` |
//! | `DateTimeInterface` | `T` timestamp |
//! | `PhpAmqpLib\Wire\AMQPDecimal` | `D` |
//! | list (keys 0..n-1, or empty) / other array | `A` array / `F` table |
//! | `PhpAmqpLib\Wire\AMQPTable`, `AMQPArray` | their own per-entry types |
//!
//! Received values come back as php-amqplib's `getNativeData()` returns them: integers of
//! any width as `int`, `f`/`d` as `float`, `T` as `DateTime`, `D` as `AMQPDecimal` (when that
//! class can be loaded, else its decimal text), tables and arrays as PHP arrays, `V` as null.

use bytes::Bytes;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::types::{ArrayKey, ZendHashTable, ZendObject, ZendStr, Zval};
use ext_php_rs::zend::ClassEntry;
use warren_core::codec::{
    BasicProperties, Decimal, FieldTable, FieldValue, LongString, ShortString,
};
use warren_core::error::Error;

use crate::errors::CoreResult;

/// Deepest nesting accepted from PHP (a PHP array can contain itself by reference).
const MAX_DEPTH: usize = 64;

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

/// Whether `obj` is an instance of the class named `name` (or a subclass), without loading
/// anything: an object of a class that was never loaded cannot be one.
pub(crate) fn is_a(obj: &ZendObject, name: &str) -> bool {
    let mut ce: Option<&ClassEntry> = Some(obj.get_class_entry());
    while let Some(c) = ce {
        if c.name().is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            return true;
        }
        if let Some(ifaces) = c.interfaces() {
            for i in ifaces {
                if i.name().is_some_and(|n| n.eq_ignore_ascii_case(name)) {
                    return true;
                }
            }
        }
        ce = c.parent();
    }
    false
}

/// The bytes of a PHP array key.
fn key_bytes(key: &ArrayKey<'_>) -> Vec<u8> {
    match key {
        ArrayKey::Long(i) => i.to_string().into_bytes(),
        ArrayKey::String(s) => s.clone().into_bytes(),
        ArrayKey::Str(s) => s.as_bytes().to_vec(),
        ArrayKey::ZendString(s) => s.as_bytes().to_vec(),
    }
}

fn short_string(bytes: &[u8], what: &str) -> CoreResult<ShortString> {
    ShortString::new(Bytes::copy_from_slice(bytes))
        .map_err(|e| bad(format!("{what} is longer than 255 bytes ({} bytes)", e.0)))
}

/// A PHP string's bytes (binary-safe).
pub(crate) fn string_bytes(zv: &Zval) -> Option<&[u8]> {
    zv.zend_str().map(|s| s.as_bytes())
}

/// A PHP string holding `bytes` (binary-safe).
pub(crate) fn bytes_zval(bytes: &[u8]) -> Zval {
    let mut zv = Zval::new();
    zv.set_zend_string(ZendStr::new(bytes, false));
    zv
}

/// `strval($f)`, PHP's own float-to-string (php-amqplib sends floats as that string).
fn php_float_string(f: f64) -> CoreResult<Vec<u8>> {
    let strval = ext_php_rs::types::ZendCallable::try_from_name("strval")
        .map_err(|e| bad(format!("strval unavailable: {e}")))?;
    let out = strval
        .try_call(vec![&f])
        .map_err(|e| bad(format!("strval failed: {e}")))?;
    string_bytes(&out)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| bad("strval returned no string"))
}

/// Whether a PHP array is a list (empty, or keys exactly 0..n-1 in order), as php-amqplib
/// decides between `A` and `F`.
fn is_list(ht: &ZendHashTable) -> bool {
    ht.iter()
        .enumerate()
        .all(|(i, (k, _))| matches!(k, ArrayKey::Long(n) if n == i as i64))
}

/// A PHP array or `AMQPTable` as a field table (used for `arguments` and `headers`).
pub(crate) fn table_from_zval(zv: &Zval) -> CoreResult<FieldTable> {
    let zv = zv.dereference();
    if zv.is_null() {
        return Ok(FieldTable::new());
    }
    if let Some(ht) = zv.array() {
        return table_from_array(ht, 0);
    }
    if let Some(obj) = zv.object() {
        if is_a(obj, "PhpAmqpLib\\Wire\\AMQPTable") {
            return match collection(obj, 0)? {
                FieldValue::Table(t) => Ok(t),
                _ => Err(bad("an AMQPTable did not iterate as a table")),
            };
        }
    }
    Err(bad(format!(
        "a field table must be an array or an AMQPTable, not {}",
        type_name(zv)
    )))
}

/// A PHP array as a field table.
pub(crate) fn table_from_array(ht: &ZendHashTable, depth: usize) -> CoreResult<FieldTable> {
    let mut table = FieldTable::new();
    for (key, value) in ht.iter() {
        let key = short_string(&key_bytes(&key), "a field table key")?;
        table.insert_key(key, value_from_php(value, depth + 1)?);
    }
    Ok(table)
}

fn type_name(zv: &Zval) -> String {
    match zv.object() {
        Some(obj) => obj.get_class_name().unwrap_or_else(|_| "object".into()),
        None => format!("{:?}", zv.get_type()).to_lowercase(),
    }
}

/// One PHP value as a field value, by php-amqplib's rules (see the module doc).
pub(crate) fn value_from_php(zv: &Zval, depth: usize) -> CoreResult<FieldValue> {
    if depth > MAX_DEPTH {
        return Err(bad("field table nested too deeply (a recursive array?)"));
    }
    let zv = zv.dereference();
    if let Some(b) = string_bytes(zv) {
        return Ok(FieldValue::LongString(LongString(Bytes::copy_from_slice(
            b,
        ))));
    }
    if zv.is_double() {
        let f = zv.double().unwrap_or_default();
        return Ok(FieldValue::LongString(LongString(Bytes::from(
            php_float_string(f)?,
        ))));
    }
    if let Some(i) = zv.long() {
        return Ok(match i32::try_from(i) {
            Ok(small) => FieldValue::LongInt(small),
            Err(_) => FieldValue::LongLongInt(i),
        });
    }
    if let Some(b) = zv.bool() {
        return Ok(FieldValue::Boolean(b));
    }
    if zv.is_null() {
        return Ok(FieldValue::Void);
    }
    if let Some(ht) = zv.array() {
        return if is_list(ht) {
            ht.values()
                .map(|v| value_from_php(v, depth + 1))
                .collect::<CoreResult<Vec<_>>>()
                .map(FieldValue::Array)
        } else {
            table_from_array(ht, depth).map(FieldValue::Table)
        };
    }
    if let Some(obj) = zv.object() {
        if is_a(obj, "DateTimeInterface") {
            return timestamp_of(obj).map(FieldValue::Timestamp);
        }
        if is_a(obj, "PhpAmqpLib\\Wire\\AMQPDecimal") {
            return decimal_of(obj).map(FieldValue::Decimal);
        }
        if is_a(obj, "PhpAmqpLib\\Wire\\AMQPAbstractCollection") {
            return collection(obj, depth);
        }
    }
    Err(bad(format!(
        "a value of type {} has no AMQP field type",
        type_name(zv)
    )))
}

fn call(obj: &ZendObject, method: &str) -> CoreResult<Zval> {
    obj.try_call_method(method, vec![])
        .map_err(|e| bad(format!("{method}() failed: {e}")))
}

fn timestamp_of(obj: &ZendObject) -> CoreResult<u64> {
    let ts = call(obj, "getTimestamp")?
        .long()
        .ok_or_else(|| bad("getTimestamp() returned no int"))?;
    // Negative timestamps are sent as their 64 bits, as php-amqplib's pack('J') does.
    Ok(ts as u64)
}

fn decimal_of(obj: &ZendObject) -> CoreResult<Decimal> {
    let scale = call(obj, "getE")?
        .coerce_to_long()
        .ok_or_else(|| bad("AMQPDecimal::getE() returned no number"))?;
    let value = call(obj, "getN")?
        .coerce_to_long()
        .ok_or_else(|| bad("AMQPDecimal::getN() returned no number"))?;
    let scale = u8::try_from(scale).map_err(|_| bad("decimal scale must be 0..255"))?;
    // php-amqplib writes the value as a signed 32-bit long.
    let value = i32::try_from(value).map_err(|_| bad("decimal value must fit 32 bits"))?;
    Ok(Decimal {
        scale,
        value: value as u32,
    })
}

/// An `AMQPTable` or `AMQPArray` (php-amqplib's typed collections): each entry iterates as
/// `[type, value]`, with php-amqplib's abstract type constants.
fn collection(obj: &ZendObject, depth: usize) -> CoreResult<FieldValue> {
    if depth > MAX_DEPTH {
        return Err(bad("field table nested too deeply"));
    }
    let is_table = is_a(obj, "PhpAmqpLib\\Wire\\AMQPTable");
    let mut table = FieldTable::new();
    let mut array = Vec::new();
    call(obj, "rewind")?;
    while call(obj, "valid")?.bool().unwrap_or(false) {
        let key = call(obj, "key")?;
        let entry = call(obj, "current")?;
        let pair = entry
            .array()
            .ok_or_else(|| bad("a collection entry is not a [type, value] pair"))?;
        let (Some(ty), Some(val)) = (pair.get_index(0), pair.get_index(1)) else {
            return Err(bad("a collection entry is not a [type, value] pair"));
        };
        let ty = ty
            .long()
            .ok_or_else(|| bad("a collection entry's type is not an int"))?;
        let value = typed_value(ty, val, depth + 1)?;
        if is_table {
            let k = match string_bytes(&key) {
                Some(b) => b.to_vec(),
                None => key.coerce_to_string().unwrap_or_default().into_bytes(),
            };
            table.insert_key(short_string(&k, "a field table key")?, value);
        } else {
            array.push(value);
        }
        call(obj, "next")?;
    }
    Ok(if is_table {
        FieldValue::Table(table)
    } else {
        FieldValue::Array(array)
    })
}

/// A value with php-amqplib's explicit type (`AMQPAbstractCollection::T_*`).
fn typed_value(ty: i64, val: &Zval, depth: usize) -> CoreResult<FieldValue> {
    let val = val.dereference();
    let int = || {
        val.coerce_to_long()
            .ok_or_else(|| bad(format!("type {ty} needs an integer")))
    };
    let narrow = |what: &str| bad(format!("value out of range for {what}"));
    Ok(match ty {
        1 => FieldValue::ShortShortInt(i8::try_from(int()?).map_err(|_| narrow("b"))?),
        2 => FieldValue::ShortShortUInt(u8::try_from(int()?).map_err(|_| narrow("B"))?),
        3 => FieldValue::ShortInt(i16::try_from(int()?).map_err(|_| narrow("s"))?),
        4 => FieldValue::ShortUInt(u16::try_from(int()?).map_err(|_| narrow("u"))?),
        5 => FieldValue::LongInt(i32::try_from(int()?).map_err(|_| narrow("I"))?),
        6 => FieldValue::LongUInt(u32::try_from(int()?).map_err(|_| narrow("i"))?),
        7 => FieldValue::LongLongInt(int()?),
        8 => FieldValue::LongLongUInt(int()? as u64),
        9 => match val.object() {
            Some(o) => FieldValue::Decimal(decimal_of(o)?),
            None => return Err(bad("decimal values must be AMQPDecimal")),
        },
        10 => match val.object() {
            Some(o) => FieldValue::Timestamp(timestamp_of(o)?),
            None => FieldValue::Timestamp(int()? as u64),
        },
        11 => FieldValue::Void,
        12 => FieldValue::Boolean(val.coerce_to_bool()),
        13 | 14 => FieldValue::LongString(LongString(Bytes::from(match string_bytes(val) {
            Some(b) => b.to_vec(),
            None => val.coerce_to_string().unwrap_or_default().into_bytes(),
        }))),
        15 | 16 => match val.object() {
            Some(o) => collection(o, depth)?,
            None => value_from_php(val, depth)?,
        },
        17 => FieldValue::ByteArray(Bytes::copy_from_slice(
            string_bytes(val).ok_or_else(|| bad("byte arrays must be strings"))?,
        )),
        18 => FieldValue::Float(
            val.coerce_to_double()
                .ok_or_else(|| bad("type f needs a number"))? as f32,
        ),
        19 => FieldValue::Double(
            val.coerce_to_double()
                .ok_or_else(|| bad("type d needs a number"))?,
        ),
        other => return Err(bad(format!("unknown field type {other}"))),
    })
}

/// A field table as a PHP array (keys in the order received).
pub(crate) fn table_to_php(table: &FieldTable) -> Zval {
    let mut ht = ZendHashTable::with_capacity(table.len() as u32);
    for (k, v) in table.iter() {
        let _ = ht.insert(k.as_str().as_ref(), value_to_php(v));
    }
    let mut zv = Zval::new();
    zv.set_hashtable(ht);
    zv
}

fn new_object(class: &str, args: Vec<&dyn ext_php_rs::convert::IntoZvalDyn>) -> Option<Zval> {
    let ce = ClassEntry::try_find(class)?;
    let obj: ZBox<ZendObject> = ZendObject::new(ce);
    obj.try_call_method("__construct", args).ok()?;
    obj.into_zval(false).ok()
}

/// One field value as PHP sees it (see the module doc).
pub(crate) fn value_to_php(v: &FieldValue) -> Zval {
    let mut zv = Zval::new();
    match v {
        FieldValue::Boolean(b) => zv.set_bool(*b),
        FieldValue::ShortShortInt(i) => zv.set_long(i64::from(*i)),
        FieldValue::ShortShortUInt(i) => zv.set_long(i64::from(*i)),
        FieldValue::ShortInt(i) => zv.set_long(i64::from(*i)),
        FieldValue::ShortUInt(i) => zv.set_long(i64::from(*i)),
        FieldValue::LongInt(i) => zv.set_long(i64::from(*i)),
        FieldValue::LongUInt(i) => zv.set_long(i64::from(*i)),
        FieldValue::LongLongInt(i) => zv.set_long(*i),
        FieldValue::LongLongUInt(i) => zv.set_long(*i as i64),
        FieldValue::Float(f) => zv.set_double(f64::from(*f)),
        FieldValue::Double(f) => zv.set_double(*f),
        FieldValue::Decimal(d) => {
            let n = d.value as i32;
            let e = i64::from(d.scale);
            return new_object("PhpAmqpLib\\Wire\\AMQPDecimal", vec![&i64::from(n), &e])
                .unwrap_or_else(|| bytes_zval(decimal_text(n, d.scale).as_bytes()));
        }
        FieldValue::LongString(s) => return bytes_zval(s.as_bytes()),
        FieldValue::ByteArray(b) => return bytes_zval(b),
        FieldValue::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(items.len() as u32);
            for item in items {
                let _ = ht.push(value_to_php(item));
            }
            zv.set_hashtable(ht);
        }
        FieldValue::Table(t) => return table_to_php(t),
        FieldValue::Timestamp(ts) => {
            let at = format!("@{}", *ts as i64);
            return new_object("DateTime", vec![&at]).unwrap_or_else(|| {
                let mut z = Zval::new();
                z.set_long(*ts as i64);
                z
            });
        }
        FieldValue::Void => zv.set_null(),
        // The codec may learn new types; show them as null rather than fail the message.
        #[allow(unreachable_patterns)]
        _ => zv.set_null(),
    }
    zv
}

/// A field table with its types: each entry `[type letter, value]`, nested arrays and tables
/// typed the same way, timestamps as integers. For code that re-sends headers with exactly
/// the types received (php-amqplib's `AMQPTable`, which the compatibility layer builds).
pub(crate) fn typed_table_to_php(table: &FieldTable) -> Zval {
    let mut ht = ZendHashTable::with_capacity(table.len() as u32);
    for (k, v) in table.iter() {
        let _ = ht.insert(k.as_str().as_ref(), typed_value_to_php(v));
    }
    let mut zv = Zval::new();
    zv.set_hashtable(ht);
    zv
}

fn typed_value_to_php(v: &FieldValue) -> Zval {
    let value = match v {
        FieldValue::Array(items) => {
            let mut ht = ZendHashTable::with_capacity(items.len() as u32);
            for item in items {
                let _ = ht.push(typed_value_to_php(item));
            }
            let mut zv = Zval::new();
            zv.set_hashtable(ht);
            zv
        }
        FieldValue::Table(t) => typed_table_to_php(t),
        FieldValue::Timestamp(ts) => {
            let mut zv = Zval::new();
            zv.set_long(*ts as i64);
            zv
        }
        other => value_to_php(other),
    };
    let mut pair = ZendHashTable::with_capacity(2);
    let _ = pair.push(bytes_zval(&[v.type_tag()]));
    let _ = pair.push(value);
    let mut zv = Zval::new();
    zv.set_hashtable(pair);
    zv
}

/// `value / 10^scale` as decimal text, for when `AMQPDecimal` is not available.
fn decimal_text(value: i32, scale: u8) -> String {
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    let scale = usize::from(scale);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// The property names, as php-amqplib spells them (`headers` is also accepted for
/// `application_headers` when publishing).
pub(crate) const PROPERTY_NAMES: [&str; 14] = [
    "content_type",
    "content_encoding",
    "application_headers",
    "delivery_mode",
    "priority",
    "correlation_id",
    "reply_to",
    "expiration",
    "message_id",
    "timestamp",
    "type",
    "user_id",
    "app_id",
    "cluster_id",
];

/// A PHP array of message properties (keys as in [`PROPERTY_NAMES`]) as basic properties.
pub(crate) fn properties_from_php(ht: &ZendHashTable) -> CoreResult<BasicProperties> {
    let mut p = BasicProperties::default();
    for (key, value) in ht.iter() {
        let key = key_bytes(&key);
        let key = String::from_utf8_lossy(&key);
        let value = value.dereference();
        if value.is_null() {
            continue;
        }
        let text = |what: &str| -> CoreResult<ShortString> {
            match string_bytes(value) {
                Some(b) => short_string(b, what),
                None => match value.coerce_to_string() {
                    Some(s) if !value.is_array() && !value.is_object() => {
                        short_string(s.as_bytes(), what)
                    }
                    _ => Err(bad(format!("property {what} must be a string"))),
                },
            }
        };
        let octet = |what: &str| -> CoreResult<u8> {
            value
                .coerce_to_long()
                .filter(|_| !value.is_array() && !value.is_object())
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| bad(format!("property {what} must be an int 0..255")))
        };
        match key.as_ref() {
            "content_type" => p.content_type = Some(text("content_type")?),
            "content_encoding" => p.content_encoding = Some(text("content_encoding")?),
            "application_headers" | "headers" => p.headers = Some(table_from_zval(value)?),
            "delivery_mode" => p.delivery_mode = Some(octet("delivery_mode")?),
            "priority" => p.priority = Some(octet("priority")?),
            "correlation_id" => p.correlation_id = Some(text("correlation_id")?),
            "reply_to" => p.reply_to = Some(text("reply_to")?),
            "expiration" => p.expiration = Some(text("expiration")?),
            "message_id" => p.message_id = Some(text("message_id")?),
            "timestamp" => {
                p.timestamp = Some(match value.object() {
                    Some(o) if is_a(o, "DateTimeInterface") => timestamp_of(o)?,
                    _ => value
                        .long()
                        .ok_or_else(|| bad("property timestamp must be an int or a DateTime"))?
                        as u64,
                })
            }
            "type" => p.kind = Some(text("type")?),
            "user_id" => p.user_id = Some(text("user_id")?),
            "app_id" => p.app_id = Some(text("app_id")?),
            "cluster_id" => p.cluster_id = Some(text("cluster_id")?),
            other => {
                return Err(bad(format!(
                    "unknown message property {other:?} (known: {})",
                    PROPERTY_NAMES.join(", ")
                )))
            }
        }
    }
    Ok(p)
}

/// Basic properties as a PHP array of the properties present; headers under `headers_key`
/// (`headers` for the native API), as a PHP array.
pub(crate) fn properties_to_php(p: &BasicProperties, headers_key: &str) -> Zval {
    let mut zv = Zval::new();
    zv.set_hashtable(properties_table(p, headers_key));
    zv
}

/// Basic properties as the PHP hash table of the properties present (see
/// [`properties_to_php`]).
pub(crate) fn properties_table(p: &BasicProperties, headers_key: &str) -> ZBox<ZendHashTable> {
    let mut ht = ZendHashTable::new();
    let put_str = |ht: &mut ZendHashTable, k: &str, v: &Option<ShortString>| {
        if let Some(s) = v {
            let _ = ht.insert(k, bytes_zval(s.as_bytes()));
        }
    };
    put_str(&mut ht, "content_type", &p.content_type);
    put_str(&mut ht, "content_encoding", &p.content_encoding);
    if let Some(h) = &p.headers {
        let _ = ht.insert(headers_key, table_to_php(h));
    }
    if let Some(m) = p.delivery_mode {
        let _ = ht.insert("delivery_mode", i64::from(m));
    }
    if let Some(m) = p.priority {
        let _ = ht.insert("priority", i64::from(m));
    }
    put_str(&mut ht, "correlation_id", &p.correlation_id);
    put_str(&mut ht, "reply_to", &p.reply_to);
    put_str(&mut ht, "expiration", &p.expiration);
    put_str(&mut ht, "message_id", &p.message_id);
    if let Some(t) = p.timestamp {
        let _ = ht.insert("timestamp", t as i64);
    }
    put_str(&mut ht, "type", &p.kind);
    put_str(&mut ht, "user_id", &p.user_id);
    put_str(&mut ht, "app_id", &p.app_id);
    put_str(&mut ht, "cluster_id", &p.cluster_id);
    ht
}
