//! Messages and their properties as Python objects: `BasicProperties` (pika's 14 attribute
//! names), `Message` (a delivery or `basic.get` result, acknowledged with its own methods) and
//! `ReturnedMessage`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict};
use warren_core::client::blocking;
use warren_core::client::Returned;
use warren_core::codec::{BasicProperties as CoreProperties, ShortString};
use warren_core::Delivery;

use crate::convert::{short, table_from_py, table_to_py};
use crate::errors::plain;

/// The 14 AMQP basic properties, with pika's names (`type` included). Every one is optional.
#[pyclass(module = "warren", name = "BasicProperties", eq)]
#[derive(Default)]
pub struct BasicProperties {
    #[pyo3(get, set)]
    content_type: Option<String>,
    #[pyo3(get, set)]
    content_encoding: Option<String>,
    /// A dict, kept as the Python object so that in-place changes are sent.
    #[pyo3(get, set)]
    headers: Option<Py<PyAny>>,
    /// Set through `delivery_mode_arg`, which also takes pika's `DeliveryMode` enum.
    delivery_mode: Option<u8>,
    #[pyo3(get, set)]
    priority: Option<u8>,
    #[pyo3(get, set)]
    correlation_id: Option<String>,
    #[pyo3(get, set)]
    reply_to: Option<String>,
    #[pyo3(get, set)]
    expiration: Option<String>,
    #[pyo3(get, set)]
    message_id: Option<String>,
    /// Seconds since the epoch.
    #[pyo3(get, set)]
    timestamp: Option<u64>,
    #[pyo3(get, set, name = "type")]
    kind: Option<String>,
    #[pyo3(get, set)]
    user_id: Option<String>,
    #[pyo3(get, set)]
    app_id: Option<String>,
    #[pyo3(get, set)]
    cluster_id: Option<String>,
}

impl PartialEq for BasicProperties {
    fn eq(&self, other: &Self) -> bool {
        let headers_eq = Python::attach(|py| match (&self.headers, &other.headers) {
            (None, None) => true,
            (Some(a), Some(b)) => a.bind(py).eq(b.bind(py)).unwrap_or(false),
            _ => false,
        });
        headers_eq
            && self.content_type == other.content_type
            && self.content_encoding == other.content_encoding
            && self.delivery_mode == other.delivery_mode
            && self.priority == other.priority
            && self.correlation_id == other.correlation_id
            && self.reply_to == other.reply_to
            && self.expiration == other.expiration
            && self.message_id == other.message_id
            && self.timestamp == other.timestamp
            && self.kind == other.kind
            && self.user_id == other.user_id
            && self.app_id == other.app_id
            && self.cluster_id == other.cluster_id
    }
}

const NAMES: [&str; 14] = [
    "content_type",
    "content_encoding",
    "headers",
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

#[pymethods]
impl BasicProperties {
    #[new]
    #[pyo3(signature = (content_type=None, content_encoding=None, headers=None, delivery_mode=None,
        priority=None, correlation_id=None, reply_to=None, expiration=None, message_id=None,
        timestamp=None, r#type=None, user_id=None, app_id=None, cluster_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        content_type: Option<String>,
        content_encoding: Option<String>,
        headers: Option<Py<PyAny>>,
        delivery_mode: Option<&Bound<'_, PyAny>>,
        priority: Option<u8>,
        correlation_id: Option<String>,
        reply_to: Option<String>,
        expiration: Option<String>,
        message_id: Option<String>,
        timestamp: Option<u64>,
        r#type: Option<String>,
        user_id: Option<String>,
        app_id: Option<String>,
        cluster_id: Option<String>,
    ) -> PyResult<Self> {
        let delivery_mode = delivery_mode_arg(delivery_mode)?;
        Ok(BasicProperties {
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
            kind: r#type,
            user_id,
            app_id,
            cluster_id,
        })
    }

    /// 1 (transient) or 2 (persistent).
    #[getter]
    fn get_delivery_mode(&self) -> Option<u8> {
        self.delivery_mode
    }

    #[setter]
    fn set_delivery_mode(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.delivery_mode = delivery_mode_arg(value)?;
        Ok(())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::new();
        for name in NAMES {
            let value = slf.getattr(name)?;
            if !value.is_none() {
                parts.push(format!("{name}={}", value.repr()?));
            }
        }
        Ok(format!("<BasicProperties({})>", parts.join(", ")))
    }
}

/// A delivery mode: an int, or an enum member whose `.value` is one (pika's `DeliveryMode`).
fn delivery_mode_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u8>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match v.extract::<u8>() {
            Ok(mode) => Ok(Some(mode)),
            Err(e) => match v.getattr("value") {
                Ok(inner) => Ok(Some(inner.extract::<u8>()?)),
                Err(_) => Err(e),
            },
        },
    }
}

fn opt_short(v: &Option<String>, what: &str) -> PyResult<Option<ShortString>> {
    v.as_deref().map(|s| short(s, what)).transpose()
}

fn opt_string(v: &Option<ShortString>) -> Option<String> {
    v.as_ref().map(|s| s.as_str().into_owned())
}

impl BasicProperties {
    /// The properties as the codec sends them.
    pub(crate) fn to_core(&self, py: Python<'_>) -> PyResult<CoreProperties> {
        let headers = match &self.headers {
            Some(h) if !h.is_none(py) => Some(table_from_py(h.bind(py))?),
            _ => None,
        };
        Ok(CoreProperties {
            content_type: opt_short(&self.content_type, "content_type")?,
            content_encoding: opt_short(&self.content_encoding, "content_encoding")?,
            headers,
            delivery_mode: self.delivery_mode,
            priority: self.priority,
            correlation_id: opt_short(&self.correlation_id, "correlation_id")?,
            reply_to: opt_short(&self.reply_to, "reply_to")?,
            expiration: opt_short(&self.expiration, "expiration")?,
            message_id: opt_short(&self.message_id, "message_id")?,
            timestamp: self.timestamp,
            kind: opt_short(&self.kind, "type")?,
            user_id: opt_short(&self.user_id, "user_id")?,
            app_id: opt_short(&self.app_id, "app_id")?,
            cluster_id: opt_short(&self.cluster_id, "cluster_id")?,
        })
    }

    /// Properties received from the broker.
    pub(crate) fn from_core(py: Python<'_>, p: &CoreProperties) -> PyResult<Self> {
        let headers = match &p.headers {
            Some(t) => Some(table_to_py(py, t)?.into_any().unbind()),
            None => None,
        };
        Ok(BasicProperties {
            content_type: opt_string(&p.content_type),
            content_encoding: opt_string(&p.content_encoding),
            headers,
            delivery_mode: p.delivery_mode,
            priority: p.priority,
            correlation_id: opt_string(&p.correlation_id),
            reply_to: opt_string(&p.reply_to),
            expiration: opt_string(&p.expiration),
            message_id: opt_string(&p.message_id),
            timestamp: p.timestamp,
            kind: opt_string(&p.kind),
            user_id: opt_string(&p.user_id),
            app_id: opt_string(&p.app_id),
            cluster_id: opt_string(&p.cluster_id),
        })
    }
}

/// An attribute that is present and not `None`.
fn attr<'py>(obj: &Bound<'py, PyAny>, name: &str) -> Option<Bound<'py, PyAny>> {
    obj.getattr(name).ok().filter(|v| !v.is_none())
}

fn attr_string(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<String>> {
    attr(obj, name).map(|v| v.extract::<String>()).transpose()
}

/// `properties=` as passed to a publish: `None`, a `BasicProperties`, or any object with the
/// same attribute names (e.g. `pika.BasicProperties`).
pub(crate) fn properties_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<CoreProperties> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(CoreProperties::default());
    };
    if let Ok(p) = obj.cast::<BasicProperties>() {
        return p.borrow().to_core(obj.py());
    }
    let props = BasicProperties {
        content_type: attr_string(obj, "content_type")?,
        content_encoding: attr_string(obj, "content_encoding")?,
        headers: attr(obj, "headers").map(|h| h.unbind()),
        delivery_mode: delivery_mode_arg(attr(obj, "delivery_mode").as_ref())?,
        priority: attr(obj, "priority").map(|v| v.extract()).transpose()?,
        correlation_id: attr_string(obj, "correlation_id")?,
        reply_to: attr_string(obj, "reply_to")?,
        expiration: attr_string(obj, "expiration")?,
        message_id: attr_string(obj, "message_id")?,
        timestamp: attr(obj, "timestamp").map(|v| v.extract()).transpose()?,
        kind: attr_string(obj, "type")?,
        user_id: attr_string(obj, "user_id")?,
        app_id: attr_string(obj, "app_id")?,
        cluster_id: attr_string(obj, "cluster_id")?,
    };
    props.to_core(obj.py())
}

/// A message from a consumer or `basic_get`. Acknowledge it with `ack()`, `nack()` or
/// `reject()` (unless it was consumed with `auto_ack`).
#[pyclass(module = "warren", name = "Message", frozen)]
pub struct Message {
    delivery: Delivery,
    /// The body as `bytes`, made on first access.
    body: PyOnceLock<Py<PyBytes>>,
    /// The properties object, made on first access.
    properties: PyOnceLock<Py<BasicProperties>>,
    /// The blocking channel, for acknowledgements that respect fork detection.
    channel: Option<blocking::Channel>,
}

impl Message {
    pub(crate) fn new(delivery: Delivery, channel: Option<blocking::Channel>) -> Self {
        Message {
            delivery,
            body: PyOnceLock::new(),
            properties: PyOnceLock::new(),
            channel,
        }
    }
}

#[pymethods]
impl Message {
    /// The body.
    #[getter]
    fn body(&self, py: Python<'_>) -> Py<PyBytes> {
        self.body
            .get_or_init(py, || PyBytes::new(py, &self.delivery.body).unbind())
            .clone_ref(py)
    }

    /// The 14 basic properties.
    #[getter]
    fn properties(&self, py: Python<'_>) -> PyResult<Py<BasicProperties>> {
        let p = self.properties.get_or_try_init(py, || {
            Py::new(
                py,
                BasicProperties::from_core(py, &self.delivery.properties)?,
            )
        })?;
        Ok(p.clone_ref(py))
    }

    #[getter]
    fn exchange(&self) -> String {
        self.delivery.exchange.as_str().into_owned()
    }

    #[getter]
    fn routing_key(&self) -> String {
        self.delivery.routing_key.as_str().into_owned()
    }

    #[getter]
    fn delivery_tag(&self) -> u64 {
        self.delivery.delivery_tag
    }

    #[getter]
    fn redelivered(&self) -> bool {
        self.delivery.redelivered
    }

    /// The consumer it was delivered to (empty for `basic_get`).
    #[getter]
    fn consumer_tag(&self) -> String {
        self.delivery.consumer_tag.as_str().into_owned()
    }

    /// Messages left in the queue (only for `basic_get`).
    #[getter]
    fn message_count(&self) -> Option<u32> {
        self.delivery.message_count
    }

    /// The channel number it arrived on.
    #[getter]
    fn channel_number(&self) -> u16 {
        self.delivery.channel().id()
    }

    /// Acknowledges this message (`basic.ack`); with `multiple`, every earlier one too.
    #[pyo3(signature = (multiple=false))]
    fn ack(&self, multiple: bool) -> PyResult<()> {
        match &self.channel {
            Some(ch) => ch.basic_ack(self.delivery.delivery_tag, multiple),
            None if multiple => self.delivery.ack_multiple(),
            None => self.delivery.ack(),
        }
        .map_err(plain)
    }

    /// Rejects this message (`basic.nack`); with `requeue` the broker delivers it again.
    #[pyo3(signature = (requeue=true, multiple=false))]
    fn nack(&self, requeue: bool, multiple: bool) -> PyResult<()> {
        match &self.channel {
            Some(ch) => ch.basic_nack(self.delivery.delivery_tag, multiple, requeue),
            None => {
                self.delivery
                    .channel()
                    .basic_nack(self.delivery.delivery_tag, multiple, requeue)
            }
        }
        .map_err(plain)
    }

    /// Rejects this message (`basic.reject`); with `requeue` the broker delivers it again.
    #[pyo3(signature = (requeue=true))]
    fn reject(&self, requeue: bool) -> PyResult<()> {
        match &self.channel {
            Some(ch) => ch.basic_reject(self.delivery.delivery_tag, requeue),
            None => self.delivery.reject(requeue),
        }
        .map_err(plain)
    }

    /// The body parsed as JSON (`json.loads`).
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (self.body(py),))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Message delivery_tag={} exchange={:?} routing_key={:?} body={} bytes>",
            self.delivery.delivery_tag,
            self.delivery.exchange.as_str(),
            self.delivery.routing_key.as_str(),
            self.delivery.body.len()
        )
    }
}

/// A mandatory message the broker could not route (`basic.return`).
#[pyclass(module = "warren", name = "ReturnedMessage", frozen, get_all)]
pub struct ReturnedMessage {
    reply_code: u16,
    reply_text: String,
    exchange: String,
    routing_key: String,
    properties: Py<BasicProperties>,
    body: Py<PyBytes>,
}

impl ReturnedMessage {
    pub(crate) fn new(py: Python<'_>, r: &Returned) -> PyResult<Self> {
        Ok(ReturnedMessage {
            reply_code: r.reply_code,
            reply_text: r.reply_text.as_str().into_owned(),
            exchange: r.exchange.as_str().into_owned(),
            routing_key: r.routing_key.as_str().into_owned(),
            properties: Py::new(py, BasicProperties::from_core(py, &r.properties)?)?,
            body: PyBytes::new(py, &r.body).unbind(),
        })
    }
}

#[pymethods]
impl ReturnedMessage {
    fn __repr__(&self) -> String {
        format!(
            "<ReturnedMessage {} {} exchange={:?} routing_key={:?}>",
            self.reply_code, self.reply_text, self.exchange, self.routing_key
        )
    }
}

/// What `queue_declare` answers.
#[pyclass(module = "warren", name = "QueueDeclareOk", frozen, get_all)]
pub struct QueueDeclareOk {
    /// The queue's name (the broker's choice when declared with an empty name).
    pub queue: String,
    pub message_count: u32,
    pub consumer_count: u32,
}

#[pymethods]
impl QueueDeclareOk {
    fn __repr__(&self) -> String {
        format!(
            "<QueueDeclareOk queue={:?} message_count={} consumer_count={}>",
            self.queue, self.message_count, self.consumer_count
        )
    }
}

/// Builds a dict of keyword arguments; used by `metrics()`.
pub(crate) fn dict_of<'py>(
    py: Python<'py>,
    pairs: impl IntoIterator<Item = (&'static str, u64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in pairs {
        d.set_item(k, v)?;
    }
    Ok(d)
}
