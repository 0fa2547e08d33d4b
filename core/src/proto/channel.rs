//! Per-channel protocol state: lifecycle, which synchronous replies are awaited, content being
//! assembled, and publisher-confirm sequence numbers.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::codec::{BasicProperties, ContentHeader, Method};

/// Where a channel is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelStatus {
    /// `channel.open` sent, `open-ok` not yet received.
    Opening,
    /// Usable.
    Open,
    /// We sent `channel.close` and wait for `close-ok`; everything else is dropped meanwhile.
    Closing,
}

/// A method that carries content, waiting for its header and body frames.
#[derive(Debug)]
pub(crate) struct PartialContent {
    /// `basic.deliver`, `basic.get-ok` or `basic.return`.
    pub method: Method,
    /// The header, once received.
    pub header: Option<Box<ContentHeader>>,
    /// Body frames received so far. A body that arrives in one frame is kept as that frame's
    /// `Bytes` (no copy); only multi-frame bodies are concatenated.
    pub body: BodyParts,
}

#[derive(Debug)]
pub(crate) enum BodyParts {
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl BodyParts {
    pub fn len(&self) -> usize {
        match self {
            BodyParts::Empty => 0,
            BodyParts::One(b) => b.len(),
            BodyParts::Many(b) => b.len(),
        }
    }

    /// Adds a body frame, expecting `total` bytes overall.
    pub fn push(&mut self, frame: Bytes, total: u64) {
        *self = match std::mem::replace(self, BodyParts::Empty) {
            BodyParts::Empty => BodyParts::One(frame),
            BodyParts::One(first) => {
                // Never trust the declared size for an up-front allocation beyond a sane bound.
                let cap = (total as usize)
                    .min(64 * 1024 * 1024)
                    .max(first.len() + frame.len());
                let mut buf = BytesMut::with_capacity(cap);
                buf.extend_from_slice(&first);
                buf.extend_from_slice(&frame);
                BodyParts::Many(buf)
            }
            BodyParts::Many(mut buf) => {
                buf.extend_from_slice(&frame);
                BodyParts::Many(buf)
            }
        }
    }

    pub fn into_bytes(self) -> Bytes {
        match self {
            BodyParts::Empty => Bytes::new(),
            BodyParts::One(b) => b,
            BodyParts::Many(b) => b.freeze(),
        }
    }
}

/// Protocol state of one open channel.
#[derive(Debug)]
pub(crate) struct ChannelState {
    pub status: ChannelStatus,
    /// For each synchronous request sent and not yet answered, the (class, method) pairs that
    /// may answer it, oldest first. AMQP answers requests on a channel in order.
    pub awaiting: VecDeque<&'static [(u16, u16)]>,
    /// Content being assembled.
    pub content: Option<PartialContent>,
    /// Sequence number the next publish gets, once `confirm.select` was sent.
    pub next_publish_seq: Option<u64>,
    /// Whether the broker lets us publish (`channel.flow`).
    pub flow_active: bool,
    /// We closed the channel because the broker sent content we could not decode, and told
    /// the application so with `Event::ChannelClosed`: the `close-ok` that ends the closing
    /// answers nothing the application asked for, and is not reported.
    pub closed_on_error: bool,
}

impl ChannelState {
    pub fn new() -> Self {
        ChannelState {
            status: ChannelStatus::Opening,
            awaiting: VecDeque::new(),
            content: None,
            next_publish_seq: None,
            flow_active: true,
            closed_on_error: false,
        }
    }
}

/// A message's properties and body, as received.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Content {
    /// The 14 basic properties.
    pub properties: BasicProperties,
    /// The body.
    pub body: Bytes,
}
