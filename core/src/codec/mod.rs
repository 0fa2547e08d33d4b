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
    encode_heartbeat, encode_method_frame, ContentHeader, Frame, FRAME_HEADER_SIZE, FRAME_OVERHEAD,
    PROTOCOL_HEADER,
};
pub use generated::*;
pub use value::{
    Decimal, FieldTable, FieldValue, LongString, ShortString, ShortStringTooLong, MAX_NESTING,
};

/// Why bytes could not be decoded. Every variant is a malformed input; "need more bytes" is
/// reported as `Ok(None)` by [`decode_frame`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A field ran past the end of its frame or table.
    #[error("frame payload ends in the middle of a field")]
    Truncated,
    /// A field table or array holds a type letter RabbitMQ does not define.
    #[error("unknown field value type {0:#04x}")]
    UnknownFieldType(u8),
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
    /// malformed frames are `FRAME_ERROR` (501), unknown methods `NOT_IMPLEMENTED` (540).
    pub fn reply_code(&self) -> ReplyCode {
        match self {
            DecodeError::UnknownMethod { .. } => ReplyCode::NotImplemented,
            _ => ReplyCode::FrameError,
        }
    }
}
