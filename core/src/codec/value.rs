//! AMQP field values: short and long strings, field tables and arrays with every type RabbitMQ
//! understands (`t b B s u I i l L f d D S A T F V x`).

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::wire::Reader;
use super::DecodeError;

/// How deeply tables and arrays may nest in decoded input (RabbitMQ has no limit). Decoding,
/// encoding and dropping a value recurse once per level, so without a bound a single frame of
/// nested arrays (5 bytes a level) overflows the stack and aborts the process.
pub const MAX_NESTING: usize = 128;

/// An AMQP `shortstr`: at most 255 octets. The bytes are shared with the frame they were decoded
/// from, so decoding a delivery's exchange and routing key does not copy or allocate.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ShortString(Bytes);

/// A `shortstr` longer than 255 octets was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("short string is {0} bytes long; AMQP allows at most 255")]
pub struct ShortStringTooLong(pub usize);

impl ShortString {
    /// The longest short string the wire format can carry.
    pub const MAX_LEN: usize = 255;

    /// Wraps `bytes`, refusing anything longer than 255 octets.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ShortStringTooLong> {
        let bytes = bytes.into();
        if bytes.len() > Self::MAX_LEN {
            return Err(ShortStringTooLong(bytes.len()));
        }
        Ok(ShortString(bytes))
    }

    /// A short string from a literal the programmer wrote; longer than 255 octets is a bug.
    pub fn from_static(s: &'static str) -> Self {
        assert!(
            s.len() <= Self::MAX_LEN,
            "static short string longer than 255 bytes"
        );
        ShortString(Bytes::from_static(s.as_bytes()))
    }

    /// Text as a short string, cut at 255 bytes on a character boundary: for reply texts and
    /// other text we produce, where an over-long value is better shortened than refused.
    pub fn truncating(s: &str) -> Self {
        let mut end = s.len().min(Self::MAX_LEN);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        ShortString(Bytes::copy_from_slice(&s.as_bytes()[..end]))
    }

    /// An empty short string.
    pub const fn empty() -> Self {
        ShortString(Bytes::new())
    }

    /// The raw octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The octets as text; AMQP does not promise UTF-8, so invalid sequences are replaced.
    pub fn as_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Length in octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The shared buffer behind this string.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl TryFrom<&str> for ShortString {
    type Error = ShortStringTooLong;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        ShortString::new(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl TryFrom<String> for ShortString {
    type Error = ShortStringTooLong;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ShortString::new(Bytes::from(s))
    }
}

impl PartialEq<str> for ShortString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for ShortString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for ShortString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_str(), f)
    }
}

impl fmt::Display for ShortString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_str(), f)
    }
}

/// An AMQP `longstr`: arbitrary octets with a 32-bit length.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LongString(pub Bytes);

impl LongString {
    /// The raw octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The octets as text, with invalid UTF-8 replaced.
    pub fn as_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
    /// Length in octets.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for LongString {
    fn from(s: &str) -> Self {
        LongString(Bytes::copy_from_slice(s.as_bytes()))
    }
}
impl From<String> for LongString {
    fn from(s: String) -> Self {
        LongString(Bytes::from(s))
    }
}
impl From<Vec<u8>> for LongString {
    fn from(v: Vec<u8>) -> Self {
        LongString(Bytes::from(v))
    }
}
impl From<Bytes> for LongString {
    fn from(b: Bytes) -> Self {
        LongString(b)
    }
}

impl fmt::Debug for LongString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_str(), f)
    }
}

/// A fixed-point decimal: `value / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// Number of decimal digits after the point.
    pub scale: u8,
    /// The unscaled value.
    pub value: u32,
}

/// One value in a field table or array.
///
/// The type letters are RabbitMQ's, not the 0-9-1 spec's grammar (RabbitMQ's errata: the spec
/// and the Qpid/0-10 letters disagree on `s`, `u`, `i`, `l`...; every RabbitMQ client follows
/// RabbitMQ). Checked against RabbitMQ 3.10's `rabbit_binary_parser` (decoding) and
/// `rabbit_binary_generator` (encoding), and on the wire against RabbitMQ 3.10.8. All values
/// are big-endian.
///
/// | letter | variant | width and sign on the wire | RabbitMQ's name |
/// |---|---|---|---|
/// | `t` | [`Boolean`](Self::Boolean) | 1 octet; any non-zero octet is true, true is written as 1 | `bool` |
/// | `b` | [`ShortShortInt`](Self::ShortShortInt) | 8-bit signed | `byte` |
/// | `B` | [`ShortShortUInt`](Self::ShortShortUInt) | 8-bit unsigned | `unsignedbyte` |
/// | `s` | [`ShortInt`](Self::ShortInt) | 16-bit signed | `short` |
/// | `u` | [`ShortUInt`](Self::ShortUInt) | 16-bit unsigned | `unsignedshort` |
/// | `I` | [`LongInt`](Self::LongInt) | 32-bit signed | `signedint` |
/// | `i` | [`LongUInt`](Self::LongUInt) | 32-bit unsigned | `unsignedint` |
/// | `l` | [`LongLongInt`](Self::LongLongInt) | 64-bit signed | `long` |
/// | `L` | [`LongLongUInt`](Self::LongLongUInt) | 64 bits, which RabbitMQ reads as **signed** | `long` (decoded only; re-encoded as `l`) |
/// | `f` | [`Float`](Self::Float) | IEEE 754 single | `float` |
/// | `d` | [`Double`](Self::Double) | IEEE 754 double | `double` |
/// | `D` | [`Decimal`](Self::Decimal) | scale: 8-bit unsigned, then value: 32-bit **unsigned** | `decimal` |
/// | `S` | [`LongString`](Self::LongString) | 32-bit unsigned length, then octets | `longstr` |
/// | `x` | [`ByteArray`](Self::ByteArray) | 32-bit unsigned length, then octets | `binary` |
/// | `T` | [`Timestamp`](Self::Timestamp) | 64-bit unsigned, seconds since the epoch | `timestamp` |
/// | `A` | [`Array`](Self::Array) | 32-bit unsigned length in octets, then values (letter + value) | `array` |
/// | `F` | [`Table`](Self::Table) | 32-bit unsigned length in octets, then (shortstr key, letter + value) | `table` |
/// | `V` | [`Void`](Self::Void) | nothing | `void` |
///
/// Any other letter is [`DecodeError::UnknownFieldType`]. RabbitMQ has no clause for it: its
/// parser crashes, which closes the socket without a word when the table is a method argument,
/// and the whole connection with 541 when it is in a published message's properties.
#[derive(Debug, Clone)]
pub enum FieldValue {
    /// `t`
    Boolean(bool),
    /// `b`
    ShortShortInt(i8),
    /// `B`
    ShortShortUInt(u8),
    /// `s`
    ShortInt(i16),
    /// `u`
    ShortUInt(u16),
    /// `I`
    LongInt(i32),
    /// `i`
    LongUInt(u32),
    /// `l`
    LongLongInt(i64),
    /// `L`: the spec's unsigned 64-bit integer. Kept as the 64 bits that came, so a table is
    /// relayed byte for byte, but RabbitMQ reads these bits as a signed `long` (as it reads
    /// `l`; its errata and rabbitmq-server#1093): 2^64-1 is -1 to it, which is what
    /// [`FieldValue::as_i64`] returns, and a table RabbitMQ re-encodes carries it as `l`.
    /// Use [`FieldValue::LongLongInt`] for values that must mean the same to every peer.
    LongLongUInt(u64),
    /// `f`
    Float(f32),
    /// `d`
    Double(f64),
    /// `D`
    Decimal(Decimal),
    /// `S`
    LongString(LongString),
    /// `A`
    Array(Vec<FieldValue>),
    /// `T`: seconds since the epoch.
    Timestamp(u64),
    /// `F`
    Table(FieldTable),
    /// `V`
    Void,
    /// `x`
    ByteArray(Bytes),
}

impl PartialEq for FieldValue {
    /// Floats compare by bit pattern, so a decoded NaN equals the NaN that was encoded.
    fn eq(&self, other: &Self) -> bool {
        use FieldValue::*;
        match (self, other) {
            (Boolean(a), Boolean(b)) => a == b,
            (ShortShortInt(a), ShortShortInt(b)) => a == b,
            (ShortShortUInt(a), ShortShortUInt(b)) => a == b,
            (ShortInt(a), ShortInt(b)) => a == b,
            (ShortUInt(a), ShortUInt(b)) => a == b,
            (LongInt(a), LongInt(b)) => a == b,
            (LongUInt(a), LongUInt(b)) => a == b,
            (LongLongInt(a), LongLongInt(b)) => a == b,
            (LongLongUInt(a), LongLongUInt(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits(),
            (Double(a), Double(b)) => a.to_bits() == b.to_bits(),
            (Decimal(a), Decimal(b)) => a == b,
            (LongString(a), LongString(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Timestamp(a), Timestamp(b)) => a == b,
            (Table(a), Table(b)) => a == b,
            (Void, Void) => true,
            (ByteArray(a), ByteArray(b)) => a == b,
            _ => false,
        }
    }
}

impl FieldValue {
    /// The type letter written before the value on the wire.
    pub fn type_tag(&self) -> u8 {
        use FieldValue::*;
        match self {
            Boolean(_) => b't',
            ShortShortInt(_) => b'b',
            ShortShortUInt(_) => b'B',
            ShortInt(_) => b's',
            ShortUInt(_) => b'u',
            LongInt(_) => b'I',
            LongUInt(_) => b'i',
            LongLongInt(_) => b'l',
            LongLongUInt(_) => b'L',
            Float(_) => b'f',
            Double(_) => b'd',
            Decimal(_) => b'D',
            LongString(_) => b'S',
            Array(_) => b'A',
            Timestamp(_) => b'T',
            Table(_) => b'F',
            Void => b'V',
            ByteArray(_) => b'x',
        }
    }

    /// The value as a signed integer, whatever its integer width: the integer RabbitMQ sees.
    /// So `L` is read as signed, as RabbitMQ reads it, and a timestamp above `i64::MAX`
    /// (which RabbitMQ reads as unsigned) is `None`.
    pub fn as_i64(&self) -> Option<i64> {
        use FieldValue::*;
        Some(match *self {
            ShortShortInt(v) => v.into(),
            ShortShortUInt(v) => v.into(),
            ShortInt(v) => v.into(),
            ShortUInt(v) => v.into(),
            LongInt(v) => v.into(),
            LongUInt(v) => v.into(),
            LongLongInt(v) => v,
            // Reinterpreting the bits is the point: RabbitMQ decodes `L` as a signed 64-bit.
            LongLongUInt(v) => v as i64,
            Timestamp(v) => i64::try_from(v).ok()?,
            _ => return None,
        })
    }

    /// The value as text, for long strings.
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            FieldValue::LongString(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The value as a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            FieldValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The nested table, if this is one.
    pub fn as_table(&self) -> Option<&FieldTable> {
        match self {
            FieldValue::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[FieldValue]> {
        match self {
            FieldValue::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Bytes this value takes on the wire, type letter included.
    pub fn encoded_len(&self) -> usize {
        use FieldValue::*;
        1 + match self {
            Boolean(_) | ShortShortInt(_) | ShortShortUInt(_) => 1,
            ShortInt(_) | ShortUInt(_) => 2,
            LongInt(_) | LongUInt(_) | Float(_) => 4,
            LongLongInt(_) | LongLongUInt(_) | Double(_) | Timestamp(_) => 8,
            Decimal(_) => 5,
            LongString(s) => 4 + s.len(),
            Array(items) => 4 + items.iter().map(FieldValue::encoded_len).sum::<usize>(),
            Table(t) => t.encoded_len(),
            Void => 0,
            ByteArray(b) => 4 + b.len(),
        }
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        use FieldValue::*;
        out.put_u8(self.type_tag());
        match self {
            Boolean(v) => out.put_u8(u8::from(*v)),
            ShortShortInt(v) => out.put_i8(*v),
            ShortShortUInt(v) => out.put_u8(*v),
            ShortInt(v) => out.put_i16(*v),
            ShortUInt(v) => out.put_u16(*v),
            LongInt(v) => out.put_i32(*v),
            LongUInt(v) => out.put_u32(*v),
            LongLongInt(v) => out.put_i64(*v),
            LongLongUInt(v) => out.put_u64(*v),
            Float(v) => out.put_f32(*v),
            Double(v) => out.put_f64(*v),
            Decimal(d) => {
                out.put_u8(d.scale);
                out.put_u32(d.value);
            }
            LongString(s) => super::wire::put_long_bytes(out, &s.0),
            Array(items) => encode_array(items, out),
            Timestamp(v) => out.put_u64(*v),
            Table(t) => t.encode(out),
            Void => {}
            ByteArray(b) => super::wire::put_long_bytes(out, b),
        }
    }

    /// Decodes a value inside `depth` enclosing tables and arrays.
    fn decode_nested(r: &mut Reader, depth: usize) -> Result<Self, DecodeError> {
        use FieldValue::*;
        let tag = r.u8()?;
        Ok(match tag {
            b't' => Boolean(r.u8()? != 0),
            b'b' => ShortShortInt(r.u8()? as i8),
            b'B' => ShortShortUInt(r.u8()?),
            b's' => ShortInt(r.u16()? as i16),
            b'u' => ShortUInt(r.u16()?),
            b'I' => LongInt(r.u32()? as i32),
            b'i' => LongUInt(r.u32()?),
            b'l' => LongLongInt(r.u64()? as i64),
            b'L' => LongLongUInt(r.u64()?),
            b'f' => Float(f32::from_bits(r.u32()?)),
            b'd' => Double(f64::from_bits(r.u64()?)),
            b'D' => Decimal(self::Decimal {
                scale: r.u8()?,
                value: r.u32()?,
            }),
            b'S' => LongString(r.long_string()?),
            b'A' => Array(decode_array(r, depth + 1)?),
            b'T' => Timestamp(r.u64()?),
            b'F' => Table(FieldTable::decode_nested(r, depth + 1)?),
            b'V' => Void,
            b'x' => ByteArray(r.long_string()?.0),
            other => return Err(DecodeError::UnknownFieldType(other)),
        })
    }
}

fn encode_array(items: &[FieldValue], out: &mut BytesMut) {
    let len_at = out.len();
    out.put_u32(0);
    for item in items {
        item.encode(out);
    }
    let len = (out.len() - len_at - 4) as u32;
    out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
}

fn decode_array(r: &mut Reader, depth: usize) -> Result<Vec<FieldValue>, DecodeError> {
    if depth > MAX_NESTING {
        return Err(DecodeError::TooDeep);
    }
    let len = r.u32()? as usize;
    let mut inner = r.sub_reader(len)?;
    let mut items = Vec::new();
    while !inner.is_empty() {
        items.push(FieldValue::decode_nested(&mut inner, depth)?);
    }
    Ok(items)
}

macro_rules! field_value_from {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for FieldValue {
            fn from(v: $t) -> Self { FieldValue::$v(v.into()) }
        })*
    };
}
field_value_from! {
    bool => Boolean, i8 => ShortShortInt, u8 => ShortShortUInt, i16 => ShortInt,
    u16 => ShortUInt, i32 => LongInt, u32 => LongUInt, i64 => LongLongInt, f32 => Float,
    f64 => Double, Decimal => Decimal, LongString => LongString, &str => LongString,
    String => LongString, Vec<FieldValue> => Array, FieldTable => Table,
}

/// An AMQP field table. Entries keep the order they were inserted or received in, so a table
/// relayed by a broker or re-published by an application goes out byte for byte as it came
/// in (RabbitMQ preserves header order too). Equality ignores order, as RabbitMQ's equivalence
/// checks do.
#[derive(Debug, Clone, Default)]
pub struct FieldTable(Vec<(ShortString, FieldValue)>);

impl PartialEq for FieldTable {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .all(|(k, v)| other.get_bytes(k.as_bytes()) == Some(v))
    }
}

impl FieldTable {
    /// An empty table.
    pub fn new() -> Self {
        FieldTable(Vec::new())
    }

    /// Inserts `value` under `key`, replacing an earlier value in place. Keys longer than 255
    /// bytes are refused.
    pub fn insert(
        &mut self,
        key: &str,
        value: impl Into<FieldValue>,
    ) -> Result<Option<FieldValue>, ShortStringTooLong> {
        Ok(self.insert_key(ShortString::try_from(key)?, value.into()))
    }

    /// Inserts with an already-validated key, replacing an earlier value in place.
    pub fn insert_key(&mut self, key: ShortString, value: FieldValue) -> Option<FieldValue> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    fn get_bytes(&self, key: &[u8]) -> Option<&FieldValue> {
        self.0
            .iter()
            .find(|(k, _)| k.as_bytes() == key)
            .map(|(_, v)| v)
    }

    /// The value under `key` (the first, if a peer sent the key twice).
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.get_bytes(key.as_bytes())
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &str) -> Option<FieldValue> {
        let i = self
            .0
            .iter()
            .position(|(k, _)| k.as_bytes() == key.as_bytes())?;
        Some(self.0.remove(i).1)
    }

    /// True if `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&ShortString, &FieldValue)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Bytes this table takes on the wire, length prefix included.
    pub fn encoded_len(&self) -> usize {
        4 + self
            .0
            .iter()
            .map(|(k, v)| 1 + k.len() + v.encoded_len())
            .sum::<usize>()
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        let len_at = out.len();
        out.put_u32(0);
        for (k, v) in &self.0 {
            super::wire::put_short_string(out, k);
            v.encode(out);
        }
        let len = (out.len() - len_at - 4) as u32;
        out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
    }

    /// Decodes a table that is a method argument or a property.
    ///
    /// The table's length prefix is part of its method's or header's layout: a length that
    /// runs past the frame is [`DecodeError::Truncated`] (RabbitMQ: 501 "cannot decode").
    /// What is inside is the table's own business: a key or value that runs past the end of
    /// the table (or of an array or table nested in it) is [`DecodeError::TableTruncated`],
    /// which, like an unknown type letter, RabbitMQ's table parser does not survive.
    pub(crate) fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let len = r.u32()? as usize;
        let inner = r.sub_reader(len)?;
        FieldTable::decode_entries(inner, 0).map_err(|e| match e {
            DecodeError::Truncated => DecodeError::TableTruncated,
            other => other,
        })
    }

    /// Decodes a table inside `depth` enclosing tables and arrays.
    fn decode_nested(r: &mut Reader, depth: usize) -> Result<Self, DecodeError> {
        if depth > MAX_NESTING {
            return Err(DecodeError::TooDeep);
        }
        let len = r.u32()? as usize;
        FieldTable::decode_entries(r.sub_reader(len)?, depth)
    }

    /// Decodes the entries of a table whose length prefix has been read.
    fn decode_entries(mut inner: Reader, depth: usize) -> Result<Self, DecodeError> {
        let mut entries = Vec::new();
        while !inner.is_empty() {
            let key = inner.short_string()?;
            let value = FieldValue::decode_nested(&mut inner, depth)?;
            entries.push((key, value));
        }
        Ok(FieldTable(entries))
    }
}

impl FromIterator<(ShortString, FieldValue)> for FieldTable {
    /// Collects entries in order; a repeated key replaces the earlier value in place.
    fn from_iter<I: IntoIterator<Item = (ShortString, FieldValue)>>(iter: I) -> Self {
        let mut t = FieldTable::new();
        for (k, v) in iter {
            t.insert_key(k, v);
        }
        t
    }
}

impl IntoIterator for FieldTable {
    type Item = (ShortString, FieldValue);
    type IntoIter = std::vec::IntoIter<(ShortString, FieldValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
