//! The connection task: owns the socket and the sans-IO [`ClientConnection`] of the link in
//! use, serves the handles' [`Command`]s, and recovers after the link is lost.
//!
//! One loop ([`Driver::turn`]) reads, writes (many frames per vectored write), keeps the
//! heartbeat timer and takes commands, so heartbeats and acks flow however busy the application
//! is. A connection lives across links: when one ends with a recoverable error the task
//! reconnects (hosts in rotation, backoff between rounds), reopens every channel on its old
//! number, restores QoS, confirm mode and flow, re-declares the recorded topology and
//! re-registers consumers ([`Driver::recover`]); the handles never notice but for the events.

use std::collections::{BTreeMap, VecDeque};

// The consumer map is looked up once per delivery: foldhash (seeded per process), not SipHash.
use foldhash::{HashMap, HashMapExt};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

use super::command::{Command, ConfirmTicket, DeliverySink, PublishCommand, Reply};
use super::mailbox::{ConsumerEnd, Incoming, Pushed};
use super::message::{ConfirmEvent, ConfirmOutcome, Confirmation, Returned};
use super::metrics::{Dropped, MetricsCollector, Tally};
use super::options::{ConnectionOptions, HostAddr};
use super::recovery::{RecordedEntity, Topology};
use super::shared::{ChannelShared, CloseRequest, ConnectionEvent, ConnectionShared, LinkInfo};
use super::transport::Transport;
use crate::codec::{self, FieldTable, Method, ShortString};
use crate::error::{Error, Result};
use crate::proto::{ClientConnection, ConnectionConfig, Content, Event, Tuning};

/// Stop taking commands while this many bytes wait to be written: back-pressure on publishers.
const WRITE_HIGH_WATER: usize = 4 * 1024 * 1024;
/// Commands handled before output is flushed, so one write carries many frames.
const COMMAND_BATCH: usize = 512;
/// How long the last frames (a `close-ok`) may take to leave when a link ends.
const FINAL_FLUSH: Duration = Duration::from_secs(1);

/// What to do when a synchronous reply arrives.
enum Pending {
    /// An application request: answer `tx` (if any). `record` is the request, kept when its
    /// success changes what recovery restores (declarations, bindings, QoS, flow...).
    Reply {
        tx: Option<oneshot::Sender<Result<Reply>>>,
        record: Option<Method>,
    },
    /// The application's `channel.open`.
    Open(oneshot::Sender<Result<Arc<ChannelShared>>>),
    /// The application's `basic.consume`: registered under the tag `consume-ok` names.
    Consume {
        tx: oneshot::Sender<Result<ShortString>>,
        consumer: ConsumerRecord,
    },
    /// A step of recovery, awaited by [`Driver::step`].
    Internal(oneshot::Sender<Result<Reply>>),
}

impl Pending {
    fn fail(self, err: Error) {
        match self {
            Pending::Reply { tx, .. } => {
                if let Some(tx) = tx {
                    let _ = tx.send(Err(err));
                }
            }
            Pending::Open(tx) => drop(tx.send(Err(err))),
            Pending::Consume { tx, .. } => drop(tx.send(Err(err))),
            Pending::Internal(tx) => drop(tx.send(Err(err))),
        }
    }
}

/// A consumer as registered, for dispatch and for recovery.
struct ConsumerRecord {
    sink: DeliverySink,
    queue: String,
    no_ack: bool,
    exclusive: bool,
    no_local: bool,
    arguments: FieldTable,
}

impl ConsumerRecord {
    fn from_request(method: &Method, sink: DeliverySink) -> Option<Self> {
        let Method::BasicConsume(c) = method else {
            return None;
        };
        Some(ConsumerRecord {
            sink,
            queue: c.queue.as_str().into_owned(),
            no_ack: c.no_ack,
            exclusive: c.exclusive,
            no_local: c.no_local,
            arguments: c.arguments.clone(),
        })
    }

    fn end(&self, channel: u16, tag: ShortString, reason: ConsumerEnd) {
        let _ = self.sink.push(Incoming::End {
            channel,
            consumer_tag: tag,
            reason,
        });
    }
}

/// A publish waiting for its confirm.
struct Unconfirmed {
    /// Sequence number on the wire (restarts at 1 with every link).
    wire: u64,
    /// Sequence number the application knows (keeps growing across links; 0 if unknown).
    seq_no: u64,
    reply: Option<oneshot::Sender<Result<Confirmation>>>,
    /// Holds one of the channel's confirm-window permits.
    windowed: bool,
    /// Answered by a single (not multiple) ack that overtook earlier publishes.
    settled: bool,
}

/// The task's view of one channel; outlives links.
struct ChannelEntry {
    shared: Arc<ChannelShared>,
    pending: VecDeque<Pending>,
    consumers: HashMap<ShortString, ConsumerRecord>,
    /// Consumers the application dropped, being cancelled, with whether they are no-ack:
    /// deliveries that cross the cancel are given back instead of left unacknowledged.
    dropped_consumers: HashMap<ShortString, bool>,
    /// Publishes in confirm mode not yet answered, oldest first.
    unconfirmed: VecDeque<Unconfirmed>,
    /// `wait_for_confirms` callers, answered when `unconfirmed` drains.
    confirm_waiters: Vec<oneshot::Sender<Result<bool>>>,
    /// Whether a nack arrived since the last time the waiters were answered.
    nacked: bool,
    /// The application's `basic.qos`, per consumer and per channel (`global`), to restore.
    qos: Option<(u32, u16)>,
    qos_global: Option<(u32, u16)>,
    /// The application paused the channel with `channel.flow(false)`.
    flow_paused: bool,
    /// Added to the broker's delivery tags: tags keep growing across links, so one from an
    /// earlier link can be recognised and refused.
    tag_offset: u64,
    /// The highest delivery tag handed to the application.
    last_tag: u64,
    /// `open-ok` received (on the first link).
    open: bool,
    /// We sent `channel.close`.
    closing: bool,
    /// Recovery's own channel, not the application's.
    internal: bool,
}

impl ChannelEntry {
    fn new(shared: Arc<ChannelShared>, internal: bool) -> Self {
        ChannelEntry {
            shared,
            pending: VecDeque::new(),
            consumers: HashMap::new(),
            dropped_consumers: HashMap::new(),
            unconfirmed: VecDeque::new(),
            confirm_waiters: Vec::new(),
            nacked: false,
            qos: None,
            qos_global: None,
            flow_paused: false,
            tag_offset: 0,
            last_tag: 0,
            open: false,
            closing: false,
            internal,
        }
    }

    /// Ends everything waiting on the channel with `err`; consumers end with `end`.
    fn fail(mut self, err: Error, end: ConsumerEnd) {
        let id = self.shared.id;
        self.shared.set_closed(err.clone());
        for p in self.pending.drain(..) {
            p.fail(err.clone());
        }
        for (tag, c) in self.consumers.drain() {
            c.end(id, tag, end.clone());
        }
        for u in self.unconfirmed.drain(..) {
            if let Some(tx) = u.reply {
                let _ = tx.send(Err(err.clone()));
            }
        }
        for w in self.confirm_waiters.drain(..) {
            let _ = w.send(Err(err.clone()));
        }
    }

    /// Applies a confirm from the broker. Returns how many publishes it answered.
    fn settle(&mut self, wire: u64, multiple: bool, ack: bool, metrics: &dyn Fn(u64)) {
        let outcome = if ack {
            Confirmation::Ack
        } else {
            Confirmation::Nack
        };
        if !ack {
            self.nacked = true;
        }
        let mut count = 0u64;
        let mut last_seq = 0;
        let mut release = 0usize;
        let mut answer = |u: &mut Unconfirmed| {
            // Counted before the publisher is woken, so that it reads a current count.
            metrics(1);
            if let Some(tx) = u.reply.take() {
                let _ = tx.send(Ok(outcome));
            }
            if u.windowed {
                release += 1;
            }
            u.settled = true;
            last_seq = u.seq_no;
            count += 1;
        };
        if multiple {
            while let Some(u) = self.unconfirmed.front_mut() {
                if u.wire > wire {
                    break;
                }
                if !u.settled {
                    answer(u);
                }
                self.unconfirmed.pop_front();
            }
        } else if let Ok(i) = self.unconfirmed.binary_search_by_key(&wire, |u| u.wire) {
            if !self.unconfirmed[i].settled {
                answer(&mut self.unconfirmed[i]);
            }
        }
        while self.unconfirmed.front().is_some_and(|u| u.settled) {
            self.unconfirmed.pop_front();
        }
        if release > 0 {
            self.shared.confirm_window.add_permits(release);
        }
        if count > 0 {
            if let Some(events) = self.shared.confirm_events.get() {
                let event = ConfirmEvent {
                    seq_no: last_seq,
                    multiple: multiple && count > 1,
                    outcome: if ack {
                        ConfirmOutcome::Ack
                    } else {
                        ConfirmOutcome::Nack
                    },
                };
                if events.try_push(event).is_err() {
                    tracing::warn!(
                        channel = self.shared.id,
                        "confirm listener is behind; confirm event dropped"
                    );
                }
            }
        }
        if self.unconfirmed.is_empty() && !self.confirm_waiters.is_empty() {
            let all_acked = !std::mem::take(&mut self.nacked);
            for w in self.confirm_waiters.drain(..) {
                let _ = w.send(Ok(all_acked));
            }
        }
    }

    /// Turns the application's delivery tag in an ack, nack or reject into the broker's.
    /// `false` if it belongs to an earlier link.
    fn translate_tag(&self, method: &mut Method) -> bool {
        let (tag, multiple) = match method {
            Method::BasicAck(m) => (&mut m.delivery_tag, m.multiple),
            Method::BasicNack(m) => (&mut m.delivery_tag, m.multiple),
            Method::BasicReject(m) => (&mut m.delivery_tag, false),
            _ => return true,
        };
        if *tag == 0 && multiple {
            return true; // "everything outstanding", on this link.
        }
        if *tag <= self.tag_offset {
            return false;
        }
        *tag -= self.tag_offset;
        true
    }
}

/// One connection to one broker: a socket and its protocol state.
struct Link {
    proto: ClientConnection,
    reader: ReadHalf<Transport>,
    writer: WriteHalf<Transport>,
    read_buf: BytesMut,
    write_queue: VecDeque<Bytes>,
    /// Bytes in `write_queue`.
    queued: usize,
}

impl Link {
    /// Connects to `host` and runs the AMQP handshake.
    async fn establish(
        host: &HostAddr,
        config: &ConnectionConfig,
    ) -> Result<(Link, FieldTable, Tuning)> {
        let transport = Transport::connect(host).await?;
        let (reader, writer) = tokio::io::split(transport);
        let mut link = Link {
            proto: ClientConnection::new(config.clone(), std::time::Instant::now()),
            reader,
            writer,
            read_buf: BytesMut::with_capacity(128 * 1024),
            write_queue: VecDeque::new(),
            queued: 0,
        };
        let mut out = Vec::new();
        loop {
            link.transmit(&mut out);
            while !link.write_queue.is_empty() {
                let n = super::io::write_some(&mut link.writer, &link.write_queue).await?;
                link.advance(n);
            }
            while let Some(event) = link.proto.poll_event() {
                match event {
                    Event::Connected {
                        server_properties,
                        tuning,
                    } => return Ok((link, server_properties, tuning)),
                    Event::Closed(Err(e)) => return Err(e),
                    Event::Closed(Ok(())) => return Err(Error::ConnectionClosedByClient),
                    _ => {}
                }
            }
            reserve_read_space(&mut link.read_buf);
            match link.reader.read_buf(&mut link.read_buf).await {
                Ok(0) => link.proto.handle_disconnect(None),
                Ok(_) => link
                    .proto
                    .handle_read(&mut link.read_buf, std::time::Instant::now()),
                Err(e) => link.proto.handle_disconnect(Some(e)),
            }
        }
    }

    /// Moves the protocol's output to the write queue.
    fn transmit(&mut self, out: &mut Vec<Bytes>) {
        self.proto.poll_transmit(std::time::Instant::now(), out);
        for chunk in out.drain(..) {
            self.queued += chunk.len();
            self.write_queue.push_back(chunk);
        }
    }

    fn advance(&mut self, n: usize) {
        super::io::advance(&mut self.write_queue, n);
        self.queued -= n;
    }

    /// Writes what is queued (a `close-ok`, say), briefly, then shuts the socket.
    async fn finish(mut self) {
        let flush = async {
            while !self.write_queue.is_empty() {
                match super::io::write_some(&mut self.writer, &self.write_queue).await {
                    Ok(n) => self.advance(n),
                    Err(_) => return,
                }
            }
            let _ = self.writer.shutdown().await;
        };
        let _ = tokio::time::timeout(FINAL_FLUSH, flush).await;
    }
}

/// The application asked to close.
struct Closing {
    waiters: Vec<oneshot::Sender<Result<()>>>,
    /// When to stop waiting for `close-ok` and drop the socket.
    deadline: Instant,
}

/// Why a recovery step did not complete.
enum StepError {
    /// The link failed (retry the reconnection).
    Link(Error),
    /// The broker closed the channel the step ran on.
    Channel(Error),
    /// The application closed the connection.
    Closed,
}

/// What woke one turn of the loop.
enum Wake {
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    CloseRequested(CloseRequest),
    Command(Option<Command>),
    Space,
    Timer,
}

/// The connection task.
pub(crate) struct Driver {
    options: ConnectionOptions,
    shared: Arc<ConnectionShared>,
    commands: mpsc::UnboundedReceiver<Command>,
    /// The application's close requests.
    close_requests: mpsc::UnboundedReceiver<CloseRequest>,
    /// The link in use; `None` while reconnecting.
    link: Option<Link>,
    /// Which of `options.hosts` the link reached.
    host_index: usize,
    /// Channels by number, in order (recovery reopens them in order).
    channels: BTreeMap<u16, ChannelEntry>,
    /// Replies awaited on channel 0.
    connection_pending: VecDeque<Pending>,
    /// Why each broker-closed channel number closed, until the number is reused: a command
    /// that raced with the close gets the broker's error, not a generic one.
    closed_channels: HashMap<u16, Error>,
    /// What recovery re-declares.
    topology: Topology,
    /// Delivery buffers at their bound: reading the socket waits until they drain.
    paused: Vec<DeliverySink>,
    /// Every handle is gone.
    commands_closed: bool,
    closing: Option<Closing>,
    /// Reused for every poll_transmit, so a loop turn allocates nothing for it.
    out: Vec<Bytes>,
    /// Messages counted this turn, reported at its end.
    tally: Tally,
}

impl Driver {
    pub(crate) fn new(
        options: ConnectionOptions,
        shared: Arc<ConnectionShared>,
        commands: mpsc::UnboundedReceiver<Command>,
        close_requests: mpsc::UnboundedReceiver<CloseRequest>,
    ) -> Self {
        Driver {
            options,
            shared,
            commands,
            close_requests,
            link: None,
            host_index: 0,
            channels: BTreeMap::new(),
            connection_pending: VecDeque::new(),
            closed_channels: HashMap::new(),
            topology: Topology::default(),
            paused: Vec::new(),
            commands_closed: false,
            closing: None,
            out: Vec::new(),
            tally: Tally::default(),
        }
    }

    fn metrics(&self, f: impl Fn(&dyn MetricsCollector)) {
        self.shared.metrics.record(f);
    }

    /// Connects, reports the outcome on `connected`, then serves the connection until it ends
    /// for good.
    pub(crate) async fn run(mut self, connected: oneshot::Sender<Result<()>>) {
        let span = tracing::info_span!("warren.connect", hosts = self.options.hosts.len());
        if let Err(e) = self.connect_round(0).instrument(span).await {
            let _ = connected.send(Err(e.clone()));
            self.finish(Err(e)).await;
            return;
        }
        self.metrics(|m| m.connection_opened());
        let _ = connected.send(Ok(()));
        loop {
            let err = match self.serve().await {
                Ok(()) => return self.finish(Ok(())).await,
                Err(e) => e,
            };
            if self.closing.is_some() {
                return self.finish(Ok(())).await;
            }
            if self.commands_closed || !self.options.recovery.enabled || !err.is_recoverable() {
                return self.finish(Err(err)).await;
            }
            let span = tracing::warn_span!("warren.recovery", cause = %err);
            match self.recover(err).instrument(span).await {
                Ok(()) => continue,
                Err(StepError::Closed) => return self.finish(Ok(())).await,
                Err(StepError::Link(e) | StepError::Channel(e)) => {
                    return self.finish(Err(e)).await
                }
            }
        }
    }

    /// Serves the current link until it ends: `Ok` after the application's close.
    async fn serve(&mut self) -> Result<()> {
        loop {
            if let Some(end) = self.turn(true).await {
                return end;
            }
        }
    }

    /// One round of the loop: flush, handle events, then wait for one thing to happen and
    /// handle it. `Some` when the link ended (`Ok` if the application closed it).
    async fn turn(&mut self, take_commands: bool) -> Option<Result<()>> {
        if let Some(end) = self.process_events().await {
            return Some(end);
        }
        let now = Instant::now();
        let read_paused = !self.paused.is_empty() && !self.awaiting_replies();
        let link = self.link.as_mut()?;
        // Frames queued while handling events (rejects, cancel-oks) leave in this turn.
        link.transmit(&mut self.out);
        link.proto.set_input_paused(read_paused, now.into_std());
        let mut timeout = link.proto.poll_timeout().map(Instant::from_std);
        if let Some(c) = &self.closing {
            timeout = Some(timeout.map_or(c.deadline, |t| t.min(c.deadline)));
        }
        reserve_read_space(&mut link.read_buf);
        let take = take_commands && !self.commands_closed && link.queued < WRITE_HIGH_WATER;
        let paused_first = self.paused.first().cloned();
        let wake = {
            let Link {
                reader,
                writer,
                read_buf,
                write_queue,
                ..
            } = link;
            let commands = &mut self.commands;
            let close_requests = &mut self.close_requests;
            tokio::select! {
                biased;
                r = reader.read_buf(read_buf), if !read_paused => Wake::Read(r),
                w = super::io::write_some(writer, write_queue), if !write_queue.is_empty() => Wake::Wrote(w),
                Some(request) = close_requests.recv() => Wake::CloseRequested(request),
                c = commands.recv(), if take => Wake::Command(c),
                _ = async { if let Some(m) = &paused_first { m.space().await } else { std::future::pending().await } },
                    if paused_first.is_some() => Wake::Space,
                _ = sleep_until(timeout), if timeout.is_some() => Wake::Timer,
            }
        };
        let now = Instant::now();
        tracing::trace!(wake = ?std::mem::discriminant(&wake), "turn");
        match wake {
            Wake::Read(read) => {
                let link = self.link.as_mut()?;
                match read {
                    Ok(0) => link.proto.handle_disconnect(None),
                    Ok(n) => {
                        self.shared.metrics.record(|m| m.bytes_in(n));
                        link.proto.handle_read(&mut link.read_buf, now.into_std());
                    }
                    Err(e) => link.proto.handle_disconnect(Some(e)),
                }
            }
            Wake::Wrote(written) => {
                let link = self.link.as_mut()?;
                match written {
                    Ok(n) => {
                        link.advance(n);
                        self.shared.metrics.record(|m| m.bytes_out(n));
                    }
                    Err(e) => {
                        link.write_queue.clear();
                        link.queued = 0;
                        link.proto.handle_disconnect(Some(e));
                    }
                }
            }
            Wake::CloseRequested(request) => self.start_close(request),
            Wake::Command(Some(cmd)) => {
                self.handle_command(cmd);
                for _ in 0..COMMAND_BATCH {
                    match self.commands.try_recv() {
                        Ok(cmd) => self.handle_command(cmd),
                        Err(_) => break,
                    }
                }
            }
            Wake::Command(None) => {
                // Every handle is gone: close politely.
                self.commands_closed = true;
                if self.closing.is_none() {
                    self.closing = Some(Closing {
                        waiters: Vec::new(),
                        deadline: now + self.options.close_timeout,
                    });
                }
                self.link.as_mut()?.proto.close(200, "Goodbye");
            }
            Wake::Space => {
                self.paused.retain(|m| m.is_full());
            }
            Wake::Timer => {
                if self.closing.as_ref().is_some_and(|c| now >= c.deadline) {
                    tracing::warn!(
                        timeout = ?self.options.close_timeout,
                        "no close-ok from the broker in time; dropping the socket"
                    );
                    if let Some(link) = self.link.take() {
                        link.finish().await;
                    }
                    return Some(Ok(()));
                }
                self.link.as_mut()?.proto.handle_timeout(now.into_std());
            }
        }
        // Handle what the wake produced before returning, so that a caller waiting for a reply
        // (a recovery step) sees it now rather than after the next wake.
        let end = self.process_events().await;
        self.tally.flush(&self.shared.metrics);
        end
    }

    /// Flushes the protocol's output to the write queue and handles its events; `Some` when
    /// the link ended.
    async fn process_events(&mut self) -> Option<Result<()>> {
        let Some(link) = self.link.as_mut() else {
            return Some(Err(Error::ConnectionClosedByClient));
        };
        link.transmit(&mut self.out);
        while let Some(event) = self.link.as_mut()?.proto.poll_event() {
            if let Event::Closed(result) = event {
                return Some(self.end_link(result).await);
            }
            self.handle_event(event);
        }
        None
    }

    /// Whether a synchronous reply is awaited: reading must go on then, whatever the delivery
    /// buffers say, or an application that waits for a reply (say, to `basic.cancel`) while
    /// its buffer is full would wait forever.
    fn awaiting_replies(&self) -> bool {
        self.closing.is_some()
            || !self.connection_pending.is_empty()
            || self.channels.values().any(|c| !c.pending.is_empty())
    }

    /// The link ended with `result`: send what is queued, briefly, and drop it.
    async fn end_link(&mut self, result: Result<()>) -> Result<()> {
        if let Some(link) = self.link.take() {
            link.finish().await;
        }
        self.paused.clear();
        result
    }

    /// Starts the closing handshake the application asked for, after the commands queued
    /// before it (a publish sent before `close()` goes out before it).
    fn start_close(&mut self, request: CloseRequest) {
        if self.link.is_some() {
            while let Ok(cmd) = self.commands.try_recv() {
                self.handle_command(cmd);
            }
        }
        let deadline = Instant::now() + self.options.close_timeout;
        let closing = self.closing.get_or_insert(Closing {
            waiters: Vec::new(),
            deadline,
        });
        closing.waiters.push(request.reply);
        while let Ok(more) = self.close_requests.try_recv() {
            closing.waiters.push(more.reply);
        }
        if let Some(link) = self.link.as_mut() {
            link.proto.close(request.code, &request.text);
        }
    }

    // ---- connecting ----------------------------------------------------------------------

    /// Tries each host once, starting with `hosts[start]`; the link is set on success. An
    /// error the broker would repeat (refused credentials, no access to the vhost) wins over
    /// network errors of other hosts, so that recovery can stop on it.
    async fn connect_round(&mut self, start: usize) -> Result<()> {
        let n = self.options.hosts.len();
        if n == 0 {
            return Err(Error::InvalidUri("no hosts to connect to".into()));
        }
        let mut last: Option<Error> = None;
        let mut fatal: Option<Error> = None;
        for k in 0..n {
            let i = (start + k) % n;
            let host = self.options.hosts[i].clone();
            let attempt = tokio::time::timeout(
                self.options.connection_timeout,
                Link::establish(&host, &self.options.config),
            )
            .await;
            match attempt {
                Ok(Ok((link, server_properties, tuning))) => {
                    tracing::debug!(%host, "connected");
                    self.host_index = i;
                    self.shared.set_link_info(LinkInfo {
                        server_properties,
                        tuning,
                        host,
                    });
                    self.link = Some(link);
                    return Ok(());
                }
                Ok(Err(e)) => {
                    tracing::debug!(%host, error = %e, "connection attempt failed");
                    if !e.is_recoverable() {
                        fatal.get_or_insert(e.clone());
                    }
                    last = Some(e);
                }
                Err(_) => {
                    last = Some(Error::ConnectTimeout(format!(
                        "{}:{}",
                        host.host, host.port
                    )))
                }
            }
        }
        let e = fatal.or(last).unwrap_or(Error::ConnectionClosedByClient);
        Err(if n == 1 || !e.is_recoverable() {
            e
        } else {
            Error::AllHostsFailed(Box::new(e))
        })
    }

    // ---- commands ------------------------------------------------------------------------

    fn handle_command(&mut self, cmd: Command) {
        if self.link.is_none() {
            return cmd.fail(&Error::ConnectionLost(Box::new(
                Error::ConnectionClosedByClient,
            )));
        }
        match cmd {
            Command::OpenChannel { reply } => {
                let opened = self.link.as_mut().map(|l| l.proto.open_channel());
                match opened {
                    Some(Ok(id)) => {
                        self.closed_channels.remove(&id);
                        let shared = Arc::new(ChannelShared::new(id, &self.options.limits));
                        let mut entry = ChannelEntry::new(shared, false);
                        entry.pending.push_back(Pending::Open(reply));
                        self.channels.insert(id, entry);
                    }
                    Some(Err(e)) => drop(reply.send(Err(self.closed_error(e)))),
                    None => {}
                }
            }
            Command::Rpc {
                channel,
                mut method,
                reply,
            } => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    if !entry.translate_tag(&mut method) {
                        let tag = delivery_tag_of(&method);
                        tracing::warn!(
                            channel,
                            tag,
                            "acknowledgement for a delivery of a lost link dropped"
                        );
                        if let Some(tx) = reply {
                            let _ = tx.send(Err(Error::StaleDeliveryTag(tag)));
                        }
                        return;
                    }
                    match &method {
                        Method::BasicAck(m) => self.shared.metrics.record(|c| c.acked(m.multiple)),
                        Method::BasicNack(m) => {
                            self.shared.metrics.record(|c| c.rejected(m.multiple))
                        }
                        Method::BasicReject(_) => self.shared.metrics.record(|c| c.rejected(false)),
                        Method::ChannelClose(_) => entry.closing = true,
                        _ => {}
                    }
                }
                let record = changes_recorded_state(&method).then(|| method.clone());
                if crate::proto::expects_reply(&method) {
                    self.send(channel, method, Some(Pending::Reply { tx: reply, record }));
                    return;
                }
                // No reply will come (asynchronous methods, nowait variants): done once sent.
                let echo = reply.is_some().then(|| method.clone());
                if self.send(channel, method, None) {
                    if let Some(request) = &record {
                        self.apply_record(channel, request, None);
                    }
                    if let (Some(tx), Some(m)) = (reply, echo) {
                        let _ = tx.send(Ok((m, None)));
                    }
                } else if let Some(tx) = reply {
                    let _ = tx.send(Err(
                        self.channel_error(channel, Error::ChannelClosedByClient)
                    ));
                }
            }
            Command::Consume {
                channel,
                method,
                sink,
                reply,
            } => {
                let Some(consumer) = ConsumerRecord::from_request(&method, sink) else {
                    let _ = reply.send(Err(Error::InvalidArgument("not basic.consume".into())));
                    return;
                };
                let nowait_tag = match &method {
                    Method::BasicConsume(c) if c.nowait => Some(c.consumer_tag.clone()),
                    _ => None,
                };
                match nowait_tag {
                    Some(tag) => {
                        if self.send(channel, method, None) {
                            if let Some(entry) = self.channels.get_mut(&channel) {
                                entry.consumers.insert(tag.clone(), consumer);
                            }
                            let _ = reply.send(Ok(tag));
                        } else {
                            let _ = reply.send(Err(
                                self.channel_error(channel, Error::ChannelClosedByClient)
                            ));
                        }
                    }
                    None => {
                        self.send(
                            channel,
                            method,
                            Some(Pending::Consume {
                                tx: reply,
                                consumer,
                            }),
                        );
                    }
                }
            }
            Command::Publish(cmd) => self.publish(cmd),
            Command::WaitForConfirms { channel, reply } => match self.channels.get_mut(&channel) {
                Some(entry) if entry.unconfirmed.is_empty() => {
                    let _ = reply.send(Ok(!std::mem::take(&mut entry.nacked)));
                }
                Some(entry) => entry.confirm_waiters.push(reply),
                None => drop(reply.send(Err(
                    self.channel_error(channel, Error::ChannelClosedByClient),
                ))),
            },
            Command::ConsumerDropped { channel, tag } => self.drop_consumer(channel, tag, None),
        }
    }

    /// Takes the boxed command as it came: its ~450 bytes are read in place, not moved.
    fn publish(&mut self, cmd: Box<PublishCommand>) {
        self.shared.publish_permits.add_permits(1);
        let Some(link) = self.link.as_mut() else {
            return;
        };
        let PublishCommand {
            channel,
            publish,
            ref properties,
            ref body,
            confirm,
        } = *cmd;
        let published = link.proto.publish(channel, publish, properties, body);
        match published {
            Ok(wire) => {
                self.tally.published += 1;
                self.tally.published_bytes += body.len() as u64;
                let entry = self.channels.get_mut(&channel);
                match (wire, entry, confirm) {
                    (Some(wire), Some(entry), ticket) => {
                        let (seq_no, reply, windowed) = match ticket {
                            Some(ConfirmTicket { seq_no, reply }) => (seq_no, reply, true),
                            None => (0, None, false),
                        };
                        entry.unconfirmed.push_back(Unconfirmed {
                            wire,
                            seq_no,
                            reply,
                            windowed,
                            settled: false,
                        });
                    }
                    (None, entry, Some(ticket)) => {
                        if let Some(entry) = entry {
                            entry.shared.confirm_window.add_permits(1);
                        }
                        if let Some(tx) = ticket.reply {
                            let _ = tx.send(Ok(Confirmation::NotRequested));
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => {
                let err = self.channel_error(channel, e);
                if let Some(ticket) = confirm {
                    if let Some(entry) = self.channels.get(&channel) {
                        entry.shared.confirm_window.add_permits(1);
                    }
                    if let Some(tx) = ticket.reply {
                        let _ = tx.send(Err(err));
                    }
                }
            }
        }
    }

    /// The application dropped a consumer it had not cancelled: cancel it, and give back the
    /// messages it never read (and `crossing`, one that arrived as it went).
    fn drop_consumer(&mut self, channel: u16, tag: ShortString, crossing: Option<Incoming>) {
        let Some(entry) = self.channels.get_mut(&channel) else {
            return;
        };
        let Some(consumer) = entry.consumers.remove(&tag) else {
            return;
        };
        let mut unread = consumer.sink.abandon();
        unread.extend(crossing);
        entry.dropped_consumers.insert(tag.clone(), consumer.no_ack);
        let offset = entry.tag_offset;
        let cancel = codec::BasicCancel {
            consumer_tag: tag,
            nowait: false,
        };
        self.send(
            channel,
            cancel.into(),
            Some(Pending::Reply {
                tx: None,
                record: None,
            }),
        );
        if consumer.no_ack {
            return;
        }
        for item in unread {
            if let Incoming::Delivery { deliver, .. } = item {
                if deliver.delivery_tag > offset {
                    let reject = codec::BasicReject {
                        delivery_tag: deliver.delivery_tag - offset,
                        requeue: true,
                    };
                    self.send(channel, reject.into(), None);
                }
            }
        }
    }

    /// Sends `method`; `pending` says what to do with its reply. `false` if it could not be
    /// sent (then `pending` has been failed).
    fn send(&mut self, channel: u16, method: Method, pending: Option<Pending>) -> bool {
        let sent = match self.link.as_mut() {
            Some(link) => link.proto.send_method(channel, method),
            None => Err(Error::ConnectionLost(Box::new(
                Error::ConnectionClosedByClient,
            ))),
        };
        if let Err(e) = sent {
            let err = self.channel_error(channel, e);
            if let Some(p) = pending {
                p.fail(err);
            }
            return false;
        }
        let Some(p) = pending else { return true };
        if channel == 0 {
            self.connection_pending.push_back(p);
        } else if let Some(entry) = self.channels.get_mut(&channel) {
            entry.pending.push_back(p);
        }
        true
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

    // ---- events --------------------------------------------------------------------------

    fn handle_event(&mut self, event: Event) {
        tracing::trace!(?event, "event");
        match event {
            Event::Connected { .. } => {} // Only during the handshake, handled there.
            Event::Blocked { reason } => {
                self.shared.blocked.store(true, Ordering::Release);
                self.shared.emit(ConnectionEvent::Blocked(reason));
            }
            Event::Unblocked => {
                self.shared.blocked.store(false, Ordering::Release);
                self.shared.emit(ConnectionEvent::Unblocked);
            }
            Event::Closed(_) => {} // Handled by turn.
            Event::Reply {
                channel: 0,
                method,
                content,
            } => {
                if let Some(p) = self.connection_pending.pop_front() {
                    answer(p, Ok((method, content)));
                }
            }
            Event::Reply {
                channel,
                method,
                content,
            } => self.handle_reply(channel, method, content),
            Event::ChannelClosed { channel, error } => {
                tracing::warn!(channel, %error, "channel closed by the broker");
                let err = Error::ChannelClosed(error.clone());
                self.remove_channel(channel, err);
                self.shared
                    .emit(ConnectionEvent::ChannelClosed { channel, error });
            }
            Event::ChannelFailed {
                channel,
                close,
                error,
            } => {
                tracing::warn!(channel, %error, "channel closed by the client");
                self.remove_channel(channel, error);
                self.shared.emit(ConnectionEvent::ChannelClosed {
                    channel,
                    error: close,
                });
            }
            Event::Delivery {
                channel,
                deliver,
                content,
            } => self.deliver(channel, deliver, content),
            Event::Return {
                channel,
                returned,
                content,
            } => {
                self.shared.metrics.record(|m| m.returned());
                if let Some(entry) = self.channels.get(&channel) {
                    let returned = Returned {
                        reply_code: returned.reply_code,
                        reply_text: returned.reply_text,
                        exchange: returned.exchange,
                        routing_key: returned.routing_key,
                        properties: content.properties,
                        body: content.body,
                    };
                    if entry.shared.returns.try_push(returned).is_err() {
                        self.shared.metrics.record(|m| m.dropped(Dropped::Return));
                        tracing::warn!(
                            channel,
                            "returned message dropped: the application does not read returns"
                        );
                    }
                }
            }
            Event::Confirm {
                channel,
                delivery_tag,
                multiple,
                ack,
            } => {
                let metrics = &self.shared.metrics;
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.settle(delivery_tag, multiple, ack, &|n| {
                        if ack {
                            metrics.record(|m| m.confirmed(n))
                        } else {
                            metrics.record(|m| m.nacked(n))
                        }
                    });
                }
            }
            Event::ConsumerCancelled {
                channel,
                consumer_tag,
            } => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.dropped_consumers.remove(&consumer_tag);
                    if let Some(c) = entry.consumers.remove(&consumer_tag) {
                        c.end(
                            channel,
                            consumer_tag.clone(),
                            ConsumerEnd::CancelledByBroker,
                        );
                    }
                }
                self.shared.emit(ConnectionEvent::ConsumerCancelled {
                    channel,
                    consumer_tag: consumer_tag.as_str().into_owned(),
                });
            }
            Event::Flow { channel, active } => {
                if let Some(entry) = self.channels.get(&channel) {
                    entry.shared.flow_active.store(active, Ordering::Release);
                }
            }
        }
    }

    /// A channel ended without the application closing it.
    fn remove_channel(&mut self, channel: u16, err: Error) {
        if let Some(entry) = self.channels.remove(&channel) {
            self.closed_channels.insert(channel, err.clone());
            if !entry.internal {
                self.metrics(|m| m.channel_closed());
            }
            entry.fail(err.clone(), ConsumerEnd::ChannelClosed(err));
        }
    }

    fn deliver(&mut self, channel: u16, mut deliver: codec::BasicDeliver, content: Box<Content>) {
        let Some(entry) = self.channels.get_mut(&channel) else {
            return;
        };
        let wire = deliver.delivery_tag;
        let app_tag = wire + entry.tag_offset;
        entry.last_tag = entry.last_tag.max(app_tag);
        let Some(consumer) = entry.consumers.get(&deliver.consumer_tag) else {
            if entry.dropped_consumers.get(&deliver.consumer_tag) == Some(&false) {
                let reject = codec::BasicReject {
                    delivery_tag: wire,
                    requeue: true,
                };
                self.send(channel, reject.into(), None);
            }
            return;
        };
        self.tally.delivered += 1;
        self.tally.delivered_bytes += content.body.len() as u64;
        deliver.delivery_tag = app_tag;
        let tag = deliver.consumer_tag.clone();
        let sink = consumer.sink.clone();
        match sink.push(Incoming::Delivery {
            channel,
            deliver,
            content,
        }) {
            Ok(Pushed::Ok) => {}
            Ok(Pushed::Full) => {
                if !self.paused.iter().any(|m| Arc::ptr_eq(m, &sink)) {
                    self.paused.push(sink);
                }
            }
            Err(crossing) => {
                // The application dropped the consumer before the driver heard of it.
                self.drop_consumer(channel, tag, Some(crossing));
            }
        }
    }

    fn handle_reply(&mut self, channel: u16, mut method: Method, content: Option<Content>) {
        if let Method::ChannelCloseOk(_) = method {
            // Our close completed. It was the last request sent on the channel (nothing can be
            // sent after it); replies to earlier ones were dropped by the broker or by the
            // state machine while closing, so those requests fail.
            if let Some(mut entry) = self.channels.remove(&channel) {
                let close = entry.pending.pop_back();
                if !entry.internal {
                    self.metrics(|m| m.channel_closed());
                }
                // Marked closed before `close` returns to the application.
                entry.fail(
                    Error::ChannelClosedByClient,
                    ConsumerEnd::ChannelClosed(Error::ChannelClosedByClient),
                );
                if let Some(p) = close {
                    answer(p, Ok((method, None)));
                }
            }
            return;
        }
        let Some(entry) = self.channels.get_mut(&channel) else {
            return;
        };
        let Some(pending) = entry.pending.pop_front() else {
            return;
        };
        if let Method::BasicGetOk(ok) = &mut method {
            ok.delivery_tag += entry.tag_offset;
            entry.last_tag = entry.last_tag.max(ok.delivery_tag);
            self.tally.delivered += 1;
            self.tally.delivered_bytes += content.as_ref().map_or(0, |c| c.body.len() as u64);
        }
        // A caller is about to see a reply: the counts of everything before it are reported
        // first, so metrics read after a call returns include it.
        self.tally.flush(&self.shared.metrics);
        let mut record = None;
        match (pending, method) {
            (Pending::Open(tx), Method::ChannelOpenOk(_)) => {
                entry.open = true;
                let _ = tx.send(Ok(entry.shared.clone()));
                self.shared.metrics.record(|m| m.channel_opened());
            }
            (Pending::Consume { tx, consumer }, Method::BasicConsumeOk(ok)) => {
                entry.consumers.insert(ok.consumer_tag.clone(), consumer);
                let _ = tx.send(Ok(ok.consumer_tag));
            }
            (
                Pending::Reply {
                    tx,
                    record: request,
                },
                method,
            ) => {
                match &method {
                    Method::BasicCancelOk(ok) => {
                        entry.dropped_consumers.remove(&ok.consumer_tag);
                        if let Some(c) = entry.consumers.remove(&ok.consumer_tag) {
                            c.end(
                                channel,
                                ok.consumer_tag.clone(),
                                ConsumerEnd::CancelledByApp,
                            );
                            let queue = c.queue;
                            // An auto-delete queue goes with its last consumer: forget it then.
                            if self.topology.is_auto_delete_queue(&queue)
                                && !self
                                    .channels
                                    .values()
                                    .any(|e| e.consumers.values().any(|c| c.queue == queue))
                            {
                                self.topology.forget_queue(&queue);
                            }
                        }
                    }
                    Method::ConfirmSelectOk(_) => {
                        entry.shared.confirm_mode.store(true, Ordering::Release)
                    }
                    _ => {}
                }
                if let Some(request) = request {
                    record = Some((request, method.clone()));
                }
                if let Some(tx) = tx {
                    let _ = tx.send(Ok((method, content)));
                }
            }
            (Pending::Internal(tx), method) => {
                let _ = tx.send(Ok((method, content)));
            }
            (p, method) => p.fail(Error::Protocol(format!(
                "unexpected reply {}",
                method.name()
            ))),
        }
        if let Some((request, reply)) = record {
            self.apply_record(channel, &request, Some(&reply));
        }
    }

    /// Remembers what a request the broker accepted changed, for recovery.
    fn apply_record(&mut self, channel: u16, request: &Method, reply: Option<&Method>) {
        match request {
            Method::BasicQos(q) => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    let value = Some((q.prefetch_size, q.prefetch_count));
                    if q.global {
                        entry.qos_global = value;
                    } else {
                        entry.qos = value;
                    }
                }
            }
            Method::ChannelFlow(f) => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.flow_paused = !f.active;
                }
            }
            Method::ConfirmSelect(_) => {
                if let Some(entry) = self.channels.get_mut(&channel) {
                    entry.shared.confirm_mode.store(true, Ordering::Release);
                }
            }
            other => self.topology.record(other, reply),
        }
    }

    // ---- recovery ------------------------------------------------------------------------

    /// Reconnects after the link was lost with `cause`, and restores channels, topology and
    /// consumers. Returns when the connection is usable again, or why it cannot be.
    async fn recover(&mut self, cause: Error) -> std::result::Result<(), StepError> {
        tracing::warn!(error = %cause, "connection lost; recovering");
        self.shared.recovering.store(true, Ordering::Release);
        self.shared.blocked.store(false, Ordering::Release);
        // First fail what the link took with it, so that an application reacting to the event
        // already sees stale delivery tags refused and unconfirmed publishes failed.
        self.forget_link(&cause);
        self.shared
            .emit(ConnectionEvent::ConnectionLost(cause.clone()));
        let mut round = 0u32;
        let mut last = cause.clone();
        loop {
            round += 1;
            if self
                .options
                .recovery
                .max_attempts
                .is_some_and(|max| round > max)
            {
                tracing::error!(error = %last, "recovery gave up after {} rounds", round - 1);
                self.shared
                    .emit(ConnectionEvent::RecoveryFailed(last.clone()));
                return Err(StepError::Link(last));
            }
            let delay = self.options.recovery.delay(round);
            if self.wait_or_close(delay).await {
                return Err(StepError::Closed);
            }
            self.shared
                .emit(ConnectionEvent::RecoveryStarted { attempt: round });
            let start = (self.host_index + 1) % self.options.hosts.len().max(1);
            let connected = {
                let mut close_requests =
                    std::mem::replace(&mut self.close_requests, mpsc::unbounded_channel().1);
                let connected = tokio::select! {
                    r = self.connect_round(start) => Ok(r),
                    Some(request) = close_requests.recv() => Err(request),
                };
                self.close_requests = close_requests;
                connected
            };
            match connected {
                Err(request) => {
                    self.start_close(request);
                    return Err(StepError::Closed);
                }
                Ok(Err(e)) if !e.is_recoverable() => {
                    tracing::error!(error = %e, "recovery stopped: the broker refuses this connection");
                    self.shared.emit(ConnectionEvent::RecoveryFailed(e.clone()));
                    return Err(StepError::Link(e));
                }
                Ok(Err(e)) => {
                    tracing::info!(round, error = %e, "reconnection failed");
                    last = e;
                    continue;
                }
                Ok(Ok(())) => {}
            }
            match self.restore(&cause).await {
                Ok(()) => break,
                Err(StepError::Closed) => return Err(StepError::Closed),
                Err(StepError::Link(e) | StepError::Channel(e)) => {
                    tracing::info!(round, error = %e, "connection lost again during recovery");
                    self.forget_link(&e);
                    if !e.is_recoverable() {
                        self.shared.emit(ConnectionEvent::RecoveryFailed(e.clone()));
                        return Err(StepError::Link(e));
                    }
                    last = e;
                }
            }
        }
        let host = self.shared.with_link_info(|i| i.host.to_string());
        tracing::info!(%host, "connection recovered");
        self.shared.recovering.store(false, Ordering::Release);
        self.metrics(|m| m.recovered());
        self.shared.emit(ConnectionEvent::Recovered { host });
        Ok(())
    }

    /// Sleeps `delay`, unless the application asks to close first (then `true`).
    async fn wait_or_close(&mut self, delay: Duration) -> bool {
        let request = tokio::select! {
            _ = tokio::time::sleep(delay) => None,
            Some(request) = self.close_requests.recv() => Some(request),
        };
        if let Some(request) = request {
            self.start_close(request);
        }
        self.closing.is_some()
    }

    /// The link is gone: fail what waited on it, keep what recovery restores.
    fn forget_link(&mut self, cause: &Error) {
        self.link = None;
        self.paused.clear();
        let lost = || Error::ConnectionLost(Box::new(cause.clone()));
        for p in self.connection_pending.drain(..) {
            p.fail(lost());
        }
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        for id in ids {
            let Some(entry) = self.channels.get_mut(&id) else {
                continue;
            };
            if !entry.open || entry.closing || entry.internal {
                // Opening, closing, or recovery's own: nothing to restore.
                if let Some(entry) = self.channels.remove(&id) {
                    let err = if entry.closing {
                        Error::ChannelClosedByClient
                    } else {
                        lost()
                    };
                    if entry.open && !entry.internal {
                        self.shared.metrics.record(|m| m.channel_closed());
                    }
                    entry.fail(err.clone(), ConsumerEnd::ChannelClosed(err));
                }
                continue;
            }
            for p in entry.pending.drain(..) {
                p.fail(lost());
            }
            let unconfirmed: Vec<Unconfirmed> = entry.unconfirmed.drain(..).collect();
            let mut lost_count = 0u64;
            let mut release = 0usize;
            let mut last_seq = 0;
            for u in unconfirmed.into_iter().filter(|u| !u.settled) {
                lost_count += 1;
                last_seq = u.seq_no;
                if u.windowed {
                    release += 1;
                }
                if let Some(tx) = u.reply {
                    let _ = tx.send(Err(Error::PublishUnconfirmed(Box::new(cause.clone()))));
                }
            }
            entry.shared.confirm_window.add_permits(release);
            if lost_count > 0 {
                tracing::warn!(
                    channel = id,
                    count = lost_count,
                    "unconfirmed publishes failed by the lost connection"
                );
                self.shared
                    .metrics
                    .record(|m| m.unconfirmed_lost(lost_count));
                if let Some(events) = entry.shared.confirm_events.get() {
                    let _ = events.try_push(ConfirmEvent {
                        seq_no: last_seq,
                        multiple: lost_count > 1,
                        outcome: ConfirmOutcome::Lost,
                    });
                }
            }
            for w in entry.confirm_waiters.drain(..) {
                let _ = w.send(Err(Error::PublishUnconfirmed(Box::new(cause.clone()))));
            }
            entry.nacked = false;
            entry.dropped_consumers.clear();
            entry.consumers.retain(|_, c| !c.sink.is_abandoned());
            entry.tag_offset = entry.last_tag;
            entry
                .shared
                .tag_floor
                .store(entry.last_tag, Ordering::Release);
            entry.shared.flow_active.store(true, Ordering::Release);
        }
    }

    /// Restores every channel, the topology and the consumers on the new link.
    async fn restore(&mut self, cause: &Error) -> std::result::Result<(), StepError> {
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        for id in ids {
            if let Err(e) = self.reopen_channel(id).await {
                self.step_failed_on(id, e)?;
            }
        }
        if self.options.recovery.topology {
            self.restore_topology().await?;
            self.restore_consumers().await?;
        } else {
            // Nothing will deliver to them again: end them rather than leave them waiting.
            let err = Error::ConnectionLost(Box::new(cause.clone()));
            for (&id, entry) in &mut self.channels {
                for (tag, c) in entry.consumers.drain() {
                    c.end(id, tag, ConsumerEnd::ConnectionClosed(err.clone()));
                }
            }
        }
        Ok(())
    }

    /// A step on channel `id` failed: a channel error ends that channel and recovery goes on;
    /// anything else ends the attempt.
    fn step_failed_on(&mut self, id: u16, e: StepError) -> std::result::Result<(), StepError> {
        match e {
            StepError::Channel(err) => {
                tracing::warn!(channel = id, error = %err, "channel could not be recovered");
                self.shared.emit(ConnectionEvent::TopologyRecoveryFailed {
                    what: format!("channel {id}"),
                    error: err.clone(),
                });
                self.remove_channel(id, err);
                Ok(())
            }
            other => Err(other),
        }
    }

    async fn reopen_channel(&mut self, id: u16) -> std::result::Result<(), StepError> {
        let opened = match self.link.as_mut() {
            Some(link) => link.proto.open_channel_numbered(id),
            None => return Err(StepError::Link(Error::ConnectionClosedByClient)),
        };
        opened.map_err(StepError::Link)?;
        self.step(id, None).await?;
        let Some(entry) = self.channels.get(&id) else {
            return Ok(());
        };
        let (qos_global, qos, confirm, flow_paused) = (
            entry.qos_global,
            entry.qos,
            entry.shared.is_confirm_mode(),
            entry.flow_paused,
        );
        for (global, q) in [(true, qos_global), (false, qos)] {
            if let Some((prefetch_size, prefetch_count)) = q {
                let m = codec::BasicQos {
                    prefetch_size,
                    prefetch_count,
                    global,
                };
                self.step(id, Some(m.into())).await?;
            }
        }
        if confirm {
            self.step(id, Some(codec::ConfirmSelect { nowait: false }.into()))
                .await?;
        }
        if flow_paused {
            self.step(id, Some(codec::ChannelFlow { active: false }.into()))
                .await?;
        }
        Ok(())
    }

    /// Opens a channel of recovery's own, for declarations.
    async fn open_internal_channel(&mut self) -> std::result::Result<u16, StepError> {
        let id = match self.link.as_mut() {
            Some(link) => link.proto.open_channel().map_err(StepError::Link)?,
            None => return Err(StepError::Link(Error::ConnectionClosedByClient)),
        };
        let shared = Arc::new(ChannelShared::new(id, &self.options.limits));
        self.channels.insert(id, ChannelEntry::new(shared, true));
        self.step(id, None).await?;
        Ok(id)
    }

    async fn restore_topology(&mut self) -> std::result::Result<(), StepError> {
        let filter = self.options.recovery.clone();
        let mut ch = self.open_internal_channel().await?;
        for x in self.topology.exchanges() {
            if !filter.keeps(RecordedEntity::Exchange(&x)) {
                continue;
            }
            let m = codec::ExchangeDeclare {
                exchange: ShortString::truncating(&x.name),
                kind: ShortString::truncating(&x.kind),
                durable: x.durable,
                auto_delete: x.auto_delete,
                internal: x.internal,
                arguments: x.arguments.clone(),
                ..Default::default()
            };
            self.topology_step(&mut ch, format!("exchange '{}'", x.name), m.into())
                .await?;
        }
        for q in self.topology.queues() {
            if !filter.keeps(RecordedEntity::Queue(&q)) {
                continue;
            }
            let m = codec::QueueDeclare {
                queue: ShortString::truncating(if q.server_named { "" } else { &q.name }),
                durable: q.durable,
                exclusive: q.exclusive,
                auto_delete: q.auto_delete,
                arguments: q.arguments.clone(),
                ..Default::default()
            };
            let reply = self
                .topology_step(&mut ch, format!("queue '{}'", q.name), m.into())
                .await?;
            if let Some((Method::QueueDeclareOk(ok), _)) = reply {
                let new = ok.queue.as_str().into_owned();
                if new != q.name {
                    self.rename_queue(&q.name, &new);
                }
            }
        }
        for b in self.topology.bindings().to_vec() {
            if !filter.keeps(RecordedEntity::Binding(&b)) {
                continue;
            }
            let (what, m): (String, Method) = if b.exchange_to_exchange {
                (
                    format!("binding of exchange '{}' to '{}'", b.destination, b.source),
                    codec::ExchangeBind {
                        destination: ShortString::truncating(&b.destination),
                        source: ShortString::truncating(&b.source),
                        routing_key: ShortString::truncating(&b.routing_key),
                        arguments: b.arguments.clone(),
                        ..Default::default()
                    }
                    .into(),
                )
            } else {
                (
                    format!("binding of queue '{}' to '{}'", b.destination, b.source),
                    codec::QueueBind {
                        queue: ShortString::truncating(&b.destination),
                        exchange: ShortString::truncating(&b.source),
                        routing_key: ShortString::truncating(&b.routing_key),
                        arguments: b.arguments.clone(),
                        ..Default::default()
                    }
                    .into(),
                )
            };
            self.topology_step(&mut ch, what, m).await?;
        }
        let close = codec::ChannelClose {
            reply_code: 200,
            reply_text: ShortString::from_static("topology recovered"),
            class_id: 0,
            method_id: 0,
        };
        if let Some(entry) = self.channels.get_mut(&ch) {
            entry.closing = true;
        }
        match self.step(ch, Some(close.into())).await {
            Ok(_) | Err(StepError::Channel(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Runs one declaration on recovery's channel; a refusal is reported and skipped (on a
    /// fresh channel, since the broker closed the old one).
    async fn topology_step(
        &mut self,
        ch: &mut u16,
        what: String,
        method: Method,
    ) -> std::result::Result<Option<Reply>, StepError> {
        match self.step(*ch, Some(method)).await {
            Ok(reply) => Ok(Some(reply)),
            Err(StepError::Channel(error)) => {
                tracing::warn!(%what, %error, "could not recover");
                self.shared
                    .emit(ConnectionEvent::TopologyRecoveryFailed { what, error });
                *ch = self.open_internal_channel().await?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// A server-named queue came back as `new`: its bindings and consumers follow.
    fn rename_queue(&mut self, old: &str, new: &str) {
        tracing::info!(old, new, "server-named queue recovered under a new name");
        self.topology.rename_queue(old, new);
        for entry in self.channels.values_mut() {
            for c in entry.consumers.values_mut() {
                if c.queue == old {
                    c.queue = new.to_string();
                }
            }
        }
        self.shared.emit(ConnectionEvent::QueueRenamed {
            old: old.to_string(),
            new: new.to_string(),
        });
    }

    async fn restore_consumers(&mut self) -> std::result::Result<(), StepError> {
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        for id in ids {
            let Some(entry) = self.channels.get_mut(&id) else {
                continue;
            };
            let mut requests = Vec::new();
            let mut skipped = Vec::new();
            for (tag, c) in &entry.consumers {
                let tag_text = tag.as_str();
                let keep = self.options.recovery.keeps(RecordedEntity::Consumer {
                    channel: id,
                    tag: &tag_text,
                    queue: &c.queue,
                });
                if !keep {
                    skipped.push(tag.clone());
                    continue;
                }
                requests.push(Method::from(codec::BasicConsume {
                    queue: ShortString::truncating(&c.queue),
                    consumer_tag: tag.clone(),
                    no_local: c.no_local,
                    no_ack: c.no_ack,
                    exclusive: c.exclusive,
                    nowait: false,
                    arguments: c.arguments.clone(),
                    ..Default::default()
                }));
            }
            for tag in skipped {
                if let Some(c) = entry.consumers.remove(&tag) {
                    c.end(id, tag, ConsumerEnd::CancelledByApp);
                }
            }
            for m in requests {
                match self.step(id, Some(m)).await {
                    Ok(_) => {}
                    Err(e) => {
                        // The broker closed the channel (e.g. the queue is gone): its consumers
                        // end with that error; the other channels go on.
                        self.step_failed_on(id, e)?;
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends `method` on `channel` (or, with `None`, waits for the `channel.open` already
    /// queued) and runs the loop — without taking the application's commands — until the
    /// reply arrives.
    async fn step(
        &mut self,
        channel: u16,
        method: Option<Method>,
    ) -> std::result::Result<Reply, StepError> {
        let (tx, mut rx) = oneshot::channel();
        tracing::debug!(
            channel,
            method = method.as_ref().map_or("channel.open", |m| m.name()),
            "recovery step"
        );
        match method {
            None => match self.channels.get_mut(&channel) {
                Some(entry) => entry.pending.push_back(Pending::Internal(tx)),
                None => return Err(StepError::Channel(Error::ChannelClosedByClient)),
            },
            Some(m) => {
                self.send(channel, m, Some(Pending::Internal(tx)));
            }
        }
        loop {
            match rx.try_recv() {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(e @ (Error::ChannelClosed(_) | Error::ChannelClosedByClient))) => {
                    return Err(StepError::Channel(e))
                }
                Ok(Err(e @ (Error::MessageTooLarge { .. } | Error::BadContent(_)))) => {
                    return Err(StepError::Channel(e))
                }
                Ok(Err(e)) => return Err(StepError::Link(e)),
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StepError::Link(Error::ConnectionClosedByClient))
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            match self.turn(false).await {
                None => {}
                Some(Ok(())) => return Err(StepError::Closed),
                Some(Err(e)) => return Err(StepError::Link(e)),
            }
        }
    }

    // ---- the end -------------------------------------------------------------------------

    /// The connection is over for good: tell everyone.
    async fn finish(&mut self, result: Result<()>) {
        if let Some(link) = self.link.take() {
            link.finish().await;
        }
        self.tally.flush(&self.shared.metrics);
        let err = match &result {
            Ok(()) => Error::ConnectionClosedByClient,
            Err(e) => e.clone(),
        };
        match &result {
            Ok(()) => tracing::debug!("connection closed"),
            Err(e) => tracing::warn!(error = %e, "connection ended"),
        }
        let _ = self.shared.closed.set(err.clone());
        self.shared.recovering.store(false, Ordering::Release);
        self.shared.publish_permits.close();
        for p in self.connection_pending.drain(..) {
            p.fail(err.clone());
        }
        let open_channels = self
            .channels
            .values()
            .filter(|e| e.open && !e.internal)
            .count() as u64;
        for (_, entry) in std::mem::take(&mut self.channels) {
            entry.fail(err.clone(), ConsumerEnd::ConnectionClosed(err.clone()));
        }
        self.shared.metrics.record(|m| {
            for _ in 0..open_channels {
                m.channel_closed();
            }
            m.connection_closed();
        });
        let mut waiters: Vec<_> = self.closing.take().map(|c| c.waiters).unwrap_or_default();
        self.close_requests.close();
        while let Ok(request) = self.close_requests.try_recv() {
            waiters.push(request.reply);
        }
        // Whatever ended it, the connection is closed, which is what `close` asked for.
        for w in waiters {
            let _ = w.send(Ok(()));
        }
        self.shared.emit(ConnectionEvent::Closed(result.err()));
        // Fail commands that raced with the close.
        self.commands.close();
        while let Ok(cmd) = self.commands.try_recv() {
            cmd.fail(&err);
        }
    }
}

/// Answers a pending request with a reply that needs no special handling.
fn answer(p: Pending, reply: Result<Reply>) {
    match p {
        Pending::Reply { tx: Some(tx), .. } | Pending::Internal(tx) => drop(tx.send(reply)),
        Pending::Reply { tx: None, .. } => {}
        Pending::Open(tx) => drop(tx.send(Err(Error::ChannelClosedByClient))),
        Pending::Consume { tx, .. } => drop(tx.send(Err(Error::ChannelClosedByClient))),
    }
}

/// Whether the broker accepting `method` changes what recovery restores.
fn changes_recorded_state(method: &Method) -> bool {
    matches!(
        method,
        Method::ExchangeDeclare(_)
            | Method::ExchangeDelete(_)
            | Method::ExchangeBind(_)
            | Method::ExchangeUnbind(_)
            | Method::QueueDeclare(_)
            | Method::QueueDelete(_)
            | Method::QueueBind(_)
            | Method::QueueUnbind(_)
            | Method::BasicQos(_)
            | Method::ChannelFlow(_)
            | Method::ConfirmSelect(_)
    )
}

fn delivery_tag_of(method: &Method) -> u64 {
    match method {
        Method::BasicAck(m) => m.delivery_tag,
        Method::BasicNack(m) => m.delivery_tag,
        Method::BasicReject(m) => m.delivery_tag,
        _ => 0,
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
