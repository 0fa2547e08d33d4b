//! A published message as the broker keeps it: shared by every queue it was routed to.

use std::sync::Arc;

use bytes::Bytes;
use warren_core::codec::{BasicProperties, ShortString};

/// One published message. Immutable once routed; queues share it through [`MessageRef`], and
/// the body is the `Bytes` read from the publisher's socket, written unchanged to consumers.
#[derive(Debug)]
pub struct Message {
    /// Exchange it was published to.
    pub exchange: ShortString,
    /// Routing key it was published with.
    pub routing_key: ShortString,
    /// Its properties.
    pub properties: BasicProperties,
    /// Its body.
    pub body: Bytes,
}

/// A shared message.
pub type MessageRef = Arc<Message>;

impl Message {
    /// Whether the publisher asked for persistence (`delivery_mode` 2).
    pub fn is_persistent(&self) -> bool {
        self.properties.delivery_mode == Some(2)
    }
}
