//! The byte layouts that cross JNI, so that one crossing carries a whole batch.
//!
//! Everything is big-endian. Strings are UTF-8 with a `u32` length. Basic properties and field
//! tables travel in their AMQP encoding (the content header's property flags and list, a
//! table's length and entries): Java writes them, the core codec decodes and checks them here;
//! the core codec writes them and Java reads them. `WireFormat.java` is the other side of
//! this file.

use bytes::{Bytes, BytesMut};
use warren_core::client::{ConnectionEvent, ConsumerEnd, Delivery, InboxItem, Returned};
use warren_core::codec::wire::Reader;
use warren_core::{BasicProperties, FieldTable};

use crate::error::{kind, write_error, BridgeError, BridgeResult};

/// Tags of the items in a delivery batch.
pub mod item {
    /// A delivery.
    pub const DELIVERY: u8 = 1;
    /// A consumer ended.
    pub const ENDED: u8 = 2;
}

/// Why a consumer ended, as the batch says.
pub mod end {
    /// The application cancelled it.
    pub const CANCELLED_BY_APP: u8 = 0;
    /// The broker cancelled it.
    pub const CANCELLED_BY_BROKER: u8 = 1;
    /// Its channel closed (an error follows).
    pub const CHANNEL_CLOSED: u8 = 2;
    /// Its connection closed (an error follows).
    pub const CONNECTION_CLOSED: u8 = 3;
}

/// Tags of connection events.
pub mod event {
    /// `connection.blocked` (reason follows).
    pub const BLOCKED: u8 = 1;
    /// `connection.unblocked`.
    pub const UNBLOCKED: u8 = 2;
    /// The link was lost (error follows).
    pub const CONNECTION_LOST: u8 = 3;
    /// A recovery round starts (attempt follows).
    pub const RECOVERY_STARTED: u8 = 4;
    /// Recovered (host follows).
    pub const RECOVERED: u8 = 5;
    /// Recovery gave up (error follows).
    pub const RECOVERY_FAILED: u8 = 6;
    /// Part of the topology was not recovered (what, error).
    pub const TOPOLOGY_RECOVERY_FAILED: u8 = 7;
    /// A server-named queue got a new name (old, new).
    pub const QUEUE_RENAMED: u8 = 8;
    /// A channel was closed with an error (channel, error).
    pub const CHANNEL_CLOSED: u8 = 9;
    /// The broker cancelled a consumer (channel, tag).
    pub const CONSUMER_CANCELLED: u8 = 10;
    /// The connection ended (flag, then error if set).
    pub const CLOSED: u8 = 11;
}

/// A growing buffer in the bridge's layout.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// Two bytes.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Four bytes.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Eight bytes.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Bytes with a `u32` length.
    pub fn long_str(&mut self, b: &[u8]) {
        // Bodies are bounded by the maximum message size (u32 on the wire of every frame).
        self.u32(u32::try_from(b.len()).unwrap_or(u32::MAX));
        self.buf.extend_from_slice(b);
    }
    /// Basic properties in their AMQP encoding, with a `u32` length (0: none set).
    pub fn properties(&mut self, p: &BasicProperties) {
        if *p == BasicProperties::default() {
            self.u32(0);
            return;
        }
        let mut out = BytesMut::new();
        p.encode(&mut out);
        self.long_str(&out);
    }
    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Decodes basic properties Java wrote (flags and list); an empty slice means none.
pub fn decode_properties(bytes: Vec<u8>) -> BridgeResult<BasicProperties> {
    if bytes.is_empty() {
        return Ok(BasicProperties::default());
    }
    let mut r = Reader::new(Bytes::from(bytes));
    let props = BasicProperties::decode(&mut r).map_err(bad_input)?;
    if !r.is_empty() {
        return Err(bad_input("bytes after the properties"));
    }
    Ok(props)
}

/// Decodes a field table Java wrote (length and entries); an empty slice means an empty table.
pub fn decode_table(bytes: Vec<u8>) -> BridgeResult<FieldTable> {
    if bytes.is_empty() {
        return Ok(FieldTable::new());
    }
    let mut r = Reader::new(Bytes::from(bytes));
    let table = r.table().map_err(bad_input)?;
    if !r.is_empty() {
        return Err(bad_input("bytes after the table"));
    }
    Ok(table)
}

/// A field table in its AMQP encoding.
pub fn encode_table(t: &FieldTable) -> Vec<u8> {
    let mut out = BytesMut::new();
    warren_core::codec::wire::put_table(&mut out, t);
    out.to_vec()
}

fn bad_input(e: impl std::fmt::Display) -> BridgeError {
    BridgeError::Core(warren_core::Error::InvalidArgument(format!(
        "properties or table Warren's Java side encoded do not decode: {e}"
    )))
}

/// A delivery: consumer tag, delivery tag, redelivered, exchange, routing key, message count
/// (`u32`, `u32::MAX` when none), properties, body.
pub fn write_delivery(w: &mut Writer, d: &Delivery) {
    w.long_str(d.consumer_tag.as_bytes());
    w.u64(d.delivery_tag);
    w.u8(u8::from(d.redelivered));
    w.long_str(d.exchange.as_bytes());
    w.long_str(d.routing_key.as_bytes());
    w.u32(d.message_count.unwrap_or(u32::MAX));
    w.properties(&d.properties);
    w.long_str(&d.body);
}

/// One item of a consumer batch: a delivery, or a consumer's end.
pub fn write_inbox_item(w: &mut Writer, item: &InboxItem) {
    match item {
        InboxItem::Delivery(d) => {
            w.u8(item::DELIVERY);
            write_delivery(w, d);
        }
        InboxItem::Ended {
            consumer_tag,
            reason,
            ..
        } => {
            w.u8(item::ENDED);
            w.long_str(consumer_tag.as_bytes());
            match reason {
                ConsumerEnd::CancelledByApp => w.u8(end::CANCELLED_BY_APP),
                ConsumerEnd::CancelledByBroker => w.u8(end::CANCELLED_BY_BROKER),
                ConsumerEnd::ChannelClosed(e) => {
                    w.u8(end::CHANNEL_CLOSED);
                    write_core_error(w, e);
                }
                ConsumerEnd::ConnectionClosed(e) => {
                    w.u8(end::CONNECTION_CLOSED);
                    write_core_error(w, e);
                }
            }
        }
    }
}

/// A core error in `NativeException`'s layout.
pub fn write_core_error(w: &mut Writer, e: &warren_core::Error) {
    write_error(w, crate::error::error_kind(e), Some(e), &e.to_string());
}

/// A returned message: reply code, reply text, exchange, routing key, properties, body.
pub fn write_return(w: &mut Writer, r: &Returned) {
    w.u16(r.reply_code);
    w.long_str(r.reply_text.as_bytes());
    w.long_str(r.exchange.as_bytes());
    w.long_str(r.routing_key.as_bytes());
    w.properties(&r.properties);
    w.long_str(&r.body);
}

/// A connection event (see [`event`]).
pub fn write_event(w: &mut Writer, ev: &ConnectionEvent) {
    match ev {
        ConnectionEvent::Blocked(reason) => {
            w.u8(event::BLOCKED);
            w.long_str(reason.as_bytes());
        }
        ConnectionEvent::Unblocked => w.u8(event::UNBLOCKED),
        ConnectionEvent::ConnectionLost(e) => {
            w.u8(event::CONNECTION_LOST);
            write_core_error(w, e);
        }
        ConnectionEvent::RecoveryStarted { attempt } => {
            w.u8(event::RECOVERY_STARTED);
            w.u32(*attempt);
        }
        ConnectionEvent::Recovered { host } => {
            w.u8(event::RECOVERED);
            w.long_str(host.as_bytes());
        }
        ConnectionEvent::RecoveryFailed(e) => {
            w.u8(event::RECOVERY_FAILED);
            write_core_error(w, e);
        }
        ConnectionEvent::TopologyRecoveryFailed { what, error } => {
            w.u8(event::TOPOLOGY_RECOVERY_FAILED);
            w.long_str(what.as_bytes());
            write_core_error(w, error);
        }
        ConnectionEvent::QueueRenamed { old, new } => {
            w.u8(event::QUEUE_RENAMED);
            w.long_str(old.as_bytes());
            w.long_str(new.as_bytes());
        }
        ConnectionEvent::ChannelClosed { channel, error } => {
            w.u8(event::CHANNEL_CLOSED);
            w.u16(*channel);
            write_core_error(w, &warren_core::Error::ChannelClosed(error.clone()));
        }
        ConnectionEvent::ConsumerCancelled {
            channel,
            consumer_tag,
        } => {
            w.u8(event::CONSUMER_CANCELLED);
            w.u16(*channel);
            w.long_str(consumer_tag.as_bytes());
        }
        ConnectionEvent::Closed(reason) => {
            w.u8(event::CLOSED);
            match reason {
                None => w.u8(0),
                Some(e) => {
                    w.u8(1);
                    write_core_error(w, e);
                }
            }
        }
    }
}

/// An internal error (not from the core) in `NativeException`'s layout.
pub fn internal_error(message: &str) -> Vec<u8> {
    let mut w = Writer::default();
    write_error(&mut w, kind::INTERNAL, None, message);
    w.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use warren_core::codec::ShortString;

    #[test]
    fn properties_round_trip_through_the_core_codec() {
        let props = BasicProperties {
            content_type: Some(ShortString::from_static("application/json")),
            delivery_mode: Some(2),
            ..Default::default()
        };
        let mut w = Writer::default();
        w.properties(&props);
        let bytes = w.into_bytes();
        let decoded = decode_properties(bytes[4..].to_vec()).unwrap();
        assert_eq!(decoded, props);
    }

    #[test]
    fn garbage_from_java_is_an_error_not_a_panic() {
        assert!(decode_properties(vec![0xff, 0xff, 1]).is_err());
        assert!(decode_table(vec![0, 0, 0, 9, 1]).is_err());
        assert!(decode_table(vec![0, 0, 0, 0, 7]).is_err());
    }

    #[test]
    fn no_properties_cost_four_bytes() {
        let mut w = Writer::default();
        w.properties(&BasicProperties::default());
        assert_eq!(w.into_bytes(), vec![0, 0, 0, 0]);
    }
}
