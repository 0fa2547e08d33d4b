//! Channels on a broker connection: every channel-level method, publishing (content assembly,
//! routing, confirms, mandatory returns, transactions), and deliveries with their acks.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use warren_core::codec::{self, BasicProperties, ContentHeader, Method, ShortString};

use super::{unexpected, Session};
use crate::auth::Access;
use crate::error::{
    access_refused, channel_error, not_allowed, not_found, not_implemented, precondition_failed,
    AmqpException, AmqpResult,
};
use crate::message::{Message, MessageRef};
use crate::queue::{CancelOutcome, ConsumerHandle, Credit, Queue, QueuedMessage, SessionMessage};
use crate::routing::{Destination, Exchange};
use crate::vhost::{ExchangeDeclaration, QueueDeclaration, VHost};

/// A publish waiting for its content header and body.
struct PendingPublish {
    exchange: Arc<Exchange>,
    publish: codec::BasicPublish,
    header: Option<ContentHeader>,
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

/// Resource name RabbitMQ checks permissions against for the default exchange.
fn exchange_resource(name: &ShortString) -> String {
    resource_or_default(&name.as_str())
}

/// An exchange name as a permission resource: `""` is `amq.default`.
fn resource_or_default(name: &str) -> String {
    if name.is_empty() {
        "amq.default".into()
    } else {
        name.to_string()
    }
}

/// RabbitMQ's `check_not_default_exchange`.
fn not_default_exchange(name: &ShortString) -> AmqpResult {
    if name.is_empty() {
        return Err(access_refused(
            "operation not permitted on the default exchange",
        ));
    }
    Ok(())
}

fn generated_tag() -> ShortString {
    use base64::Engine;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    let s = format!(
        "amq.ctag-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    ShortString::try_from(s).unwrap_or_else(|_| ShortString::from_static("amq.ctag-fallback"))
}

impl Session {
    fn vhost(&self) -> AmqpResult<Arc<VHost>> {
        self.vhost
            .clone()
            .ok_or_else(|| crate::error::command_invalid("no vhost open"))
    }

    /// Checks the user's permission, refusing in RabbitMQ's words (which do not name the
    /// permission; the log does).
    fn check(&self, access: Access, kind: &str, name: &str) -> AmqpResult {
        let vhost = self.vhost.as_ref().map(|v| v.name.as_str()).unwrap_or("/");
        match &self.user {
            Some(u) if u.allows(vhost, access, name) => Ok(()),
            Some(u) => {
                tracing::debug!(connection = self.id, user = %u.name, %vhost, "{} access to {kind} '{name}' refused", access.name());
                Err(access_refused(format!(
                    "access to {kind} '{name}' in vhost '{vhost}' refused for user '{}'",
                    u.name
                )))
            }
            None => Err(access_refused("not authenticated")),
        }
    }

    /// `exchange.declare`'s checks in RabbitMQ's order: the type (an unknown one is left to
    /// the vhost's 503), not the default exchange (even passive), configure (not when
    /// passive); for a new exchange with an `alternate-exchange`, read on the exchange and
    /// write on the alternate.
    fn check_exchange_declare(&self, vhost: &VHost, d: &codec::ExchangeDeclare) -> AmqpResult {
        if !d.passive && crate::routing::ExchangeKind::from_name(&d.kind.as_str()).is_none() {
            return Ok(());
        }
        not_default_exchange(&d.exchange)?;
        if d.passive {
            return Ok(());
        }
        self.check(Access::Configure, "exchange", &d.exchange.as_str())?;
        if vhost.exchange(&d.exchange).is_none() {
            if let Some(codec::FieldValue::LongString(ae)) = d.arguments.get("alternate-exchange") {
                self.check(Access::Read, "exchange", &d.exchange.as_str())?;
                let ae = String::from_utf8_lossy(ae.as_bytes());
                self.check(Access::Write, "exchange", &resource_or_default(&ae))?;
            }
        }
        Ok(())
    }

    /// `exchange.delete`'s checks in RabbitMQ's order: not the default exchange, not an
    /// `amq.*` one (existing or not), configure.
    fn check_exchange_delete(&self, vhost: &VHost, name: &ShortString) -> AmqpResult {
        not_default_exchange(name)?;
        if name.as_bytes().starts_with(b"amq.") {
            return Err(access_refused(format!(
                "deletion of system exchange '{name}' in vhost '{}' not allowed",
                vhost.name
            )));
        }
        self.check(Access::Configure, "exchange", &name.as_str())
    }

    /// A binding's checks in RabbitMQ's order: write on the destination (a queue, or an
    /// exchange with `""` read as `amq.default`), neither end the default exchange, read on
    /// the source.
    fn check_binding(
        &self,
        dest_kind: &str,
        dest: &ShortString,
        source: &ShortString,
    ) -> AmqpResult {
        if dest_kind == "exchange" {
            self.check(Access::Write, "exchange", &exchange_resource(dest))?;
            not_default_exchange(dest)?;
        } else {
            self.check(Access::Write, dest_kind, &dest.as_str())?;
        }
        not_default_exchange(source)?;
        self.check(Access::Read, "exchange", &source.as_str())
    }

    /// For a new queue with an `x-dead-letter-exchange`: read on the queue and write on the
    /// dead-letter exchange (`""` read as `amq.default`), as RabbitMQ checks them.
    fn check_dead_letter(&self, queue: &str, dlx: Option<&str>) -> AmqpResult {
        if let Some(dlx) = dlx {
            self.check(Access::Read, "queue", queue)?;
            self.check(Access::Write, "exchange", &resource_or_default(dlx))?;
        }
        Ok(())
    }

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
    }

    /// Cancels the channel's consumers and requeues its unacknowledged deliveries.
    pub(super) fn release_channel(&mut self, ch: u16) {
        let Some(mut state) = self.channels.remove(&ch) else {
            return;
        };
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
            Method::ExchangeDeclare(d) => {
                self.check_exchange_declare(&vhost, &d)?;
                let nowait = d.nowait;
                vhost.declare_exchange(ExchangeDeclaration {
                    name: d.exchange,
                    kind: d.kind.as_str().into_owned(),
                    passive: d.passive,
                    durable: d.durable,
                    auto_delete: d.auto_delete,
                    internal: d.internal,
                    arguments: d.arguments,
                })?;
                if !nowait {
                    self.out
                        .push_method(ch, &codec::ExchangeDeclareOk {}.into());
                }
            }
            Method::ExchangeDelete(d) => {
                self.check_exchange_delete(&vhost, &d.exchange)?;
                vhost.delete_exchange(&d.exchange, d.if_unused)?;
                if !d.nowait {
                    self.out.push_method(ch, &codec::ExchangeDeleteOk {}.into());
                }
            }
            Method::ExchangeBind(b) => {
                self.check_binding("exchange", &b.destination, &b.source)?;
                let dest = vhost.exchange_or_404(&b.destination)?;
                vhost.bind(
                    &b.source,
                    Destination::Exchange(dest),
                    b.routing_key,
                    b.arguments,
                )?;
                if !b.nowait {
                    self.out.push_method(ch, &codec::ExchangeBindOk {}.into());
                }
            }
            Method::ExchangeUnbind(b) => {
                self.check_binding("exchange", &b.destination, &b.source)?;
                if let Some(dest) = vhost.exchange(&b.destination) {
                    vhost.unbind(
                        &b.source,
                        &Destination::Exchange(dest),
                        &b.routing_key,
                        &b.arguments,
                    )?;
                }
                if !b.nowait {
                    self.out.push_method(ch, &codec::ExchangeUnbindOk {}.into());
                }
            }
            Method::QueueDeclare(d) => {
                // RabbitMQ checks nothing for a passive declare; otherwise the reserved prefix,
                // configure, and for a new queue its dead-letter exchange.
                let server_named = !d.passive && d.queue.is_empty();
                let dlx = match d.arguments.get("x-dead-letter-exchange") {
                    Some(codec::FieldValue::LongString(s)) => {
                        Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
                    }
                    _ => None,
                };
                if !d.passive && !server_named {
                    if d.queue.as_bytes().starts_with(b"amq.") {
                        return Err(access_refused(format!(
                            "queue name '{}' contains reserved prefix 'amq.*'",
                            d.queue
                        )));
                    }
                    let name = d.queue.as_str();
                    self.check(Access::Configure, "queue", &name)?;
                    if vhost.queue(&d.queue).is_none() {
                        self.check_dead_letter(&name, dlx.as_deref())?;
                    }
                }
                let nowait = d.nowait;
                let q = vhost.declare_queue(
                    QueueDeclaration {
                        name: d.queue,
                        passive: d.passive,
                        durable: d.durable,
                        exclusive: d.exclusive,
                        auto_delete: d.auto_delete,
                        arguments: d.arguments,
                    },
                    self.id,
                )?;
                if server_named {
                    // RabbitMQ checks configure (and the dead-letter permissions) on the
                    // generated `amq.gen-...` name before creating the queue; the vhost makes
                    // the name, so check now and undo: nobody else can know the name yet.
                    let name = q.name.as_str();
                    let checked = self
                        .check(Access::Configure, "queue", &name)
                        .and_then(|()| self.check_dead_letter(&name, dlx.as_deref()));
                    if let Err(e) = checked {
                        vhost.remove_queue(&q);
                        return Err(e);
                    }
                }
                if !nowait {
                    let ok = codec::QueueDeclareOk {
                        queue: q.name.clone(),
                        message_count: q.message_count(),
                        consumer_count: q.consumer_count(),
                    };
                    self.out.push_method(ch, &ok.into());
                }
            }
            Method::QueueBind(b) => {
                let qname = self.resolve_queue_name(ch, &b.queue)?;
                self.check_binding("queue", &qname, &b.exchange)?;
                let q = vhost.queue_or_404(&qname)?;
                q.check_access(self.id)?;
                vhost.bind(
                    &b.exchange,
                    Destination::Queue(q),
                    b.routing_key,
                    b.arguments,
                )?;
                if !b.nowait {
                    self.out.push_method(ch, &codec::QueueBindOk {}.into());
                }
            }
            Method::QueueUnbind(b) => {
                let qname = self.resolve_queue_name(ch, &b.queue)?;
                self.check_binding("queue", &qname, &b.exchange)?;
                if let Some(q) = vhost.queue(&qname) {
                    q.check_access(self.id)?;
                    vhost.unbind(
                        &b.exchange,
                        &Destination::Queue(q),
                        &b.routing_key,
                        &b.arguments,
                    )?;
                }
                self.out.push_method(ch, &codec::QueueUnbindOk {}.into());
            }
            Method::QueuePurge(p) => {
                let qname = self.resolve_queue_name(ch, &p.queue)?;
                self.check(Access::Read, "queue", &qname.as_str())?;
                let q = vhost.queue_or_404(&qname)?;
                q.check_access(self.id)?;
                let n = q.purge();
                if !p.nowait {
                    self.out
                        .push_method(ch, &codec::QueuePurgeOk { message_count: n }.into());
                }
            }
            Method::QueueDelete(d) => {
                let qname = self.resolve_queue_name(ch, &d.queue)?;
                self.check(Access::Configure, "queue", &qname.as_str())?;
                let n = vhost.delete_queue(&qname, d.if_unused, d.if_empty, self.id)?;
                if !d.nowait {
                    self.out
                        .push_method(ch, &codec::QueueDeleteOk { message_count: n }.into());
                }
            }
            Method::BasicQos(q) => {
                if q.prefetch_size != 0 {
                    return Err(not_implemented(format!(
                        "prefetch_size!=0 ({})",
                        q.prefetch_size
                    )));
                }
                let state = self.channel(ch)?;
                if q.global {
                    state.channel_credit.set_limit(u32::from(q.prefetch_count));
                } else {
                    state.prefetch = q.prefetch_count;
                }
                self.out.push_method(ch, &codec::BasicQosOk {}.into());
                self.redispatch_channel(ch);
            }
            Method::BasicConsume(c) => self.basic_consume(ch, c, &vhost)?,
            Method::BasicCancel(c) => {
                let state = self.channel(ch)?;
                if state
                    .reply_to
                    .as_ref()
                    .is_some_and(|(_, tag)| *tag == c.consumer_tag)
                {
                    if let Some((key, _)) = state.reply_to.take() {
                        self.state.reply_to.unregister(&key);
                    }
                }
                let state = self.channel(ch)?;
                if let Some(entry) = state.consumers.remove(&c.consumer_tag) {
                    if entry.queue.cancel(self.id, ch, &c.consumer_tag)
                        == CancelOutcome::RemovedLast
                    {
                        vhost.remove_queue(&entry.queue);
                    }
                }
                if !c.nowait {
                    self.out.push_method(
                        ch,
                        &codec::BasicCancelOk {
                            consumer_tag: c.consumer_tag,
                        }
                        .into(),
                    );
                }
            }
            Method::BasicPublish(p) => {
                if p.immediate {
                    return Err(not_implemented("immediate=true"));
                }
                let exchange = self.publish_exchange(&vhost, &p.exchange)?;
                if exchange.internal {
                    return Err(access_refused(format!(
                        "cannot publish to internal exchange '{}' in vhost '{}'",
                        p.exchange, vhost.name
                    )));
                }
                let state = self.channel(ch)?;
                state.content = Some(PendingPublish {
                    exchange,
                    publish: p,
                    header: None,
                    body: BodyParts::Empty,
                });
            }
            Method::BasicGet(g) => {
                let qname = self.resolve_queue_name(ch, &g.queue)?;
                self.check(Access::Read, "queue", &qname.as_str())?;
                let q = vhost.queue_or_404(&qname)?;
                q.check_access(self.id)?;
                match q.get() {
                    None => self
                        .out
                        .push_method(ch, &codec::BasicGetEmpty::default().into()),
                    Some((message, remaining)) => {
                        let frame_max = self.frame_max;
                        let state = self.channel(ch)?;
                        let tag = state.next_tag;
                        state.next_tag += 1;
                        let m = &message.message;
                        let ok = codec::BasicGetOk {
                            delivery_tag: tag,
                            redelivered: message.redelivered,
                            exchange: m.exchange.clone(),
                            routing_key: m.routing_key.clone(),
                            message_count: remaining,
                        };
                        self.out.push_method(ch, &ok.into());
                        let _ = self.out.push_content(ch, &m.properties, &m.body, frame_max);
                        q.got(&message, g.no_ack);
                        if !g.no_ack {
                            let state = self.channel(ch)?;
                            state.unacked.push_back((
                                tag,
                                Some(Unacked {
                                    queue: q,
                                    message,
                                    credit: None,
                                }),
                            ));
                        }
                    }
                }
            }
            Method::BasicAck(a) => self.settle(ch, a.delivery_tag, a.multiple, None)?,
            Method::BasicNack(n) => self.settle(ch, n.delivery_tag, n.multiple, Some(n.requeue))?,
            Method::BasicReject(r) => self.settle(ch, r.delivery_tag, false, Some(r.requeue))?,
            Method::BasicRecover(r) => {
                self.recover(ch, r.requeue)?;
                self.out.push_method(ch, &codec::BasicRecoverOk {}.into());
            }
            Method::BasicRecoverAsync(r) => self.recover(ch, r.requeue)?,
            Method::ConfirmSelect(c) => {
                let state = self.channel(ch)?;
                if state.tx.is_some() {
                    return Err(precondition_failed("cannot switch from tx to confirm mode"));
                }
                if state.confirm_next.is_none() {
                    state.confirm_next = Some(1);
                }
                if !c.nowait {
                    self.out.push_method(ch, &codec::ConfirmSelectOk {}.into());
                }
            }
            Method::TxSelect(_) => {
                let state = self.channel(ch)?;
                if state.confirm_next.is_some() {
                    return Err(precondition_failed("cannot switch from confirm to tx mode"));
                }
                state.tx.get_or_insert_with(TxState::default);
                self.out.push_method(ch, &codec::TxSelectOk {}.into());
            }
            Method::TxCommit(_) => {
                let state = self.channel(ch)?;
                let Some(tx) = state.tx.as_mut() else {
                    return Err(precondition_failed("channel is not transactional"));
                };
                let tx = std::mem::take(tx);
                for (exchange, message, mandatory) in tx.publishes {
                    self.route_and_enqueue(ch, &vhost, &exchange, message, mandatory);
                }
                for (tag, multiple, requeue) in tx.settlements {
                    self.apply_settlement(ch, tag, multiple, requeue);
                }
                self.out.push_method(ch, &codec::TxCommitOk {}.into());
            }
            Method::TxRollback(_) => {
                let state = self.channel(ch)?;
                let Some(tx) = state.tx.as_mut() else {
                    return Err(precondition_failed("channel is not transactional"));
                };
                *tx = TxState::default();
                self.out.push_method(ch, &codec::TxRollbackOk {}.into());
            }
            other => {
                return Err(crate::error::command_invalid(format!(
                    "{} is not a client method",
                    other.name()
                )));
            }
        }
        Ok(())
    }

    fn channel(&mut self, ch: u16) -> AmqpResult<&mut ChannelState> {
        self.channels
            .get_mut(&ch)
            .ok_or_else(|| channel_error("expected 'channel.open'"))
    }

    /// An empty queue name means the last queue declared on the channel in AMQP; RabbitMQ
    /// keeps that rule, but clients rarely rely on it, so an empty name is refused.
    fn resolve_queue_name(&self, _ch: u16, name: &ShortString) -> AmqpResult<ShortString> {
        if name.is_empty() {
            return Err(not_found("no previously declared queue"));
        }
        Ok(name.clone())
    }

    fn basic_consume(&mut self, ch: u16, c: codec::BasicConsume, vhost: &Arc<VHost>) -> AmqpResult {
        if c.queue == crate::reply_to::REPLY_TO {
            return self.consume_reply_to(ch, c);
        }
        let qname = self.resolve_queue_name(ch, &c.queue)?;
        self.check(Access::Read, "queue", &qname.as_str())?;
        let q = vhost.queue_or_404(&qname)?;
        q.check_access(self.id)?;
        let id = self.id;
        let outbox = self.inbox_tx.clone();
        let state = self.channel(ch)?;
        let tag = if c.consumer_tag.is_empty() {
            generated_tag()
        } else {
            c.consumer_tag.clone()
        };
        if state.consumers.contains_key(&tag) {
            return Err(not_allowed(format!(
                "attempt to reuse consumer tag '{tag}'"
            )));
        }
        let priority = c
            .arguments
            .get("x-priority")
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        let credit = Credit::new(u32::from(state.prefetch));
        let unsent = Credit::new(crate::queue::UNSENT_LIMIT);
        let handle = ConsumerHandle {
            tag: tag.clone(),
            channel: ch,
            connection_id: id,
            outbox,
            no_ack: c.no_ack,
            exclusive: c.exclusive,
            priority,
            credit: credit.clone(),
            channel_credit: state.channel_credit.clone(),
            unsent: unsent.clone(),
        };
        // Deliveries the queue hands over at once go through the inbox, which this task reads
        // only after consume-ok is queued, so consume-ok always precedes them.
        q.consume(handle)?;
        state.consumers.insert(
            tag.clone(),
            ConsumerEntry {
                queue: q.clone(),
                credit,
                unsent,
            },
        );
        if !c.nowait {
            self.out
                .push_method(ch, &codec::BasicConsumeOk { consumer_tag: tag }.into());
        }
        Ok(())
    }

    /// The exchange a `basic.publish` names, with the write permission checked. The last one
    /// used is cached: publishers usually repeat the same exchange, and this spares a vhost
    /// lookup and a permission regex per message. A deleted exchange is looked up again.
    fn publish_exchange(
        &mut self,
        vhost: &Arc<VHost>,
        name: &ShortString,
    ) -> AmqpResult<Arc<Exchange>> {
        if let Some((cached, ex)) = &self.publish_cache {
            if cached == name && !ex.is_deleted() {
                return Ok(ex.clone());
            }
        }
        self.check(Access::Write, "exchange", &exchange_resource(name))?;
        let ex = vhost.exchange_or_404(name)?;
        self.publish_cache = Some((name.clone(), ex.clone()));
        Ok(ex)
    }

    /// Routes `message`, with a one-entry cache for the default exchange (publishing straight
    /// to a queue by name is the most common pattern).
    fn route_cached(
        &mut self,
        vhost: &Arc<VHost>,
        exchange: &Arc<Exchange>,
        message: &Message,
        out: &mut Vec<Arc<Queue>>,
    ) {
        if !exchange.name.is_empty() {
            return vhost.route(exchange, message, out);
        }
        if let Some(q) = &self.default_route_cache {
            if q.name == message.routing_key && !q.is_deleted() {
                out.push(q.clone());
                return;
            }
        }
        vhost.route(exchange, message, out);
        if let Some(q) = out.first() {
            self.default_route_cache = Some(q.clone());
        }
    }

    /// Direct reply-to: a no-ack consumer on the pseudo-queue `amq.rabbitmq.reply-to`.
    fn consume_reply_to(&mut self, ch: u16, c: codec::BasicConsume) -> AmqpResult {
        if !c.no_ack {
            return Err(precondition_failed("reply consumer cannot acknowledge"));
        }
        let outbox = self.inbox_tx.clone();
        let placeholder = self.state.reply_to.placeholder();
        let state = self.channel(ch)?;
        if state.reply_to.is_some() {
            return Err(precondition_failed("reply consumer already set"));
        }
        let tag = if c.consumer_tag.is_empty() {
            generated_tag()
        } else {
            c.consumer_tag.clone()
        };
        if state.consumers.contains_key(&tag) {
            return Err(not_allowed(format!(
                "attempt to reuse consumer tag '{tag}'"
            )));
        }
        state.consumers.insert(
            tag.clone(),
            ConsumerEntry {
                queue: placeholder,
                credit: Credit::new(0),
                // Replies are pushed by publishers, not dispatched from a queue: no limit.
                unsent: Credit::new(0),
            },
        );
        let key = self.state.reply_to.register(outbox, ch, tag.clone());
        if let Some(state) = self.channels.get_mut(&ch) {
            state.reply_to = Some((key, tag.clone()));
        }
        if !c.nowait {
            self.out
                .push_method(ch, &codec::BasicConsumeOk { consumer_tag: tag }.into());
        }
        Ok(())
    }

    /// Asks every queue this channel consumes from to deliver again (credit changed).
    fn redispatch_channel(&self, ch: u16) {
        if let Some(state) = self.channels.get(&ch) {
            for c in state.consumers.values() {
                c.queue.try_dispatch();
            }
        }
    }

    /// A publish is complete: route it (or hold it for the transaction), confirm it.
    pub(super) fn finish_publish(&mut self, ch: u16) -> AmqpResult {
        let user = self
            .user
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let vhost = self.vhost()?;
        let Some(state) = self.channels.get_mut(&ch) else {
            return Ok(());
        };
        let Some(pending) = state.content.take() else {
            return Ok(());
        };
        let header = pending.header.unwrap_or_default();
        if let Some(uid) = &header.properties.user_id {
            let impersonator = self
                .user
                .as_ref()
                .is_some_and(|u| u.has_tag("impersonator"));
            if uid.as_bytes() != user.as_bytes() && !impersonator {
                let e = precondition_failed(format!(
                    "user_id property set to '{uid}' but authenticated user was '{user}'"
                ))
                .caused_by(60, 40);
                self.channel_exception(ch, e);
                return Ok(());
            }
        }
        if let Err(why) = crate::message::parse_expiration(&header.properties) {
            let exp = header.properties.expiration.clone().unwrap_or_default();
            let e = precondition_failed(format!("invalid expiration '{exp}': {}", why.0))
                .caused_by(60, 40);
            self.channel_exception(ch, e);
            return Ok(());
        }
        let mut properties = header.properties;
        if properties
            .reply_to
            .as_ref()
            .is_some_and(|r| *r == crate::reply_to::REPLY_TO)
        {
            match &state.reply_to {
                Some((key, _)) => properties.reply_to = Some(key.clone()),
                None => {
                    let e =
                        precondition_failed("fast reply consumer does not exist").caused_by(60, 40);
                    self.channel_exception(ch, e);
                    return Ok(());
                }
            }
        }
        let message = Arc::new(Message {
            exchange: pending.publish.exchange.clone(),
            routing_key: pending.publish.routing_key.clone(),
            properties,
            body: pending.body.into_bytes(),
        });
        let mandatory = pending.publish.mandatory;
        if let Some(tx) = state.tx.as_mut() {
            tx.publishes.push((pending.exchange, message, mandatory));
            return Ok(());
        }
        self.route_and_enqueue(ch, &vhost, &pending.exchange, message, mandatory);
        Ok(())
    }

    fn route_and_enqueue(
        &mut self,
        ch: u16,
        vhost: &Arc<VHost>,
        exchange: &Arc<Exchange>,
        message: MessageRef,
        mandatory: bool,
    ) {
        let mut queues = std::mem::take(&mut self.route_buf);
        queues.clear();
        if exchange.name.is_empty()
            && crate::reply_to::ReplyRegistry::is_reply_key(&message.routing_key)
        {
            // Like RabbitMQ, a reply-to name is "not a queue": the reply is delivered, yet a
            // mandatory publish to it alone is also returned as unroutable.
            let m = QueuedMessage {
                message: message.clone(),
                redelivered: false,
                expires_at: None,
                seq: 0,
                persist: None,
            };
            self.state.reply_to.deliver(&message.routing_key, m);
        } else {
            self.route_cached(vhost, exchange, &message, &mut queues);
        }
        if queues.is_empty() && mandatory {
            let ret = codec::BasicReturn {
                reply_code: codec::ReplyCode::NoRoute as u16,
                reply_text: ShortString::from_static("NO_ROUTE"),
                exchange: message.exchange.clone(),
                routing_key: message.routing_key.clone(),
            };
            self.out.push_method(ch, &ret.into());
            let _ = self
                .out
                .push_content(ch, &message.properties, &message.body, self.frame_max);
        }
        // A queue may refuse the message (x-overflow reject-publish): the publish is nacked
        // if any queue refused it, as in RabbitMQ; the others keep their copy.
        let mut refused = false;
        let mut batch = 0;
        for q in queues.drain(..) {
            let (accepted, b) = q.publish_logged(message.clone());
            refused |= !accepted;
            batch = batch.max(b);
        }
        self.route_buf = queues;
        if let Some(state) = self.channels.get_mut(&ch) {
            if let Some(seq) = state.confirm_next {
                state.confirm_next = Some(seq + 1);
                if batch != 0 || !state.confirm_wait.is_empty() {
                    // Persistent in a durable queue: confirmed once the log synced it (and
                    // everything published before it on this channel was confirmed).
                    state.confirm_wait.push_back((seq, batch, refused));
                    if batch > state.confirm_registered {
                        state.confirm_registered = batch;
                        if let Some(store) = &self.state.message_store {
                            store.wait_for(batch, &self.inbox_tx);
                        }
                    }
                    return;
                }
                // Routing is synchronous, so confirms go out in publish order.
                let confirm = if refused {
                    codec::BasicNack {
                        delivery_tag: seq,
                        multiple: false,
                        requeue: false,
                    }
                    .into()
                } else {
                    codec::BasicAck {
                        delivery_tag: seq,
                        multiple: false,
                    }
                    .into()
                };
                self.out.push_method(ch, &confirm);
            }
        }
    }

    /// `basic.ack` / `nack` / `reject`: checked now, applied now or at `tx.commit`.
    fn settle(&mut self, ch: u16, tag: u64, multiple: bool, requeue: Option<bool>) -> AmqpResult {
        let state = self.channel(ch)?;
        let in_tx = |t: &u64| {
            state
                .tx
                .as_ref()
                .is_some_and(|tx| tx.settled_tags.contains(t))
        };
        let known = if multiple && tag == 0 {
            true
        } else {
            state
                .unacked
                .iter()
                .any(|(t, u)| *t == tag && u.is_some() && !in_tx(t))
        };
        if !known {
            return Err(precondition_failed(format!("unknown delivery tag {tag}")));
        }
        if let Some(tx) = state.tx.as_mut() {
            for (t, u) in &state.unacked {
                if u.is_some() && (*t == tag || (multiple && (tag == 0 || *t < tag))) {
                    tx.settled_tags.insert(*t);
                }
            }
            tx.settlements.push((tag, multiple, requeue));
            return Ok(());
        }
        self.apply_settlement(ch, tag, multiple, requeue);
        Ok(())
    }

    /// `basic.recover`: every unacknowledged delivery goes back to its queue, redelivered, with
    /// its prefetch credit returned. RabbitMQ refuses `requeue=false` (540, closing the
    /// connection).
    fn recover(&mut self, ch: u16, requeue: bool) -> AmqpResult {
        if !requeue {
            return Err(not_implemented("requeue=false"));
        }
        let state = self.channel(ch)?;
        let entries: Vec<Unacked> = state.unacked.drain(..).filter_map(|(_, u)| u).collect();
        let from_consumers = entries.iter().filter(|u| u.credit.is_some()).count() as u32;
        state.channel_credit.give(from_consumers);
        for u in &entries {
            if let Some(c) = &u.credit {
                c.give(1);
            }
        }
        requeue_all(entries);
        self.redispatch_channel(ch);
        Ok(())
    }

    fn apply_settlement(&mut self, ch: u16, tag: u64, multiple: bool, requeue: Option<bool>) {
        let Some(state) = self.channels.get_mut(&ch) else {
            return;
        };
        let mut settled = Vec::new();
        if multiple {
            let upto = if tag == 0 { u64::MAX } else { tag };
            for (t, u) in state.unacked.iter_mut() {
                if *t > upto {
                    break;
                }
                if let Some(u) = u.take() {
                    settled.push(u);
                }
            }
        } else if let Ok(i) = state.unacked.binary_search_by_key(&tag, |(t, _)| *t) {
            if let Some(u) = state.unacked[i].1.take() {
                settled.push(u);
            }
        }
        while matches!(state.unacked.front(), Some((_, None))) {
            state.unacked.pop_front();
        }
        if settled.is_empty() {
            return;
        }
        // basic.get deliveries (no credit) never took channel credit, as in RabbitMQ.
        let from_consumers = settled.iter().filter(|u| u.credit.is_some()).count() as u32;
        let channel_exhausted = from_consumers > 0 && state.channel_credit.give(from_consumers);
        let mut wake: Vec<Arc<Queue>> = Vec::new();
        for u in &settled {
            if let Some(c) = &u.credit {
                if c.give(1) && !wake.iter().any(|q| Arc::ptr_eq(q, &u.queue)) {
                    wake.push(u.queue.clone());
                }
            }
        }
        match requeue {
            Some(true) => requeue_all(settled),
            Some(false) => reject_all(settled),
            None => forget_all(&settled),
        }
        if channel_exhausted {
            self.redispatch_channel(ch);
        } else {
            for q in wake {
                q.try_dispatch();
            }
        }
    }

    /// The message log synced up to `batch`: sends the confirms that waited for it, in
    /// publish order, a run of acks as one `multiple` ack.
    fn confirm_durable(&mut self, batch: u64) {
        for (&ch, state) in self.channels.iter_mut() {
            let mut last_ack = None;
            while let Some(&(seq, b, nack)) = state.confirm_wait.front() {
                if b > batch {
                    break;
                }
                state.confirm_wait.pop_front();
                if nack {
                    if let Some(tag) = last_ack.take() {
                        let ack = codec::BasicAck {
                            delivery_tag: tag,
                            multiple: true,
                        };
                        self.out.push_method(ch, &ack.into());
                    }
                    let n = codec::BasicNack {
                        delivery_tag: seq,
                        multiple: false,
                        requeue: false,
                    };
                    self.out.push_method(ch, &n.into());
                } else {
                    last_ack = Some(seq);
                }
            }
            if let Some(tag) = last_ack {
                let ack = codec::BasicAck {
                    delivery_tag: tag,
                    multiple: true,
                };
                self.out.push_method(ch, &ack.into());
            }
        }
    }

    /// A message from a queue: deliver it, or put it back if its consumer is gone.
    pub(super) fn handle_session_message(&mut self, msg: SessionMessage) {
        match msg {
            SessionMessage::Deliver {
                channel,
                consumer_tag,
                ack_required,
                queue,
                message,
            } => {
                let frame_max = self.frame_max;
                let consumer = self
                    .channels
                    .get_mut(&channel)
                    .filter(|s| !s.closing)
                    .and_then(|s| {
                        s.consumers
                            .get(&consumer_tag)
                            .map(|c| {
                                // Written into the output below: the queue may send more.
                                if c.unsent.give(1) {
                                    c.queue.try_dispatch();
                                }
                                c.credit.clone()
                            })
                            .map(|c| (s, c))
                    });
                let Some((state, credit)) = consumer else {
                    // Cancelled or closed meanwhile: the message goes back to its queue.
                    if ack_required {
                        queue.requeue(vec![message]);
                    }
                    return;
                };
                let tag = state.next_tag;
                state.next_tag += 1;
                let m = &message.message;
                let deliver = codec::BasicDeliver {
                    consumer_tag,
                    delivery_tag: tag,
                    redelivered: message.redelivered,
                    exchange: m.exchange.clone(),
                    routing_key: m.routing_key.clone(),
                };
                self.out.push_method(channel, &deliver.into());
                if self
                    .out
                    .push_content(channel, &m.properties, &m.body, frame_max)
                    .is_err()
                {
                    tracing::warn!(
                        connection = self.id,
                        "content header exceeds the consumer's frame_max; message dropped"
                    );
                }
                if ack_required {
                    if let Some(state) = self.channels.get_mut(&channel) {
                        state.unacked.push_back((
                            tag,
                            Some(Unacked {
                                queue,
                                message,
                                credit: Some(credit),
                            }),
                        ));
                    }
                }
            }
            SessionMessage::Durable { batch } => self.confirm_durable(batch),
            SessionMessage::Cancel {
                channel,
                consumer_tag,
            } => {
                if let Some(state) = self.channels.get_mut(&channel) {
                    if state.consumers.remove(&consumer_tag).is_some() && !state.closing {
                        let cancel = codec::BasicCancel {
                            consumer_tag,
                            nowait: true,
                        };
                        self.out.push_method(channel, &cancel.into());
                    }
                }
            }
        }
    }
}

/// Requeues settled or abandoned deliveries, grouped by queue, keeping their order.
/// Settles deliveries rejected without requeue: their queues dead-letter them (`rejected`).
fn reject_all(entries: Vec<Unacked>) {
    let mut by_queue: Vec<(Arc<Queue>, Vec<QueuedMessage>)> = Vec::new();
    for u in entries {
        match by_queue.iter_mut().find(|(q, _)| Arc::ptr_eq(q, &u.queue)) {
            Some((_, v)) => v.push(u.message),
            None => by_queue.push((u.queue, vec![u.message])),
        }
    }
    for (q, messages) in by_queue {
        q.reject(messages);
    }
}

/// Acknowledged deliveries leave their queues for good (their log entries are released).
fn forget_all(entries: &[Unacked]) {
    let mut i = 0;
    while i < entries.len() {
        let q = &entries[i].queue;
        let mut j = i + 1;
        while j < entries.len() && Arc::ptr_eq(&entries[j].queue, q) {
            j += 1;
        }
        q.forget(entries[i..j].iter().map(|u| &u.message));
        i = j;
    }
}

fn requeue_all(entries: Vec<Unacked>) {
    // Credit is returned by the callers that need it (once: giving it here as well let a
    // consumer exceed its prefetch after a nack with requeue).
    let mut by_queue: Vec<(Arc<Queue>, Vec<QueuedMessage>)> = Vec::new();
    for u in entries {
        match by_queue.iter_mut().find(|(q, _)| Arc::ptr_eq(q, &u.queue)) {
            Some((_, v)) => v.push(u.message),
            None => by_queue.push((u.queue, vec![u.message])),
        }
    }
    for (q, messages) in by_queue {
        q.requeue(messages);
    }
}
