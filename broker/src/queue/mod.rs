//! Queues: ready messages, consumers with round-robin dispatch and prefetch credit, requeue,
//! purge, get, and deletion. The queue lock is per queue; publishers and the acking connection
//! take it briefly, and deliveries are handed to the consumer's connection task without copying.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;
use warren_core::codec::{FieldTable, ShortString};

use crate::error::{access_refused, resource_locked, AmqpResult};
use crate::message::MessageRef;

/// A message in a queue, with what the queue knows about its history.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    /// The shared message.
    pub message: MessageRef,
    /// Delivered before and not acknowledged.
    pub redelivered: bool,
}

/// Prefetch accounting shared by a queue (which spends credit when it delivers) and the
/// connection (which returns it on ack). A limit of 0 means unlimited.
#[derive(Debug, Default)]
pub struct Credit {
    limit: AtomicU32,
    used: AtomicU32,
}

impl Credit {
    /// A credit with `limit` (0: unlimited).
    pub fn new(limit: u32) -> Arc<Credit> {
        Arc::new(Credit {
            limit: AtomicU32::new(limit),
            used: AtomicU32::new(0),
        })
    }
    /// Whether one more unacknowledged delivery is allowed.
    pub fn available(&self) -> bool {
        let limit = self.limit.load(Ordering::Acquire);
        limit == 0 || self.used.load(Ordering::Acquire) < limit
    }
    /// Records a delivery.
    pub fn take(&self) {
        self.used.fetch_add(1, Ordering::AcqRel);
    }
    /// Records `n` acknowledgements (or requeues); returns whether credit was exhausted before.
    pub fn give(&self, n: u32) -> bool {
        let limit = self.limit.load(Ordering::Acquire);
        let before = self
            .used
            .fetch_sub(n.min(self.used.load(Ordering::Acquire)), Ordering::AcqRel);
        limit != 0 && before >= limit
    }
    /// Changes the limit (basic.qos).
    pub fn set_limit(&self, limit: u32) {
        self.limit.store(limit, Ordering::Release);
    }
    /// Deliveries not yet acknowledged.
    pub fn used(&self) -> u32 {
        self.used.load(Ordering::Acquire)
    }
}

/// What a queue sends to a connection task.
#[derive(Debug)]
pub enum SessionMessage {
    /// Deliver to a consumer.
    Deliver {
        /// Channel of the consumer.
        channel: u16,
        /// The consumer.
        consumer_tag: ShortString,
        /// Whether the consumer acknowledges (otherwise the delivery is settled already).
        ack_required: bool,
        /// The queue, for acks and requeues.
        queue: Arc<Queue>,
        /// The message.
        message: QueuedMessage,
    },
    /// The broker cancels a consumer (its queue was deleted): send `basic.cancel`.
    Cancel {
        /// Channel of the consumer.
        channel: u16,
        /// The consumer.
        consumer_tag: ShortString,
    },
}

/// A consumer as the queue sees it.
#[derive(Debug, Clone)]
pub struct ConsumerHandle {
    /// Consumer tag (unique per channel).
    pub tag: ShortString,
    /// Channel number on its connection.
    pub channel: u16,
    /// Connection it belongs to.
    pub connection_id: u64,
    /// The connection task's inbox.
    pub outbox: mpsc::UnboundedSender<SessionMessage>,
    /// Deliveries need no ack.
    pub no_ack: bool,
    /// Exclusive consumer: no other consumer may join.
    pub exclusive: bool,
    /// `x-priority`: higher gets messages first while it has credit.
    pub priority: i64,
    /// Per-consumer prefetch.
    pub credit: Arc<Credit>,
    /// Per-channel prefetch (`global` qos).
    pub channel_credit: Arc<Credit>,
}

impl ConsumerHandle {
    fn can_take(&self) -> bool {
        self.no_ack || (self.credit.available() && self.channel_credit.available())
    }
}

/// What the declaration arguments ask of a queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueOptions {
    /// Survives restart.
    pub durable: bool,
    /// Owning connection, for exclusive queues.
    pub exclusive_owner: Option<u64>,
    /// Deleted when its last consumer goes.
    pub auto_delete: bool,
    /// Declaration arguments, for equivalence checks.
    pub arguments: FieldTable,
}

#[derive(Debug, Default)]
struct QueueState {
    ready: VecDeque<QueuedMessage>,
    consumers: Vec<ConsumerHandle>,
    /// Round-robin position.
    next_consumer: usize,
    /// Whether a consumer was ever attached (auto-delete needs one to have existed).
    had_consumer: bool,
}

/// A queue.
#[derive(Debug)]
pub struct Queue {
    /// Name.
    pub name: ShortString,
    /// Declaration.
    pub options: QueueOptions,
    state: Mutex<QueueState>,
    deleted: AtomicBool,
}

/// Result of cancelling a consumer.
#[derive(Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// No such consumer.
    NotFound,
    /// Removed.
    Removed,
    /// Removed, and the queue is auto-delete with no consumers left: delete it.
    RemovedLast,
}

impl Queue {
    /// A new, empty queue.
    pub fn new(name: ShortString, options: QueueOptions) -> Arc<Queue> {
        Arc::new(Queue {
            name,
            options,
            state: Mutex::new(QueueState::default()),
            deleted: AtomicBool::new(false),
        })
    }

    /// Whether the queue was deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Whether `connection_id` may use the queue (exclusive queues belong to one connection).
    pub fn check_access(&self, connection_id: u64) -> AmqpResult {
        match self.options.exclusive_owner {
            Some(owner) if owner != connection_id => Err(resource_locked(format!(
                "cannot obtain exclusive access to locked queue '{}' in vhost",
                self.name
            ))),
            _ => Ok(()),
        }
    }

    /// Ready messages.
    pub fn message_count(&self) -> u32 {
        self.state.lock().ready.len() as u32
    }

    /// Active consumers.
    pub fn consumer_count(&self) -> u32 {
        self.state.lock().consumers.len() as u32
    }

    /// Enqueues a routed message and delivers what it can.
    pub fn publish(self: &Arc<Self>, message: QueuedMessage) {
        let mut st = self.state.lock();
        if self.is_deleted() {
            return;
        }
        st.ready.push_back(message);
        self.dispatch(&mut st);
    }

    /// Puts messages back (nack/reject with requeue, channel close), marked redelivered, ahead
    /// of everything not yet delivered and in their original order.
    pub fn requeue(self: &Arc<Self>, messages: Vec<QueuedMessage>) {
        let mut st = self.state.lock();
        if self.is_deleted() {
            return;
        }
        for mut m in messages.into_iter().rev() {
            m.redelivered = true;
            st.ready.push_front(m);
        }
        self.dispatch(&mut st);
    }

    /// Tries again to deliver (credit was returned).
    pub fn try_dispatch(self: &Arc<Self>) {
        let mut st = self.state.lock();
        self.dispatch(&mut st);
    }

    fn dispatch(self: &Arc<Self>, st: &mut QueueState) {
        while !st.ready.is_empty() && !st.consumers.is_empty() {
            let Some(i) = pick_consumer(st) else { return };
            let c = &st.consumers[i];
            let Some(message) = st.ready.pop_front() else {
                return;
            };
            let ack_required = !c.no_ack;
            if ack_required {
                c.credit.take();
                c.channel_credit.take();
            }
            let sent = c.outbox.send(SessionMessage::Deliver {
                channel: c.channel,
                consumer_tag: c.tag.clone(),
                ack_required,
                queue: self.clone(),
                message,
            });
            if let Err(mpsc::error::SendError(SessionMessage::Deliver { message, .. })) = sent {
                // The connection is gone; its cleanup will cancel the consumer. Keep the message.
                st.ready.push_front(message);
                st.consumers.remove(i);
                continue;
            }
            st.next_consumer = i + 1;
        }
    }

    /// Adds a consumer.
    pub fn consume(self: &Arc<Self>, consumer: ConsumerHandle) -> AmqpResult {
        let mut st = self.state.lock();
        if st.consumers.iter().any(|c| c.exclusive) {
            return Err(access_refused(format!(
                "queue '{}' in vhost has an exclusive consumer",
                self.name
            )));
        }
        if consumer.exclusive && !st.consumers.is_empty() {
            return Err(access_refused(format!(
                "queue '{}' in vhost already has consumers",
                self.name
            )));
        }
        st.consumers.push(consumer);
        st.had_consumer = true;
        self.dispatch(&mut st);
        Ok(())
    }

    /// Removes a consumer.
    pub fn cancel(&self, connection_id: u64, channel: u16, tag: &ShortString) -> CancelOutcome {
        let mut st = self.state.lock();
        let before = st.consumers.len();
        st.consumers.retain(|c| {
            !(c.connection_id == connection_id && c.channel == channel && c.tag == *tag)
        });
        if st.consumers.len() == before {
            return CancelOutcome::NotFound;
        }
        if self.options.auto_delete && st.consumers.is_empty() && st.had_consumer {
            CancelOutcome::RemovedLast
        } else {
            CancelOutcome::Removed
        }
    }

    /// Takes one message for `basic.get`, with the count left behind.
    pub fn get(&self) -> Option<(QueuedMessage, u32)> {
        let mut st = self.state.lock();
        let m = st.ready.pop_front()?;
        Some((m, st.ready.len() as u32))
    }

    /// Removes every ready message; returns how many.
    pub fn purge(&self) -> u32 {
        let mut st = self.state.lock();
        let n = st.ready.len() as u32;
        st.ready.clear();
        n
    }

    /// Marks the queue deleted, tells its consumers' connections, and returns the number of
    /// ready messages it held.
    pub fn delete(&self) -> u32 {
        let mut st = self.state.lock();
        self.deleted.store(true, Ordering::Release);
        for c in st.consumers.drain(..) {
            let _ = c.outbox.send(SessionMessage::Cancel {
                channel: c.channel,
                consumer_tag: c.tag,
            });
        }
        let n = st.ready.len() as u32;
        st.ready.clear();
        n
    }
}

/// The next consumer with credit: highest priority first, round-robin among equals.
fn pick_consumer(st: &QueueState) -> Option<usize> {
    let n = st.consumers.len();
    let top = st
        .consumers
        .iter()
        .filter(|c| c.can_take())
        .map(|c| c.priority)
        .max()?;
    (0..n)
        .map(|k| (st.next_consumer + k) % n)
        .find(|&i| st.consumers[i].priority == top && st.consumers[i].can_take())
}
