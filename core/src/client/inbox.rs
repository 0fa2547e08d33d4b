//! An inbox: one bounded buffer that many consumers deliver into, so that one loop can wait
//! for the next delivery from any of them — PHP's `$channel->wait()` and pika's
//! `start_consuming()` are that loop, without a thread per consumer.

use std::sync::{Arc, Mutex};

// Looked up once per delivery taken: foldhash, not SipHash (the keys are channel numbers).
use foldhash::{HashMap, HashMapExt};

use super::channel::Channel;
use super::command::DeliverySink;
use super::connection::Connection;
use super::delivery::Delivery;
use super::mailbox::{ConsumerEnd, Incoming, Mailbox, Readers, ReadyHook};

/// What an inbox yields.
// Returned by value once per delivery: boxing the delivery would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum InboxItem {
    /// A message for one of the inbox's consumers (see `consumer_tag` and `channel()`).
    Delivery(Delivery),
    /// One of the inbox's consumers ended.
    Ended {
        /// Its channel number.
        channel: u16,
        /// Its tag.
        consumer_tag: String,
        /// Why.
        reason: ConsumerEnd,
    },
}

/// A shared delivery buffer for consumers started with [`Channel::basic_consume_to_inbox`].
/// Clone it freely; clones share the buffer. Bounded like a consumer's own buffer: when the
/// application falls behind, the connection stops reading its socket until it catches up.
#[derive(Clone)]
pub struct Inbox {
    sink: DeliverySink,
    /// The channels with consumers here, and how many: deliveries need their channel (to be
    /// acknowledged), and a channel stays open while it has consumers in an inbox.
    channels: Arc<Mutex<HashMap<u16, (Channel, usize)>>>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("buffered", &self.sink.len())
            .field("consumers", &self.consumers())
            .finish()
    }
}

impl Inbox {
    /// A new, empty inbox, bounded by `connection`'s consumer-buffer limits.
    pub fn new(connection: &Connection) -> Inbox {
        let limits = &connection.options().limits;
        Inbox {
            sink: Arc::new(Mailbox::new(
                limits.consumer_buffer,
                limits.consumer_buffer_bytes,
                Readers::Many,
            )),
            channels: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u16, (Channel, usize)>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn sink(&self) -> DeliverySink {
        self.sink.clone()
    }

    pub(crate) fn attach(&self, channel: &Channel) {
        self.lock()
            .entry(channel.id())
            .or_insert_with(|| (channel.clone(), 0))
            .1 += 1;
    }

    pub(crate) fn detach(&self, channel: u16) {
        let mut map = self.lock();
        if let Some((_, n)) = map.get_mut(&channel) {
            *n -= 1;
            if *n == 0 {
                map.remove(&channel);
            }
        }
    }

    /// Sets (or with `None` removes) a hook called whenever the inbox stops being empty (and
    /// once at once if it holds items already): for event loops, which write an eventfd or a
    /// self-pipe from it and then take items with [`Self::try_recv`]. It runs on the
    /// connection's task: it must be quick, must not block and must not read the inbox.
    pub fn set_ready_hook(&self, hook: Option<ReadyHook>) {
        self.sink.set_ready_hook(hook);
    }

    /// Whether nothing waits in the inbox now.
    pub fn is_empty(&self) -> bool {
        self.sink.len() == 0
    }

    /// Consumers delivering here that have not ended (as far as the items read so far tell).
    pub fn consumers(&self) -> usize {
        self.lock().values().map(|(_, n)| n).sum()
    }

    /// Consumers of `channel` delivering here that have not ended.
    pub fn consumers_of(&self, channel: u16) -> usize {
        self.lock().get(&channel).map_or(0, |(_, n)| *n)
    }

    /// The next item, waiting for one.
    pub async fn recv(&self) -> InboxItem {
        loop {
            if let Some(msg) = self.sink.pop().await {
                if let Some(item) = self.convert(msg) {
                    return item;
                }
            }
        }
    }

    /// An item already received, without waiting.
    pub fn try_recv(&self) -> Option<InboxItem> {
        while let Some(msg) = self.sink.try_pop() {
            if let Some(item) = self.convert(msg) {
                return Some(item);
            }
        }
        None
    }

    /// The next item of `channel`'s consumers, waiting for one; items of other channels stay
    /// in the inbox, in order.
    pub async fn recv_for_channel(&self, channel: u16) -> InboxItem {
        loop {
            if let Some(msg) = self.sink.pop_where(|m| m.channel() == channel).await {
                if let Some(item) = self.convert(msg) {
                    return item;
                }
            }
        }
    }

    /// An item of `channel`'s consumers already received, without waiting.
    pub fn try_recv_for_channel(&self, channel: u16) -> Option<InboxItem> {
        while let Some(msg) = self.sink.try_pop_where(|m| m.channel() == channel) {
            if let Some(item) = self.convert(msg) {
                return Some(item);
            }
        }
        None
    }

    fn convert(&self, msg: Incoming) -> Option<InboxItem> {
        match msg {
            Incoming::Delivery {
                channel,
                deliver,
                content,
            } => {
                let ch = self.lock().get(&channel).map(|(c, _)| c.clone())?;
                Some(InboxItem::Delivery(Delivery::from_deliver(
                    deliver, *content, ch,
                )))
            }
            Incoming::End {
                channel,
                consumer_tag,
                reason,
            } => {
                self.detach(channel);
                Some(InboxItem::Ended {
                    channel,
                    consumer_tag: consumer_tag.as_str().into_owned(),
                    reason,
                })
            }
        }
    }
}
