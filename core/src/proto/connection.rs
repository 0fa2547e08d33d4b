//! The client side of an AMQP connection as a sans-IO state machine.

use std::collections::VecDeque;

// Looked up three times per delivered message: foldhash, not SipHash (the keys are channel
// numbers this connection chose).
use foldhash::{HashMap, HashMapExt};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::channel::{BodyParts, ChannelState, ChannelStatus, Content, PartialContent};
use super::outgoing::Outgoing;
use crate::codec::{
    self, BasicProperties, ChannelCloseOk, ChannelFlowOk, ChannelOpen, ConnectionClose,
    ConnectionCloseOk, ConnectionOpen, ConnectionSecureOk, ConnectionStartOk, ConnectionTuneOk,
    FieldTable, FieldValue, Frame, LongString, Method, ReplyCode, ShortString,
    UndecodableProperties,
};
use crate::error::{AmqpError, Error};

/// SASL mechanisms the client can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMechanism {
    /// `PLAIN`: `\0user\0password`.
    #[default]
    Plain,
    /// `AMQPLAIN`: a field table with `LOGIN` and `PASSWORD`.
    AmqPlain,
    /// `EXTERNAL`: identity from the TLS client certificate.
    External,
}

impl AuthMechanism {
    /// The mechanism's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            AuthMechanism::Plain => "PLAIN",
            AuthMechanism::AmqPlain => "AMQPLAIN",
            AuthMechanism::External => "EXTERNAL",
        }
    }

    /// Parses a mechanism name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "PLAIN" => Some(AuthMechanism::Plain),
            "AMQPLAIN" => Some(AuthMechanism::AmqPlain),
            "EXTERNAL" => Some(AuthMechanism::External),
            _ => None,
        }
    }
}

/// User name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            username: "guest".into(),
            password: "guest".into(),
        }
    }
}

/// What the client asks for during the handshake.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Credentials for PLAIN and AMQPLAIN.
    pub credentials: Credentials,
    /// The SASL mechanism.
    pub mechanism: AuthMechanism,
    /// Virtual host to open.
    pub vhost: String,
    /// Requested heartbeat interval in seconds (0 disables, if the broker agrees).
    pub heartbeat: u16,
    /// Requested maximum frame size (0: accept the broker's).
    pub frame_max: u32,
    /// Requested maximum channel number (0: accept the broker's).
    pub channel_max: u16,
    /// Shown in the broker's management UI.
    pub connection_name: Option<String>,
    /// Extra client properties sent in `start-ok`.
    pub client_properties: FieldTable,
    /// Locale sent in `start-ok`.
    pub locale: String,
    /// Largest incoming message body accepted: a content header announcing more closes its
    /// channel (reply code 311, [`Error::MessageTooLarge`]) before anything is allocated.
    /// RabbitMQ's `max_message_size` default, 128 MiB. 0: no limit.
    pub max_message_size: u64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            credentials: Credentials::default(),
            mechanism: AuthMechanism::Plain,
            vhost: "/".into(),
            heartbeat: 60,
            frame_max: 131_072,
            channel_max: 2047,
            connection_name: None,
            client_properties: FieldTable::new(),
            locale: "en_US".into(),
            max_message_size: 128 * 1024 * 1024,
        }
    }
}

/// Limits agreed during `connection.tune`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Highest channel number usable.
    pub channel_max: u16,
    /// Largest frame, header and end octet included (0: no limit).
    pub frame_max: u32,
    /// Heartbeat interval in seconds (0: none).
    pub heartbeat: u16,
}

/// Where the connection is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Protocol header sent; waiting for `connection.start`.
    AwaitingStart,
    /// `start-ok` sent; waiting for `secure` or `tune`.
    AwaitingTune,
    /// `open` sent; waiting for `open-ok`.
    AwaitingOpenOk,
    /// Ready for channels.
    Open,
    /// We sent `connection.close`; waiting for `close-ok`.
    Closing,
    /// Finished; nothing more is sent or accepted.
    Closed,
}

/// What the state machine tells the application.
#[derive(Debug, Clone)]
pub enum Event {
    /// The handshake finished; channels may be opened.
    Connected {
        /// The broker's `server-properties`.
        server_properties: FieldTable,
        /// The agreed limits.
        tuning: Tuning,
    },
    /// The broker stopped reading from publishers (`connection.blocked`).
    Blocked {
        /// Why, e.g. "low on memory".
        reason: String,
    },
    /// The broker reads from publishers again.
    Unblocked,
    /// The connection is over. `Ok` after a close we started; otherwise why it ended.
    Closed(Result<(), Error>),
    /// The reply to the oldest synchronous request on `channel` (0: the connection). `content`
    /// is present for `basic.get-ok`.
    Reply {
        /// Channel the reply arrived on.
        channel: u16,
        /// The reply.
        method: Method,
        /// Properties and body, for `basic.get-ok`.
        content: Option<Content>,
    },
    /// The broker closed a channel with a soft error; the `close-ok` has been queued.
    ChannelClosed {
        /// The channel.
        channel: u16,
        /// Why.
        error: AmqpError,
    },
    /// This client closed a channel because the broker sent content it refuses: a message
    /// larger than `max_message_size` (311, [`Error::MessageTooLarge`]) or whose properties
    /// cannot be decoded (406 naming the method that carried it, [`Error::BadContent`]). The
    /// `channel.close` has been queued; the channel's frames are discarded until its
    /// `close-ok`, which is not reported.
    ChannelFailed {
        /// The channel.
        channel: u16,
        /// The `channel.close` sent.
        close: AmqpError,
        /// The error for the channel's waiters.
        error: Error,
    },
    /// A message for a consumer.
    Delivery {
        /// The channel.
        channel: u16,
        /// Consumer tag, delivery tag, redelivered, exchange and routing key.
        deliver: codec::BasicDeliver,
        /// Properties and body (boxed: the properties are ~370 bytes and every event is moved
        /// through the event queue).
        content: Box<Content>,
    },
    /// A mandatory message the broker could not route.
    Return {
        /// The channel.
        channel: u16,
        /// Reply code and text, exchange and routing key.
        returned: codec::BasicReturn,
        /// Properties and body.
        content: Content,
    },
    /// A publisher confirm (`basic.ack` or `basic.nack` from the broker).
    Confirm {
        /// The channel.
        channel: u16,
        /// Sequence number confirmed.
        delivery_tag: u64,
        /// Whether every sequence number up to `delivery_tag` is confirmed.
        multiple: bool,
        /// `true` for ack, `false` for nack.
        ack: bool,
    },
    /// The broker cancelled a consumer (its queue was deleted, or it failed over).
    ConsumerCancelled {
        /// The channel.
        channel: u16,
        /// The consumer.
        consumer_tag: ShortString,
    },
    /// The broker asked to pause (`false`) or resume (`true`) publishing on a channel. The
    /// `flow-ok` has been queued.
    Flow {
        /// The channel.
        channel: u16,
        /// Whether publishing may continue.
        active: bool,
    },
}

/// The client end of one AMQP connection. See the [module docs](super) for the driving order.
#[derive(Debug)]
pub struct ClientConnection {
    /// What we asked for.
    config: ConnectionConfig,
    /// Lifecycle.
    status: ConnectionStatus,
    /// Bytes read from the socket and not yet decoded.
    read_buf: BytesMut,
    /// Frames to write.
    outgoing: Outgoing,
    /// Events not yet polled.
    events: VecDeque<Event>,
    /// Limits in force (the client's wishes until `tune` arrives).
    tuning: Tuning,
    /// Synchronous replies awaited on channel 0 (`connection.update-secret`).
    awaiting_connection: VecDeque<&'static [(u16, u16)]>,
    /// Open, opening and closing channels.
    channels: HashMap<u16, ChannelState>,
    /// Where the search for a free channel number starts.
    next_channel: u16,
    /// When we last received any byte: for missed-heartbeat detection.
    last_received: Instant,
    /// When we last sent a frame: heartbeats are only sent on an idle link.
    last_sent: Instant,
    /// Whether `connection.blocked` is in force.
    blocked: bool,
    /// `server-properties` from `connection.start`, reported with [`Event::Connected`].
    pending_server_properties: Option<FieldTable>,
    /// The driver stopped reading (the application is behind): missed heartbeats cannot be
    /// detected meanwhile, since the broker's frames wait unread in the socket.
    input_paused: bool,
}

impl ClientConnection {
    /// Starts a connection: the protocol header is queued for transmission.
    pub fn new(config: ConnectionConfig, now: Instant) -> Self {
        let mut outgoing = Outgoing::default();
        outgoing.push_raw(codec::PROTOCOL_HEADER);
        let tuning = Tuning {
            channel_max: config.channel_max,
            frame_max: config.frame_max,
            heartbeat: 0,
        };
        ClientConnection {
            config,
            status: ConnectionStatus::AwaitingStart,
            read_buf: BytesMut::with_capacity(64 * 1024),
            outgoing,
            events: VecDeque::new(),
            tuning,
            awaiting_connection: VecDeque::new(),
            channels: HashMap::new(),
            next_channel: 1,
            last_received: now,
            last_sent: now,
            blocked: false,
            pending_server_properties: None,
            input_paused: false,
        }
    }

    // ---- getters ----

    /// Lifecycle state.
    pub fn status(&self) -> ConnectionStatus {
        self.status
    }

    /// The limits in force.
    pub fn tuning(&self) -> Tuning {
        self.tuning
    }

    /// Whether the broker has blocked publishers.
    pub fn is_blocked(&self) -> bool {
        self.blocked
    }

    /// A channel's lifecycle state, if it exists.
    pub fn channel_status(&self, channel: u16) -> Option<ChannelStatus> {
        self.channels.get(&channel).map(|c| c.status)
    }

    /// Whether the broker allows publishing on `channel` (`channel.flow`).
    pub fn channel_flow_active(&self, channel: u16) -> bool {
        self.channels.get(&channel).is_some_and(|c| c.flow_active)
    }

    /// Bytes queued for transmission.
    pub fn pending_transmit(&self) -> usize {
        self.outgoing.len()
    }

    // ---- input ----

    /// The buffer the driver reads socket bytes into before calling [`Self::handle_input`].
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        &mut self.read_buf
    }

    /// Copies `data` into the read buffer and processes it.
    pub fn handle_bytes(&mut self, data: &[u8], now: Instant) {
        self.read_buf.extend_from_slice(data);
        self.handle_input(now);
    }

    /// Decodes and handles every complete frame in the read buffer.
    pub fn handle_input(&mut self, now: Instant) {
        let mut buf = std::mem::take(&mut self.read_buf);
        self.handle_read(&mut buf, now);
        self.read_buf = buf;
    }

    /// Decodes and handles every complete frame in `buf`, a read buffer the driver owns;
    /// an incomplete frame is left in it for the next read.
    pub fn handle_read(&mut self, buf: &mut BytesMut, now: Instant) {
        if self.status == ConnectionStatus::Closed {
            buf.clear();
            return;
        }
        if !buf.is_empty() {
            self.last_received = now;
        }
        if self.status == ConnectionStatus::AwaitingStart && buf.starts_with(b"AMQP") {
            // The broker answers a protocol header it does not support with its own header.
            let got = buf.split().freeze();
            return self.fail(Error::Protocol(format!(
                "broker refused protocol version, answered {got:?}"
            )));
        }
        loop {
            match codec::decode_frame(buf, self.tuning.frame_max) {
                Ok(Some(frame)) => {
                    if let Err(e) = self.handle_frame(frame) {
                        return self.fail_with_close(e);
                    }
                    if self.status == ConnectionStatus::Closed {
                        buf.clear();
                        return;
                    }
                }
                Ok(None) => return,
                // Only that message's header is bad; its frame was whole and consumed.
                Err(codec::DecodeError::Properties(bad)) => {
                    if let Err(e) = self.handle_undecodable_header(*bad) {
                        return self.fail_with_close(e);
                    }
                }
                Err(e) => {
                    buf.clear();
                    let code = e.reply_code();
                    return self.fail_with_close((code, e.to_string()));
                }
            }
        }
    }

    /// Handles the socket reaching EOF or failing.
    pub fn handle_disconnect(&mut self, error: Option<std::io::Error>) {
        if self.status == ConnectionStatus::Closed {
            return;
        }
        let err = match error {
            Some(e) => Error::from(e),
            None if self.status == ConnectionStatus::AwaitingTune => Error::AuthenticationFailed(
                "broker closed the connection during authentication".into(),
            ),
            None => Error::Io(std::sync::Arc::new(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "broker closed the socket",
            ))),
        };
        self.fail(err);
    }

    /// When [`Self::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.status == ConnectionStatus::Closed {
            return None;
        }
        let hb = self.heartbeat_interval()?;
        let send = self.last_sent + hb / 2;
        if self.input_paused {
            return Some(send);
        }
        Some(send.min(self.last_received + hb * 2))
    }

    /// The driver stops (`true`) or resumes (`false`) reading the socket, e.g. because the
    /// application's delivery buffers are full. While input is paused, heartbeats are still
    /// sent but missed heartbeats are not detected (the broker's frames wait in the socket);
    /// on resume the broker gets a fresh two intervals.
    pub fn set_input_paused(&mut self, paused: bool, now: Instant) {
        if self.input_paused && !paused {
            self.last_received = now;
        }
        self.input_paused = paused;
    }

    /// Sends a heartbeat if the link has been idle for half the interval, and fails the
    /// connection if nothing was received for two intervals.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(hb) = self.heartbeat_interval() else {
            return;
        };
        if self.status == ConnectionStatus::Closed {
            return;
        }
        if !self.input_paused && now >= self.last_received + hb * 2 {
            return self.fail(Error::MissedHeartbeats);
        }
        if now >= self.last_sent + hb / 2 {
            self.outgoing.push_heartbeat();
        }
    }

    fn heartbeat_interval(&self) -> Option<Duration> {
        (self.tuning.heartbeat > 0).then(|| Duration::from_secs(u64::from(self.tuning.heartbeat)))
    }

    // ---- output ----

    /// Moves every queued frame into `out`; the driver writes them in order.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut Vec<Bytes>) {
        if !self.outgoing.is_empty() {
            self.last_sent = now;
            self.outgoing.drain_into(out);
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---- commands ----

    /// Opens a channel on the lowest free number; the `open-ok` arrives as an [`Event::Reply`].
    pub fn open_channel(&mut self) -> Result<u16, Error> {
        self.ensure_open()?;
        let max = if self.tuning.channel_max == 0 {
            u16::MAX
        } else {
            self.tuning.channel_max
        };
        for _ in 0..max {
            let id = self.next_channel;
            self.next_channel = if self.next_channel >= max {
                1
            } else {
                self.next_channel + 1
            };
            if let std::collections::hash_map::Entry::Vacant(v) = self.channels.entry(id) {
                let mut state = ChannelState::new();
                let open: Method = ChannelOpen::default().into();
                state.awaiting.push_back(open.info().replies);
                v.insert(state);
                self.outgoing.push_method(id, &open);
                return Ok(id);
            }
        }
        Err(Error::ChannelsExhausted(max))
    }

    /// Opens channel number `id` (recovery reopens channels on their old numbers).
    pub fn open_channel_numbered(&mut self, id: u16) -> Result<(), Error> {
        self.ensure_open()?;
        let max = if self.tuning.channel_max == 0 {
            u16::MAX
        } else {
            self.tuning.channel_max
        };
        if id == 0 || id > max {
            return Err(Error::ChannelsExhausted(max));
        }
        match self.channels.entry(id) {
            std::collections::hash_map::Entry::Occupied(_) => Err(Error::InvalidState(format!(
                "channel {id} is already in use"
            ))),
            std::collections::hash_map::Entry::Vacant(v) => {
                let mut state = ChannelState::new();
                let open: Method = ChannelOpen::default().into();
                state.awaiting.push_back(open.info().replies);
                v.insert(state);
                self.outgoing.push_method(id, &open);
                Ok(())
            }
        }
    }

    /// Sends a method on an open channel (or on channel 0 for connection methods such as
    /// `update-secret`). If it is synchronous and not `nowait`, its reply will arrive as an
    /// [`Event::Reply`]. `channel.close` puts the channel into [`ChannelStatus::Closing`].
    pub fn send_method(&mut self, channel: u16, method: Method) -> Result<(), Error> {
        self.ensure_open()?;
        let expects_reply = expects_reply(&method);
        let frame_max = self.tuning.frame_max;
        if channel == 0 {
            self.outgoing
                .push_method_within(0, &method, frame_max)
                .map_err(|size| too_large(&method, size, frame_max))?;
            if expects_reply {
                self.awaiting_connection.push_back(method.info().replies);
            }
            return Ok(());
        }
        let state = self
            .channels
            .get_mut(&channel)
            .ok_or(Error::ChannelClosedByClient)?;
        if state.status == ChannelStatus::Closing {
            return Err(Error::ChannelClosedByClient);
        }
        self.outgoing
            .push_method_within(channel, &method, frame_max)
            .map_err(|size| too_large(&method, size, frame_max))?;
        match &method {
            Method::ChannelClose(_) => state.status = ChannelStatus::Closing,
            Method::ConfirmSelect(_) if state.next_publish_seq.is_none() => {
                state.next_publish_seq = Some(1)
            }
            _ => {}
        }
        if expects_reply {
            state.awaiting.push_back(method.info().replies);
        }
        Ok(())
    }

    /// Publishes a message. Returns its confirm sequence number when the channel is in confirm
    /// mode. A content header larger than frame-max is refused without sending anything.
    pub fn publish(
        &mut self,
        channel: u16,
        publish: codec::BasicPublish,
        properties: &BasicProperties,
        body: &Bytes,
    ) -> Result<Option<u64>, Error> {
        self.ensure_open()?;
        let state = self
            .channels
            .get_mut(&channel)
            .ok_or(Error::ChannelClosedByClient)?;
        if state.status != ChannelStatus::Open {
            return Err(Error::ChannelClosedByClient);
        }
        let frame_max = self.tuning.frame_max;
        let mark = self.outgoing.mark();
        let method = Method::BasicPublish(publish);
        self.outgoing
            .push_method_within(channel, &method, frame_max)
            .map_err(|size| too_large(&method, size, frame_max))?;
        if let Err(size) = self
            .outgoing
            .push_content(channel, properties, body, frame_max)
        {
            self.outgoing.rollback(mark);
            return Err(Error::InvalidArgument(format!(
                "content header of {size} bytes exceeds frame-max {frame_max}; use fewer or smaller properties"
            )));
        }
        let seq = state.next_publish_seq;
        if let Some(s) = seq {
            state.next_publish_seq = Some(s + 1);
        }
        Ok(seq)
    }

    /// Starts closing the connection; [`Event::Closed`] follows the broker's `close-ok`.
    pub fn close(&mut self, reply_code: u16, reply_text: &str) {
        match self.status {
            ConnectionStatus::Closing | ConnectionStatus::Closed => {}
            ConnectionStatus::Open
            | ConnectionStatus::AwaitingOpenOk
            | ConnectionStatus::AwaitingTune => {
                self.send_close(reply_code, reply_text, 0, 0);
            }
            ConnectionStatus::AwaitingStart => {
                self.status = ConnectionStatus::Closed;
                self.events.push_back(Event::Closed(Ok(())));
            }
        }
    }

    fn ensure_open(&self) -> Result<(), Error> {
        match self.status {
            ConnectionStatus::Open => Ok(()),
            _ => Err(Error::ConnectionClosedByClient),
        }
    }

    fn send_close(&mut self, code: u16, text: &str, class_id: u16, method_id: u16) {
        let reply_text = ShortString::truncating(text);
        self.outgoing.push_method(
            0,
            &ConnectionClose {
                reply_code: code,
                reply_text,
                class_id,
                method_id,
            }
            .into(),
        );
        self.status = ConnectionStatus::Closing;
    }

    /// Ends the connection with `err` without a closing handshake.
    fn fail(&mut self, err: Error) {
        self.status = ConnectionStatus::Closed;
        self.channels.clear();
        self.events.push_back(Event::Closed(Err(err)));
    }

    /// The broker broke the protocol: tell it why with `connection.close`, then end.
    fn fail_with_close(&mut self, (code, text): (ReplyCode, String)) {
        if matches!(
            self.status,
            ConnectionStatus::Open
                | ConnectionStatus::AwaitingOpenOk
                | ConnectionStatus::AwaitingTune
        ) {
            self.send_close(code as u16, &text, 0, 0);
        }
        self.fail(Error::Protocol(format!(
            "{} {}: {text}",
            code as u16,
            code.name()
        )));
    }

    // ---- frame handling ----

    fn handle_frame(&mut self, frame: Frame) -> Result<(), (ReplyCode, String)> {
        match frame {
            Frame::Heartbeat(0) => Ok(()),
            Frame::Heartbeat(ch) => Err((
                ReplyCode::CommandInvalid,
                format!("heartbeat on channel {ch}"),
            )),
            Frame::Method(0, method) => self.handle_connection_method(method),
            Frame::Method(ch, method) => self.handle_channel_method(ch, method),
            Frame::Header(ch, header) => self.handle_header(ch, header),
            Frame::Body(ch, body) => self.handle_body(ch, body),
        }
    }

    fn handle_connection_method(&mut self, method: Method) -> Result<(), (ReplyCode, String)> {
        use ConnectionStatus::*;
        match (self.status, method) {
            (AwaitingStart, Method::ConnectionStart(start)) => {
                let offered = start.mechanisms.as_str().into_owned();
                let wanted = self.config.mechanism.name();
                if !offered.split_whitespace().any(|m| m == wanted) {
                    self.fail(Error::MechanismNotOffered {
                        wanted: wanted.into(),
                        offered,
                    });
                    return Ok(());
                }
                let start_ok = ConnectionStartOk {
                    client_properties: self.client_properties(),
                    mechanism: ShortString::from_static(wanted),
                    response: self.sasl_response(),
                    locale: ShortString::truncating(&self.config.locale),
                };
                self.outgoing.push_method(0, &start_ok.into());
                self.status = AwaitingTune;
                self.pending_server_properties = Some(start.server_properties);
                Ok(())
            }
            (AwaitingTune, Method::ConnectionSecure(_)) => {
                let ok = ConnectionSecureOk {
                    response: self.sasl_response(),
                };
                self.outgoing.push_method(0, &ok.into());
                Ok(())
            }
            (AwaitingTune, Method::ConnectionTune(tune)) => {
                let tuning = Tuning {
                    channel_max: negotiate(self.config.channel_max.into(), tune.channel_max.into())
                        as u16,
                    frame_max: negotiate(self.config.frame_max, tune.frame_max),
                    heartbeat: negotiate(self.config.heartbeat.into(), tune.heartbeat.into())
                        as u16,
                };
                self.tuning = tuning;
                let ok = ConnectionTuneOk {
                    channel_max: tuning.channel_max,
                    frame_max: tuning.frame_max,
                    heartbeat: tuning.heartbeat,
                };
                self.outgoing.push_method(0, &ok.into());
                let open = ConnectionOpen {
                    virtual_host: ShortString::truncating(&self.config.vhost),
                    ..Default::default()
                };
                self.outgoing.push_method(0, &open.into());
                self.status = AwaitingOpenOk;
                Ok(())
            }
            (AwaitingOpenOk, Method::ConnectionOpenOk(_)) => {
                self.status = Open;
                let server_properties = self.pending_server_properties.take().unwrap_or_default();
                self.events.push_back(Event::Connected {
                    server_properties,
                    tuning: self.tuning,
                });
                Ok(())
            }
            (_, Method::ConnectionClose(close)) => {
                if self.status != Closed {
                    self.outgoing.push_method(0, &ConnectionCloseOk {}.into());
                }
                let err = AmqpError {
                    reply_code: close.reply_code,
                    reply_text: close.reply_text.as_str().into_owned(),
                    class_id: close.class_id,
                    method_id: close.method_id,
                };
                let err = if matches!(self.status, AwaitingTune)
                    && close.reply_code == ReplyCode::AccessRefused as u16
                {
                    Error::AuthenticationFailed(err.reply_text)
                } else {
                    Error::ConnectionClosed(err)
                };
                self.fail(err);
                Ok(())
            }
            (Closing, Method::ConnectionCloseOk(_)) => {
                self.status = Closed;
                self.channels.clear();
                self.events.push_back(Event::Closed(Ok(())));
                Ok(())
            }
            (Closing, _) => Ok(()), // Everything but close/close-ok is dropped while closing.
            (Open, Method::ConnectionBlocked(b)) => {
                self.blocked = true;
                self.events.push_back(Event::Blocked {
                    reason: b.reason.as_str().into_owned(),
                });
                Ok(())
            }
            (Open, Method::ConnectionUnblocked(_)) => {
                self.blocked = false;
                self.events.push_back(Event::Unblocked);
                Ok(())
            }
            (Open, method) => {
                let id = (method.class_id(), method.method_id());
                match self.awaiting_connection.front() {
                    Some(replies) if replies.contains(&id) => {
                        self.awaiting_connection.pop_front();
                        self.events.push_back(Event::Reply {
                            channel: 0,
                            method,
                            content: None,
                        });
                        Ok(())
                    }
                    _ => Err((
                        ReplyCode::CommandInvalid,
                        format!("unexpected {} on channel 0", method.name()),
                    )),
                }
            }
            (_, method) => Err((
                ReplyCode::CommandInvalid,
                format!("unexpected {} during handshake", method.name()),
            )),
        }
    }

    fn handle_channel_method(
        &mut self,
        ch: u16,
        method: Method,
    ) -> Result<(), (ReplyCode, String)> {
        if self.status != ConnectionStatus::Open && self.status != ConnectionStatus::Closing {
            return Err((
                ReplyCode::ChannelError,
                format!("{} on channel {ch} before open", method.name()),
            ));
        }
        if self.status == ConnectionStatus::Closing {
            return Ok(());
        }
        let Some(state) = self.channels.get_mut(&ch) else {
            return Err((
                ReplyCode::ChannelError,
                format!("{} on unknown channel {ch}", method.name()),
            ));
        };
        if state.status == ChannelStatus::Closing {
            // After our `channel.close`, everything but close/close-ok is discarded, including
            // content the broker had in flight (its header and body frames are dropped too).
            state.content = None;
            let reported = !state.closed_on_error;
            match method {
                Method::ChannelCloseOk(_) => {
                    self.channels.remove(&ch);
                    if reported {
                        self.events.push_back(Event::Reply {
                            channel: ch,
                            method,
                            content: None,
                        });
                    }
                }
                Method::ChannelClose(_) => {
                    // Both sides closed at once: answer, and treat as our close completing.
                    self.outgoing.push_method(ch, &ChannelCloseOk {}.into());
                    self.channels.remove(&ch);
                    if reported {
                        self.events.push_back(Event::Reply {
                            channel: ch,
                            method: ChannelCloseOk {}.into(),
                            content: None,
                        });
                    }
                }
                _ => {}
            }
            return Ok(());
        }
        if state.content.is_some() {
            return Err((
                ReplyCode::UnexpectedFrame,
                format!(
                    "{} while content was expected on channel {ch}",
                    method.name()
                ),
            ));
        }
        match method {
            Method::BasicDeliver(_) | Method::BasicReturn(_) | Method::BasicGetOk(_) => {
                if let Method::BasicGetOk(_) = &method {
                    if !front_accepts(&state.awaiting, &method) {
                        return Err((
                            ReplyCode::UnexpectedFrame,
                            format!("unexpected basic.get-ok on channel {ch}"),
                        ));
                    }
                }
                state.content = Some(PartialContent {
                    method,
                    header: None,
                    body: BodyParts::Empty,
                });
                Ok(())
            }
            Method::BasicAck(a) => {
                self.events.push_back(Event::Confirm {
                    channel: ch,
                    delivery_tag: a.delivery_tag,
                    multiple: a.multiple,
                    ack: true,
                });
                Ok(())
            }
            Method::BasicNack(n) => {
                self.events.push_back(Event::Confirm {
                    channel: ch,
                    delivery_tag: n.delivery_tag,
                    multiple: n.multiple,
                    ack: false,
                });
                Ok(())
            }
            Method::BasicCancel(c) => {
                if !c.nowait {
                    let ok = codec::BasicCancelOk {
                        consumer_tag: c.consumer_tag.clone(),
                    };
                    self.outgoing.push_method(ch, &ok.into());
                }
                self.events.push_back(Event::ConsumerCancelled {
                    channel: ch,
                    consumer_tag: c.consumer_tag,
                });
                Ok(())
            }
            Method::ChannelFlow(f) => {
                state.flow_active = f.active;
                self.outgoing
                    .push_method(ch, &ChannelFlowOk { active: f.active }.into());
                self.events.push_back(Event::Flow {
                    channel: ch,
                    active: f.active,
                });
                Ok(())
            }
            Method::ChannelClose(close) => {
                self.channels.remove(&ch);
                self.outgoing.push_method(ch, &ChannelCloseOk {}.into());
                let error = AmqpError {
                    reply_code: close.reply_code,
                    reply_text: close.reply_text.as_str().into_owned(),
                    class_id: close.class_id,
                    method_id: close.method_id,
                };
                self.events
                    .push_back(Event::ChannelClosed { channel: ch, error });
                Ok(())
            }
            method => {
                if !front_accepts(&state.awaiting, &method) {
                    return Err((
                        ReplyCode::CommandInvalid,
                        format!("unexpected {} on channel {ch}", method.name()),
                    ));
                }
                state.awaiting.pop_front();
                if let Method::ChannelOpenOk(_) = method {
                    state.status = ChannelStatus::Open;
                }
                self.events.push_back(Event::Reply {
                    channel: ch,
                    method,
                    content: None,
                });
                Ok(())
            }
        }
    }

    fn handle_header(
        &mut self,
        ch: u16,
        header: Box<codec::ContentHeader>,
    ) -> Result<(), (ReplyCode, String)> {
        if self.status == ConnectionStatus::Closing {
            return Ok(());
        }
        let state = self.channels.get_mut(&ch);
        if state
            .as_ref()
            .is_some_and(|s| s.status == ChannelStatus::Closing)
        {
            return Ok(()); // Content in flight when we closed the channel.
        }
        let Some(partial) = state
            .and_then(|s| s.content.as_mut())
            .filter(|p| p.header.is_none())
        else {
            return Err((
                ReplyCode::UnexpectedFrame,
                format!("content header on channel {ch} without a method"),
            ));
        };
        if header.class_id != BasicProperties::CLASS_ID {
            return Err((
                ReplyCode::FrameError,
                format!("content header for class {}", header.class_id),
            ));
        }
        let max = self.config.max_message_size;
        if max != 0 && header.body_size > max {
            self.refuse_content(ch, header.body_size, max);
            return Ok(());
        }
        let empty = header.body_size == 0;
        partial.header = Some(header);
        if empty {
            self.finish_content(ch);
        }
        Ok(())
    }

    /// A content header whose properties could not be decoded (an unknown field type in
    /// `headers`, a truncated property...). The frame was whole, so the stream is in step and
    /// only this message is lost. RabbitMQ decodes properties in the channel that handles the
    /// message, so that is the scope here too: the channel is closed with 406 naming the
    /// problem and the method that carried the content, its body frames and anything else in
    /// flight on it are dropped, and the connection and other channels carry on. A header
    /// that is unexpected in itself (no method awaiting it, another class) is the same
    /// connection error as in [`Self::handle_header`].
    fn handle_undecodable_header(
        &mut self,
        bad: UndecodableProperties,
    ) -> Result<(), (ReplyCode, String)> {
        let ch = bad.channel;
        if self.status == ConnectionStatus::Closing {
            return Ok(());
        }
        let without_method = || {
            (
                ReplyCode::UnexpectedFrame,
                format!("content header on channel {ch} without a method"),
            )
        };
        let state = self.channels.get_mut(&ch).ok_or_else(without_method)?;
        if state.status == ChannelStatus::Closing {
            return Ok(()); // Content in flight when the channel was closed.
        }
        let partial = state
            .content
            .take_if(|p| p.header.is_none())
            .ok_or_else(without_method)?;
        if bad.class_id != BasicProperties::CLASS_ID {
            return Err((
                ReplyCode::FrameError,
                format!("content header for class {}", bad.class_id),
            ));
        }
        let method = &partial.method;
        let error = AmqpError {
            reply_code: ReplyCode::PreconditionFailed as u16,
            reply_text: format!(
                "cannot decode the properties of a {} on channel {ch}: {}",
                method.name(),
                bad.cause
            ),
            class_id: method.class_id(),
            method_id: method.method_id(),
        };
        self.fail_channel(ch, error.clone(), Error::BadContent(error));
        Ok(())
    }

    fn handle_body(&mut self, ch: u16, body: Bytes) -> Result<(), (ReplyCode, String)> {
        if self.status == ConnectionStatus::Closing {
            return Ok(());
        }
        let state = self.channels.get_mut(&ch);
        if state
            .as_ref()
            .is_some_and(|s| s.status == ChannelStatus::Closing)
        {
            return Ok(()); // Content in flight when we closed the channel.
        }
        let Some(partial) = state.and_then(|s| s.content.as_mut()) else {
            return Err((
                ReplyCode::UnexpectedFrame,
                format!("content body on channel {ch} without a method"),
            ));
        };
        let Some(header) = &partial.header else {
            return Err((
                ReplyCode::UnexpectedFrame,
                format!("content body on channel {ch} before its header"),
            ));
        };
        let total = header.body_size;
        if partial.body.len() as u64 + body.len() as u64 > total {
            return Err((
                ReplyCode::FrameError,
                format!("content body on channel {ch} longer than its header declared"),
            ));
        }
        partial.body.push(body, total);
        if partial.body.len() as u64 == total {
            self.finish_content(ch);
        }
        Ok(())
    }

    /// A message larger than `max_message_size` is announced: close its channel rather than
    /// buffer it. The body frames that follow are discarded while the channel closes.
    fn refuse_content(&mut self, ch: u16, size: u64, max: u64) {
        let close = AmqpError::new(
            ReplyCode::ContentTooLarge,
            format!("message of {size} bytes exceeds the client's max_message_size {max}"),
        );
        self.fail_channel(ch, close, Error::MessageTooLarge { size, max });
    }

    /// Closes channel `ch` from this side with `close`, because of what the broker sent;
    /// reports [`Event::ChannelFailed`].
    fn fail_channel(&mut self, ch: u16, close: AmqpError, error: Error) {
        let Some(state) = self.channels.get_mut(&ch) else {
            return;
        };
        state.content = None;
        state.status = ChannelStatus::Closing;
        state.closed_on_error = true;
        // Requests awaiting replies are failed by the driver; the close-ok is the only reply
        // still expected.
        state.awaiting.clear();
        let method = codec::ChannelClose {
            reply_code: close.reply_code,
            reply_text: ShortString::truncating(&close.reply_text),
            class_id: close.class_id,
            method_id: close.method_id,
        };
        self.outgoing.push_method(ch, &method.into());
        self.events.push_back(Event::ChannelFailed {
            channel: ch,
            close,
            error,
        });
    }

    fn finish_content(&mut self, ch: u16) {
        let Some(state) = self.channels.get_mut(&ch) else {
            return;
        };
        let Some(partial) = state.content.take() else {
            return;
        };
        let content = Content {
            properties: partial.header.map(|h| h.properties).unwrap_or_default(),
            body: partial.body.into_bytes(),
        };
        let event = match partial.method {
            Method::BasicDeliver(deliver) => Event::Delivery {
                channel: ch,
                deliver,
                content: Box::new(content),
            },
            Method::BasicReturn(returned) => Event::Return {
                channel: ch,
                returned,
                content,
            },
            method => {
                state.awaiting.pop_front();
                Event::Reply {
                    channel: ch,
                    method,
                    content: Some(content),
                }
            }
        };
        self.events.push_back(event);
    }

    fn client_properties(&self) -> FieldTable {
        let mut caps = FieldTable::new();
        for cap in [
            "publisher_confirms",
            "exchange_exchange_bindings",
            "basic.nack",
            "consumer_cancel_notify",
            "connection.blocked",
            "authentication_failure_close",
            "per_consumer_qos",
        ] {
            caps.insert_key(ShortString::from_static(cap), FieldValue::Boolean(true));
        }
        let mut props = FieldTable::new();
        let mut put = |k: &'static str, v: FieldValue| {
            props.insert_key(ShortString::from_static(k), v);
        };
        put("product", "Warren".into());
        put("version", env!("CARGO_PKG_VERSION").into());
        put("platform", "Rust".into());
        put("information", "AMQP 0-9-1 client; warren-core".into());
        put("capabilities", FieldValue::Table(caps));
        if let Some(name) = &self.config.connection_name {
            put("connection_name", name.as_str().into());
        }
        for (k, v) in self.config.client_properties.iter() {
            props.insert_key(k.clone(), v.clone());
        }
        props
    }

    fn sasl_response(&self) -> LongString {
        let c = &self.config.credentials;
        match self.config.mechanism {
            AuthMechanism::Plain => LongString::from(format!("\0{}\0{}", c.username, c.password)),
            AuthMechanism::AmqPlain => {
                // AMQPLAIN's response is a field table's contents without its length prefix.
                let mut t = FieldTable::new();
                t.insert_key(
                    ShortString::from_static("LOGIN"),
                    c.username.as_str().into(),
                );
                t.insert_key(
                    ShortString::from_static("PASSWORD"),
                    c.password.as_str().into(),
                );
                let mut buf = BytesMut::new();
                codec::wire::put_table(&mut buf, &t);
                LongString(buf.freeze().slice(4..))
            }
            AuthMechanism::External => LongString::default(),
        }
    }
}

/// The error for a frame that would exceed the negotiated frame-max: refused before sending,
/// since the broker would close the whole connection with 501.
fn too_large(method: &Method, size: usize, frame_max: u32) -> Error {
    Error::InvalidArgument(format!(
        "{} frame of {size} bytes exceeds frame-max {frame_max} (arguments too large)",
        method.name()
    ))
}

/// AMQP tune negotiation: 0 means "no limit", otherwise the smaller value wins.
fn negotiate(client: u32, server: u32) -> u32 {
    match (client, server) {
        (0, s) => s,
        (c, 0) => c,
        (c, s) => c.min(s),
    }
}

fn front_accepts(awaiting: &VecDeque<&'static [(u16, u16)]>, method: &Method) -> bool {
    awaiting
        .front()
        .is_some_and(|r| r.contains(&(method.class_id(), method.method_id())))
}

/// Whether the broker will answer `method`: it is synchronous and not sent with `nowait`.
pub fn expects_reply(method: &Method) -> bool {
    method.info().synchronous && !method_is_nowait(method)
}

/// Whether a synchronous request was sent with `nowait`, so no reply will come.
fn method_is_nowait(method: &Method) -> bool {
    match method {
        Method::ExchangeDeclare(m) => m.nowait,
        Method::ExchangeDelete(m) => m.nowait,
        Method::ExchangeBind(m) => m.nowait,
        Method::ExchangeUnbind(m) => m.nowait,
        Method::QueueDeclare(m) => m.nowait,
        Method::QueueBind(m) => m.nowait,
        Method::QueuePurge(m) => m.nowait,
        Method::QueueDelete(m) => m.nowait,
        Method::BasicConsume(m) => m.nowait,
        Method::BasicCancel(m) => m.nowait,
        Method::ConfirmSelect(m) => m.nowait,
        _ => false,
    }
}

impl From<(ReplyCode, &str)> for AmqpError {
    fn from((code, text): (ReplyCode, &str)) -> Self {
        AmqpError::new(code, text)
    }
}
