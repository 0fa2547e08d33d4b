//! Bounded buffers between the connection task and the application: deliveries for consumers
//! and inboxes, returned messages. The connection task never waits on them; when a delivery
//! buffer passes its bound, the task stops reading the socket (TCP pushes back on the broker)
//! until the application has taken half of it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;

use crate::codec::{BasicDeliver, ShortString};
use crate::error::Error;
use crate::proto::Content;

/// Why a consumer ended.
#[derive(Debug, Clone)]
pub enum ConsumerEnd {
    /// The application cancelled it (`basic.cancel`).
    CancelledByApp,
    /// The broker cancelled it (its queue was deleted, or it failed over), with the tag.
    CancelledByBroker,
    /// Its channel was closed: by the application (`ChannelClosedByClient`) or by the broker
    /// with an error.
    ChannelClosed(Error),
    /// Its connection ended for good (closed, or recovery gave up).
    ConnectionClosed(Error),
}

impl ConsumerEnd {
    /// The error behind the end, if it was not the application's own cancel or close. A
    /// broker's cancel is [`Error::ConsumerCancelled`] (with an empty tag here; the consumer
    /// handles fill in theirs).
    pub fn error(&self) -> Option<Error> {
        match self {
            ConsumerEnd::CancelledByApp => None,
            ConsumerEnd::CancelledByBroker => Some(Error::ConsumerCancelled(String::new())),
            ConsumerEnd::ChannelClosed(Error::ChannelClosedByClient) => None,
            ConsumerEnd::ConnectionClosed(Error::ConnectionClosedByClient) => None,
            ConsumerEnd::ChannelClosed(e) | ConsumerEnd::ConnectionClosed(e) => Some(e.clone()),
        }
    }
}

/// What a consumer's buffer holds.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A message; `deliver.delivery_tag` is already the application's tag.
    Delivery {
        channel: u16,
        deliver: BasicDeliver,
        content: Box<Content>,
    },
    /// The consumer with this tag ended.
    End {
        channel: u16,
        consumer_tag: ShortString,
        reason: ConsumerEnd,
    },
}

impl Incoming {
    pub fn channel(&self) -> u16 {
        match self {
            Incoming::Delivery { channel, .. } | Incoming::End { channel, .. } => *channel,
        }
    }

    fn weight(&self) -> usize {
        match self {
            Incoming::Delivery { content, .. } => content.body.len(),
            Incoming::End { .. } => 0,
        }
    }
}

/// Called when a buffer goes from empty to holding an item, for event-loop integration (an
/// eventfd or a self-pipe written from it). It runs on the connection's task while that task
/// is handling its socket: it must be quick, must not block, and must not read the buffer.
pub type ReadyHook = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Items a bounded buffer accounts for by size as well as by count.
pub(crate) trait Weighed {
    fn weight(&self) -> usize;
}

impl Weighed for Incoming {
    fn weight(&self) -> usize {
        Incoming::weight(self)
    }
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    /// Total weight of `items`.
    bytes: usize,
    /// No more items will come.
    closed: bool,
    /// The reader is gone: items pushed now are handed back to the producer.
    abandoned: bool,
    /// The producer stopped because of this buffer and waits for it to drain to half.
    producer_waiting: bool,
    /// Told when the buffer stops being empty.
    on_ready: Option<Hook>,
}

/// A [`ReadyHook`] in a `Debug` state.
#[derive(Clone)]
struct Hook(ReadyHook);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadyHook")
    }
}

/// Who reads a mailbox, which decides how readers are woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readers {
    /// One reader at a time (a consumer's own buffer): woken through one registered waker,
    /// the cheapest way, and polled without allocating ([`Mailbox::poll_pop`]).
    One,
    /// Any number of readers at once (an inbox served by several threads, returns): each
    /// item wakes one waiting reader, which passes the wake-up on if more items wait.
    Many,
}

/// A bounded multi-producer queue with async waiting on both sides.
#[derive(Debug)]
pub(crate) struct Mailbox<T> {
    state: Mutex<State<T>>,
    readers: Readers,
    /// With [`Readers::Many`]: wakes readers when an item arrives or the mailbox closes.
    readable: Notify,
    /// With [`Readers::One`]: the waiting reader.
    reader: AtomicWaker,
    /// Wakes the producer when the buffer drained to its low-water mark.
    space: Notify,
    /// Items above which the buffer counts as full.
    capacity: usize,
    /// Weight above which the buffer counts as full.
    capacity_bytes: usize,
}

/// The result of [`Mailbox::push`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Taken, below the bound.
    Ok,
    /// Taken, and the bound is reached: stop producing until [`Mailbox::space`] fires.
    Full,
}

impl<T: Weighed> Mailbox<T> {
    pub fn new(capacity: usize, capacity_bytes: usize, readers: Readers) -> Self {
        Mailbox {
            readers,
            reader: AtomicWaker::new(),
            state: Mutex::new(State {
                items: VecDeque::new(),
                bytes: 0,
                closed: false,
                abandoned: false,
                producer_waiting: false,
                on_ready: None,
            }),
            readable: Notify::new(),
            space: Notify::new(),
            capacity: capacity.max(1),
            capacity_bytes: capacity_bytes.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // A panic while holding this lock cannot leave the queue inconsistent (every update is
        // a single push or pop), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an item even above the bound (the producer decides whether to stop), unless the
    /// reader is gone: then the item is handed back.
    pub fn push(&self, item: T) -> Result<Pushed, T> {
        let mut st = self.lock();
        if st.abandoned || st.closed {
            return Err(item);
        }
        st.bytes += item.weight();
        st.items.push_back(item);
        let full = st.items.len() >= self.capacity || st.bytes >= self.capacity_bytes;
        if full {
            st.producer_waiting = true;
        }
        let ready = Self::ready_hook(&st);
        drop(st);
        self.wake_reader();
        if let Some(hook) = ready {
            hook();
        }
        Ok(if full { Pushed::Full } else { Pushed::Ok })
    }

    /// Adds an item only below the bound; otherwise hands it back.
    pub fn try_push(&self, item: T) -> Result<(), T> {
        let mut st = self.lock();
        if st.abandoned || st.closed || st.items.len() >= self.capacity {
            return Err(item);
        }
        st.bytes += item.weight();
        st.items.push_back(item);
        let ready = Self::ready_hook(&st);
        drop(st);
        self.wake_reader();
        if let Some(hook) = ready {
            hook();
        }
        Ok(())
    }

    /// The hook to call after a push, if that push ended an empty spell.
    fn ready_hook(st: &State<T>) -> Option<ReadyHook> {
        match &st.on_ready {
            Some(hook) if st.items.len() == 1 => Some(hook.0.clone()),
            _ => None,
        }
    }

    /// Sets (or with `None` removes) the hook told whenever the buffer stops being empty; if
    /// it holds items already, the hook is called once now.
    pub fn set_ready_hook(&self, hook: Option<ReadyHook>) {
        let mut st = self.lock();
        st.on_ready = hook.clone().map(Hook);
        let now = !st.items.is_empty() || st.closed;
        drop(st);
        if let (Some(hook), true) = (hook, now) {
            hook();
        }
    }

    fn wake_reader(&self) {
        match self.readers {
            Readers::One => self.reader.wake(),
            Readers::Many => self.readable.notify_one(),
        }
    }

    /// Takes the oldest item matching `pred`.
    pub fn try_pop_where(&self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let mut st = self.lock();
        let i = st.items.iter().position(pred)?;
        let item = st.items.remove(i)?;
        self.taken(st, item)
    }

    /// Takes the oldest item.
    pub fn try_pop(&self) -> Option<T> {
        let mut st = self.lock();
        let item = st.items.pop_front()?;
        self.taken(st, item)
    }

    /// Accounts for an item just taken: wakes the producer at the low-water mark and, with
    /// several readers, passes the wake-up on.
    fn taken(&self, mut st: std::sync::MutexGuard<'_, State<T>>, item: T) -> Option<T> {
        st.bytes -= item.weight();
        let wake = st.producer_waiting
            && st.items.len() <= self.capacity / 2
            && st.bytes <= self.capacity_bytes / 2;
        if wake {
            st.producer_waiting = false;
        }
        let more = self.readers == Readers::Many && (!st.items.is_empty() || st.closed);
        drop(st);
        if wake {
            self.space.notify_one();
        }
        if more {
            self.readable.notify_one();
        }
        Some(item)
    }

    /// Polls for the oldest item, for the one reader of a [`Readers::One`] mailbox:
    /// `Ready(None)` once it is closed and empty.
    pub fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        debug_assert_eq!(self.readers, Readers::One);
        if let Some(item) = self.try_pop() {
            return Poll::Ready(Some(item));
        }
        self.reader.register(cx.waker());
        // An item pushed between the first look and the registration woke nobody: look again.
        if let Some(item) = self.try_pop() {
            return Poll::Ready(Some(item));
        }
        if self.lock().closed {
            return Poll::Ready(None);
        }
        Poll::Pending
    }

    /// Waits for an item matching `pred`; `None` once the mailbox is closed and holds none.
    pub async fn pop_where(&self, pred: impl Fn(&T) -> bool) -> Option<T> {
        loop {
            let notified = self.readable.notified();
            if let Some(item) = self.try_pop_where(&pred) {
                return Some(item);
            }
            if self.lock().closed {
                return None;
            }
            notified.await;
        }
    }

    /// Waits for the oldest item; `None` once the mailbox is closed and empty.
    pub async fn pop(&self) -> Option<T> {
        match self.readers {
            Readers::One => std::future::poll_fn(|cx| self.poll_pop(cx)).await,
            Readers::Many => self.pop_where(|_| true).await,
        }
    }

    /// No more items will be pushed; readers drain what is left, then get `None`.
    pub fn close(&self) {
        let mut st = self.lock();
        st.closed = true;
        let hook = st.on_ready.clone();
        drop(st);
        let hook = hook.map(|h| h.0);
        if let Some(hook) = hook {
            hook();
        }
        self.readable.notify_waiters();
        self.readable.notify_one();
        self.reader.wake();
    }

    /// The reader is gone: drop what is buffered and refuse further items.
    pub fn abandon(&self) -> Vec<T> {
        let mut st = self.lock();
        st.abandoned = true;
        st.bytes = 0;
        st.producer_waiting = false;
        let left = st.items.drain(..).collect();
        drop(st);
        self.space.notify_one();
        left
    }

    /// Whether the reader is gone.
    pub fn is_abandoned(&self) -> bool {
        self.lock().abandoned
    }

    /// Whether the buffer is at or above its bound (the producer should wait).
    pub fn is_full(&self) -> bool {
        let st = self.lock();
        !st.abandoned
            && !st.closed
            && st.producer_waiting
            && (st.items.len() > self.capacity / 2 || st.bytes > self.capacity_bytes / 2)
    }

    /// Resolves when the buffer drained to half after [`Pushed::Full`].
    pub async fn space(&self) {
        self.space.notified().await
    }

    /// Items buffered now.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Item(usize);
    impl Weighed for Item {
        fn weight(&self) -> usize {
            self.0
        }
    }

    #[test]
    fn push_reports_full_at_the_bound_and_space_returns_at_half() {
        let m = Mailbox::new(4, 1_000, Readers::Many);
        for i in 0..3 {
            assert_eq!(m.push(Item(i)), Ok(Pushed::Ok));
        }
        assert_eq!(m.push(Item(3)), Ok(Pushed::Full));
        assert!(m.is_full());
        m.try_pop();
        assert!(m.is_full(), "3 of 4 is still above half");
        m.try_pop();
        assert!(!m.is_full(), "2 of 4 is half: the producer may go on");
    }

    #[test]
    fn bytes_bound_counts_too() {
        let m = Mailbox::new(100, 10, Readers::Many);
        assert_eq!(m.push(Item(6)), Ok(Pushed::Ok));
        assert_eq!(m.push(Item(6)), Ok(Pushed::Full));
        assert_eq!(m.try_pop(), Some(Item(6)));
        assert!(m.is_full(), "6 of 10 bytes is above half");
        assert_eq!(m.try_pop(), Some(Item(6)));
        assert!(!m.is_full());
    }

    #[test]
    fn try_push_refuses_when_full_and_abandoned_refuses_everything() {
        let m = Mailbox::new(1, 100, Readers::Many);
        assert!(m.try_push(Item(1)).is_ok());
        assert_eq!(m.try_push(Item(2)), Err(Item(2)));
        assert_eq!(m.abandon(), vec![Item(1)]);
        assert_eq!(m.push(Item(3)), Err(Item(3)));
    }

    #[test]
    fn pop_where_takes_the_first_match_in_order() {
        let m = Mailbox::new(10, 100, Readers::Many);
        for i in [1, 2, 3, 4] {
            m.push(Item(i)).unwrap();
        }
        assert_eq!(m.try_pop_where(|i| i.0 % 2 == 0), Some(Item(2)));
        assert_eq!(m.try_pop(), Some(Item(1)));
        assert_eq!(m.try_pop(), Some(Item(3)));
    }

    #[test]
    fn ready_hook_fires_when_the_buffer_stops_being_empty() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let m = Mailbox::new(10, 100, Readers::Many);
        m.push(Item(1)).unwrap();
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        m.set_ready_hook(Some(std::sync::Arc::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
        })));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "set on a non-empty buffer: told at once"
        );
        m.push(Item(2)).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not empty before: no call");
        m.try_pop();
        m.try_pop();
        m.try_push(Item(3)).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "empty, then an item: told");
        m.try_pop();
        m.close();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "closing is news for a reader too"
        );
        m.set_ready_hook(None);
    }

    #[tokio::test]
    async fn pop_waits_and_close_ends_it() {
        let m = std::sync::Arc::new(Mailbox::new(10, 100, Readers::Many));
        let m2 = m.clone();
        let reader = tokio::spawn(async move { (m2.pop().await, m2.pop().await) });
        tokio::task::yield_now().await;
        m.push(Item(7)).unwrap();
        m.close();
        assert_eq!(reader.await.unwrap(), (Some(Item(7)), None));
    }
}
