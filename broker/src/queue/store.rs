//! A queue's ready messages: one FIFO per priority (a single one unless `x-max-priority`),
//! with the byte count `x-max-length-bytes` needs and the expiry of the heads for TTL.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::QueuedMessage;

/// Ready messages, highest priority first, FIFO within a priority.
#[derive(Debug)]
pub(crate) struct Store {
    /// Index = priority; one band for a plain queue.
    bands: Vec<VecDeque<QueuedMessage>>,
    len: usize,
    bytes: usize,
    /// How many ready messages have an expiry (0: no TTL work to do).
    expiring: usize,
    /// The next message's place in the queue ([`QueuedMessage::seq`]).
    next_seq: u64,
}

impl Store {
    /// An empty store for priorities `0..=max_priority`.
    pub(crate) fn new(max_priority: Option<u8>) -> Store {
        let bands = usize::from(max_priority.unwrap_or(0)) + 1;
        Store {
            bands: (0..bands).map(|_| VecDeque::new()).collect(),
            len: 0,
            bytes: 0,
            expiring: 0,
            next_seq: 1,
        }
    }

    /// A place for a message being enqueued; each band stays sorted by it.
    pub(crate) fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn band(&self, m: &QueuedMessage) -> usize {
        usize::from(m.message.properties.priority.unwrap_or(0)).min(self.bands.len() - 1)
    }

    fn added(&mut self, m: &QueuedMessage) {
        self.len += 1;
        self.bytes += m.message.body.len();
        if m.expires_at.is_some() {
            self.expiring += 1;
        }
    }

    fn removed(&mut self, m: &QueuedMessage) {
        self.len -= 1;
        self.bytes -= m.message.body.len();
        if m.expires_at.is_some() {
            self.expiring -= 1;
        }
    }

    /// Appends a newly published message.
    pub(crate) fn push_back(&mut self, m: QueuedMessage) {
        self.added(&m);
        let b = self.band(&m);
        self.bands[b].push_back(m);
    }

    /// Puts a requeued message back at its place in its priority: after the messages
    /// enqueued before it, ahead of those enqueued after (usually at or near the front).
    pub(crate) fn push_front(&mut self, m: QueuedMessage) {
        self.added(&m);
        let b = self.band(&m);
        let band = &mut self.bands[b];
        let at = band.partition_point(|x| x.seq < m.seq);
        band.insert(at, m);
    }

    fn head_band(&self) -> Option<usize> {
        (0..self.bands.len())
            .rev()
            .find(|&b| !self.bands[b].is_empty())
    }

    /// The message delivered next.
    pub(crate) fn head(&self) -> Option<&QueuedMessage> {
        self.head_band().and_then(|b| self.bands[b].front())
    }

    /// Takes the message delivered next.
    pub(crate) fn pop(&mut self) -> Option<QueuedMessage> {
        let b = self.head_band()?;
        let m = self.bands[b].pop_front()?;
        self.removed(&m);
        Some(m)
    }

    /// Takes the head if it expired by `now`.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<QueuedMessage> {
        if self.expiring == 0 {
            return None;
        }
        match self.head()?.expires_at {
            Some(t) if t <= now => self.pop(),
            _ => None,
        }
    }

    /// When the current head expires (RabbitMQ only expires messages at the head).
    pub(crate) fn head_expiry(&self) -> Option<Instant> {
        if self.expiring == 0 {
            return None;
        }
        self.head()?.expires_at
    }

    /// Ready messages.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Body bytes of the ready messages.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// No ready messages.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops everything; returns how many.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.len;
        for b in &mut self.bands {
            b.clear();
        }
        self.len = 0;
        self.bytes = 0;
        self.expiring = 0;
        n
    }
}
