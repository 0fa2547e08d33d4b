//! Primitive AMQP wire types: big-endian integers, short and long strings, tables.
//!
//! Decoding reads from a [`Reader`] over a complete frame payload; running out of bytes inside
//! a frame is a malformed frame ([`DecodeError::Truncated`]), not "incomplete".

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::value::{FieldTable, LongString, ShortString};
use super::DecodeError;

/// A cursor over a frame payload. Strings it returns share the payload's buffer.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
}

impl Reader {
    /// Reads from `buf`.
    pub fn new(buf: Bytes) -> Self {
        Reader { buf }
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn need(&self, n: usize) -> Result<(), DecodeError> {
        if self.buf.len() < n {
            Err(DecodeError::Truncated)
        } else {
            Ok(())
        }
    }

    /// One octet.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        self.need(1)?;
        Ok(self.buf.get_u8())
    }
    /// A 16-bit integer.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        self.need(2)?;
        Ok(self.buf.get_u16())
    }
    /// A 32-bit integer.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.need(4)?;
        Ok(self.buf.get_u32())
    }
    /// A 64-bit integer.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        self.need(8)?;
        Ok(self.buf.get_u64())
    }

    /// `n` raw bytes, shared with the payload.
    pub fn bytes(&mut self, n: usize) -> Result<Bytes, DecodeError> {
        self.need(n)?;
        Ok(self.buf.split_to(n))
    }

    /// A reader over the next `n` bytes, which are consumed from this one.
    pub fn sub_reader(&mut self, n: usize) -> Result<Reader, DecodeError> {
        Ok(Reader::new(self.bytes(n)?))
    }

    /// A `shortstr`.
    pub fn short_string(&mut self) -> Result<ShortString, DecodeError> {
        let len = self.u8()? as usize;
        let bytes = self.bytes(len)?;
        // At most 255 by construction of the length octet.
        ShortString::new(bytes).map_err(|_| DecodeError::Truncated)
    }

    /// A `longstr`.
    pub fn long_string(&mut self) -> Result<LongString, DecodeError> {
        let len = self.u32()? as usize;
        Ok(LongString(self.bytes(len)?))
    }

    /// A field table.
    pub fn table(&mut self) -> Result<FieldTable, DecodeError> {
        FieldTable::decode(self)
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }
}

/// Writes a `shortstr`.
pub fn put_short_string(out: &mut BytesMut, s: &ShortString) {
    out.put_u8(s.len() as u8);
    out.put_slice(s.as_bytes());
}

/// Writes a `longstr` from raw bytes.
pub fn put_long_bytes(out: &mut BytesMut, b: &[u8]) {
    out.put_u32(b.len() as u32);
    out.put_slice(b);
}

/// Writes a `longstr`.
pub fn put_long_string(out: &mut BytesMut, s: &LongString) {
    put_long_bytes(out, &s.0);
}

/// Writes a field table.
pub fn put_table(out: &mut BytesMut, t: &FieldTable) {
    t.encode(out);
}
