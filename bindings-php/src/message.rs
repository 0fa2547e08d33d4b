//! `Warren\Message`: a delivery, a `basicGet()` result, an RPC reply or a returned message.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use warren_core::client::{Delivery, Returned};
use warren_core::codec::BasicProperties;
use warren_core::error::Error;

use crate::errors::OrThrow;
use crate::values;

/// Where a message came from: only deliveries can be acknowledged.
enum Source {
    Delivery(Delivery),
    Returned(Returned),
}

/// A message from the broker. Read `$m->body`, `$m->properties`, `$m->headers`,
/// `$m->exchange`, `$m->routingKey`, `$m->deliveryTag`, `$m->redelivered`,
/// `$m->consumerTag`; settle it with `ack()`, `nack()` or `reject()`.
#[php_class]
#[php(name = "Warren\\Message")]
pub struct Message {
    source: Source,
    /// Delivered without acknowledgement (no_ack consumer or get): settling it is an error.
    no_ack: bool,
}

impl Message {
    pub(crate) fn new(delivery: Delivery, no_ack: bool) -> Message {
        Message {
            source: Source::Delivery(delivery),
            no_ack,
        }
    }

    pub(crate) fn returned(ret: Returned) -> Message {
        Message {
            source: Source::Returned(ret),
            no_ack: true,
        }
    }

    fn props(&self) -> &BasicProperties {
        match &self.source {
            Source::Delivery(d) => &d.properties,
            Source::Returned(r) => &r.properties,
        }
    }

    pub(crate) fn return_code(&self) -> u16 {
        match &self.source {
            Source::Returned(r) => r.reply_code,
            Source::Delivery(_) => 0,
        }
    }

    pub(crate) fn return_text(&self) -> String {
        match &self.source {
            Source::Returned(r) => r.reply_text.as_str().into_owned(),
            Source::Delivery(_) => String::new(),
        }
    }

    fn settle(&self, f: impl FnOnce(&Delivery) -> Result<(), Error>) -> PhpResult<()> {
        match &self.source {
            Source::Delivery(_) if self.no_ack => Err(Error::InvalidState(
                "this message was delivered with no_ack: there is nothing to settle".into(),
            ))
            .or_throw(),
            Source::Delivery(d) => f(d).or_throw(),
            Source::Returned(_) => Err(Error::InvalidState(
                "a returned message cannot be acknowledged".into(),
            ))
            .or_throw(),
        }
    }
}

#[php_impl]
impl Message {
    /// The body (binary-safe string).
    #[php(getter)]
    pub fn get_body(&self) -> Zval {
        let body = match &self.source {
            Source::Delivery(d) => &d.body,
            Source::Returned(r) => &r.body,
        };
        values::bytes_zval(body)
    }

    /// The properties present, keyed content_type, content_encoding, headers,
    /// delivery_mode, priority, correlation_id, reply_to, expiration, message_id, timestamp,
    /// type, user_id, app_id, cluster_id.
    #[php(getter)]
    pub fn get_properties(&self) -> Zval {
        values::properties_to_php(self.props(), "headers")
    }

    /// The properties as a `Warren\Properties` (to publish again as they are, or to read
    /// with `get()`).
    #[php(name = "getProperties")]
    pub fn properties_object(&self) -> crate::properties::Properties {
        crate::properties::Properties::from_core(self.props().clone())
    }

    /// The headers table as a PHP array (empty when there are none).
    #[php(getter)]
    pub fn get_headers(&self) -> Zval {
        match &self.props().headers {
            Some(h) => values::table_to_php(h),
            None => values::table_to_php(&Default::default()),
        }
    }

    /// The headers with their AMQP types: each entry `[type letter, value]` (`'I'`, `'S'`,
    /// `'T'`...), arrays and tables typed the same way inside, timestamps as integers. For
    /// re-sending headers with exactly the types received.
    #[php(getter, name = "typedHeaders")]
    pub fn get_typed_headers(&self) -> Zval {
        values::typed_table_to_php(self.props().headers.as_ref().unwrap_or(&Default::default()))
    }

    /// The exchange it was published to.
    #[php(getter)]
    pub fn get_exchange(&self) -> String {
        match &self.source {
            Source::Delivery(d) => d.exchange.as_str().into_owned(),
            Source::Returned(r) => r.exchange.as_str().into_owned(),
        }
    }

    /// The routing key it was published with.
    #[php(getter, name = "routingKey")]
    pub fn get_routing_key(&self) -> String {
        match &self.source {
            Source::Delivery(d) => d.routing_key.as_str().into_owned(),
            Source::Returned(r) => r.routing_key.as_str().into_owned(),
        }
    }

    /// Identifies the delivery on its channel (0 for a returned message).
    #[php(getter, name = "deliveryTag")]
    pub fn get_delivery_tag(&self) -> i64 {
        match &self.source {
            Source::Delivery(d) => d.delivery_tag as i64,
            Source::Returned(_) => 0,
        }
    }

    /// Whether it was delivered before and not acknowledged.
    #[php(getter)]
    pub fn get_redelivered(&self) -> bool {
        matches!(&self.source, Source::Delivery(d) if d.redelivered)
    }

    /// The consumer it was delivered to ('' for basicGet and returned messages).
    #[php(getter, name = "consumerTag")]
    pub fn get_consumer_tag(&self) -> String {
        match &self.source {
            Source::Delivery(d) => d.consumer_tag.as_str().into_owned(),
            Source::Returned(_) => String::new(),
        }
    }

    /// Messages left in the queue after a basicGet (null otherwise).
    #[php(getter, name = "messageCount")]
    pub fn get_message_count(&self) -> Option<i64> {
        match &self.source {
            Source::Delivery(d) => d.message_count.map(i64::from),
            Source::Returned(_) => None,
        }
    }

    /// The channel number it arrived on.
    #[php(getter, name = "channelId")]
    pub fn get_channel_id(&self) -> i64 {
        match &self.source {
            Source::Delivery(d) => i64::from(d.channel().id()),
            Source::Returned(_) => 0,
        }
    }

    /// Where the message came from, in one call, keyed as php-amqplib's `delivery_info`:
    /// consumer_tag (a consumer's delivery), delivery_tag, redelivered, exchange,
    /// routing_key, message_count (after basicGet).
    pub fn delivery_info(&self) -> PhpResult<ZBox<ZendHashTable>> {
        let mut ht = ZendHashTable::new();
        let text = |s: &warren_core::codec::ShortString| values::bytes_zval(s.as_bytes());
        match &self.source {
            Source::Delivery(d) => {
                if !d.consumer_tag.as_bytes().is_empty() {
                    ht.insert("consumer_tag", text(&d.consumer_tag))?;
                }
                ht.insert("delivery_tag", d.delivery_tag as i64)?;
                ht.insert("redelivered", d.redelivered)?;
                ht.insert("exchange", text(&d.exchange))?;
                ht.insert("routing_key", text(&d.routing_key))?;
                if let Some(n) = d.message_count {
                    ht.insert("message_count", i64::from(n))?;
                }
            }
            Source::Returned(r) => {
                ht.insert("delivery_tag", 0_i64)?;
                ht.insert("redelivered", false)?;
                ht.insert("exchange", text(&r.exchange))?;
                ht.insert("routing_key", text(&r.routing_key))?;
            }
        }
        Ok(ht)
    }

    /// Acknowledges the message.
    pub fn ack(&self) -> PhpResult<()> {
        self.settle(Delivery::ack)
    }

    /// Rejects the message (`basic.nack`); with `$requeue` the broker delivers it again.
    #[php(defaults(requeue = true))]
    pub fn nack(&self, requeue: bool) -> PhpResult<()> {
        self.settle(|d| d.nack(requeue))
    }

    /// Rejects the message (`basic.reject`).
    #[php(defaults(requeue = true))]
    pub fn reject(&self, requeue: bool) -> PhpResult<()> {
        self.settle(|d| d.reject(requeue))
    }
}
