//! Python values ⇄ AMQP field tables, encoded as pika encodes them so that a table sent by
//! Warren is byte for byte the table pika sends for the same dict:
//!
//! | Python | AMQP |
//! |---|---|
//! | `str` | `S` (UTF-8) |
//! | `bytes`, `bytearray` | `x` |
//! | `bool` | `t` |
//! | `int` | `I` (32 bits) when it fits, else `l` (64 bits); larger is refused |
//! | `float` | `d` (pika cannot send floats) |
//! | `decimal.Decimal` | `D` (signed 32-bit value, up to 255 decimals) |
//! | `datetime.datetime` | `T` (seconds, UTC; naive values are taken as UTC, like pika) |
//! | `dict` | `F` |
//! | `list`, `tuple` | `A` |
//! | `None` | `V` |
//!
//! Decoding gives `int` for every integer type, `float` for `f`/`d`, `str` for `S` (or `bytes`
//! when it is not UTF-8), `bytes` for `x`, and an aware UTC `datetime` for `T` (as pika 1.4).

use std::time::Duration;

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};
use warren_core::codec::{Decimal, FieldTable, FieldValue, LongString, ShortString};
use warren_core::Error;

use crate::errors::plain;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEZONE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn invalid(msg: String) -> PyErr {
    plain(Error::InvalidArgument(msg))
}

/// A dict (or any mapping with `items()`) as a field table.
pub(crate) fn table_from_py(obj: &Bound<'_, PyAny>) -> PyResult<FieldTable> {
    let mut table = FieldTable::new();
    let items = match obj.cast::<PyDict>() {
        Ok(d) => d.items(),
        Err(_) => obj
            .call_method0("items")
            .map_err(|_| {
                invalid(format!(
                    "a field table must be a dict, not {}",
                    type_name(obj)
                ))
            })?
            .try_iter()?
            .collect::<PyResult<Vec<_>>>()
            .map(|v| PyList::new(obj.py(), v))??,
    };
    for item in items.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key = short_key(&key)?;
        table.insert_key(key, value_from_py(&value)?);
    }
    Ok(table)
}

/// A table key: `str` (UTF-8) or `bytes`, at most 255 bytes.
fn short_key(key: &Bound<'_, PyAny>) -> PyResult<ShortString> {
    let bytes = if let Ok(s) = key.cast::<PyString>() {
        Bytes::copy_from_slice(s.to_cow()?.as_bytes())
    } else if let Ok(b) = key.cast::<PyBytes>() {
        Bytes::copy_from_slice(b.as_bytes())
    } else {
        return Err(invalid(format!(
            "field table keys must be str, not {}",
            type_name(key)
        )));
    };
    ShortString::new(bytes).map_err(|e| invalid(format!("field table key: {e}")))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// One Python value as a field value (see the module docs for the types).
pub(crate) fn value_from_py(obj: &Bound<'_, PyAny>) -> PyResult<FieldValue> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(FieldValue::LongString(LongString::from(
            s.to_cow()?.as_ref(),
        )));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(FieldValue::ByteArray(Bytes::copy_from_slice(b.as_bytes())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(FieldValue::ByteArray(Bytes::from(b.to_vec())));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(FieldValue::Boolean(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        let v: i64 = obj.extract().map_err(|_| {
            invalid(format!(
                "integer {obj} does not fit an AMQP field (signed 64 bits at most)"
            ))
        })?;
        return Ok(match i32::try_from(v) {
            Ok(small) => FieldValue::LongInt(small),
            Err(_) => FieldValue::LongLongInt(v),
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(FieldValue::Double(f.value()));
    }
    if obj.is_none() {
        return Ok(FieldValue::Void);
    }
    if obj.is_instance_of::<PyDict>() {
        return Ok(FieldValue::Table(table_from_py(obj)?));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let values = obj
            .try_iter()?
            .map(|v| value_from_py(&v?))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(FieldValue::Array(values));
    }
    if obj.is_instance(DECIMAL.import(py, "decimal", "Decimal")?)? {
        return decimal_from_py(obj);
    }
    if obj.is_instance(DATETIME.import(py, "datetime", "datetime")?)? {
        // calendar.timegm(value.utctimetuple()), as pika computes it.
        let seconds: i64 = py
            .import("calendar")?
            .call_method1("timegm", (obj.call_method0("utctimetuple")?,))?
            .extract()?;
        let seconds = u64::try_from(seconds)
            .map_err(|_| invalid(format!("timestamp {obj} is before 1970")))?;
        return Ok(FieldValue::Timestamp(seconds));
    }
    Err(invalid(format!(
        "{} values cannot be sent in an AMQP field table",
        type_name(obj)
    )))
}

/// `Decimal` as `D`: pika's encoding (normalized; the scale is the count of decimals).
fn decimal_from_py(obj: &Bound<'_, PyAny>) -> PyResult<FieldValue> {
    let normalized = obj.call_method0("normalize")?;
    let exponent = normalized.call_method0("as_tuple")?.getattr("exponent")?;
    let exponent: i64 = exponent
        .extract()
        .map_err(|_| invalid(format!("Decimal {obj} is not a finite number")))?;
    let (scale, raw) = if exponent < 0 {
        let scale = -exponent;
        let raw = normalized.call_method1("scaleb", (scale,))?;
        (scale, raw.call_method0("__int__")?)
    } else {
        (0, normalized.call_method0("__int__")?)
    };
    let out_of_range = || {
        invalid(format!(
            "Decimal {obj} does not fit an AMQP decimal (32-bit value, at most 255 decimals)"
        ))
    };
    let scale = u8::try_from(scale).map_err(|_| out_of_range())?;
    let raw: i32 = raw.extract().map_err(|_| out_of_range())?;
    Ok(FieldValue::Decimal(Decimal {
        scale,
        // The wire carries the signed value's bits, as pika and RabbitMQ read them.
        value: raw as u32,
    }))
}

/// A field table as a dict (keys as `str`, or `bytes` when not UTF-8).
pub(crate) fn table_to_py<'py>(
    py: Python<'py>,
    table: &FieldTable,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in table.iter() {
        let key: Bound<'py, PyAny> = match std::str::from_utf8(k.as_bytes()) {
            Ok(s) => PyString::new(py, s).into_any(),
            Err(_) => PyBytes::new(py, k.as_bytes()).into_any(),
        };
        dict.set_item(key, value_to_py(py, v)?)?;
    }
    Ok(dict)
}

/// One field value as a Python value (see the module docs).
pub(crate) fn value_to_py<'py>(py: Python<'py>, value: &FieldValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        FieldValue::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        FieldValue::ShortShortInt(v) => (*v).into_pyobject(py)?.into_any(),
        FieldValue::ShortShortUInt(v) => (*v).into_pyobject(py)?.into_any(),
        FieldValue::ShortInt(v) => (*v).into_pyobject(py)?.into_any(),
        FieldValue::ShortUInt(v) => (*v).into_pyobject(py)?.into_any(),
        FieldValue::LongInt(v) => (*v).into_pyobject(py)?.into_any(),
        FieldValue::LongUInt(v) => (*v).into_pyobject(py)?.into_any(),
        FieldValue::LongLongInt(v) => (*v).into_pyobject(py)?.into_any(),
        // RabbitMQ (and pika) read `L` as signed.
        FieldValue::LongLongUInt(v) => (*v as i64).into_pyobject(py)?.into_any(),
        FieldValue::Float(v) => PyFloat::new(py, f64::from(*v)).into_any(),
        FieldValue::Double(v) => PyFloat::new(py, *v).into_any(),
        FieldValue::Decimal(d) => {
            // Decimal(raw) * Decimal(10) ** -scale, as pika computes it.
            let class = DECIMAL.import(py, "decimal", "Decimal")?;
            let raw = class.call1((d.value as i32,))?;
            let ten = class.call1((10,))?;
            raw.mul(ten.pow(-i32::from(d.scale), py.None())?)?
        }
        FieldValue::LongString(s) => match std::str::from_utf8(s.as_bytes()) {
            Ok(text) => PyString::new(py, text).into_any(),
            Err(_) => PyBytes::new(py, s.as_bytes()).into_any(),
        },
        FieldValue::Array(values) => {
            let list = PyList::empty(py);
            for v in values {
                list.append(value_to_py(py, v)?)?;
            }
            list.into_any()
        }
        FieldValue::Timestamp(seconds) => {
            let utc = TIMEZONE
                .import(py, "datetime", "timezone")?
                .getattr("utc")?;
            DATETIME
                .import(py, "datetime", "datetime")?
                .call_method1("fromtimestamp", (*seconds, utc))?
        }
        FieldValue::Table(t) => table_to_py(py, t)?.into_any(),
        FieldValue::Void => py.None().into_bound(py),
        FieldValue::ByteArray(b) => PyBytes::new(py, b).into_any(),
    })
}

/// An optional table argument (`None` is empty).
pub(crate) fn arguments(obj: Option<&Bound<'_, PyAny>>) -> PyResult<FieldTable> {
    match obj {
        Some(o) if !o.is_none() => table_from_py(o),
        _ => Ok(FieldTable::new()),
    }
}

/// A timeout in seconds (`None`: no limit); negative or NaN values are refused.
pub(crate) fn seconds(value: Option<f64>) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(s) => Duration::try_from_secs_f64(s).map(Some).map_err(|_| {
            invalid(format!(
                "a timeout must be a non-negative number of seconds, not {s}"
            ))
        }),
    }
}

/// A message body: `bytes`, `bytearray`, `memoryview` or `str` (sent as UTF-8, like pika).
pub(crate) fn body(obj: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_cow()?.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    // Anything else that supports the buffer protocol (memoryview, array...); not `int`,
    // which `bytes()` would turn into that many zero bytes.
    let view = obj
        .py()
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .map_err(|_| {
            invalid(format!(
                "a message body must be bytes or str, not {}",
                type_name(obj)
            ))
        })?;
    let bytes = view.call_method0("tobytes")?;
    Ok(Bytes::copy_from_slice(bytes.cast::<PyBytes>()?.as_bytes()))
}

/// A name or key as a short string (at most 255 bytes).
pub(crate) fn short(s: &str, what: &str) -> PyResult<ShortString> {
    ShortString::try_from(s).map_err(|e| invalid(format!("{what}: {e}")))
}
