//! One task per client connection: the handshake (start, SASL, tune, open), heartbeats,
//! channels, and the I/O loop that reads frames, takes deliveries from queues, and writes many
//! frames per vectored write.

mod channel;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use warren_core::codec::{
    self, ConnectionClose, ConnectionCloseOk, ConnectionOpenOk, ConnectionStart, ConnectionTune,
    DecodeError, FieldTable, FieldValue, Frame, LongString, Method, ReplyCode, ShortString,
};
use warren_core::proto::Outgoing;

use crate::auth::{LoginError, User};
use crate::broker::{BrokerState, OpenConnectionSlot};
use crate::error::{
    access_refused, channel_error, command_invalid, not_allowed, unexpected_frame, AmqpException,
    AmqpResult,
};
use crate::queue::SessionMessage;
use crate::vhost::VHost;
use channel::ChannelState;

/// Deliveries and writes handled before output is flushed.
const BATCH: usize = 256;
/// Stop reading from the client while this much output waits (a slow consumer must not make
/// the broker buffer without bound).
const WRITE_HIGH_WATER: usize = 8 * 1024 * 1024;
/// How long to wait for `close-ok` after sending `connection.close`.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// The 0-9 protocol header, which RabbitMQ serves as 0-9-1 (the framing is the same).
const PROTOCOL_HEADER_0_9: &[u8; 8] = b"AMQP\x01\x01\x00\x09";
/// RabbitMQ accepts frames this much above frame-max: clients often forget that frame-max
/// counts the 8 bytes of framing.
const FRAME_SIZE_FUDGE: u32 = 8;

/// Where the connection is in its lifecycle.
///
/// Errors are answered as RabbitMQ does: before `tune-ok` (`AwaitStartOk`, `AwaitTuneOk`) by
/// closing the socket without a word after [`BrokerConfig::silent_close_delay`] (only a
/// refused login may be told 403, see `handle_start_ok`); from `AwaitOpen` on with
/// `connection.close`.
///
/// [`BrokerConfig::silent_close_delay`]: crate::BrokerConfig::silent_close_delay
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `connection.start` sent; waiting for `start-ok`.
    AwaitStartOk,
    /// `tune` sent; waiting for `tune-ok`.
    AwaitTuneOk,
    /// Waiting for `connection.open`.
    AwaitOpen,
    /// Open for channels.
    Open,
    /// We sent `connection.close`; waiting for `close-ok` (or the timeout).
    Closing,
    /// Done: flush what is queued and end.
    Finished,
}

impl Phase {
    /// RabbitMQ's name for the state, as in "unexpected method in connection state running".
    fn rabbitmq_name(self) -> &'static str {
        match self {
            Phase::AwaitStartOk => "starting",
            Phase::AwaitTuneOk => "tuning",
            Phase::AwaitOpen => "opening",
            Phase::Open => "running",
            Phase::Closing => "closing",
            Phase::Finished => "closed",
        }
    }

    /// Before `connection.open` succeeded.
    fn is_handshake(self) -> bool {
        matches!(
            self,
            Phase::AwaitStartOk | Phase::AwaitTuneOk | Phase::AwaitOpen
        )
    }
}

/// Serves one client connection until it closes.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<BrokerState>,
    shutdown: watch::Receiver<bool>,
) {
    state.connections.fetch_add(1, Ordering::AcqRel);
    let id = state.next_connection_id();
    let mut session = Session::new(id, peer, state.clone());
    if let Err(e) = session.run(stream, shutdown).await {
        tracing::debug!(connection = id, %peer, "connection ended: {e}");
    }
    session.cleanup();
    state.connections.fetch_sub(1, Ordering::AcqRel);
}

/// Waits until the message log has synced a batch after `seen`; `None` once the log is gone.
async fn wait_for_sync(log: &mut Option<watch::Receiver<u64>>, seen: u64) -> Option<u64> {
    let rx = log.as_mut()?;
    rx.wait_for(|&b| b > seen).await.ok().map(|b| *b)
}

/// The next close request from the admin API; never resolves before `connection.open`.
async fn next_close_request(
    requests: &mut Option<mpsc::UnboundedReceiver<String>>,
) -> Option<String> {
    match requests {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The broker side of one connection.
pub(crate) struct Session {
    /// Unique per broker run; owns exclusive queues and consumers.
    id: u64,
    /// The client's address (logs, the loopback rule, the registry).
    peer: SocketAddr,
    /// What every connection shares: config, users, vhosts, logs, alarms, registry.
    state: Arc<BrokerState>,
    /// Where the handshake is, or open, closing, finished.
    phase: Phase,
    /// The authenticated user, after `start-ok`.
    user: Option<User>,
    /// The client's capabilities table (e.g. `authentication_failure_close`).
    client_capabilities: FieldTable,
    /// The vhost, after `connection.open`.
    vhost: Option<Arc<VHost>>,
    /// Negotiated at `tune-ok` (AMQP's minimum before).
    frame_max: u32,
    /// Negotiated at `tune-ok`: how many channels may be open at once (0: no limit).
    channel_max: u16,
    /// Negotiated heartbeat interval in seconds (0: none).
    heartbeat: u16,
    /// Open (and closing) channels by number.
    channels: crate::FastMap<u16, ChannelState>,
    /// Frames to write.
    out: Outgoing,
    /// Senders handed to consumers, so queues can deliver to this connection.
    inbox_tx: mpsc::UnboundedSender<SessionMessage>,
    /// The message log's last synced batch, when the broker has a log: publishes waiting for
    /// a batch are confirmed once it is on disk.
    log_synced: Option<watch::Receiver<u64>>,
    /// The highest batch a channel of this connection waits for.
    log_awaited: u64,
    /// The last synced batch this connection confirmed up to.
    log_seen: u64,
    /// Scratch buffer for routing results.
    route_buf: Vec<Arc<crate::queue::Queue>>,
    /// The exchange last published to, with write permission checked (see `publish_exchange`).
    publish_cache: Option<(ShortString, Arc<crate::routing::Exchange>)>,
    /// The queue last reached through the default exchange.
    default_route_cache: Option<Arc<crate::queue::Queue>>,
    /// When anything last arrived: a silent peer is closed after two heartbeat intervals.
    last_received: Instant,
    /// When anything was last written: a heartbeat is sent when the link was quiet.
    last_sent: Instant,
    /// When `connection.close` was sent.
    closing_since: Option<Instant>,
    /// The input can no longer be parsed (a frame error): everything read is dropped until the
    /// peer closes or the close timeout ends the connection.
    input_broken: bool,
    /// A connection refused silently is held until then before its socket is closed.
    linger_until: Option<Instant>,
    /// This connection's entry in the broker's registry (listing, admin close), from
    /// `connection.open` on.
    registration: Option<crate::broker::Registration>,
    /// Close requests from the admin API, from `connection.open` on.
    close_requests: Option<mpsc::UnboundedReceiver<String>>,
    /// The client's `connection_name` property, for the registry.
    client_name: Option<String>,
    /// This connection's place under `max_connections`, from `connection.open` on.
    open_slot: Option<OpenConnectionSlot>,
    /// Flow control: it published while a resource alarm was set, so it is not read from
    /// (deliveries go on) until the alarm clears.
    blocked: bool,
    /// `connection.blocked` was sent and `connection.unblocked` is owed.
    blocked_sent: bool,
}

impl Session {
    fn new(id: u64, peer: SocketAddr, state: Arc<BrokerState>) -> Session {
        let (inbox_tx, _) = mpsc::unbounded_channel();
        let now = Instant::now();
        Session {
            id,
            peer,
            // Until tune-ok, frames are limited to AMQP's minimum frame size, as in RabbitMQ:
            // an unauthenticated peer cannot make the broker buffer large frames.
            frame_max: u32::from(codec::FRAME_MIN_SIZE),
            channel_max: state.config.channel_max,
            heartbeat: 0,
            state,
            phase: Phase::AwaitStartOk,
            user: None,
            client_capabilities: FieldTable::new(),
            vhost: None,
            channels: crate::FastMap::default(),
            out: Outgoing::default(),
            inbox_tx,
            log_synced: None,
            log_awaited: 0,
            log_seen: 0,
            route_buf: Vec::new(),
            publish_cache: None,
            default_route_cache: None,
            last_received: now,
            last_sent: now,
            closing_since: None,
            input_broken: false,
            linger_until: None,
            open_slot: None,
            registration: None,
            close_requests: None,
            client_name: None,
            blocked: false,
            blocked_sent: false,
        }
    }

    async fn run(
        &mut self,
        stream: TcpStream,
        mut shutdown: watch::Receiver<bool>,
    ) -> std::io::Result<()> {
        let (mut reader, mut writer) = stream.into_split();
        // The whole handshake, protocol header included, within the handshake timeout (from
        // the TCP accept, as in RabbitMQ); a client that is too slow is closed without a word.
        let handshake_deadline = Instant::now() + self.state.config.handshake_timeout;
        let mut header = [0u8; 8];
        match tokio::time::timeout_at(handshake_deadline, reader.read_exact(&mut header)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                tracing::debug!(connection = self.id, peer = %self.peer, "no protocol header within the handshake timeout");
                return Ok(());
            }
        }
        if &header != codec::PROTOCOL_HEADER && &header != PROTOCOL_HEADER_0_9 {
            // RabbitMQ answers any other header (AMQP 1.0, 0-10, HTTP...) with the one it
            // speaks, then closes.
            tracing::debug!(connection = self.id, peer = %self.peer, ?header, "unsupported protocol header");
            writer.write_all(codec::PROTOCOL_HEADER).await?;
            let _ = writer.shutdown().await;
            return Ok(());
        }
        let mut alarms = self.state.resources.subscribe();
        let (inbox_tx, mut inbox) = mpsc::unbounded_channel();
        self.inbox_tx = inbox_tx;
        self.log_synced = self.state.message_store.as_ref().map(|s| s.synced());
        self.send_start();

        let mut read_buf = BytesMut::with_capacity(128 * 1024);
        let mut write_queue: VecDeque<Bytes> = VecDeque::new();
        let mut chunks = Vec::new();
        loop {
            if !self.out.is_empty() {
                self.last_sent = Instant::now();
                self.out.drain_into(&mut chunks);
                write_queue.extend(chunks.drain(..));
            }
            if self.phase == Phase::Finished && write_queue.is_empty() {
                if let Some(until) = self.linger_until.take() {
                    // Refused silently: hold the socket (reading nothing) for a while.
                    tokio::select! {
                        _ = tokio::time::sleep_until(until) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                let _ = writer.shutdown().await;
                return Ok(());
            }
            let queued: usize = write_queue.iter().map(Bytes::len).sum();
            let reading =
                self.phase != Phase::Finished && queued < WRITE_HIGH_WATER && !self.paused();
            let timer = self.next_timer(handshake_deadline);
            // Decoded frames share the read buffer; keep room for a large read so a full buffer
            // is not refilled 64 bytes at a time.
            if read_buf.capacity() - read_buf.len() < 16 * 1024 {
                read_buf.reserve(128 * 1024);
            }
            tokio::select! {
                biased;
                read = reader.read_buf(&mut read_buf), if reading => {
                    match read {
                        Ok(0) => {
                            self.phase = Phase::Finished;
                            write_queue.clear();
                        }
                        Ok(_) => {
                            self.last_received = Instant::now();
                            self.handle_input(&mut read_buf);
                        }
                        Err(e) => return Err(e),
                    }
                }
                written = warren_core::client::io::write_some(&mut writer, &write_queue), if !write_queue.is_empty() => {
                    match written {
                        Ok(n) => warren_core::client::io::advance(&mut write_queue, n),
                        Err(e) => return Err(e),
                    }
                }
                // Not while the client lags behind its output: deliveries then wait in their
                // queues (see ConsumerHandle::unsent), not here.
                msg = inbox.recv(), if (self.phase == Phase::Open || self.phase == Phase::Closing) && queued < WRITE_HIGH_WATER => {
                    if let Some(msg) = msg {
                        self.handle_session_message(msg);
                        for _ in 0..BATCH {
                            match inbox.try_recv() {
                                Ok(msg) => self.handle_session_message(msg),
                                Err(_) => break,
                            }
                        }
                    }
                }
                // As deliveries: only while the client keeps up with its output.
                synced = wait_for_sync(&mut self.log_synced, self.log_seen), if self.log_awaited > self.log_seen && (self.phase == Phase::Open || self.phase == Phase::Closing) && queued < WRITE_HIGH_WATER => {
                    match synced {
                        Some(batch) => {
                            self.log_seen = batch;
                            self.confirm_durable(batch);
                        }
                        // The log is closed (broker shutdown): nothing more will be confirmed.
                        None => {
                            self.log_synced = None;
                            self.log_awaited = self.log_seen;
                        }
                    }
                }
                changed = alarms.changed(), if self.paused() => {
                    if changed.is_err() || !alarms.borrow_and_update().any() {
                        self.unblock();
                        // Frames read before the connection was blocked come first.
                        self.handle_input(&mut read_buf);
                    }
                }
                Some(reason) = next_close_request(&mut self.close_requests) => {
                    self.close_connection(AmqpException::new(ReplyCode::ConnectionForced, reason));
                }
                _ = tokio::time::sleep_until(timer) => self.handle_timer(handshake_deadline),
                _ = shutdown.changed() => {
                    self.close_connection(AmqpException::new(
                        ReplyCode::ConnectionForced,
                        "broker forced connection closure with reason 'shutdown'",
                    ));
                }
            }
        }
    }

    /// The next instant something must happen: heartbeat send or check, handshake or close
    /// timeout.
    fn next_timer(&self, handshake_deadline: Instant) -> Instant {
        let far = Instant::now() + Duration::from_secs(3600);
        let mut t = far;
        if self.phase.is_handshake() {
            t = t.min(handshake_deadline);
        }
        if let Some(since) = self.closing_since {
            t = t.min(since + CLOSE_TIMEOUT);
        }
        if self.heartbeat > 0 {
            let hb = Duration::from_secs(u64::from(self.heartbeat));
            t = t.min(self.last_sent + hb / 2);
            if !self.paused() {
                t = t.min(self.last_received + hb * 2);
            }
        }
        t
    }

    /// Blocked by flow control: not read from, and (as in RabbitMQ) not timed out for missed
    /// heartbeats, while heartbeats and deliveries to it go on. A connection that is closing
    /// is read again, for its `close-ok`.
    fn paused(&self) -> bool {
        self.blocked && self.phase == Phase::Open
    }

    /// After a publish: blocks the connection if a resource alarm is set, telling the client
    /// (once) if it announced the `connection.blocked` capability. True if blocked.
    fn maybe_block(&mut self) -> bool {
        if self.phase != Phase::Open {
            return false;
        }
        let alarms = self.state.resources.alarms();
        if !alarms.any() {
            return false;
        }
        if !self.blocked {
            self.blocked = true;
            tracing::debug!(connection = self.id, peer = %self.peer, reason = alarms.reason(), "blocking publisher");
            if self.client_announced("connection.blocked") && !self.blocked_sent {
                self.blocked_sent = true;
                let blocked = codec::ConnectionBlocked {
                    reason: ShortString::from_static(alarms.reason()),
                };
                self.out.push_method(0, &blocked.into());
            }
        }
        true
    }

    /// Whether the client announced `capability` in `start-ok`: RabbitMQ counts only a
    /// boolean true.
    fn client_announced(&self, capability: &str) -> bool {
        self.client_capabilities
            .get(capability)
            .and_then(FieldValue::as_bool)
            == Some(true)
    }

    /// The alarms cleared: read again, and tell the client if it was told it was blocked.
    fn unblock(&mut self) {
        self.blocked = false;
        // The heartbeat monitor starts afresh, as RabbitMQ's resume_monitor.
        self.last_received = Instant::now();
        tracing::debug!(connection = self.id, peer = %self.peer, "unblocking publisher");
        if std::mem::take(&mut self.blocked_sent) {
            self.out
                .push_method(0, &codec::ConnectionUnblocked {}.into());
        }
    }

    fn handle_timer(&mut self, handshake_deadline: Instant) {
        let now = Instant::now();
        if self.phase.is_handshake() && now >= handshake_deadline {
            tracing::info!(connection = self.id, peer = %self.peer, state = self.phase.rabbitmq_name(), "closing connection: handshake timeout");
            self.phase = Phase::Finished;
            return;
        }
        if let Some(since) = self.closing_since {
            if now >= since + CLOSE_TIMEOUT {
                self.phase = Phase::Finished;
                return;
            }
        }
        if self.heartbeat > 0 {
            let hb = Duration::from_secs(u64::from(self.heartbeat));
            if !self.paused() && now >= self.last_received + hb * 2 {
                tracing::info!(connection = self.id, peer = %self.peer, "missed heartbeats from client, timeout: {}s", self.heartbeat);
                self.phase = Phase::Finished;
                return;
            }
            if now >= self.last_sent + hb / 2 {
                self.out.push_heartbeat();
            }
        }
    }

    fn handle_input(&mut self, buf: &mut BytesMut) {
        let limit = match self.frame_max {
            0 => 0,
            max => max.saturating_add(FRAME_SIZE_FUDGE),
        };
        loop {
            if self.phase == Phase::Finished || self.input_broken {
                buf.clear();
                return;
            }
            if self.paused() {
                // Flow control: the rest waits in the buffer until the alarm clears.
                return;
            }
            // The method a frame carries, for the error if its arguments cannot be decoded.
            let method_ids = (buf.len() >= codec::FRAME_HEADER_SIZE + 4
                && buf[0] == codec::FRAME_METHOD)
                .then(|| {
                    let at = codec::FRAME_HEADER_SIZE;
                    (
                        u16::from_be_bytes([buf[at], buf[at + 1]]),
                        u16::from_be_bytes([buf[at + 2], buf[at + 3]]),
                    )
                });
            match codec::decode_frame(buf, limit) {
                Ok(Some(frame)) => {
                    // As RabbitMQ: a connection is blocked when it sends a method that carries
                    // content while an alarm is set; connections that only consume are not.
                    let publish = matches!(frame, Frame::Method(_, Method::BasicPublish(_)));
                    if let Err(e) = self.handle_frame(frame) {
                        self.fail(e);
                    }
                    if publish {
                        self.maybe_block();
                    }
                }
                Ok(None) => return,
                Err(DecodeError::Properties(bad)) => {
                    // A whole header frame: only its message is bad, and that shows when the
                    // message is complete (see `finish_publish`).
                    if let Err(e) = self.handle_undecodable_header(*bad) {
                        self.fail(e);
                    }
                }
                Err(e) if e.is_in_field_table() && self.phase == Phase::Open => {
                    // RabbitMQ decodes method arguments in its reader process, which has no
                    // clause for an unknown type letter or an entry running past its table:
                    // it crashes, and the client sees the socket closed at once, without a
                    // `connection.close` (3.10.8; during the handshake it is the silent close
                    // of `fail`). Everything the connection held is released as on any close.
                    let (class_id, method_id) = method_ids.unwrap_or_default();
                    tracing::warn!(connection = self.id, peer = %self.peer, "closing connection: cannot decode the arguments of method {class_id}/{method_id}: {e}");
                    self.phase = Phase::Finished;
                    buf.clear();
                    return;
                }
                Err(e) => {
                    // After a framing error the next frame boundary is unknown: RabbitMQ
                    // stops reading and closes the socket a little later. A method whose
                    // arguments are malformed was consumed whole; the stream is still in step.
                    let framing = matches!(
                        e,
                        DecodeError::UnknownFrameType(_)
                            | DecodeError::BadFrameEnd(_)
                            | DecodeError::FrameTooLarge { .. }
                    );
                    let mut exc = AmqpException::new(e.reply_code(), e.to_string());
                    if !framing {
                        if let Some((class_id, method_id)) = method_ids {
                            exc = AmqpException::new(
                                e.reply_code(),
                                format!("cannot decode method {class_id}/{method_id}: {e}"),
                            )
                            .caused_by(class_id, method_id);
                        }
                    }
                    self.fail(exc);
                    if framing {
                        self.input_broken = true;
                        buf.clear();
                        return;
                    }
                }
            }
        }
    }

    /// Answers an error as RabbitMQ does in the current phase: silently before `tune-ok`,
    /// with `connection.close` after.
    fn fail(&mut self, e: AmqpException) {
        match self.phase {
            Phase::AwaitStartOk | Phase::AwaitTuneOk => self.refuse_silently(&e.text),
            _ => self.close_connection(e),
        }
    }

    /// Ends the connection without telling the client why, after the silent-close delay (which
    /// slows down guessing passwords or probing the handshake).
    pub(crate) fn refuse_silently(&mut self, why: &str) {
        if self.phase == Phase::Finished {
            return;
        }
        tracing::info!(connection = self.id, peer = %self.peer, state = self.phase.rabbitmq_name(), "closing connection during the handshake: {why}");
        self.phase = Phase::Finished;
        self.linger_until = Some(Instant::now() + self.state.config.silent_close_delay);
    }

    /// Sends `connection.close` (once) and stops handling anything but `close`/`close-ok`.
    fn close_connection(&mut self, e: AmqpException) {
        if matches!(self.phase, Phase::Closing | Phase::Finished) {
            return;
        }
        tracing::info!(connection = self.id, peer = %self.peer, code = e.code as u16, "closing connection: {}", e.text);
        let close = ConnectionClose {
            reply_code: e.code as u16,
            reply_text: ShortString::truncating(&e.text),
            class_id: e.class_id,
            method_id: e.method_id,
        };
        self.out.push_method(0, &close.into());
        self.phase = Phase::Closing;
        self.closing_since = Some(Instant::now());
    }

    fn handle_frame(&mut self, frame: Frame) -> AmqpResult {
        match frame {
            Frame::Heartbeat(0) => Ok(()),
            Frame::Method(0, method) => self.handle_connection_method(method),
            _ if self.phase == Phase::Closing => Ok(()),
            Frame::Heartbeat(ch) => {
                Err(unexpected_frame(format!("heartbeat frame on channel {ch}")))
            }
            Frame::Header(0, _) | Frame::Body(0, _) => {
                Err(unexpected_frame("content frame on channel 0"))
            }
            _ if self.phase != Phase::Open => Err(unexpected_frame(format!(
                "frame on channel {} before connection.open",
                frame.channel()
            ))),
            Frame::Method(ch, method) => self.handle_channel_method(ch, method),
            Frame::Header(ch, header) => self.handle_content_header(ch, *header, None),
            Frame::Body(ch, body) => self.handle_content_body(ch, body),
        }
    }

    fn handle_connection_method(&mut self, method: Method) -> AmqpResult {
        let (class_id, method_id) = (method.class_id(), method.method_id());
        // As in RabbitMQ, an error raised by a method on channel 0 names that method.
        self.connection_method(method)
            .map_err(|e| e.caused_by(class_id, method_id))
    }

    fn connection_method(&mut self, method: Method) -> AmqpResult {
        match (self.phase, method) {
            (Phase::Closing, Method::ConnectionCloseOk(_)) => {
                self.phase = Phase::Finished;
                Ok(())
            }
            (Phase::Closing, Method::ConnectionClose(_)) => {
                self.out.push_method(0, &ConnectionCloseOk {}.into());
                self.phase = Phase::Finished;
                Ok(())
            }
            (Phase::Closing, _) => Ok(()),
            // Only an open connection is closed by agreement; during the handshake RabbitMQ
            // treats close as any other unexpected method.
            (Phase::Open, Method::ConnectionClose(_)) => {
                self.out.push_method(0, &ConnectionCloseOk {}.into());
                self.phase = Phase::Finished;
                Ok(())
            }
            (Phase::AwaitStartOk, Method::ConnectionStartOk(ok)) => self.handle_start_ok(ok),
            (Phase::AwaitTuneOk, Method::ConnectionTuneOk(ok)) => {
                let config = &self.state.config;
                negotiated(
                    "frame_max",
                    ok.frame_max.into(),
                    codec::FRAME_MIN_SIZE.into(),
                    config.frame_max.into(),
                )?;
                negotiated(
                    "channel_max",
                    ok.channel_max.into(),
                    1,
                    config.channel_max.into(),
                )?;
                self.frame_max = ok.frame_max;
                self.channel_max = ok.channel_max;
                self.heartbeat = ok.heartbeat;
                self.phase = Phase::AwaitOpen;
                Ok(())
            }
            (Phase::AwaitOpen, Method::ConnectionOpen(open)) => self.handle_open(open),
            (Phase::Open, Method::ConnectionUpdateSecret(_)) => {
                self.out
                    .push_method(0, &codec::ConnectionUpdateSecretOk {}.into());
                Ok(())
            }
            (phase, method) => Err(channel_error(format!(
                "unexpected method in connection state {} ({})",
                phase.rabbitmq_name(),
                method.name()
            ))),
        }
    }

    fn send_start(&mut self) {
        let mut caps = FieldTable::new();
        for cap in [
            "publisher_confirms",
            "exchange_exchange_bindings",
            "basic.nack",
            "consumer_cancel_notify",
            "connection.blocked",
            "consumer_priorities",
            "authentication_failure_close",
            "per_consumer_qos",
            "direct_reply_to",
        ] {
            caps.insert_key(ShortString::from_static(cap), FieldValue::Boolean(true));
        }
        let mut props = FieldTable::new();
        props.insert_key(
            ShortString::from_static("capabilities"),
            FieldValue::Table(caps),
        );
        for (k, v) in [
            ("product", "Warren"),
            ("version", env!("CARGO_PKG_VERSION")),
            ("platform", "Rust"),
            ("cluster_name", "warren@localhost"),
            ("copyright", "Warren contributors"),
            ("information", "Warren reference AMQP 0-9-1 broker"),
        ] {
            props.insert_key(ShortString::from_static(k), v.into());
        }
        let start = ConnectionStart {
            version_major: codec::PROTOCOL_MAJOR,
            version_minor: codec::PROTOCOL_MINOR,
            server_properties: props,
            mechanisms: LongString::from(crate::auth::MECHANISMS),
            locales: LongString::from("en_US"),
        };
        self.out.push_method(0, &start.into());
    }

    fn handle_start_ok(&mut self, ok: codec::ConnectionStartOk) -> AmqpResult {
        if let Some(FieldValue::LongString(name)) = ok.client_properties.get("connection_name") {
            self.client_name = Some(String::from_utf8_lossy(name.as_bytes()).into_owned());
        }
        if let Some(FieldValue::Table(caps)) = ok.client_properties.get("capabilities") {
            self.client_capabilities = caps.clone();
        }
        let mechanism = ok.mechanism.as_str().into_owned();
        let login =
            self.state
                .users
                .read()
                .login(&mechanism, ok.response.as_bytes(), self.peer.ip());
        let user = match login {
            Ok(user) => user,
            Err(e @ LoginError::UnknownMechanism(_)) => {
                return Err(command_invalid(e.client_text()))
            }
            Err(e) => {
                tracing::warn!(connection = self.id, peer = %self.peer, "{e}");
                let announced = self.client_announced("authentication_failure_close");
                if announced && matches!(e, LoginError::Refused { .. }) {
                    // 403 with a text that does not say which check failed; the client is
                    // expected to answer close-ok.
                    self.close_connection(access_refused(e.client_text()));
                } else {
                    // RabbitMQ closes the socket without a word, after a delay that slows
                    // password guessing.
                    self.refuse_silently("login refused");
                }
                return Ok(());
            }
        };
        let user = Some(user);
        self.user = user;
        let tune = ConnectionTune {
            channel_max: self.state.config.channel_max,
            frame_max: self.state.config.frame_max,
            heartbeat: self.state.config.heartbeat,
        };
        self.out.push_method(0, &tune.into());
        self.phase = Phase::AwaitTuneOk;
        Ok(())
    }

    fn handle_open(&mut self, open: codec::ConnectionOpen) -> AmqpResult {
        let name = open.virtual_host.as_str().into_owned();
        let user = self
            .user
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let Some(vhost) = self.state.vhost(&name) else {
            return Err(not_allowed(format!("vhost {name} not found")));
        };
        if !self
            .user
            .as_ref()
            .is_some_and(|u| u.permissions.contains_key(&name))
        {
            return Err(not_allowed(format!(
                "access to vhost '{name}' refused for user '{user}'"
            )));
        }
        let Some(slot) = self.state.open_connection_slot() else {
            // As RabbitMQ's node-wide `connection_max` (checked at connection.open since 3.11).
            return Err(not_allowed(format!(
                "connection refused: node connection limit ({}) is reached",
                self.state.config.max_connections
            )));
        };
        self.open_slot = Some(slot);
        let (registration, close_requests) =
            self.state.registry.register(crate::broker::ConnectionInfo {
                id: self.id,
                peer: self.peer,
                user: user.clone(),
                vhost: name.clone(),
                client_name: self.client_name.clone(),
                channels: 0,
                opened_at: std::time::SystemTime::now(),
            });
        self.registration = Some(registration);
        self.close_requests = Some(close_requests);
        self.vhost = Some(vhost);
        self.phase = Phase::Open;
        self.out.push_method(0, &ConnectionOpenOk::default().into());
        tracing::debug!(connection = self.id, peer = %self.peer, %user, vhost = %name, "connection open");
        Ok(())
    }

    /// A content header whose properties could not be decoded: checked as any header frame
    /// is (by `handle_frame` for the connection's phase and channel 0, then as content of the
    /// channel's publish), with the properties' failure kept for `finish_publish`.
    fn handle_undecodable_header(&mut self, bad: codec::UndecodableProperties) -> AmqpResult {
        let codec::UndecodableProperties {
            channel,
            class_id,
            body_size,
            cause,
        } = bad;
        match channel {
            _ if self.phase == Phase::Closing => Ok(()),
            0 => Err(unexpected_frame("content frame on channel 0")),
            ch if self.phase != Phase::Open => Err(unexpected_frame(format!(
                "frame on channel {ch} before connection.open"
            ))),
            ch => {
                let header = codec::ContentHeader {
                    class_id,
                    body_size,
                    properties: codec::BasicProperties::default(),
                };
                self.handle_content_header(ch, header, Some(cause))
            }
        }
    }

    /// `undecodable`: why the header's properties could not be decoded (they are then empty).
    fn handle_content_header(
        &mut self,
        ch: u16,
        header: codec::ContentHeader,
        undecodable: Option<DecodeError>,
    ) -> AmqpResult {
        let max_size = self.state.config.max_message_size;
        let Some(state) = self.channels.get_mut(&ch) else {
            // RabbitMQ's channel starts out expecting a method.
            return Err(unexpected_frame(
                "expected method frame, got non method frame instead",
            ));
        };
        if state.closing {
            return Ok(());
        }
        let ready = state.content_header(header, max_size, undecodable);
        match ready {
            Ok(true) => self.finish_publish(ch),
            Ok(false) => Ok(()),
            Err(e) if e.is_hard() => Err(e),
            Err(e) => {
                self.channel_exception(ch, e);
                Ok(())
            }
        }
    }

    fn handle_content_body(&mut self, ch: u16, body: Bytes) -> AmqpResult {
        let Some(state) = self.channels.get_mut(&ch) else {
            return Err(unexpected_frame(
                "expected method frame, got non method frame instead",
            ));
        };
        if state.closing {
            return Ok(());
        }
        if state.content_body(body)? {
            self.finish_publish(ch)?;
        }
        Ok(())
    }

    /// Releases everything the connection held: consumers, unacked messages (requeued),
    /// exclusive queues.
    fn cleanup(&mut self) {
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        for ch in ids {
            self.release_channel(ch);
        }
        if let Some(vhost) = &self.vhost {
            vhost.remove_exclusive_queues(self.id);
        }
    }
}

/// Checks a `tune-ok` value as RabbitMQ does: not below `min` (0 means no limit), and within
/// the server's `max` (0 also not allowed when the server has a limit). RabbitMQ's words.
fn negotiated(field: &str, value: u64, min: u64, max: u64) -> AmqpResult {
    let detail = if value == 0 { " (no limit)" } else { "" };
    if value != 0 && value < min {
        return Err(not_allowed(format!(
            "negotiated {field} = {value}{detail} is lower than the minimum allowed value ({min})"
        )));
    }
    if max != 0 && (value == 0 || value > max) {
        return Err(not_allowed(format!(
            "negotiated {field} = {value}{detail} is higher than the maximum allowed value ({max})"
        )));
    }
    Ok(())
}

/// Used by the channel module for `unexpected frame` errors.
pub(crate) fn unexpected(text: impl AsRef<str>) -> AmqpException {
    unexpected_frame(text)
}
