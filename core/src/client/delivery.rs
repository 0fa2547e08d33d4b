//! Messages as consumers see them: deliveries and `basic.get` results.

use bytes::Bytes;

use super::channel::Channel;
use crate::codec::{BasicProperties, ShortString};
use crate::error::Result;

/// A message delivered to a consumer or fetched with `basic.get`.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The consumer it was delivered to (empty for `basic.get`).
    pub consumer_tag: ShortString,
    /// Identifies the message on its channel for ack, nack and reject.
    pub delivery_tag: u64,
    /// Whether it was delivered before and not acknowledged.
    pub redelivered: bool,
    /// Exchange it was published to.
    pub exchange: ShortString,
    /// Routing key it was published with.
    pub routing_key: ShortString,
    /// The 14 basic properties.
    pub properties: BasicProperties,
    /// The body, shared with the frame it arrived in.
    pub body: Bytes,
    /// Messages left in the queue (only for `basic.get`).
    pub message_count: Option<u32>,
    /// The channel it arrived on, for acknowledgements.
    pub(crate) channel: Channel,
}

impl Delivery {
    pub(crate) fn from_deliver(
        deliver: crate::codec::BasicDeliver,
        content: crate::proto::Content,
        channel: Channel,
    ) -> Self {
        Delivery {
            consumer_tag: deliver.consumer_tag,
            delivery_tag: deliver.delivery_tag,
            redelivered: deliver.redelivered,
            exchange: deliver.exchange,
            routing_key: deliver.routing_key,
            properties: content.properties,
            body: content.body,
            message_count: None,
            channel,
        }
    }

    /// The channel this delivery must be acknowledged on.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Acknowledges this message.
    pub fn ack(&self) -> Result<()> {
        self.channel.basic_ack(self.delivery_tag, false)
    }

    /// Acknowledges this message and every earlier unacknowledged one on the channel.
    pub fn ack_multiple(&self) -> Result<()> {
        self.channel.basic_ack(self.delivery_tag, true)
    }

    /// Rejects this message; with `requeue` the broker delivers it again.
    pub fn nack(&self, requeue: bool) -> Result<()> {
        self.channel.basic_nack(self.delivery_tag, false, requeue)
    }

    /// Rejects this message with `basic.reject`.
    pub fn reject(&self, requeue: bool) -> Result<()> {
        self.channel.basic_reject(self.delivery_tag, requeue)
    }
}
