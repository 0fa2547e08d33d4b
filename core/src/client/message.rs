//! Plain data the broker sends back about publishes: returned (unroutable mandatory)
//! messages and publisher confirms. A leaf module (deliveries, which hold their channel, are in
//! `delivery.rs`).

use bytes::Bytes;

use super::mailbox::Weighed;
use crate::codec::{BasicProperties, ShortString};

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

impl Weighed for Returned {
    fn weight(&self) -> usize {
        self.body.len()
    }
}

/// A publisher confirm as a confirm listener sees it (the Java client's `ConfirmListener`):
/// `seq_no` is the publish's sequence number on its channel, as
/// `Channel::next_publish_seq_no` announced it; sequence numbers keep growing across
/// recoveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmEvent {
    /// The publish (with `multiple`: every publish up to it) this answer is about.
    pub seq_no: u64,
    /// Whether it covers every earlier unanswered publish too.
    pub multiple: bool,
    /// The outcome: `Ack`, `Nack`, or (after a lost connection) never answered.
    pub outcome: ConfirmOutcome,
}

/// What became of a publish in confirm mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// `basic.ack`.
    Ack,
    /// `basic.nack`.
    Nack,
    /// The connection was lost before the broker answered.
    Lost,
}

impl Weighed for ConfirmEvent {
    fn weight(&self) -> usize {
        0
    }
}
