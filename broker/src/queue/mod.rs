//! Queues: ready messages, consumers with round-robin dispatch and prefetch credit, requeue,
//! purge, get, and deletion; and RabbitMQ's classic-queue features: message TTL, queue expiry,
//! length limits with their overflow modes, single active consumer, priorities and
//! dead-lettering. The queue lock is per queue; publishers and the acking connection take it
//! briefly, and deliveries are handed to the consumer's connection task without copying.
//! Dead letters are collected under the lock and republished after it is released.
//!
//! Rooms: [`args`] (argument validation and equivalence), [`store`] (ready messages by
//! priority), [`dead_letter`] (`x-death` and cycles), and here the queue and its timer.

pub mod args;
pub mod dead_letter;
mod store;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use warren_core::codec::{FieldTable, ShortString};

use crate::error::{access_refused, resource_locked, AmqpResult};
use crate::message::{Message, MessageRef};
use crate::storage::{MessageStore, PersistRef, RecoveredMessage};
pub use args::{Overflow, QueueArgs};
pub use dead_letter::Reason;
use store::Store;

/// A message in a queue, with what the queue knows about its history.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    /// The shared message.
    pub message: MessageRef,
    /// Delivered before and not acknowledged.
    pub redelivered: bool,
    /// When it expires (the smaller of `x-message-ttl` and its `expiration`, from when it was
    /// enqueued); kept across requeues, as in RabbitMQ.
    pub expires_at: Option<Instant>,
    /// Its place in the queue, in enqueue order: a requeued message goes back to it, as in
    /// RabbitMQ (0 outside a queue).
    pub seq: u64,
    /// Its record in the message log (persistent message in a durable queue with a log).
    pub persist: Option<PersistRef>,
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
    /// Deliveries handed to the connection task and not yet written into its output (limit
    /// [`UNSENT_LIMIT`]), for every consumer, no-ack ones included: a consumer slower than
    /// its publishers leaves the backlog in the queue, not in its connection's inbox — as
    /// RabbitMQ's queues limit unsent messages per channel.
    pub unsent: Arc<Credit>,
}

/// Deliveries a queue hands to a consumer's connection task before that task has written
/// them into its output buffer (which it stops doing while the client does not read).
pub const UNSENT_LIMIT: u32 = 1024;

impl ConsumerHandle {
    fn can_take(&self) -> bool {
        self.unsent.available()
            && (self.no_ack || (self.credit.available() && self.channel_credit.available()))
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

/// Messages to dead-letter once the queue lock is released.
type Letters = Vec<(MessageRef, Reason)>;

/// A durable queue's message log and the scope its records carry (the vhost's name: the log
/// is shared by every vhost).
#[derive(Debug)]
pub struct QueueLog {
    /// The message log.
    pub store: Arc<MessageStore>,
    /// Written in every record of this queue, with its name.
    pub scope: String,
}

/// What a queue needs of the place it lives in (its vhost), which it does not know otherwise:
/// where its dead letters go and how it leaves when it expires. The queue holds it weakly.
pub trait QueueHost: Send + Sync + std::fmt::Debug {
    /// Routes `message` through the exchange called `exchange`, appending the queues it
    /// reaches to `out`; false if there is no such exchange.
    fn route_via(
        &self,
        exchange: &ShortString,
        message: &Message,
        out: &mut Vec<Arc<Queue>>,
    ) -> bool;
    /// Removes `queue` from the host (it expired: `x-expires`).
    fn remove_expired(&self, queue: &Arc<Queue>);
}

#[derive(Debug)]
struct QueueState {
    ready: Store,
    /// In registration order.
    consumers: Vec<ConsumerHandle>,
    /// Round-robin position.
    next_consumer: usize,
    /// Whether a consumer was ever attached (auto-delete needs one to have existed).
    had_consumer: bool,
    /// Single active consumer: (connection, channel, tag) of the one that receives.
    active: Option<(u64, u16, ShortString)>,
    /// Last use (declare, `basic.get`, last consumer gone), for `x-expires`.
    used_at: Instant,
    /// The deadline the timer task sleeps until.
    armed: Option<Instant>,
    /// Wakes the timer task; `None` until a deadline is first needed.
    timer: Option<Arc<Notify>>,
}

/// A queue.
#[derive(Debug)]
pub struct Queue {
    /// Name.
    pub name: ShortString,
    /// Declaration.
    pub options: QueueOptions,
    /// The features its arguments ask for.
    pub args: QueueArgs,
    /// Its host (the vhost), for dead-lettering and expiry; `None` for a queue on its own.
    host: Option<Weak<dyn QueueHost>>,
    state: Mutex<QueueState>,
    deleted: AtomicBool,
    /// Where its persistent messages go (durable queue, broker with a data directory).
    log: Option<QueueLog>,
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
    /// A new, empty queue with no host, no log and no special arguments (nothing to
    /// dead-letter to).
    pub fn new(name: ShortString, options: QueueOptions) -> Arc<Queue> {
        Queue::with_args(name, options, QueueArgs::default(), None, None)
    }

    /// A new, empty queue in `host`, with `args` already validated ([`QueueArgs::parse`]) and
    /// its persistent messages written to `log` (given for a durable queue only).
    pub fn with_args(
        name: ShortString,
        options: QueueOptions,
        args: QueueArgs,
        host: Option<Weak<dyn QueueHost>>,
        log: Option<QueueLog>,
    ) -> Arc<Queue> {
        Arc::new(Queue {
            name,
            options,
            host,
            state: Mutex::new(QueueState {
                ready: Store::new(args.max_priority, log.as_ref().map(|l| l.store.clone())),
                consumers: Vec::new(),
                next_consumer: 0,
                had_consumer: false,
                active: None,
                used_at: Instant::now(),
                armed: None,
                timer: None,
            }),
            args,
            deleted: AtomicBool::new(false),
            log,
        })
    }

    /// Appends messages recovered from the message log ([`MessageStore::open`]) to this
    /// (recreated, durable) queue, in their order; bodies stay on disk beyond the first few.
    pub fn restore(self: &Arc<Self>, messages: Vec<RecoveredMessage>) {
        let Some(log) = &self.log else {
            // Not durable here any more: the entries are dropped from the log.
            return;
        };
        let _ = log;
        let mut letters = Letters::new();
        {
            let mut st = self.state.lock();
            for m in messages {
                st.ready
                    .push_recovered(m.persist, m.priority, m.body_len, m.redelivered);
            }
            st.ready.refill_all();
            self.settle(&mut st, &mut letters);
            self.rearm(&mut st);
        }
        self.dead_letter(letters);
    }

    /// The message left the queue for good (acknowledged, rejected, dropped): its log
    /// entry is released.
    pub fn forget<'a>(&self, messages: impl IntoIterator<Item = &'a QueuedMessage>) {
        if let Some(log) = &self.log {
            let mut refs = messages.into_iter().filter_map(|m| m.persist).peekable();
            if refs.peek().is_some() {
                log.store.ack(refs);
            }
        }
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

    /// Ready messages (expired ones behind the head included, as RabbitMQ counts them).
    pub fn message_count(&self) -> u32 {
        self.state.lock().ready.len() as u32
    }

    /// Consumers, waiting single-active ones included.
    pub fn consumer_count(&self) -> u32 {
        self.state.lock().consumers.len() as u32
    }

    /// The queue was used (`queue.declare`): restarts its `x-expires` countdown.
    pub fn touch(self: &Arc<Self>) {
        if self.args.expires.is_none() {
            return;
        }
        let mut st = self.state.lock();
        st.used_at = Instant::now();
        self.rearm(&mut st);
    }

    /// Enqueues a routed message and delivers what it can. Returns false when the queue
    /// refuses it (`x-overflow` `reject-publish` or `reject-publish-dlx` and full): the
    /// publisher gets `basic.nack`.
    pub fn publish(self: &Arc<Self>, message: MessageRef) -> bool {
        self.publish_logged(message).0
    }

    /// [`Queue::publish`], also returning the message log batch whose sync makes the message
    /// durable (0: nothing was logged), which its confirm must wait for.
    pub fn publish_logged(self: &Arc<Self>, message: MessageRef) -> (bool, u64) {
        let mut letters = Letters::new();
        let mut batch = 0;
        let accepted = {
            let mut st = self.state.lock();
            if self.is_deleted() {
                return (true, 0);
            }
            let accepted = self.enqueue(&mut st, message, &mut letters, &mut batch);
            self.rearm(&mut st);
            accepted
        };
        self.dead_letter(letters);
        (accepted, batch)
    }

    fn enqueue(
        self: &Arc<Self>,
        st: &mut QueueState,
        message: MessageRef,
        dl: &mut Letters,
        batch: &mut u64,
    ) -> bool {
        let a = &self.args;
        if a.overflow != Overflow::DropHead
            && a.over_limit(st.ready.len() + 1, st.ready.bytes() + message.body.len())
        {
            if a.overflow == Overflow::RejectPublishDlx {
                self.discard(dl, message, Reason::Maxlen);
            }
            return false;
        }
        let persist = match &self.log {
            Some(log) if message.is_persistent() => {
                let (r, b) = log.store.publish(&log.scope, &self.name, &message);
                *batch = b;
                Some(r)
            }
            _ => None,
        };
        let mut m = QueuedMessage {
            expires_at: self.expiry_for(&message),
            message,
            redelivered: false,
            seq: st.ready.take_seq(),
            persist,
        };
        // Nothing ahead of it: straight to a consumer that can take it, even with a TTL of 0
        // (RabbitMQ delivers such messages if it can at once).
        while st.ready.is_empty() {
            let Some(i) = pick_consumer(st) else { break };
            match self.send(st, i, m) {
                Ok(()) => return true,
                Err(back) => m = back,
            }
        }
        st.ready.push_back(m);
        self.settle(st, dl);
        true
    }

    /// When a message enqueued now expires.
    fn expiry_for(&self, m: &Message) -> Option<Instant> {
        let own = match m.properties.expiration {
            None => None,
            // Validated when published; an invalid one cannot get here.
            Some(_) => crate::message::parse_expiration(&m.properties)
                .ok()
                .flatten(),
        };
        let ttl = match (self.args.message_ttl, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }?;
        Some(Instant::now() + Duration::from_millis(ttl))
    }

    /// Puts messages back (nack/reject with requeue, channel close), marked redelivered, at
    /// their original places: ahead of everything enqueued after them, whatever order the
    /// requeues come in.
    pub fn requeue(self: &Arc<Self>, messages: Vec<QueuedMessage>) {
        let mut letters = Letters::new();
        {
            let mut st = self.state.lock();
            if self.is_deleted() {
                drop(st);
                self.forget(&messages);
                return;
            }
            for mut m in messages.into_iter().rev() {
                m.redelivered = true;
                st.ready.push_front(m);
            }
            self.settle(&mut st, &mut letters);
            self.rearm(&mut st);
        }
        self.dead_letter(letters);
    }

    /// Settles messages a client rejected without requeue: dead-lettered with reason
    /// `rejected` if the queue has a dead-letter exchange, dropped otherwise.
    pub fn reject(self: &Arc<Self>, messages: Vec<QueuedMessage>) {
        self.forget(&messages);
        if self.is_deleted() || self.args.dead_letter_exchange.is_none() {
            return;
        }
        let letters = messages
            .into_iter()
            .map(|m| (m.message, Reason::Rejected))
            .collect();
        self.dead_letter(letters);
    }

    /// Tries again to deliver (credit was returned).
    pub fn try_dispatch(self: &Arc<Self>) {
        let mut letters = Letters::new();
        {
            let mut st = self.state.lock();
            self.dispatch(&mut st, &mut letters);
            self.rearm(&mut st);
        }
        self.dead_letter(letters);
    }

    /// After the ready messages changed: drop heads over the length limit (`drop-head`),
    /// expired heads, then deliver.
    fn settle(self: &Arc<Self>, st: &mut QueueState, dl: &mut Letters) {
        let a = &self.args;
        if a.overflow == Overflow::DropHead && a.has_limit() {
            while a.over_limit(st.ready.len(), st.ready.bytes()) {
                let Some(m) = st.ready.pop() else { break };
                self.forget([&m]);
                self.discard(dl, m.message, Reason::Maxlen);
            }
        }
        self.drop_expired(st, dl);
        self.dispatch(st, dl);
    }

    /// Drops (or dead-letters) expired messages at the head; RabbitMQ never looks further.
    fn drop_expired(&self, st: &mut QueueState, dl: &mut Letters) {
        if st.ready.head_expiry().is_none() {
            return;
        }
        let now = Instant::now();
        while let Some(m) = st.ready.pop_expired(now) {
            self.forget([&m]);
            self.discard(dl, m.message, Reason::Expired);
        }
    }

    /// A message leaves the queue without being delivered.
    fn discard(&self, dl: &mut Letters, message: MessageRef, reason: Reason) {
        if self.args.dead_letter_exchange.is_some() {
            dl.push((message, reason));
        }
    }

    /// Republishes dead letters through the dead-letter exchange. Never under the queue lock.
    fn dead_letter(&self, letters: Letters) {
        if letters.is_empty() {
            return;
        }
        if let Some(host) = self.host.as_ref().and_then(Weak::upgrade) {
            dead_letter::publish(&*host, &self.name, &self.args, letters);
        }
    }

    fn dispatch(self: &Arc<Self>, st: &mut QueueState, dl: &mut Letters) {
        while !st.ready.is_empty() && !st.consumers.is_empty() {
            // Expired messages are never delivered.
            self.drop_expired(st, dl);
            let Some(i) = pick_consumer(st) else { return };
            let Some(message) = st.ready.pop() else {
                return;
            };
            if let Err(message) = self.send(st, i, message) {
                // The connection is gone; its cleanup will cancel the consumer. Keep the message.
                st.ready.push_front(message);
            }
        }
    }

    /// Hands `message` to consumer `i`; if its connection is gone, removes the consumer and
    /// gives the message back.
    fn send(
        self: &Arc<Self>,
        st: &mut QueueState,
        i: usize,
        message: QueuedMessage,
    ) -> Result<(), QueuedMessage> {
        let c = &st.consumers[i];
        let ack_required = !c.no_ack;
        if ack_required {
            c.credit.take();
            c.channel_credit.take();
        }
        c.unsent.take();
        let logged = message.persist.map(|p| (p, message.redelivered));
        let sent = c.outbox.send(SessionMessage::Deliver {
            channel: c.channel,
            consumer_tag: c.tag.clone(),
            ack_required,
            queue: self.clone(),
            message,
        });
        match sent {
            Ok(()) => {
                st.next_consumer = i + 1;
                if let (Some(log), Some((p, redelivered))) = (&self.log, logged) {
                    if !ack_required {
                        log.store.ack([p]);
                    } else if !redelivered {
                        log.store.delivered([p.id]);
                    }
                }
                Ok(())
            }
            Err(mpsc::error::SendError(SessionMessage::Deliver { message, .. })) => {
                let c = st.consumers.remove(i);
                self.consumer_removed(st, &c);
                Err(message)
            }
            Err(_) => unreachable!("only deliveries are sent here"),
        }
    }

    /// Bookkeeping after a consumer left: the next single active consumer, `x-expires`.
    fn consumer_removed(&self, st: &mut QueueState, c: &ConsumerHandle) {
        if st.active.as_ref().is_some_and(|(conn, ch, tag)| {
            *conn == c.connection_id && *ch == c.channel && *tag == c.tag
        }) {
            st.active = next_active(&st.consumers);
        }
        if st.consumers.is_empty() {
            st.used_at = Instant::now();
        }
    }

    /// Adds a consumer.
    pub fn consume(self: &Arc<Self>, consumer: ConsumerHandle) -> AmqpResult {
        let mut letters = Letters::new();
        {
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
            if self.args.single_active_consumer && st.active.is_none() {
                st.active = Some((
                    consumer.connection_id,
                    consumer.channel,
                    consumer.tag.clone(),
                ));
            }
            st.consumers.push(consumer);
            st.had_consumer = true;
            self.dispatch(&mut st, &mut letters);
            self.rearm(&mut st);
        }
        self.dead_letter(letters);
        Ok(())
    }

    /// Removes a consumer; with a single active consumer, the next one takes over.
    pub fn cancel(
        self: &Arc<Self>,
        connection_id: u64,
        channel: u16,
        tag: &ShortString,
    ) -> CancelOutcome {
        let mut letters = Letters::new();
        let outcome = {
            let mut st = self.state.lock();
            let Some(i) = st.consumers.iter().position(|c| {
                c.connection_id == connection_id && c.channel == channel && c.tag == *tag
            }) else {
                return CancelOutcome::NotFound;
            };
            let c = st.consumers.remove(i);
            self.consumer_removed(&mut st, &c);
            self.dispatch(&mut st, &mut letters);
            self.rearm(&mut st);
            if self.options.auto_delete && st.consumers.is_empty() && st.had_consumer {
                CancelOutcome::RemovedLast
            } else {
                CancelOutcome::Removed
            }
        };
        self.dead_letter(letters);
        outcome
    }

    /// Takes one message for `basic.get`, with the count left behind; expired messages are
    /// dropped (or dead-lettered) on the way, never returned.
    pub fn get(self: &Arc<Self>) -> Option<(QueuedMessage, u32)> {
        let mut letters = Letters::new();
        let got = {
            let mut st = self.state.lock();
            st.used_at = Instant::now();
            self.drop_expired(&mut st, &mut letters);
            let got = st.ready.pop();
            if got.is_some() {
                self.drop_expired(&mut st, &mut letters);
            }
            self.rearm(&mut st);
            got.map(|m| (m, st.ready.len() as u32))
        };
        self.dead_letter(letters);
        got
    }

    /// A message was handed out by `basic.get`: logged as delivered, or as gone when the
    /// getter does not acknowledge.
    pub fn got(&self, m: &QueuedMessage, no_ack: bool) {
        if let (Some(log), Some(p)) = (&self.log, m.persist) {
            if no_ack {
                log.store.ack([p]);
            } else if !m.redelivered {
                log.store.delivered([p.id]);
            }
        }
    }

    /// Removes every ready message; returns how many.
    pub fn purge(&self) -> u32 {
        let (n, refs) = self.state.lock().ready.clear();
        if let Some(log) = &self.log {
            log.store.ack(refs);
        }
        n as u32
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
        st.active = None;
        if let Some(t) = &st.timer {
            t.notify_one();
        }
        let (n, refs) = st.ready.clear();
        if let Some(log) = &self.log {
            log.store.queue_deleted(&log.scope, &self.name, refs);
        }
        n as u32
    }

    /// Makes sure the timer task wakes at the next head expiry or `x-expires` deadline.
    fn rearm(self: &Arc<Self>, st: &mut QueueState) {
        let mut due = st.ready.head_expiry();
        if let Some(ms) = self.args.expires {
            if st.consumers.is_empty() {
                let t = st.used_at + Duration::from_millis(ms);
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        }
        let Some(due) = due else { return };
        if st.armed.is_some_and(|a| a <= due) {
            return;
        }
        st.armed = Some(due);
        match &st.timer {
            Some(t) => t.notify_one(),
            None => {
                // Outside a runtime (unit tests) expiry is only noticed at the next operation.
                let Ok(rt) = tokio::runtime::Handle::try_current() else {
                    return;
                };
                let notify = Arc::new(Notify::new());
                st.timer = Some(notify.clone());
                rt.spawn(run_timer(Arc::downgrade(self), notify));
            }
        }
    }

    /// The timer went off: expire heads, and delete the queue if it stayed unused.
    fn on_timer(self: &Arc<Self>) {
        let mut letters = Letters::new();
        let expire = {
            let mut st = self.state.lock();
            st.armed = None;
            if self.is_deleted() {
                return;
            }
            let now = Instant::now();
            let expire = self.args.expires.is_some_and(|ms| {
                st.consumers.is_empty() && now >= st.used_at + Duration::from_millis(ms)
            });
            if !expire {
                self.drop_expired(&mut st, &mut letters);
                self.dispatch(&mut st, &mut letters);
                self.rearm(&mut st);
            }
            expire
        };
        self.dead_letter(letters);
        if expire {
            if let Some(host) = self.host.as_ref().and_then(Weak::upgrade) {
                tracing::debug!(queue = %self.name, "queue expired (x-expires)");
                host.remove_expired(self);
            }
        }
    }
}

/// One task per queue that needs a timer: sleeps until the armed deadline, woken early when
/// an earlier one is armed; ends with the queue.
async fn run_timer(queue: Weak<Queue>, notify: Arc<Notify>) {
    loop {
        let due = match queue.upgrade() {
            Some(q) if !q.is_deleted() => q.state.lock().armed,
            _ => return,
        };
        match due {
            Some(due) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {
                        let Some(q) = queue.upgrade() else { return };
                        q.on_timer();
                    }
                    _ = notify.notified() => {}
                }
            }
            None => notify.notified().await,
        }
    }
}

/// The single active consumer after the active one left: the highest priority, earliest
/// registered (RabbitMQ's `rabbit_queue_consumers:get_consumer`).
fn next_active(consumers: &[ConsumerHandle]) -> Option<(u64, u16, ShortString)> {
    let mut best: Option<&ConsumerHandle> = None;
    for c in consumers {
        let better = match best {
            None => true,
            Some(b) => c.priority > b.priority,
        };
        if better {
            best = Some(c);
        }
    }
    best.map(|c| (c.connection_id, c.channel, c.tag.clone()))
}

/// The next consumer with credit: the single active one if the queue has one, otherwise the
/// highest priority first, round-robin among equals.
fn pick_consumer(st: &QueueState) -> Option<usize> {
    if let Some((conn, ch, tag)) = &st.active {
        let i = st
            .consumers
            .iter()
            .position(|c| c.connection_id == *conn && c.channel == *ch && c.tag == *tag)?;
        return st.consumers[i].can_take().then_some(i);
    }
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
