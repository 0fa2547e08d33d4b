//! `Warren\Properties`: a message's basic properties as a value object, validated once.
//!
//! `basicPublish()` takes the properties as an array or as a `Warren\Properties`: an array is
//! checked and converted on every call, a `Warren\Properties` only when it is built, so a
//! publisher that sends many messages with the same properties builds one and reuses it.
//! Received messages give theirs with `Warren\Message::getProperties()`.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::FromZval;
use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendClassObject, ZendHashTable, Zval};
use warren_core::codec::BasicProperties;

use crate::errors::{invalid_argument, OrThrow};
use crate::values;

/// The keys of `toArray()` and `get()`: php-amqplib's property names, with the headers under
/// `headers` (`application_headers` is accepted as its other name).
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

/// `headers` for its two spellings; an unknown name is an InvalidArgumentException.
fn canonical_name(name: &str) -> Result<&'static str, PhpException> {
    let name = if name == "application_headers" {
        "headers"
    } else {
        name
    };
    NAMES.iter().find(|n| **n == name).copied().ok_or_else(|| {
        invalid_argument(format!(
            "unknown message property {name:?} (known: {})",
            NAMES.join(", ")
        ))
    })
}

/// A message's properties (content_type, content_encoding, headers, delivery_mode, priority,
/// correlation_id, reply_to, expiration, message_id, timestamp, type, user_id, app_id,
/// cluster_id), immutable: `with()` returns a changed copy.
#[php_class]
#[php(name = "Warren\\Properties")]
#[derive(Clone, Default)]
pub struct Properties {
    pub(crate) props: BasicProperties,
}

impl Properties {
    pub(crate) fn from_core(props: BasicProperties) -> Properties {
        Properties { props }
    }

    fn as_table(&self) -> ZBox<ZendHashTable> {
        values::properties_table(&self.props, "headers")
    }
}

/// `basicPublish()`'s `$properties`: null, an array, or a `Warren\Properties`.
pub(crate) fn from_argument(zv: Option<&Zval>) -> Result<BasicProperties, PhpException> {
    let Some(zv) = zv.map(Zval::dereference) else {
        return Ok(BasicProperties::default());
    };
    if zv.is_null() {
        return Ok(BasicProperties::default());
    }
    if let Some(ht) = zv.array() {
        return if ht.is_empty() {
            Ok(BasicProperties::default())
        } else {
            values::properties_from_php(ht).or_throw()
        };
    }
    match <&ZendClassObject<Properties>>::from_zval(zv) {
        Some(obj) => Ok(obj.props.clone()),
        None => Err(invalid_argument(
            "the properties must be an array or a Warren\\Properties",
        )),
    }
}

#[php_impl]
impl Properties {
    /// Checks and keeps `$properties` (keys as `basicPublish()` takes them; null values are
    /// left out). Throws InvalidArgumentException for an unknown name or a value of the
    /// wrong type.
    pub fn __construct(properties: Option<&ZendHashTable>) -> PhpResult<Self> {
        Ok(Properties {
            props: match properties {
                Some(ht) => values::properties_from_php(ht).or_throw()?,
                None => BasicProperties::default(),
            },
        })
    }

    /// The properties present, as `Warren\Message::$properties` gives them.
    pub fn to_array(&self) -> ZBox<ZendHashTable> {
        self.as_table()
    }

    /// One property, or null when it is not set.
    pub fn get(&self, name: &str) -> PhpResult<Zval> {
        let name = canonical_name(name)?;
        let table = self.as_table();
        Ok(match table.get(name) {
            Some(v) => v.shallow_clone(),
            None => Zval::null(),
        })
    }

    /// Whether a property is set.
    pub fn has(&self, name: &str) -> PhpResult<bool> {
        let name = canonical_name(name)?;
        Ok(self.as_table().get(name).is_some())
    }

    /// A copy with one property set to `$value` (removed with null).
    pub fn with(&self, name: &str, value: &Zval) -> PhpResult<Properties> {
        let name = canonical_name(name)?;
        let mut table = self.as_table();
        let value = value.dereference();
        if value.is_null() {
            table.remove(name);
        } else {
            table
                .insert(name, value.shallow_clone())
                .map_err(|e| invalid_argument(format!("property {name}: {e}")))?;
        }
        Ok(Properties {
            props: values::properties_from_php(&table).or_throw()?,
        })
    }
}
