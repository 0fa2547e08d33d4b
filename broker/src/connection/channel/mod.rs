//! Channels on a broker connection: every channel-level method, publishing (content assembly,
//! routing, confirms, mandatory returns, transactions), and deliveries with their acks.
//!
//! Here: the channel's state and the one-line dispatch of every channel method to the file of
//! its role: [`access`] (permission checks), [`declare`] (exchanges, queues, bindings),
//! [`publish`] (publish, routing, returns, confirms), [`consume`] (qos, consumers, get,
//! deliveries), [`settle`] (ack, nack, reject, recover), [`tx`] (transactions).

mod access;
mod consume;
mod declare;
mod publish;
mod settle;
mod tx;

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use warren_core::codec::{self, BasicProperties, ContentHeader, Method, ShortString};

use super::{unexpected, Session};
use crate::auth::Access;
use crate::error::{
    access_refused, channel_error, internal_error, not_allowed, not_found, not_implemented,
    precondition_failed, AmqpException, AmqpResult,
};
use crate::message::{Message, MessageRef};
use crate::queue::{CancelOutcome, ConsumerHandle, Credit, Queue, QueuedMessage, SessionMessage};
use crate::routing::{Destination, Exchange};
use crate::vhost::{ExchangeDeclaration, QueueDeclaration, VHost};
use access::exchange_resource;
use settle::requeue_all;

/// A publish waiting for its content header and body.
struct PendingPublish {
    exchange: Arc<Exchange>,
    publish: codec::BasicPublish,
    header: Option<ContentHeader>,
    /// Why the header's properties could not be decoded, if they could not (the header then
    /// has default properties). Raised when the message is complete, as RabbitMQ does.
    undecodable: Option<codec::DecodeError>,
    body: BodyParts,
}

/// Body frames received so far; one frame is kept as is (no copy).
enum BodyParts {
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl BodyParts {
    fn len(&self) -> usize {
        match self {
            BodyParts::Empty => 0,
            BodyParts::One(b) => b.len(),
            BodyParts::Many(b) => b.len(),
        }
    }

    fn push(&mut self, frame: Bytes, total: usize) {
        *self = match std::mem::replace(self, BodyParts::Empty) {
            BodyParts::Empty => BodyParts::One(frame),
            BodyParts::One(first) => {
                // The header's size is the peer's word: reserve at most 1 MiB up front.
                let reserve = total.min(1 << 20).max(first.len() + frame.len());
                let mut buf = BytesMut::with_capacity(reserve);
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

    fn into_bytes(self) -> Bytes {
        match self {
            BodyParts::Empty => Bytes::new(),
            BodyParts::One(b) => b,
            BodyParts::Many(b) => b.freeze(),
        }
    }
}

/// A delivery awaiting acknowledgement.
struct Unacked {
    queue: Arc<Queue>,
    message: QueuedMessage,
    /// The consumer's prefetch credit (`None` for `basic.get`).
    credit: Option<Arc<Credit>>,
}

/// A consumer on this channel.
struct ConsumerEntry {
    queue: Arc<Queue>,
    credit: Arc<Credit>,
    /// Deliveries in this task's inbox (see [`ConsumerHandle::unsent`]).
    unsent: Arc<Credit>,
}

/// Work held back by a transaction until `tx.commit`.
#[derive(Default)]
struct TxState {
    publishes: Vec<(Arc<Exchange>, MessageRef, bool)>,
    /// (delivery tag, multiple, Some(requeue) for nack/reject, None for ack).
    settlements: Vec<(u64, bool, Option<bool>)>,
    /// Tags settled in this transaction: not outstanding any more for a later ack, nack or
    /// reject ("unknown delivery tag", as in RabbitMQ), outstanding again after a rollback.
    settled_tags: std::collections::HashSet<u64>,
}

/// What became of a routed publish in its queues.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Enqueued {
    /// The message log batch whose sync makes it durable in every queue (0: nothing logged).
    batch: u64,
    /// A queue refused it (`x-overflow` `reject-publish`).
    refused: bool,
}

impl Enqueued {
    /// Both outcomes together: durable once both are, refused if either was.
    fn and(self, other: Enqueued) -> Enqueued {
        Enqueued {
            batch: self.batch.max(other.batch),
            refused: self.refused || other.refused,
        }
    }
}

/// Per-channel broker state.
pub(crate) struct ChannelState {
    /// We sent `channel.close` and wait for `close-ok`; other frames are dropped.
    pub closing: bool,
    content: Option<PendingPublish>,
    /// Next publish sequence number, once in confirm mode.
    confirm_next: Option<u64>,
    /// Confirms waiting for the message log, in publish order: (sequence number, log batch
    /// that must be synced first (0: none), nack).
    confirm_wait: VecDeque<(u64, u64, bool)>,
    /// The highest log batch this channel asked to hear about.
    confirm_registered: u64,
    tx: Option<TxState>,
    /// A `tx.commit` whose publishes wait for the message log: its `commit-ok` (or failure)
    /// is sent once the log synced them. Meanwhile every method but `channel.close` is a
    /// connection error, as in RabbitMQ.
    commit_wait: Option<Enqueued>,
    /// The queue of the last successful `queue.declare` on this channel: an empty queue name
    /// stands for it (see [`Session::expand_shortcuts`]).
    last_declared_queue: Option<ShortString>,
    next_tag: u64,
    /// Unacknowledged deliveries by tag, oldest first; settled ones become `None` until they
    /// reach the front.
    unacked: VecDeque<(u64, Option<Unacked>)>,
    consumers: crate::FastMap<ShortString, ConsumerEntry>,
    /// Prefetch for consumers created from now on (`basic.qos` without `global`).
    prefetch: u16,
    /// Channel-wide prefetch (`basic.qos` with `global`, as RabbitMQ reads it).
    channel_credit: Arc<Credit>,
    /// The direct reply-to consumer: (routing key replies use, consumer tag).
    reply_to: Option<(ShortString, ShortString)>,
}

impl ChannelState {
    fn new() -> ChannelState {
        ChannelState {
            closing: false,
            content: None,
            confirm_next: None,
            confirm_wait: VecDeque::new(),
            confirm_registered: 0,
            tx: None,
            commit_wait: None,
            last_declared_queue: None,
            next_tag: 1,
            unacked: VecDeque::new(),
            consumers: crate::FastMap::default(),
            prefetch: 0,
            channel_credit: Credit::new(0),
            reply_to: None,
        }
    }

    /// Takes a content header; returns whether the message is complete (empty body).
    pub(crate) fn content_header(
        &mut self,
        header: ContentHeader,
        max_size: u64,
        undecodable: Option<codec::DecodeError>,
    ) -> AmqpResult<bool> {
        let Some(pending) = self.content.as_mut().filter(|p| p.header.is_none()) else {
            return Err(self.unexpected_content());
        };
        if header.class_id != BasicProperties::CLASS_ID {
            return Err(unexpected(format!(
                "expected content header for class 60, got one for class {} instead",
                header.class_id
            ))
            .caused_by(60, 40));
        }
        if header.body_size > max_size {
            self.content = None;
            return Err(precondition_failed(format!(
                "message size {} is larger than configured max size {max_size}",
                header.body_size
            ))
            .caused_by(60, 40));
        }
        let complete = header.body_size == 0;
        pending.header = Some(header);
        pending.undecodable = undecodable;
        Ok(complete)
    }

    /// Takes a body frame; returns whether the message is complete.
    pub(crate) fn content_body(&mut self, body: Bytes) -> AmqpResult<bool> {
        let Some(pending) = self.content.as_mut() else {
            return Err(self.unexpected_content());
        };
        let Some(header) = &pending.header else {
            return Err(self.unexpected_content());
        };
        let total = header.body_size as usize;
        if pending.body.len() + body.len() > total {
            // RabbitMQ then waits for a body that cannot complete, and refuses the next frame
            // with 505 naming basic.publish; this refuses at once, with the same code.
            return Err(unexpected(format!(
                "content body of {} bytes is longer than its header declared ({total})",
                pending.body.len() + body.len()
            ))
            .caused_by(60, 40));
        }
        pending.body.push(body, total);
        Ok(pending.body.len() == total)
    }

    /// The 505 for a frame that is not what the channel expects next, in RabbitMQ's words:
    /// a method, or the pending `basic.publish`'s content header or body.
    pub(crate) fn unexpected_content(&self) -> AmqpException {
        match &self.content {
            None => unexpected("expected method frame, got non method frame instead"),
            Some(p) if p.header.is_none() => unexpected(
                "expected content header for class 60, got non content header frame instead",
            )
            .caused_by(60, 40),
            Some(_) => unexpected("expected content body, got non content body frame instead")
                .caused_by(60, 40),
        }
    }
}

impl Session {
    pub(super) fn handle_channel_method(&mut self, ch: u16, method: Method) -> AmqpResult {
        let (class_id, method_id) = (method.class_id(), method.method_id());
        if let Method::ChannelOpen(_) = method {
            if self.channels.contains_key(&ch) {
                return Err(
                    channel_error("second 'channel.open' seen").caused_by(class_id, method_id)
                );
            }
            // As RabbitMQ: channel-max bounds how many channels are open at once (closing
            // ones included), not the channel number; the error names no method.
            let open = self.channels.len();
            if self.channel_max != 0 && open >= usize::from(self.channel_max) {
                return Err(not_allowed(format!(
                    "number of channels opened ({open}) has reached the negotiated channel_max ({})",
                    self.channel_max
                )));
            }
            self.channels.insert(ch, ChannelState::new());
            self.note_channel_count();
            self.out
                .push_method(ch, &codec::ChannelOpenOk::default().into());
            return Ok(());
        }
        let Some(state) = self.channels.get_mut(&ch) else {
            return Err(channel_error("expected 'channel.open'").caused_by(class_id, method_id));
        };
        if state.closing {
            match method {
                Method::ChannelCloseOk(_) => {
                    self.channels.remove(&ch);
                    self.note_channel_count();
                }
                // Both sides closed at once: answer, and keep the channel until the close-ok
                // to ours arrives (as RabbitMQ), or that close-ok would meet a channel that is
                // not open, a connection error.
                Method::ChannelClose(_) => {
                    self.out.push_method(ch, &codec::ChannelCloseOk {}.into());
                }
                _ => {}
            }
            return Ok(());
        }
        if state.content.is_some() {
            return Err(state.unexpected_content());
        }
        // Before anything else, as RabbitMQ: a missing queue is 404 whatever else is wrong.
        let method = match self.expand_shortcuts(ch, method) {
            Ok(method) => method,
            Err(e) => {
                self.channel_exception(ch, e.caused_by(class_id, method_id));
                return Ok(());
            }
        };
        let committing = self
            .channels
            .get(&ch)
            .is_some_and(|s| s.commit_wait.is_some());
        if committing && !matches!(method, Method::ChannelClose(_)) {
            // RabbitMQ refuses it: replies would overtake the commit-ok.
            return Err(
                channel_error("unexpected command while processing 'tx.commit'")
                    .caused_by(class_id, method_id),
            );
        }
        match self.channel_method(ch, method) {
            Ok(()) => Ok(()),
            Err(e) if e.is_hard() => Err(e.caused_by(class_id, method_id)),
            Err(e) => {
                self.channel_exception(ch, e.caused_by(class_id, method_id));
                Ok(())
            }
        }
    }

    /// Closes a channel with a soft error: `channel.close`, then its resources are released.
    pub(super) fn channel_exception(&mut self, ch: u16, e: AmqpException) {
        tracing::debug!(
            connection = self.id,
            channel = ch,
            code = e.code as u16,
            "channel error: {}",
            e.text
        );
        let close = codec::ChannelClose {
            reply_code: e.code as u16,
            reply_text: ShortString::truncating(&e.text),
            class_id: e.class_id,
            method_id: e.method_id,
        };
        self.out.push_method(ch, &close.into());
        self.release_channel(ch);
        self.channels.insert(
            ch,
            ChannelState {
                closing: true,
                ..ChannelState::new()
            },
        );
        self.note_channel_count();
    }

    /// Cancels the channel's consumers and requeues its unacknowledged deliveries.
    pub(super) fn release_channel(&mut self, ch: u16) {
        let Some(mut state) = self.channels.remove(&ch) else {
            return;
        };
        self.note_channel_count();
        let vhost = self.vhost.clone();
        for (tag, c) in state.consumers.drain() {
            if c.queue.cancel(self.id, ch, &tag) == CancelOutcome::RemovedLast {
                if let Some(v) = &vhost {
                    v.remove_queue(&c.queue);
                }
            }
        }
        let entries: Vec<Unacked> = state.unacked.drain(..).filter_map(|(_, u)| u).collect();
        requeue_all(entries);
    }

    fn channel_method(&mut self, ch: u16, method: Method) -> AmqpResult {
        let vhost = self.vhost()?;
        match method {
            Method::ChannelClose(_) => {
                self.release_channel(ch);
                self.out.push_method(ch, &codec::ChannelCloseOk {}.into());
            }
            Method::ChannelFlow(f) => {
                if !f.active {
                    return Err(not_implemented("active=false"));
                }
                self.out
                    .push_method(ch, &codec::ChannelFlowOk { active: true }.into());
            }
            Method::AccessRequest(_) => {
                self.out
                    .push_method(ch, &codec::AccessRequestOk { ticket: 1 }.into());
            }
            Method::ExchangeDeclare(d) => self.exchange_declare(ch, d, &vhost)?,
            Method::ExchangeDelete(d) => self.exchange_delete(ch, d, &vhost)?,
            Method::ExchangeBind(b) => self.exchange_bind(ch, b, &vhost)?,
            Method::ExchangeUnbind(b) => self.exchange_unbind(ch, b, &vhost)?,
            Method::QueueDeclare(d) => self.queue_declare(ch, d, &vhost)?,
            Method::QueueBind(b) => self.queue_bind(ch, b, &vhost)?,
            Method::QueueUnbind(b) => self.queue_unbind(ch, b, &vhost)?,
            Method::QueuePurge(p) => self.queue_purge(ch, p, &vhost)?,
            Method::QueueDelete(d) => self.queue_delete(ch, d, &vhost)?,
            Method::BasicQos(q) => self.basic_qos(ch, q)?,
            Method::BasicConsume(c) => self.basic_consume(ch, c, &vhost)?,
            Method::BasicCancel(c) => self.basic_cancel(ch, c, &vhost)?,
            Method::BasicPublish(p) => self.basic_publish(ch, p, &vhost)?,
            Method::BasicGet(g) => self.basic_get(ch, g, &vhost)?,
            Method::BasicAck(a) => self.settle(ch, a.delivery_tag, a.multiple, None)?,
            Method::BasicNack(n) => self.settle(ch, n.delivery_tag, n.multiple, Some(n.requeue))?,
            Method::BasicReject(r) => self.settle(ch, r.delivery_tag, false, Some(r.requeue))?,
            Method::BasicRecover(r) => self.basic_recover(ch, r)?,
            Method::BasicRecoverAsync(r) => self.recover(ch, r.requeue)?,
            Method::ConfirmSelect(c) => self.confirm_select(ch, c)?,
            Method::TxSelect(m) => self.tx_select(ch, m)?,
            Method::TxCommit(m) => self.tx_commit(ch, m, &vhost)?,
            Method::TxRollback(m) => self.tx_rollback(ch, m)?,
            other => {
                return Err(crate::error::command_invalid(format!(
                    "{} is not a client method",
                    other.name()
                )));
            }
        }
        Ok(())
    }

    /// Tells the registry how many channels are open (at open and close only).
    fn note_channel_count(&self) {
        if let Some(r) = &self.registration {
            r.channels
                .store(self.channels.len(), std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn channel(&mut self, ch: u16) -> AmqpResult<&mut ChannelState> {
        self.channels
            .get_mut(&ch)
            .ok_or_else(|| channel_error("expected 'channel.open'"))
    }
}
