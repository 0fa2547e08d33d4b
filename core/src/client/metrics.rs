//! Client metrics, in the spirit of the Java client's `MetricsCollector`: every connection
//! counts into its own [`Metrics`] (read with `Connection::metrics()`), and can also report to a
//! [`MetricsCollector`] of the application's, for example one shared by every connection of a
//! process and exported to a monitoring system.
//!
//! Counting is a relaxed atomic add on the connection task, so it costs nothing measurable on
//! the hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Receives the client's events as they happen. Every method has an empty default, so a
/// collector implements only what it needs. Called from the connection's I/O thread: keep the
/// methods cheap and never block in them.
pub trait MetricsCollector: Send + Sync + std::fmt::Debug {
    /// A connection was opened (also after each automatic recovery).
    fn connection_opened(&self) {}
    /// A connection ended for good (not a drop followed by recovery).
    fn connection_closed(&self) {}
    /// A channel was opened.
    fn channel_opened(&self) {}
    /// A channel closed.
    fn channel_closed(&self) {}
    /// `count` messages with `body_bytes` of bodies were handed to the socket writer (reported
    /// in batches, once per turn of the connection's loop).
    fn published(&self, _count: u64, _body_bytes: u64) {}
    /// The broker confirmed `count` publishes (`basic.ack`).
    fn confirmed(&self, _count: u64) {}
    /// The broker refused `count` publishes (`basic.nack`).
    fn nacked(&self, _count: u64) {}
    /// `count` unconfirmed publishes failed because the connection was lost.
    fn unconfirmed_lost(&self, _count: u64) {}
    /// The broker returned an unroutable mandatory message.
    fn returned(&self) {}
    /// `count` messages with `body_bytes` of bodies were delivered to consumers or fetched with
    /// `basic.get` (reported in batches, once per turn of the connection's loop).
    fn delivered(&self, _count: u64, _body_bytes: u64) {}
    /// The application acknowledged (`multiple`: up to a tag) a delivery.
    fn acked(&self, _multiple: bool) {}
    /// The application rejected or nacked a delivery.
    fn rejected(&self, _multiple: bool) {}
    /// Bytes read from the socket.
    fn bytes_in(&self, _n: usize) {}
    /// Bytes written to the socket.
    fn bytes_out(&self, _n: usize) {}
    /// An automatic recovery completed.
    fn recovered(&self) {}
    /// A connection event or returned message was dropped because the application did not
    /// read them (the buffer was full).
    fn dropped(&self, _what: Dropped) {}
}

/// What was dropped because a bounded buffer was full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Connection events a slow subscriber missed.
    Events(u64),
    /// A returned message nobody read.
    Return,
}

/// Counters of one connection (or of anything the application shares it with).
#[derive(Debug, Default)]
pub struct Metrics {
    connections: AtomicU64,
    channels: AtomicU64,
    published: AtomicU64,
    published_bytes: AtomicU64,
    confirmed: AtomicU64,
    nacked: AtomicU64,
    unconfirmed_lost: AtomicU64,
    returned: AtomicU64,
    delivered: AtomicU64,
    delivered_bytes: AtomicU64,
    acked: AtomicU64,
    rejected: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    recoveries: AtomicU64,
    dropped_events: AtomicU64,
    dropped_returns: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Connections open now.
    pub connections: u64,
    /// Channels open now.
    pub channels: u64,
    /// Messages published.
    pub published: u64,
    /// Body bytes published.
    pub published_bytes: u64,
    /// Publishes the broker confirmed.
    pub confirmed: u64,
    /// Publishes the broker nacked.
    pub nacked: u64,
    /// Unconfirmed publishes failed by a lost connection.
    pub unconfirmed_lost: u64,
    /// Messages the broker returned as unroutable.
    pub returned: u64,
    /// Messages delivered to consumers or fetched.
    pub delivered: u64,
    /// Body bytes delivered.
    pub delivered_bytes: u64,
    /// Acknowledgements sent.
    pub acked: u64,
    /// Rejects and nacks sent.
    pub rejected: u64,
    /// Bytes read from sockets.
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
    /// Automatic recoveries completed.
    pub recoveries: u64,
    /// Connection events dropped for slow subscribers.
    pub dropped_events: u64,
    /// Returned messages dropped because nobody read them.
    pub dropped_returns: u64,
}

impl MetricsSnapshot {
    /// The counters as (name, value) pairs, for bindings that expose them as a dict or map.
    pub fn pairs(&self) -> [(&'static str, u64); 17] {
        [
            ("connections", self.connections),
            ("channels", self.channels),
            ("published", self.published),
            ("published_bytes", self.published_bytes),
            ("confirmed", self.confirmed),
            ("nacked", self.nacked),
            ("unconfirmed_lost", self.unconfirmed_lost),
            ("returned", self.returned),
            ("delivered", self.delivered),
            ("delivered_bytes", self.delivered_bytes),
            ("acked", self.acked),
            ("rejected", self.rejected),
            ("bytes_in", self.bytes_in),
            ("bytes_out", self.bytes_out),
            ("recoveries", self.recoveries),
            ("dropped_events", self.dropped_events),
            ("dropped_returns", self.dropped_returns),
        ]
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn sub(counter: &AtomicU64, n: u64) {
    // Saturating: a gauge never goes below zero even if opened/closed calls are unbalanced.
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_sub(n))
    });
}

impl Metrics {
    /// Reads every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            connections: get(&self.connections),
            channels: get(&self.channels),
            published: get(&self.published),
            published_bytes: get(&self.published_bytes),
            confirmed: get(&self.confirmed),
            nacked: get(&self.nacked),
            unconfirmed_lost: get(&self.unconfirmed_lost),
            returned: get(&self.returned),
            delivered: get(&self.delivered),
            delivered_bytes: get(&self.delivered_bytes),
            acked: get(&self.acked),
            rejected: get(&self.rejected),
            bytes_in: get(&self.bytes_in),
            bytes_out: get(&self.bytes_out),
            recoveries: get(&self.recoveries),
            dropped_events: get(&self.dropped_events),
            dropped_returns: get(&self.dropped_returns),
        }
    }
}

impl MetricsCollector for Metrics {
    fn connection_opened(&self) {
        add(&self.connections, 1)
    }
    fn connection_closed(&self) {
        sub(&self.connections, 1)
    }
    fn channel_opened(&self) {
        add(&self.channels, 1)
    }
    fn channel_closed(&self) {
        sub(&self.channels, 1)
    }
    fn published(&self, count: u64, body_bytes: u64) {
        add(&self.published, count);
        add(&self.published_bytes, body_bytes);
    }
    fn confirmed(&self, count: u64) {
        add(&self.confirmed, count)
    }
    fn nacked(&self, count: u64) {
        add(&self.nacked, count)
    }
    fn unconfirmed_lost(&self, count: u64) {
        add(&self.unconfirmed_lost, count)
    }
    fn returned(&self) {
        add(&self.returned, 1)
    }
    fn delivered(&self, count: u64, body_bytes: u64) {
        add(&self.delivered, count);
        add(&self.delivered_bytes, body_bytes);
    }
    fn acked(&self, _multiple: bool) {
        add(&self.acked, 1)
    }
    fn rejected(&self, _multiple: bool) {
        add(&self.rejected, 1)
    }
    fn bytes_in(&self, n: usize) {
        add(&self.bytes_in, n as u64)
    }
    fn bytes_out(&self, n: usize) {
        add(&self.bytes_out, n as u64)
    }
    fn recovered(&self) {
        add(&self.recoveries, 1)
    }
    fn dropped(&self, what: Dropped) {
        match what {
            Dropped::Events(n) => add(&self.dropped_events, n),
            Dropped::Return => add(&self.dropped_returns, 1),
        }
    }
}

/// Per-message counts gathered by the connection task and reported once per turn of its
/// loop, so the hot path does no atomic operation of its own.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub published: u64,
    pub published_bytes: u64,
    pub delivered: u64,
    pub delivered_bytes: u64,
}

impl Tally {
    /// Reports and resets the counts.
    pub fn flush(&mut self, sink: &MetricsSink) {
        if self.published > 0 {
            let (n, b) = (self.published, self.published_bytes);
            sink.record(|m| m.published(n, b));
        }
        if self.delivered > 0 {
            let (n, b) = (self.delivered, self.delivered_bytes);
            sink.record(|m| m.delivered(n, b));
        }
        *self = Tally::default();
    }
}

/// The connection's own counters plus the application's collector, if any.
#[derive(Debug, Clone, Default)]
pub(crate) struct MetricsSink {
    pub own: Arc<Metrics>,
    pub extra: Option<Arc<dyn MetricsCollector>>,
}

impl MetricsSink {
    pub fn new(extra: Option<Arc<dyn MetricsCollector>>) -> Self {
        MetricsSink {
            own: Arc::new(Metrics::default()),
            extra,
        }
    }

    /// Reports to both collectors.
    #[inline]
    pub fn record(&self, f: impl Fn(&dyn MetricsCollector)) {
        f(&*self.own);
        if let Some(extra) = &self.extra {
            f(&**extra);
        }
    }
}
