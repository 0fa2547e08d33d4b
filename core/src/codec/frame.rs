//! Frames: method, content header, content body and heartbeat, plus the protocol header.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::wire::Reader;
use super::{
    BasicProperties, DecodeError, Method, FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT,
    FRAME_METHOD,
};

/// What a 0-9-1 client sends first: `AMQP` 0 0 9 1.
pub const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

/// Bytes before a frame's payload: type (1), channel (2), size (4).
pub const FRAME_HEADER_SIZE: usize = 7;

/// Bytes a frame adds around its payload: the header plus the end octet.
pub const FRAME_OVERHEAD: usize = FRAME_HEADER_SIZE + 1;

/// A content header: which class, how big the body is, and the properties.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContentHeader {
    /// Class of the method the content belongs to (60 for basic).
    pub class_id: u16,
    /// Total body size over all body frames.
    pub body_size: u64,
    /// The message properties.
    pub properties: BasicProperties,
}

/// A content header frame that was whole but whose properties could not be decoded: what is
/// known of it, so that its channel (and only it) can be dealt with and its body frames
/// skipped. Reported as [`DecodeError::Properties`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("content header on channel {channel}: properties could not be decoded: {cause}")]
pub struct UndecodableProperties {
    /// The channel the header arrived on.
    pub channel: u16,
    /// Class of the method the content belongs to.
    pub class_id: u16,
    /// Total body size the header announced: that many body octets follow.
    pub body_size: u64,
    /// What was wrong with the properties.
    pub cause: DecodeError,
}

/// One decoded frame.
// Frames live briefly on the stack; boxing the header would cost an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A method on a channel (0 is the connection).
    Method(u16, Method),
    /// A content header on a channel; boxed, as its properties make it by far the largest
    /// frame, and every frame is moved a few times on its way in.
    Header(u16, Box<ContentHeader>),
    /// A piece of content body; shares the read buffer.
    Body(u16, Bytes),
    /// A heartbeat; the channel is kept so the receiver can reject a non-zero one.
    Heartbeat(u16),
}

impl Frame {
    /// The channel the frame belongs to.
    pub fn channel(&self) -> u16 {
        match self {
            Frame::Method(c, _) | Frame::Header(c, _) | Frame::Body(c, _) | Frame::Heartbeat(c) => {
                *c
            }
        }
    }

    /// Appends the frame's wire form to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Frame::Method(ch, m) => encode_method_frame(out, *ch, m),
            Frame::Header(ch, h) => {
                encode_content_header(out, *ch, h.class_id, h.body_size, &h.properties)
            }
            Frame::Body(ch, b) => {
                encode_body_frame_header(out, *ch, b.len());
                out.put_slice(b);
                encode_frame_end(out);
            }
            Frame::Heartbeat(ch) => {
                out.put_u8(FRAME_HEARTBEAT);
                out.put_u16(*ch);
                out.put_u32(0);
                out.put_u8(FRAME_END);
            }
        }
    }
}

/// The most [`decode_frame`] reserves for an incomplete frame before its bytes arrive
/// (RabbitMQ's default frame-max).
const MAX_EAGER_RESERVE: usize = 128 * 1024;

/// Takes one frame off the front of `buf`.
///
/// Returns `Ok(None)` when `buf` does not yet hold a whole frame. A frame whose declared size
/// exceeds `frame_max` (0 means no limit) is refused as soon as its 7-byte header is read, so a
/// peer cannot make us buffer it.
pub fn decode_frame(buf: &mut BytesMut, frame_max: u32) -> Result<Option<Frame>, DecodeError> {
    if buf.len() < FRAME_HEADER_SIZE {
        return Ok(None);
    }
    let kind = buf[0];
    let channel = u16::from_be_bytes([buf[1], buf[2]]);
    let size = u32::from_be_bytes([buf[3], buf[4], buf[5], buf[6]]) as usize;
    if !matches!(
        kind,
        FRAME_METHOD | FRAME_HEADER | FRAME_BODY | FRAME_HEARTBEAT
    ) {
        return Err(DecodeError::UnknownFrameType(kind));
    }
    let total = size as u64 + FRAME_OVERHEAD as u64;
    if frame_max != 0 && total > u64::from(frame_max) {
        return Err(DecodeError::FrameTooLarge {
            size: total,
            max: frame_max,
        });
    }
    let total = total as usize;
    if buf.len() < total {
        // Make room for the rest, but trust a 7-byte header with at most MAX_EAGER_RESERVE:
        // with frame_max 0 (no limit) it may declare 4 GiB. The buffer still grows as bytes come.
        buf.reserve((total - buf.len()).min(MAX_EAGER_RESERVE));
        return Ok(None);
    }
    let end = buf[total - 1];
    if end != FRAME_END {
        return Err(DecodeError::BadFrameEnd(end));
    }
    let mut frame = buf.split_to(total).freeze();
    frame.advance(FRAME_HEADER_SIZE);
    frame.truncate(size);
    Ok(Some(match kind {
        FRAME_METHOD => Frame::Method(channel, Method::decode(frame)?),
        FRAME_HEADER => Frame::Header(channel, Box::new(decode_content_header(channel, frame)?)),
        FRAME_BODY => Frame::Body(channel, frame),
        _ => Frame::Heartbeat(channel),
    }))
}

fn decode_content_header(channel: u16, payload: Bytes) -> Result<ContentHeader, DecodeError> {
    let mut r = Reader::new(payload);
    // Class, weight and body size are the frame's own structure (RabbitMQ's reader refuses a
    // header without them with 501); the properties are the message's, decoded by RabbitMQ
    // only when the message is handled, and their failure concerns that message alone.
    let class_id = r.u16()?;
    let _weight = r.u16()?;
    let body_size = r.u64()?;
    let properties = BasicProperties::decode(&mut r).map_err(|cause| {
        DecodeError::Properties(Box::new(UndecodableProperties {
            channel,
            class_id,
            body_size,
            cause,
        }))
    })?;
    Ok(ContentHeader {
        class_id,
        body_size,
        properties,
    })
}

/// Starts a frame whose size is filled in by [`finish_frame`]; returns where the size goes.
fn start_frame(out: &mut BytesMut, kind: u8, channel: u16) -> usize {
    out.put_u8(kind);
    out.put_u16(channel);
    let at = out.len();
    out.put_u32(0);
    at
}

fn finish_frame(out: &mut BytesMut, size_at: usize) {
    let size = (out.len() - size_at - 4) as u32;
    out[size_at..size_at + 4].copy_from_slice(&size.to_be_bytes());
    out.put_u8(FRAME_END);
}

/// Appends a method frame.
pub fn encode_method_frame(out: &mut BytesMut, channel: u16, method: &Method) {
    let at = start_frame(out, FRAME_METHOD, channel);
    method.encode(out);
    finish_frame(out, at);
}

/// Appends a content header frame.
pub fn encode_content_header(
    out: &mut BytesMut,
    channel: u16,
    class_id: u16,
    body_size: u64,
    properties: &BasicProperties,
) {
    let at = start_frame(out, FRAME_HEADER, channel);
    out.put_u16(class_id);
    out.put_u16(0);
    out.put_u64(body_size);
    properties.encode(out);
    finish_frame(out, at);
}

/// Appends the 7-byte header of a body frame carrying `len` bytes; the caller then sends the
/// body bytes (possibly as a separate buffer, to avoid copying) and [`encode_frame_end`].
pub fn encode_body_frame_header(out: &mut BytesMut, channel: u16, len: usize) {
    out.put_u8(FRAME_BODY);
    out.put_u16(channel);
    out.put_u32(len as u32);
}

/// Appends the frame-end octet.
pub fn encode_frame_end(out: &mut BytesMut) {
    out.put_u8(FRAME_END);
}

/// Appends a heartbeat frame.
pub fn encode_heartbeat(out: &mut BytesMut) {
    Frame::Heartbeat(0).encode(out);
}
