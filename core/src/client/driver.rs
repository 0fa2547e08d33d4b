//! The connection task: owns the socket and the sans-IO [`ClientConnection`], and serves the
//! handles' [`Command`]s. One loop reads, writes (many frames per vectored write) and keeps the
//! heartbeat timer, so heartbeats and acks flow however busy the application is.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::channel::ChannelShared;
use super::connection::{ConnectionEvent, ConnectionShared};
use super::message::{Confirmation, Returned};
use crate::codec::{BasicProperties, FieldTable, Method, ShortString};
use crate::error::{Error, Result};
use crate::proto::{ClientConnection, Content, Event, Tuning};

/// Stop taking commands while this many bytes wait to be written: back-pressure on publishers.
const WRITE_HIGH_WATER: usize = 4 * 1024 * 1024;
/// Commands handled before output is flushed, so one write carries many frames.
const COMMAND_BATCH: usize = 512;

/// A reply to a synchronous request: the method and, for `basic.get-ok`, its content.
pub(crate) type Reply = (Method, Option<Content>);

/// What a consumer's stream receives.
#[derive(Debug)]
pub(crate) enum ConsumerMessage {
    Delivery(crate::codec::BasicDeliver, Box<Content>),
    /// The consumer ended: `None` after our own cancel, or the reason.
    End(Option<Error>),
}

/// Answer to `OpenChannel`: the channel number, its shared state and its returned messages.
pub(crate) type OpenReply =
    oneshot::Sender<Result<(u16, Arc<ChannelShared>, mpsc::UnboundedReceiver<Returned>)>>;

/// Requests from handles to the connection task.
// Publish is the common, large variant; boxing it would add an allocation per message.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Command {
    OpenChannel {
        reply: OpenReply,
    },
    /// A method that expects a reply (or none, with `reply: None`).
    Rpc {
        channel: u16,
        method: Method,
        reply: Option<oneshot::Sender<Result<Reply>>>,
    },
    /// `basic.consume`: the consumer is registered when `consume-ok` names its tag.
    Consume {
        channel: u16,
        method: Method,
        deliveries: mpsc::UnboundedSender<ConsumerMessage>,
        reply: oneshot::Sender<Result<ShortString>>,
    },
    /// Boxed: the properties alone are ~370 bytes, and every command is moved through the
    /// command queue; a small `Command` keeps those moves cheap for all of them.
    Publish(Box<PublishCommand>),
    WaitForConfirms {
        channel: u16,
        reply: oneshot::Sender<Result<bool>>,
    },
    CloseConnection {
        code: u16,
        text: String,
        reply: oneshot::Sender<Result<()>>,
    },
}

/// A `basic.publish` for the connection task.
pub(crate) struct PublishCommand {
    pub(crate) channel: u16,
    pub(crate) publish: crate::codec::BasicPublish,
    pub(crate) properties: BasicProperties,
    pub(crate) body: Bytes,
    pub(crate) confirm: Option<oneshot::Sender<Result<Confirmation>>>,
}

/// What to do when a synchronous reply arrives.
enum Pending {
    Reply(oneshot::Sender<Result<Reply>>),
    Open(OpenReply, Option<mpsc::UnboundedReceiver<Returned>>),
    /// `basic.consume`: where deliveries go once `consume-ok` names the tag, and whether the
    /// consumer is no-ack.
    Consume(
        oneshot::Sender<Result<ShortString>>,
        mpsc::UnboundedSender<ConsumerMessage>,
        bool,
    ),
    /// A request sent on our own behalf (e.g. closing a dropped channel).
    Ignore,
}

impl Pending {
    fn fail(self, err: Error) {
        match self {
            Pending::Reply(tx) => drop(tx.send(Err(err))),
            Pending::Open(tx, _) => drop(tx.send(Err(err))),
            Pending::Consume(tx, _, _) => drop(tx.send(Err(err))),
            Pending::Ignore => {}
        }
    }
}

/// The task's view of one channel.
struct ChannelEntry {
    shared: Arc<ChannelShared>,
    pending: VecDeque<Pending>,
    /// Consumers by tag, with whether they are no-ack.
    consumers: HashMap<ShortString, (mpsc::UnboundedSender<ConsumerMessage>, bool)>,
    returns: mpsc::UnboundedSender<Returned>,
    /// Unconfirmed publishes by sequence number, oldest first; `None` once answered.
    confirms: VecDeque<(u64, Option<oneshot::Sender<Result<Confirmation>>>)>,
    /// `wait_for_confirms` callers, answered when `confirms` drains.
    confirm_waiters: Vec<oneshot::Sender<Result<bool>>>,
    /// Whether a nack arrived since the last time the waiters were answered.
    nacked: bool,
    /// Consumers the application dropped, being cancelled, with whether they are no-ack:
    /// deliveries that cross the cancel are given back instead of left unacknowledged.
    dropped_consumers: HashMap<ShortString, bool>,
}

impl ChannelEntry {
    /// Ends everything waiting on the channel with `err`.
    fn fail(mut self, err: Error) {
        self.shared.set_closed(err.clone());
        for p in self.pending.drain(..) {
            p.fail(err.clone());
        }
        for (_, (c, _)) in self.consumers.drain() {
            let _ = c.send(ConsumerMessage::End(Some(err.clone())));
        }
        for (_, tx) in self.confirms.drain(..) {
            if let Some(tx) = tx {
                let _ = tx.send(Err(err.clone()));
            }
        }
        for w in self.confirm_waiters.drain(..) {
            let _ = w.send(Err(err.clone()));
        }
    }

    fn settle_confirms(&mut self, tag: u64, multiple: bool, ack: bool) {
        let outcome = if ack {
            Confirmation::Ack
        } else {
            Confirmation::Nack
        };
        if !ack {
            self.nacked = true;
        }
        if multiple {
            while let Some((seq, _)) = self.confirms.front() {
                if *seq > tag {
                    break;
                }
                if let Some((_, Some(tx))) = self.confirms.pop_front() {
                    let _ = tx.send(Ok(outcome));
                }
            }
        } else if let Ok(i) = self.confirms.binary_search_by_key(&tag, |(s, _)| *s) {
            if let Some(tx) = self.confirms[i].1.take() {
                let _ = tx.send(Ok(outcome));
            }
        }
        while matches!(self.confirms.front(), Some((_, None))) {
            self.confirms.pop_front();
        }
        if self.confirms.is_empty() && !self.confirm_waiters.is_empty() {
            let all_acked = !std::mem::take(&mut self.nacked);
            for w in self.confirm_waiters.drain(..) {
                let _ = w.send(Ok(all_acked));
            }
        }
    }
}

/// The connection task.
pub(crate) struct Driver<S> {
    proto: ClientConnection,
    reader: tokio::io::ReadHalf<S>,
    writer: tokio::io::WriteHalf<S>,
    commands: mpsc::UnboundedReceiver<Command>,
    shared: Arc<ConnectionShared>,
    channels: HashMap<u16, ChannelEntry>,
    /// Replies awaited on channel 0.
    connection_pending: VecDeque<Pending>,
    read_buf: BytesMut,
    write_queue: VecDeque<Bytes>,
    /// Told once the handshake ends, either way.
    connected: Option<oneshot::Sender<Result<(FieldTable, Tuning)>>>,
    close_waiters: Vec<oneshot::Sender<Result<()>>>,
    /// Why each broker-closed channel number closed, until the number is reused: a command
    /// that raced with the close gets the broker's error, not a generic one.
    closed_channels: HashMap<u16, Error>,
    /// The handles are gone: close the connection.
    commands_closed: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    pub(crate) fn new(
        proto: ClientConnection,
        stream: S,
        commands: mpsc::UnboundedReceiver<Command>,
        shared: Arc<ConnectionShared>,
        connected: oneshot::Sender<Result<(FieldTable, Tuning)>>,
    ) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        Driver {
            proto,
            reader,
            writer,
            commands,
            shared,
            channels: HashMap::new(),
            connection_pending: VecDeque::new(),
            read_buf: BytesMut::with_capacity(128 * 1024),
            write_queue: VecDeque::new(),
            connected: Some(connected),
            close_waiters: Vec::new(),
            closed_channels: HashMap::new(),
            commands_closed: false,
        }
    }

    /// Runs until the connection is closed and everything queued is written.
    pub(crate) async fn run(mut self) {
        let mut done = false;
        // Reused for every poll_transmit, so a loop turn allocates nothing for it.
        let mut out = Vec::new();
        loop {
            let now = Instant::now().into_std();
            self.proto.poll_transmit(now, &mut out);
            self.write_queue.extend(out.drain(..));
            while let Some(event) = self.proto.poll_event() {
                if let Event::Closed(result) = event {
                    self.finish(result);
                    done = true;
                } else {
                    self.handle_event(event);
                }
            }
            if done && self.write_queue.is_empty() {
                let _ = self.writer.shutdown().await;
                return;
            }
            let timeout = self.proto.poll_timeout().map(Instant::from_std);
            reserve_read_space(&mut self.read_buf);
            let queued: usize = self.write_queue.iter().map(Bytes::len).sum();
            let take_commands = !done && !self.commands_closed && queued < WRITE_HIGH_WATER;
            let write_queue = &self.write_queue;
            tokio::select! {
                biased;
                read = self.reader.read_buf(&mut self.read_buf), if !done => {
                    let now = Instant::now().into_std();
                    match read {
                        Ok(0) => self.proto.handle_disconnect(None),
                        Ok(_) => self.proto.handle_read(&mut self.read_buf, now),
                        Err(e) => self.proto.handle_disconnect(Some(e)),
                    }
                }
                written = super::io::write_some(&mut self.writer, write_queue), if !write_queue.is_empty() => {
                    match written {
                        Ok(n) => super::io::advance(&mut self.write_queue, n),
                        Err(e) => {
                            self.write_queue.clear();
                            self.proto.handle_disconnect(Some(e));
                            if done { return; }
                        }
                    }
                }
                cmd = self.commands.recv(), if take_commands => {
                    match cmd {
                        Some(cmd) => {
                            self.handle_command(cmd);
                            for _ in 0..COMMAND_BATCH {
                                match self.commands.try_recv() {
                                    Ok(cmd) => self.handle_command(cmd),
                                    Err(_) => break,
                                }
                            }
                        }
                        None => {
                            // Every handle is gone: close politely.
                            self.commands_closed = true;
                            self.proto.close(200, "Goodbye");
                        }
                    }
                }
                _ = sleep_until(timeout), if timeout.is_some() && !done => {
                    self.proto.handle_timeout(Instant::now().into_std());
                }
            }
        }
    }

    fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::OpenChannel { reply } => match self.proto.open_channel() {
                Ok(id) => {
                    self.closed_channels.remove(&id);
                    let (returns_tx, returns_rx) = mpsc::unbounded_channel();
                    let shared = Arc::new(ChannelShared::new(id));
                    let mut pending = VecDeque::new();
                    pending.push_back(Pending::Open(reply, Some(returns_rx)));
                    self.channels.insert(
                        id,
                        ChannelEntry {
                            shared,
                            pending,
                            consumers: HashMap::new(),
                            returns: returns_tx,
                            confirms: VecDeque::new(),
                            confirm_waiters: Vec::new(),
                            nacked: false,
                            dropped_consumers: HashMap::new(),
                        },
                    );
                }
                Err(e) => drop(reply.send(Err(self.closed_error(e)))),
            },
            Command::Rpc {
                channel,
                method,
                reply,
            } => {
                let pending = if crate::proto::expects_reply(&method) {
                    Some(reply.map(Pending::Reply).unwrap_or(Pending::Ignore))
                } else {
                    if let Some(tx) = reply {
                        // Nothing will answer: report success once the method is queued.
                        let _ = tx.send(Ok((method.clone(), None)));
                    }
                    None
                };
                self.send(channel, method, pending);
            }
            Command::Consume {
                channel,
                method,
                deliveries,
                reply,
            } => {
                let no_ack = matches!(&method, Method::BasicConsume(c) if c.no_ack);
                self.send(
                    channel,
                    method,
                    Some(Pending::Consume(reply, deliveries, no_ack)),
                );
            }
            Command::Publish(cmd) => {
                let PublishCommand {
                    channel,
                    publish,
                    properties,
                    body,
                    confirm,
                } = *cmd;
                self.shared.publish_permits.add_permits(1);
                match self.proto.publish(channel, publish, &properties, &body) {
                    Ok(seq) => {
                        if let (Some(seq), Some(entry)) = (seq, self.channels.get_mut(&channel)) {
                            entry.confirms.push_back((seq, confirm));
                        } else if let Some(tx) = confirm {
                            let _ = tx.send(Ok(Confirmation::NotRequested));
                        }
                    }
                    Err(e) => {
                        if let Some(tx) = confirm {
                            let _ = tx.send(Err(self.channel_error(channel, e)));
                        }
                    }
                }
            }
            Command::WaitForConfirms { channel, reply } => match self.channels.get_mut(&channel) {
                Some(entry) if entry.confirms.is_empty() => {
                    let _ = reply.send(Ok(!std::mem::take(&mut entry.nacked)));
                }
                Some(entry) => entry.confirm_waiters.push(reply),
                None => drop(reply.send(Err(
                    self.channel_error(channel, Error::ChannelClosedByClient),
                ))),
            },
            Command::CloseConnection { code, text, reply } => {
                if self.shared.closed.get().is_some() {
                    let _ = reply.send(Ok(()));
                } else {
                    self.close_waiters.push(reply);
                    self.proto.close(code, &text);
                }
            }
        }
    }

    /// Sends `method`; `pending` says what to do with its reply.
    fn send(&mut self, channel: u16, method: Method, pending: Option<Pending>) {
        if let Err(e) = self.proto.send_method(channel, method) {
            let err = self.channel_error(channel, e);
            if let Some(p) = pending {
                p.fail(err);
            }
            return;
        }
        let Some(p) = pending else { return };
        if channel == 0 {
            self.connection_pending.push_back(p);
        } else if let Some(entry) = self.channels.get_mut(&channel) {
            entry.pending.push_back(p);
        }
    }

    /// The error to report for a failed operation on `channel`: why the channel or connection
    /// closed, if known.
    fn channel_error(&self, channel: u16, fallback: Error) -> Error {
        if let Some(e) = self.shared.closed.get() {
            return e.clone();
        }
        self.channels
            .get(&channel)
            .and_then(|c| c.shared.closed_error())
            .or_else(|| self.closed_channels.get(&channel).cloned())
            .unwrap_or(fallback)
    }

    fn closed_error(&self, fallback: Error) -> Error {
        self.shared.closed.get().cloned().unwrap_or(fallback)
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Connected {
                server_properties,
                tuning,
            } => {
                if let Some(tx) = self.connected.take() {
                    let _ = tx.send(Ok((server_properties, tuning)));
                }
            }
            Event::Blocked { reason } => {
                self.shared.blocked.store(true, Ordering::Release);
                let _ = self.shared.events.send(ConnectionEvent::Blocked(reason));
            }
            Event::Unblocked => {
                self.shared.blocked.store(false, Ordering::Release);
                let _ = self.shared.events.send(ConnectionEvent::Unblocked);
            }
            Event::Closed(_) => unreachable!("handled by run"),
            Event::Reply {
                channel: 0,
                method,
                content,
            } => {
                if let Some(Pending::Reply(tx)) = self.connection_pending.pop_front() {
                    let _ = tx.send(Ok((method, content)));
                }
            }
            Event::Reply {
                channel,
                method,
                content,
            } => self.handle_reply(channel, method, content),
            Event::ChannelClosed { channel, error } => {
                if let Some(entry) = self.channels.remove(&channel) {
                    self.closed_channels
                        .insert(channel, Error::ChannelClosed(error.clone()));
                    entry.fail(Error::ChannelClosed(error));
                }
            }
            Event::Delivery {
                channel,
                deliver,
                content,
            } => {
                let Some(entry) = self.channels.get_mut(&channel) else {
                    return;
                };
                let Some((consumer, no_ack)) = entry.consumers.get(&deliver.consumer_tag) else {
                    if entry.dropped_consumers.get(&deliver.consumer_tag) == Some(&false) {
                        let reject = crate::codec::BasicReject {
                            delivery_tag: deliver.delivery_tag,
                            requeue: true,
                        };
                        self.send(channel, reject.into(), None);
                    }
                    return;
                };
                let (tag, delivery_tag, no_ack) =
                    (deliver.consumer_tag.clone(), deliver.delivery_tag, *no_ack);
                let msg = ConsumerMessage::Delivery(deliver, content);
                if consumer.send(msg).is_err() {
                    // The application dropped the consumer without cancelling it: cancel it now,
                    // and give the message back so it does not stay unacknowledged forever.
                    entry.consumers.remove(&tag);
                    entry.dropped_consumers.insert(tag.clone(), no_ack);
                    let cancel = crate::codec::BasicCancel {
                        consumer_tag: tag,
                        nowait: false,
                    };
                    self.send(channel, cancel.into(), Some(Pending::Ignore));
                    if !no_ack {
                        let reject = crate::codec::BasicReject {
                            delivery_tag,
                            requeue: true,
                        };
                        self.send(channel, reject.into(), None);
                    }
                }
            }
            Event::Return {
                channel,
                returned,
                content,
            } => {
                if let Some(entry) = self.channels.get(&channel) {
                    let _ = entry.returns.send(Returned {
                        reply_code: returned.reply_code,
                        reply_text: returned.reply_text,
                        exchange: returned.exchange,
                        routing_key: returned.routing_key,
                        properties: content.properties,
                        body: content.body,
                    });
                }
            }
            Event::Confirm {
                channel,
                delivery_tag,
                multiple,
                ack,
            } => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.settle_confirms(delivery_tag, multiple, ack);
                }
            }
            Event::ConsumerCancelled {
                channel,
                consumer_tag,
            } => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    if let Some((c, _)) = entry.consumers.remove(&consumer_tag) {
                        let err = Error::ConsumerCancelled(consumer_tag.to_string());
                        let _ = c.send(ConsumerMessage::End(Some(err)));
                    }
                }
            }
            Event::Flow { channel, active } => {
                if let Some(entry) = self.channels.get(&channel) {
                    entry.shared.flow_active.store(active, Ordering::Release);
                }
            }
        }
    }

    fn handle_reply(&mut self, channel: u16, method: Method, content: Option<Content>) {
        if let Method::ChannelCloseOk(_) = method {
            // Our close completed. It was the last request sent on the channel (nothing can be
            // sent after it); replies to earlier ones were dropped by the broker or by the
            // state machine while closing, so those requests fail.
            if let Some(mut entry) = self.channels.remove(&channel) {
                if let Some(Pending::Reply(tx)) = entry.pending.pop_back() {
                    let _ = tx.send(Ok((method, None)));
                }
                entry.fail(Error::ChannelClosedByClient);
            }
            return;
        }
        let Some(entry) = self.channels.get_mut(&channel) else {
            return;
        };
        let Some(pending) = entry.pending.pop_front() else {
            return;
        };
        match (pending, method) {
            (Pending::Open(tx, returns), Method::ChannelOpenOk(_)) => match returns {
                Some(rx) => drop(tx.send(Ok((channel, entry.shared.clone(), rx)))),
                None => drop(tx.send(Err(Error::ChannelClosedByClient))),
            },
            (Pending::Consume(tx, deliveries, no_ack), Method::BasicConsumeOk(ok)) => {
                entry
                    .consumers
                    .insert(ok.consumer_tag.clone(), (deliveries, no_ack));
                let _ = tx.send(Ok(ok.consumer_tag));
            }
            (Pending::Reply(tx), method) => {
                match &method {
                    Method::BasicCancelOk(ok) => {
                        if let Some((c, _)) = entry.consumers.remove(&ok.consumer_tag) {
                            let _ = c.send(ConsumerMessage::End(None));
                        }
                    }
                    Method::ConfirmSelectOk(_) => {
                        entry.shared.confirm_mode.store(true, Ordering::Release)
                    }
                    _ => {}
                }
                let _ = tx.send(Ok((method, content)));
            }
            (Pending::Ignore, Method::BasicCancelOk(ok)) => {
                entry.dropped_consumers.remove(&ok.consumer_tag);
            }
            (Pending::Ignore, _) => {}
            (p, method) => p.fail(Error::Protocol(format!(
                "unexpected reply {}",
                method.name()
            ))),
        }
    }

    /// The connection is over: tell everyone.
    fn finish(&mut self, result: Result<()>) {
        let err = match &result {
            Ok(()) => Error::ConnectionClosedByClient,
            Err(e) => e.clone(),
        };
        let _ = self.shared.closed.set(err.clone());
        if let Some(tx) = self.connected.take() {
            let _ = tx.send(Err(err.clone()));
        }
        for p in self.connection_pending.drain(..) {
            p.fail(err.clone());
        }
        for (_, entry) in self.channels.drain() {
            entry.fail(err.clone());
        }
        for w in self.close_waiters.drain(..) {
            let _ = w.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(e.clone()),
            });
        }
        let _ = self
            .shared
            .events
            .send(ConnectionEvent::Closed(result.err()));
        // Fail commands that raced with the close.
        self.commands.close();
        while let Ok(cmd) = self.commands.try_recv() {
            fail_command(cmd, &err);
        }
    }
}

fn fail_command(cmd: Command, err: &Error) {
    match cmd {
        Command::OpenChannel { reply } => drop(reply.send(Err(err.clone()))),
        Command::Rpc { reply, .. } => {
            if let Some(r) = reply {
                let _ = r.send(Err(err.clone()));
            }
        }
        Command::Consume { reply, .. } => drop(reply.send(Err(err.clone()))),
        Command::Publish(cmd) => {
            if let Some(c) = cmd.confirm {
                let _ = c.send(Err(err.clone()));
            }
        }
        Command::WaitForConfirms { reply, .. } => drop(reply.send(Err(err.clone()))),
        Command::CloseConnection { reply, .. } => drop(reply.send(Ok(()))),
    }
}

/// Keeps room for a large read. Decoded frames share the read buffer, so once it is full it
/// cannot be reused in place; without this a read could get only the 64 bytes `BytesMut`
/// reserves by itself.
pub(crate) fn reserve_read_space(buf: &mut BytesMut) {
    const MIN_READ: usize = 16 * 1024;
    const READ_BUFFER: usize = 128 * 1024;
    if buf.capacity() - buf.len() < MIN_READ {
        buf.reserve(READ_BUFFER);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
