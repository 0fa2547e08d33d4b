//! Field tables and arrays (queue arguments, message headers) with every AMQP field type.
//!
//! Values cross the boundary as a `warren_field_value`: a type letter and a union. Setting a
//! value copies it; reading one borrows from the table (strings, nested tables and arrays
//! stay valid until the table is changed or freed).

use std::os::raw::c_char;

use bytes::Bytes;
use warren_core::codec::{Decimal, FieldTable, FieldValue, LongString, ShortString};

use crate::error::{warren_result, Failure, WARREN_EMPTY, WARREN_INVALID_ARGUMENT, WARREN_OK};
use crate::ffi::{self, boundary, boundary_or, warren_bytes, Out};

/// A field table: an ordered map from short-string keys to typed values. Not thread-safe
/// for writing: change a table from one thread at a time.
#[repr(transparent)]
#[allow(non_camel_case_types)]
pub struct warren_table(pub(crate) FieldTable);

/// A field array: an ordered list of typed values.
#[repr(transparent)]
#[allow(non_camel_case_types)]
pub struct warren_array(pub(crate) Vec<FieldValue>);

/// The type of a field value: RabbitMQ's type letter (the C character in the comment).
#[allow(non_camel_case_types)]
pub type warren_field_type = u32;

/// `'t'` boolean.
pub const WARREN_FIELD_BOOLEAN: warren_field_type = 0x74;
/// `'b'` signed 8-bit.
pub const WARREN_FIELD_I8: warren_field_type = 0x62;
/// `'B'` unsigned 8-bit.
pub const WARREN_FIELD_U8: warren_field_type = 0x42;
/// `'s'` signed 16-bit.
pub const WARREN_FIELD_I16: warren_field_type = 0x73;
/// `'u'` unsigned 16-bit.
pub const WARREN_FIELD_U16: warren_field_type = 0x75;
/// `'I'` signed 32-bit.
pub const WARREN_FIELD_I32: warren_field_type = 0x49;
/// `'i'` unsigned 32-bit.
pub const WARREN_FIELD_U32: warren_field_type = 0x69;
/// `'l'` signed 64-bit.
pub const WARREN_FIELD_I64: warren_field_type = 0x6c;
/// `'L'` 64 bits that RabbitMQ reads as signed (prefer WARREN_FIELD_I64).
pub const WARREN_FIELD_U64: warren_field_type = 0x4c;
/// `'f'` IEEE 754 single.
pub const WARREN_FIELD_FLOAT: warren_field_type = 0x66;
/// `'d'` IEEE 754 double.
pub const WARREN_FIELD_DOUBLE: warren_field_type = 0x64;
/// `'D'` decimal: value / 10^scale.
pub const WARREN_FIELD_DECIMAL: warren_field_type = 0x44;
/// `'S'` long string (bytes, may contain NUL).
pub const WARREN_FIELD_STRING: warren_field_type = 0x53;
/// `'x'` byte array.
pub const WARREN_FIELD_BYTES: warren_field_type = 0x78;
/// `'T'` timestamp: seconds since the epoch.
pub const WARREN_FIELD_TIMESTAMP: warren_field_type = 0x54;
/// `'A'` array.
pub const WARREN_FIELD_ARRAY: warren_field_type = 0x41;
/// `'F'` nested table.
pub const WARREN_FIELD_TABLE: warren_field_type = 0x46;
/// `'V'` void (no value).
pub const WARREN_FIELD_VOID: warren_field_type = 0x56;

/// A decimal value: `value / 10^scale`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct warren_decimal {
    /// Digits after the point.
    pub scale: u8,
    /// The unscaled value.
    pub value: u32,
}

/// The value of a field, read according to its type.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub union warren_field_data {
    /// WARREN_FIELD_BOOLEAN
    pub boolean: bool,
    /// WARREN_FIELD_I8
    pub i8: i8,
    /// WARREN_FIELD_U8
    pub u8: u8,
    /// WARREN_FIELD_I16
    pub i16: i16,
    /// WARREN_FIELD_U16
    pub u16: u16,
    /// WARREN_FIELD_I32
    pub i32: i32,
    /// WARREN_FIELD_U32
    pub u32: u32,
    /// WARREN_FIELD_I64
    pub i64: i64,
    /// WARREN_FIELD_U64
    pub u64: u64,
    /// WARREN_FIELD_FLOAT
    pub f32: f32,
    /// WARREN_FIELD_DOUBLE
    pub f64: f64,
    /// WARREN_FIELD_DECIMAL
    pub decimal: warren_decimal,
    /// WARREN_FIELD_STRING and WARREN_FIELD_BYTES
    pub bytes: warren_bytes,
    /// WARREN_FIELD_TIMESTAMP
    pub timestamp: u64,
    /// WARREN_FIELD_TABLE (copied when set, borrowed when read)
    pub table: *const warren_table,
    /// WARREN_FIELD_ARRAY (copied when set, borrowed when read)
    pub array: *const warren_array,
}

/// A typed field value. Example: `warren_field_value v; v.type = WARREN_FIELD_I32;
/// v.value.i32 = 60000;`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct warren_field_value {
    /// Which member of `value` holds the value.
    pub kind: warren_field_type,
    /// The value.
    pub value: warren_field_data,
}

/// The owned value a C value describes (deep copy).
///
/// # Safety
/// The member of `v.value` that `v.type` selects is initialised; its pointers are valid as
/// the header describes (bytes readable, tables and arrays live objects of this library).
unsafe fn to_core(v: &warren_field_value) -> Result<FieldValue, Failure> {
    // SAFETY (every union read below): the caller initialised the member its type selects.
    Ok(unsafe {
        match v.kind {
            WARREN_FIELD_BOOLEAN => FieldValue::Boolean(v.value.boolean),
            WARREN_FIELD_I8 => FieldValue::ShortShortInt(v.value.i8),
            WARREN_FIELD_U8 => FieldValue::ShortShortUInt(v.value.u8),
            WARREN_FIELD_I16 => FieldValue::ShortInt(v.value.i16),
            WARREN_FIELD_U16 => FieldValue::ShortUInt(v.value.u16),
            WARREN_FIELD_I32 => FieldValue::LongInt(v.value.i32),
            WARREN_FIELD_U32 => FieldValue::LongUInt(v.value.u32),
            WARREN_FIELD_I64 => FieldValue::LongLongInt(v.value.i64),
            WARREN_FIELD_U64 => FieldValue::LongLongUInt(v.value.u64),
            WARREN_FIELD_FLOAT => FieldValue::Float(v.value.f32),
            WARREN_FIELD_DOUBLE => FieldValue::Double(v.value.f64),
            WARREN_FIELD_DECIMAL => FieldValue::Decimal(Decimal {
                scale: v.value.decimal.scale,
                value: v.value.decimal.value,
            }),
            WARREN_FIELD_STRING => FieldValue::LongString(LongString(Bytes::copy_from_slice(
                v.value.bytes.as_slice("value.bytes")?,
            ))),
            WARREN_FIELD_BYTES => FieldValue::ByteArray(Bytes::copy_from_slice(
                v.value.bytes.as_slice("value.bytes")?,
            )),
            WARREN_FIELD_TIMESTAMP => FieldValue::Timestamp(v.value.timestamp),
            WARREN_FIELD_TABLE => {
                FieldValue::Table(ffi::object(v.value.table, "value.table")?.0.clone())
            }
            WARREN_FIELD_ARRAY => {
                FieldValue::Array(ffi::object(v.value.array, "value.array")?.0.clone())
            }
            WARREN_FIELD_VOID => FieldValue::Void,
            other => {
                return Err(Failure::new(
                    WARREN_INVALID_ARGUMENT,
                    format!("unknown field type {other:#x}"),
                ))
            }
        }
    })
}

/// A C view of `v`, borrowing its strings, tables and arrays.
fn to_c(v: &FieldValue) -> warren_field_value {
    let (kind, value) = match v {
        FieldValue::Boolean(b) => (WARREN_FIELD_BOOLEAN, warren_field_data { boolean: *b }),
        FieldValue::ShortShortInt(n) => (WARREN_FIELD_I8, warren_field_data { i8: *n }),
        FieldValue::ShortShortUInt(n) => (WARREN_FIELD_U8, warren_field_data { u8: *n }),
        FieldValue::ShortInt(n) => (WARREN_FIELD_I16, warren_field_data { i16: *n }),
        FieldValue::ShortUInt(n) => (WARREN_FIELD_U16, warren_field_data { u16: *n }),
        FieldValue::LongInt(n) => (WARREN_FIELD_I32, warren_field_data { i32: *n }),
        FieldValue::LongUInt(n) => (WARREN_FIELD_U32, warren_field_data { u32: *n }),
        FieldValue::LongLongInt(n) => (WARREN_FIELD_I64, warren_field_data { i64: *n }),
        FieldValue::LongLongUInt(n) => (WARREN_FIELD_U64, warren_field_data { u64: *n }),
        FieldValue::Float(x) => (WARREN_FIELD_FLOAT, warren_field_data { f32: *x }),
        FieldValue::Double(x) => (WARREN_FIELD_DOUBLE, warren_field_data { f64: *x }),
        FieldValue::Decimal(d) => (
            WARREN_FIELD_DECIMAL,
            warren_field_data {
                decimal: warren_decimal {
                    scale: d.scale,
                    value: d.value,
                },
            },
        ),
        FieldValue::LongString(s) => (
            WARREN_FIELD_STRING,
            warren_field_data {
                bytes: warren_bytes::of(s.as_bytes()),
            },
        ),
        FieldValue::ByteArray(b) => (
            WARREN_FIELD_BYTES,
            warren_field_data {
                bytes: warren_bytes::of(b),
            },
        ),
        FieldValue::Timestamp(t) => (WARREN_FIELD_TIMESTAMP, warren_field_data { timestamp: *t }),
        FieldValue::Table(t) => (
            WARREN_FIELD_TABLE,
            warren_field_data {
                table: ffi::table_view(t),
            },
        ),
        FieldValue::Array(a) => (
            WARREN_FIELD_ARRAY,
            warren_field_data {
                array: ffi::array_view(a),
            },
        ),
        FieldValue::Void => (WARREN_FIELD_VOID, warren_field_data { u64: 0 }),
    };
    warren_field_value { kind, value }
}

fn key(k: &str) -> Result<ShortString, Failure> {
    ShortString::try_from(k).map_err(|e| Failure::new(WARREN_INVALID_ARGUMENT, format!("key: {e}")))
}

/// A new, empty table. Free it with warren_table_free.
#[no_mangle]
pub extern "C" fn warren_table_new() -> *mut warren_table {
    boundary_or(std::ptr::null_mut(), || {
        ffi::into_handle(warren_table(FieldTable::new()))
    })
}

/// A copy of `table` (NULL gives NULL). Free it with warren_table_free.
#[no_mangle]
pub extern "C" fn warren_table_clone(table: *const warren_table) -> *mut warren_table {
    boundary_or(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live table (documented).
        match unsafe { ffi::optional_object(table) } {
            Some(t) => ffi::into_handle(warren_table(t.0.clone())),
            None => std::ptr::null_mut(),
        }
    })
}

/// Frees a table; NULL does nothing.
#[no_mangle]
pub extern "C" fn warren_table_free(table: *mut warren_table) {
    // SAFETY: NULL or a table from this library, not used after this call (documented).
    boundary_or((), || unsafe { ffi::free_handle(table) })
}

/// Number of entries (0 for NULL).
#[no_mangle]
pub extern "C" fn warren_table_len(table: *const warren_table) -> usize {
    boundary_or(0, || {
        // SAFETY: NULL or a live table.
        unsafe { ffi::optional_object(table) }.map_or(0, |t| t.0.len())
    })
}

/// Sets `key` (NUL-terminated, at most 255 bytes) to a copy of `value`, replacing an
/// earlier value in place.
#[no_mangle]
pub extern "C" fn warren_table_set(
    table: *mut warren_table,
    key: *const c_char,
    value: *const warren_field_value,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, k, v) = unsafe {
            (
                ffi::object_mut(table, "table")?,
                ffi::string(key, "key")?,
                ffi::object(value, "value")?,
            )
        };
        let k = self::key(k)?;
        // SAFETY: the value's type selects an initialised member (documented).
        let v = unsafe { to_core(v)? };
        t.0.insert_key(k, v);
        Ok(WARREN_OK)
    })
}

/// Sets `key` to a long string (`'S'`) copied from NUL-terminated `value`.
#[no_mangle]
pub extern "C" fn warren_table_set_string(
    table: *mut warren_table,
    key: *const c_char,
    value: *const c_char,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, k, v) = unsafe {
            (
                ffi::object_mut(table, "table")?,
                ffi::string(key, "key")?,
                ffi::string(value, "value")?,
            )
        };
        t.0.insert_key(self::key(k)?, FieldValue::LongString(v.into()));
        Ok(WARREN_OK)
    })
}

/// Sets `key` to a signed 64-bit integer (`'l'`), e.g. "x-message-ttl".
#[no_mangle]
pub extern "C" fn warren_table_set_int(
    table: *mut warren_table,
    key: *const c_char,
    value: i64,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, k) = unsafe { (ffi::object_mut(table, "table")?, ffi::string(key, "key")?) };
        t.0.insert_key(self::key(k)?, FieldValue::LongLongInt(value));
        Ok(WARREN_OK)
    })
}

/// Sets `key` to a boolean (`'t'`).
#[no_mangle]
pub extern "C" fn warren_table_set_bool(
    table: *mut warren_table,
    key: *const c_char,
    value: bool,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, k) = unsafe { (ffi::object_mut(table, "table")?, ffi::string(key, "key")?) };
        t.0.insert_key(self::key(k)?, FieldValue::Boolean(value));
        Ok(WARREN_OK)
    })
}

/// Removes `key`; WARREN_EMPTY if it was not there.
#[no_mangle]
pub extern "C" fn warren_table_remove(
    table: *mut warren_table,
    key: *const c_char,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, k) = unsafe { (ffi::object_mut(table, "table")?, ffi::string(key, "key")?) };
        Ok(match t.0.remove(k) {
            Some(_) => WARREN_OK,
            None => WARREN_EMPTY,
        })
    })
}

/// Reads the value under `key` into `*value` (strings, tables and arrays borrowed from
/// `table`); WARREN_EMPTY if there is none.
#[no_mangle]
pub extern "C" fn warren_table_get(
    table: *const warren_table,
    key: *const c_char,
    value: *mut warren_field_value,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, k, out) = unsafe {
            (
                ffi::object(table, "table")?,
                ffi::string(key, "key")?,
                Out::new(value, "value")?,
            )
        };
        Ok(match t.0.get(k) {
            Some(v) => {
                out.write(to_c(v));
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// Reads entry number `index` (in order, from 0): its key into `*key` and its value into
/// `*value`, both borrowed from `table`; WARREN_EMPTY past the end.
#[no_mangle]
pub extern "C" fn warren_table_entry(
    table: *const warren_table,
    index: usize,
    key: *mut warren_bytes,
    value: *mut warren_field_value,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (t, key_out, value_out) = unsafe {
            (
                ffi::object(table, "table")?,
                Out::new(key, "key")?,
                Out::new(value, "value")?,
            )
        };
        Ok(match t.0.iter().nth(index) {
            Some((k, v)) => {
                key_out.write(warren_bytes::of(k.as_bytes()));
                value_out.write(to_c(v));
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// A new, empty array. Free it with warren_array_free.
#[no_mangle]
pub extern "C" fn warren_array_new() -> *mut warren_array {
    boundary_or(std::ptr::null_mut(), || {
        ffi::into_handle(warren_array(Vec::new()))
    })
}

/// Frees an array; NULL does nothing.
#[no_mangle]
pub extern "C" fn warren_array_free(array: *mut warren_array) {
    // SAFETY: NULL or an array from this library, not used after this call (documented).
    boundary_or((), || unsafe { ffi::free_handle(array) })
}

/// Number of values (0 for NULL).
#[no_mangle]
pub extern "C" fn warren_array_len(array: *const warren_array) -> usize {
    boundary_or(0, || {
        // SAFETY: NULL or a live array.
        unsafe { ffi::optional_object(array) }.map_or(0, |a| a.0.len())
    })
}

/// Appends a copy of `value`.
#[no_mangle]
pub extern "C" fn warren_array_push(
    array: *mut warren_array,
    value: *const warren_field_value,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (a, v) = unsafe {
            (
                ffi::object_mut(array, "array")?,
                ffi::object(value, "value")?,
            )
        };
        // SAFETY: the value's type selects an initialised member (documented).
        let v = unsafe { to_core(v)? };
        a.0.push(v);
        Ok(WARREN_OK)
    })
}

/// Reads value number `index` into `*value` (borrowed from `array`); WARREN_EMPTY past the
/// end.
#[no_mangle]
pub extern "C" fn warren_array_get(
    array: *const warren_array,
    index: usize,
    value: *mut warren_field_value,
) -> warren_result {
    boundary(|| {
        // SAFETY: the documented contract of each argument.
        let (a, out) = unsafe { (ffi::object(array, "array")?, Out::new(value, "value")?) };
        Ok(match a.0.get(index) {
            Some(v) => {
                out.write(to_c(v));
                WARREN_OK
            }
            None => WARREN_EMPTY,
        })
    })
}

/// The table a C caller passed, or an empty one for NULL (optional arguments).
///
/// # Safety
/// `ptr` is NULL or a live table.
pub(crate) unsafe fn arguments(ptr: *const warren_table) -> FieldTable {
    // SAFETY: the caller's promise.
    unsafe { ffi::optional_object(ptr) }
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_type() -> Vec<FieldValue> {
        let mut inner = FieldTable::new();
        inner.insert("k", FieldValue::LongInt(-5)).unwrap();
        vec![
            FieldValue::Boolean(true),
            FieldValue::ShortShortInt(-8),
            FieldValue::ShortShortUInt(250),
            FieldValue::ShortInt(-300),
            FieldValue::ShortUInt(60000),
            FieldValue::LongInt(-70000),
            FieldValue::LongUInt(4_000_000_000),
            FieldValue::LongLongInt(-1 << 40),
            FieldValue::LongLongUInt(u64::MAX),
            FieldValue::Float(1.5),
            FieldValue::Double(-2.25),
            FieldValue::Decimal(Decimal {
                scale: 2,
                value: 12345,
            }),
            FieldValue::LongString("a\0b".into()),
            FieldValue::ByteArray(Bytes::from_static(b"\x00\xff")),
            FieldValue::Timestamp(1_700_000_000),
            FieldValue::Array(vec![FieldValue::Void, FieldValue::Boolean(false)]),
            FieldValue::Table(inner),
            FieldValue::Void,
        ]
    }

    #[test]
    fn every_type_round_trips_through_the_c_view() {
        for v in every_type() {
            let c = to_c(&v);
            // SAFETY: `c` was built by to_c, whose pointers borrow from `v`, alive here.
            let back = unsafe { to_core(&c) }.unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn unknown_type_letter_is_refused() {
        let c = warren_field_value {
            kind: 0x5a,
            value: warren_field_data { u64: 0 },
        };
        // SAFETY: the member read for a known type would be u64, initialised.
        let err = unsafe { to_core(&c) }.unwrap_err();
        assert_eq!(err.code, WARREN_INVALID_ARGUMENT);
    }
}
