//! A queue's ready messages: one FIFO per priority (a single one unless `x-max-priority`),
//! with the byte count `x-max-length-bytes` needs and the expiry of the heads for TTL.
//!
//! With a message log, a deep band keeps only its first [`WINDOW`] messages in memory; the
//! messages behind them that are on disk are kept as a small index entry ([`Paged`]) and read
//! back in runs as the head drains, so a backlog of millions costs tens of bytes a message.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::time::Instant;

use super::QueuedMessage;
use crate::storage::{MessageStore, PersistRef};

/// Messages kept in memory at the head of each band of a queue with a message log.
pub(crate) const WINDOW: usize = 2048;

/// A ready message whose body is on disk (or, if it cannot be, kept aside in `pinned`):
/// 32 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paged {
    seq: u64,
    /// Its record; `len` 0: the message is in `pinned` (transient, or with an expiry).
    at: PersistRef,
    /// Body length, redelivered in the top bit.
    body: u32,
}

const REDELIVERED: u32 = 1 << 31;

impl Paged {
    fn new(seq: u64, at: Option<PersistRef>, body_len: u32, redelivered: bool) -> Paged {
        let at = at.unwrap_or(PersistRef {
            id: 0,
            seg: 0,
            off: 0,
            len: 0,
        });
        let flag = if redelivered { REDELIVERED } else { 0 };
        Paged {
            seq,
            at,
            body: body_len.min(REDELIVERED - 1) | flag,
        }
    }
    fn at(&self) -> Option<PersistRef> {
        (self.at.len != 0).then_some(self.at)
    }
    fn body_len(&self) -> u32 {
        self.body & !REDELIVERED
    }
    fn redelivered(&self) -> bool {
        self.body & REDELIVERED != 0
    }
}

/// One priority: the in-memory head, then the paged tail.
#[derive(Debug, Default)]
struct Band {
    head: VecDeque<QueuedMessage>,
    tail: VecDeque<Paged>,
}

/// Ready messages, highest priority first, FIFO within a priority.
#[derive(Debug)]
pub(crate) struct Store {
    /// Index = priority; one band for a plain queue.
    bands: Vec<Band>,
    /// Messages behind a paged tail that are not on disk, by seq.
    pinned: crate::FastMap<u64, QueuedMessage>,
    /// Where paged messages are read back from (`None`: nothing is paged).
    log: Option<Arc<MessageStore>>,
    len: usize,
    bytes: usize,
    /// How many ready messages have an expiry (0: no TTL work to do).
    expiring: usize,
    /// The next message's place in the queue ([`QueuedMessage::seq`]).
    next_seq: u64,
}

impl Store {
    /// An empty store for priorities `0..=max_priority`.
    pub(crate) fn new(max_priority: Option<u8>, log: Option<Arc<MessageStore>>) -> Store {
        let bands = usize::from(max_priority.unwrap_or(0)) + 1;
        Store {
            bands: (0..bands).map(|_| Band::default()).collect(),
            pinned: crate::FastMap::default(),
            log,
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
        self.band_of(m.message.properties.priority.unwrap_or(0))
    }

    fn band_of(&self, priority: u8) -> usize {
        usize::from(priority).min(self.bands.len() - 1)
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
        let band = &mut self.bands[b];
        if self.log.is_none() || (band.tail.is_empty() && band.head.len() < WINDOW) {
            band.head.push_back(m);
            return;
        }
        let body_len = m.message.body.len() as u32;
        let at = m.persist.filter(|_| m.expires_at.is_none());
        let p = Paged::new(m.seq, at, body_len, m.redelivered);
        if at.is_none() {
            self.pinned.insert(m.seq, m);
        }
        band.tail.push_back(p);
    }

    /// Appends a message recovered from the log, without reading it.
    pub(crate) fn push_recovered(
        &mut self,
        at: PersistRef,
        priority: u8,
        body_len: u32,
        redelivered: bool,
    ) {
        let seq = self.take_seq();
        let b = self.band_of(priority);
        self.len += 1;
        self.bytes += body_len as usize;
        self.bands[b]
            .tail
            .push_back(Paged::new(seq, Some(at), body_len, redelivered));
    }

    /// Reads the heads of every band back from the log (after recovery).
    pub(crate) fn refill_all(&mut self) {
        for b in 0..self.bands.len() {
            self.refill(b);
        }
    }

    /// Moves paged messages of band `b` back into memory when its head runs low.
    fn refill(&mut self, b: usize) {
        let band = &mut self.bands[b];
        if band.head.len() >= WINDOW / 2 || band.tail.is_empty() {
            return;
        }
        let n = (WINDOW - band.head.len()).min(band.tail.len());
        let taken: Vec<Paged> = band.tail.drain(..n).collect();
        let refs: Vec<PersistRef> = taken.iter().filter_map(Paged::at).collect();
        let mut read = match &self.log {
            Some(log) if !refs.is_empty() => match log.read(&refs) {
                Ok(v) => v.into_iter(),
                Err(e) => {
                    tracing::error!("cannot read messages back from the log: {e}");
                    Vec::new().into_iter()
                }
            },
            _ => Vec::new().into_iter(),
        };
        for p in taken {
            let m = match p.at() {
                None => self.pinned.remove(&p.seq),
                Some(at) => read.next().map(|message| QueuedMessage {
                    message: Arc::new(message),
                    redelivered: p.redelivered(),
                    expires_at: None,
                    seq: p.seq,
                    persist: Some(at),
                }),
            };
            match m {
                Some(m) => band.head.push_back(m),
                None => {
                    // Unreadable: counted out of the queue.
                    self.len -= 1;
                    self.bytes -= p.body_len() as usize;
                }
            }
        }
    }

    /// Puts a requeued message back at its place in its priority: after the messages
    /// enqueued before it, ahead of those enqueued after (usually at or near the front).
    pub(crate) fn push_front(&mut self, m: QueuedMessage) {
        self.added(&m);
        let b = self.band(&m);
        let band = &mut self.bands[b].head;
        let at = band.partition_point(|x| x.seq < m.seq);
        band.insert(at, m);
    }

    fn head_band(&self) -> Option<usize> {
        (0..self.bands.len())
            .rev()
            .find(|&b| !self.bands[b].head.is_empty())
    }

    /// The message delivered next.
    pub(crate) fn head(&self) -> Option<&QueuedMessage> {
        self.head_band().and_then(|b| self.bands[b].head.front())
    }

    /// Takes the message delivered next.
    pub(crate) fn pop(&mut self) -> Option<QueuedMessage> {
        let b = self.head_band()?;
        let m = self.bands[b].head.pop_front()?;
        self.removed(&m);
        self.refill(b);
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

    /// Drops everything; returns how many, and the log entries of those on disk.
    pub(crate) fn clear(&mut self) -> (usize, Vec<PersistRef>) {
        let n = self.len;
        let mut refs = Vec::new();
        for b in &mut self.bands {
            refs.extend(b.head.drain(..).filter_map(|m| m.persist));
            refs.extend(b.tail.drain(..).filter_map(|p| p.at()));
        }
        refs.extend(self.pinned.drain().filter_map(|(_, m)| m.persist));
        self.len = 0;
        self.bytes = 0;
        self.expiring = 0;
        (n, refs)
    }
}
