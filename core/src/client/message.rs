//! Messages as the application sees them: deliveries to consumers, `basic.get` results and
//! returned (unroutable mandatory) messages.

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

/// A mandatory message the broker could not route (`basic.return`).
#[derive(Debug, Clone, PartialEq)]
pub struct Returned {
    /// Why, usually 312 NO_ROUTE.
    pub reply_code: u16,
    /// The broker's explanation.
    pub reply_text: ShortString,
    /// Exchange it was published to.
    pub exchange: ShortString,
    /// Routing key it was published with.
    pub routing_key: ShortString,
    /// Its properties.
    pub properties: BasicProperties,
    /// Its body.
    pub body: Bytes,
}

/// The broker's answer to a publish on a channel in confirm mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The broker took responsibility for the message (`basic.ack`).
    Ack,
    /// The broker could not take the message (`basic.nack`), e.g. a queue refused it.
    Nack,
    /// The channel is not in confirm mode, so there is nothing to wait for.
    NotRequested,
}

impl Confirmation {
    /// True for `Ack`.
    pub fn is_ack(self) -> bool {
        self == Confirmation::Ack
    }
}
