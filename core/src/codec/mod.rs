//! The AMQP 0-9-1 wire format: bytes ⇄ frames.
//!
//! Method structs, constants, reply codes and per-method facts are generated from the vendored
//! spec (`generated.rs`, see `warren-codegen`); values, tables and framing are written by hand.
//! Decoding distinguishes "incomplete" (`Ok(None)`: read more bytes) from "malformed"
//! ([`DecodeError`]), and never buffers a frame larger than the negotiated frame-max.

mod frame;
#[rustfmt::skip]
mod generated;
mod value;
pub mod wire;

pub use frame::{
    decode_frame, encode_body_frame_header, encode_content_header, encode_frame_end,
    encode_heartbeat, encode_method_frame, ContentHeader, Frame, UndecodableProperties,
    FRAME_HEADER_SIZE, FRAME_OVERHEAD, PROTOCOL_HEADER,
};
pub use generated::*;
pub use value::{
    Decimal, FieldTable, FieldValue, LongString, ShortString, ShortStringTooLong, MAX_NESTING,
};

/// Why bytes could not be decoded. Every variant is a malformed input; "need more bytes" is
/// reported as `Ok(None)` by [`decode_frame`] instead.
///
/// After [`DecodeError::UnknownFrameType`], [`DecodeError::BadFrameEnd`] and
/// [`DecodeError::FrameTooLarge`] the next frame boundary is unknown. After any other error
/// from [`decode_frame`] the bad frame was whole and has been consumed: the stream is still in
/// step, and [`DecodeError::Properties`] in particular concerns one message on one channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A field ran past the end of its frame, or a table's length past the end of its frame.
    #[error("frame payload ends in the middle of a field")]
    Truncated,
    /// A field table or array holds a type letter RabbitMQ does not define.
    #[error("unknown field value type {}", type_letter(*.0))]
    UnknownFieldType(u8),
    /// A key or value inside a field table (or an array or table nested in it) runs past the
    /// end of that table; the table itself fits in its frame.
    #[error("a field table entry runs past the end of its table")]
    TableTruncated,
    /// A content header whose class, weight and body size are there but whose properties could
    /// not be decoded (the cause is inside). The frame has been consumed and the stream is in
    /// step: the failure belongs to the one message on one channel, which a receiver may
    /// confine it to (RabbitMQ only decodes properties when it handles the message; see
    /// [`DecodeError::reply_code`] for what it then does).
    #[error("{0}")]
    Properties(Box<UndecodableProperties>),
    /// The class/method pair is not in the spec.
    #[error("unknown method {class_id}/{method_id}")]
    UnknownMethod {
        /// The class id read.
        class_id: u16,
        /// The method id read.
        method_id: u16,
    },
    /// A frame type other than method, header, body or heartbeat.
    #[error("unknown frame type {0}")]
    UnknownFrameType(u8),
    /// The octet after the payload was not 0xCE.
    #[error("frame end octet is {0:#04x}, expected 0xce")]
    BadFrameEnd(u8),
    /// The frame declares a size above the negotiated frame-max. Its payload is not buffered.
    #[error("frame of {size} bytes exceeds frame-max {max}")]
    FrameTooLarge {
        /// Total frame size declared (header, payload and end octet).
        size: u64,
        /// The negotiated maximum.
        max: u32,
    },
    /// The property flags ask for a continuation word, which no 0-9-1 class uses.
    #[error("property flag continuation is not supported")]
    PropertyFlagsContinuation,
    /// The peer did not start with `AMQP\0\0\x09\x01`.
    #[error("bad protocol header")]
    BadProtocolHeader,
    /// Tables and arrays nest deeper than [`MAX_NESTING`] levels.
    #[error("field tables and arrays nest deeper than {MAX_NESTING} levels")]
    TooDeep,
}

impl DecodeError {
    /// The reply code a peer receiving this input closes the connection with, as RabbitMQ does:
    /// malformed frames are `FRAME_ERROR` (501), unknown methods `NOT_IMPLEMENTED` (540), and
    /// a published message whose properties cannot be decoded `INTERNAL_ERROR` (541: RabbitMQ's
    /// channel crashes decoding them, once the message is complete and its exchange checked).
    pub fn reply_code(&self) -> ReplyCode {
        match self {
            DecodeError::UnknownMethod { .. } => ReplyCode::NotImplemented,
            DecodeError::Properties(_) => ReplyCode::InternalError,
            _ => ReplyCode::FrameError,
        }
    }

    /// Whether the error is inside a field table rather than in the layout of the method or
    /// header around it: an unknown type letter, or an entry running past its table's end.
    /// RabbitMQ's reader has no answer for these in a method's arguments: it crashes, and
    /// the client sees its socket closed without a `connection.close`.
    pub fn is_in_field_table(&self) -> bool {
        matches!(
            self,
            DecodeError::UnknownFieldType(_) | DecodeError::TableTruncated
        )
    }
}

/// A type letter for messages: `'Z' (0x5a)`, or just the octet when it is not printable.
fn type_letter(octet: u8) -> String {
    if octet.is_ascii_graphic() {
        format!("'{}' ({octet:#04x})", char::from(octet))
    } else {
        format!("{octet:#04x}")
    }
}
