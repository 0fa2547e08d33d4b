//! The transmit queue: small frames are coalesced into one buffer, large bodies are kept as
//! the caller's `Bytes` (no copy) and written with vectored I/O.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::codec::{self, BasicProperties, Method};

/// Bodies at most this long are copied into the coalescing buffer; longer ones are queued as
/// their own chunk. Copying a small body is cheaper than an extra iovec.
const COPY_BODY_BELOW: usize = 4096;

/// Room kept free in the coalescing buffer before a frame is encoded.
const MIN_SPARE: usize = 4096;
/// How much the coalescing buffer grows by when it runs low.
const BUFFER_SIZE: usize = 64 * 1024;

/// Frames waiting to be written, in order.
#[derive(Debug, Default)]
pub struct Outgoing {
    /// Chunks complete and ready to write, oldest first.
    chunks: VecDeque<Bytes>,
    /// Frames being coalesced after the last chunk.
    buf: BytesMut,
    /// Total bytes queued (chunks and buf), for back-pressure decisions.
    queued: usize,
}

impl Outgoing {
    /// True when nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.queued
    }

    /// Moves everything queued into `out`, oldest first.
    pub fn drain_into(&mut self, out: &mut Vec<Bytes>) {
        out.extend(self.chunks.drain(..));
        if !self.buf.is_empty() {
            out.push(self.buf.split().freeze());
        }
        self.queued = 0;
    }

    fn seal(&mut self) {
        if !self.buf.is_empty() {
            self.chunks.push_back(self.buf.split().freeze());
        }
    }

    fn track<F: FnOnce(&mut BytesMut)>(&mut self, f: F) {
        // After `split` the buffer may have no room left; grow it in large steps so that each
        // small frame does not cost an allocation (and a copy) of its own.
        if self.buf.capacity() - self.buf.len() < MIN_SPARE {
            self.buf.reserve(BUFFER_SIZE);
        }
        let before = self.buf.len();
        f(&mut self.buf);
        self.queued += self.buf.len() - before;
    }

    /// Raw bytes (the protocol header).
    pub fn push_raw(&mut self, bytes: &[u8]) {
        self.track(|b| b.extend_from_slice(bytes));
    }

    /// A method frame.
    pub fn push_method(&mut self, channel: u16, method: &Method) {
        self.track(|b| codec::encode_method_frame(b, channel, method));
    }

    /// Where the queue ends now, to [`Self::rollback`] to.
    pub fn mark(&self) -> (usize, usize) {
        (self.buf.len(), self.queued)
    }

    /// Removes what was pushed since `mark`, which must not have been sealed into a chunk
    /// (only method frames and content headers are pushed between mark and rollback).
    pub fn rollback(&mut self, (buf_len, queued): (usize, usize)) {
        self.buf.truncate(buf_len);
        self.queued = queued;
    }

    /// Bytes in the coalescing buffer since `mark`: the size of the frames pushed since.
    pub fn since(&self, (buf_len, _): (usize, usize)) -> usize {
        self.buf.len() - buf_len
    }

    /// A method frame that must fit in `frame_max` (0: no limit); on refusal nothing is queued
    /// and the frame's size is returned.
    pub fn push_method_within(
        &mut self,
        channel: u16,
        method: &Method,
        frame_max: u32,
    ) -> Result<(), usize> {
        let mark = self.mark();
        self.push_method(channel, method);
        let size = self.since(mark);
        if frame_max != 0 && size > frame_max as usize {
            self.rollback(mark);
            return Err(size);
        }
        Ok(())
    }

    /// A heartbeat frame.
    pub fn push_heartbeat(&mut self) {
        self.track(codec::encode_heartbeat);
    }

    /// A content header (which must fit in `frame_max`) and its body, split into frames of at
    /// most `frame_max` bytes (0: no limit). On refusal nothing is queued and the header
    /// frame's size is returned.
    pub fn push_content(
        &mut self,
        channel: u16,
        properties: &BasicProperties,
        body: &Bytes,
        frame_max: u32,
    ) -> Result<(), usize> {
        let mark = self.mark();
        self.track(|b| {
            codec::encode_content_header(
                b,
                channel,
                BasicProperties::CLASS_ID,
                body.len() as u64,
                properties,
            )
        });
        let size = self.since(mark);
        if frame_max != 0 && size > frame_max as usize {
            self.rollback(mark);
            return Err(size);
        }
        let max_payload = if frame_max == 0 {
            usize::MAX
        } else {
            (frame_max as usize)
                .saturating_sub(codec::FRAME_OVERHEAD)
                .max(1)
        };
        let mut offset = 0;
        while offset < body.len() {
            let len = (body.len() - offset).min(max_payload);
            self.track(|b| codec::encode_body_frame_header(b, channel, len));
            if len < COPY_BODY_BELOW {
                self.track(|b| b.extend_from_slice(&body[offset..offset + len]));
            } else {
                self.seal();
                self.chunks.push_back(body.slice(offset..offset + len));
                self.queued += len;
            }
            self.track(codec::encode_frame_end);
            offset += len;
        }
        Ok(())
    }
}
