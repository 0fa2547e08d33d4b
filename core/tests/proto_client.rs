//! Drives the sans-IO `ClientConnection` with bytes and a fake clock, playing a scripted broker:
//! broker frames are encoded with the codec and fed in with `handle_bytes`, and whatever the
//! client transmits is decoded with `decode_frame` and checked.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use warren_core::codec::{
    self, BasicAck, BasicCancel, BasicDeliver, BasicGet, BasicGetEmpty, BasicGetOk, BasicNack,
    BasicProperties, BasicPublish, BasicReturn, ChannelClose, ChannelCloseOk, ChannelFlow,
    ChannelOpenOk, ConfirmSelect, ConfirmSelectOk, ConnectionBlocked, ConnectionClose,
    ConnectionCloseOk, ConnectionOpenOk, ConnectionSecure, ConnectionStart, ConnectionTune,
    ConnectionUnblocked, ContentHeader, FieldTable, FieldValue, Frame, LongString, Method,
    QueueDeclare, QueueDeclareOk, ReplyCode, ShortString,
};
use warren_core::proto::{
    AuthMechanism, ChannelStatus, ClientConnection, ConnectionConfig, ConnectionStatus,
    Credentials, Event, Tuning,
};
use warren_core::{AmqpError, Error};

// ---------------------------------------------------------------------------------------------
// Scripted broker
// ---------------------------------------------------------------------------------------------

/// One end of a fake socket: the client state machine, a fake clock, and the bytes the client
/// transmitted that the "broker" has not yet read.
struct Broker {
    conn: ClientConnection,
    base: Instant,
    now: Instant,
    /// Bytes transmitted by the client, not yet decoded.
    rx: BytesMut,
    /// Events polled but not yet inspected by the test.
    events: Vec<Event>,
}

impl Broker {
    /// A fresh connection; nothing has been transmitted yet.
    fn new(config: ConnectionConfig) -> Self {
        let base = Instant::now();
        Broker {
            conn: ClientConnection::new(config, base),
            base,
            now: base,
            rx: BytesMut::new(),
            events: Vec::new(),
        }
    }

    /// Moves the fake clock forward.
    fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// The fake clock relative to the start.
    fn at(&self, d: Duration) -> Instant {
        self.base + d
    }

    /// The driving order: transmit, then events. Transmitted bytes land in `rx`.
    fn drive(&mut self) {
        let mut out = Vec::new();
        self.conn.poll_transmit(self.now, &mut out);
        for chunk in out {
            self.rx.extend_from_slice(&chunk);
        }
        while let Some(e) = self.conn.poll_event() {
            self.events.push(e);
        }
    }

    /// Feeds raw bytes to the client.
    fn send_bytes(&mut self, bytes: &[u8]) {
        self.conn.handle_bytes(bytes, self.now);
        self.drive();
    }

    /// Feeds frames to the client in one read.
    fn send_frames(&mut self, frames: &[Frame]) {
        let mut buf = BytesMut::new();
        for f in frames {
            f.encode(&mut buf);
        }
        self.send_bytes(&buf);
    }

    /// Feeds one method frame to the client.
    fn send(&mut self, channel: u16, method: impl Into<Method>) {
        self.send_frames(&[Frame::Method(channel, method.into())]);
    }

    /// Runs `handle_timeout` at the current fake time.
    fn timeout(&mut self) {
        self.conn.handle_timeout(self.now);
        self.drive();
    }

    /// Everything transmitted and not yet read, as raw bytes.
    fn take_raw(&mut self) -> BytesMut {
        self.drive();
        self.rx.split()
    }

    /// The next frame the client transmitted.
    fn next_frame(&mut self) -> Frame {
        self.drive();
        match codec::decode_frame(&mut self.rx, 0) {
            Ok(Some(f)) => f,
            Ok(None) => panic!(
                "client transmitted no (complete) frame; left: {:?}",
                self.rx
            ),
            Err(e) => panic!("client transmitted a malformed frame: {e}"),
        }
    }

    /// The next frame the client transmitted must be a method on `channel`.
    fn expect_method(&mut self, channel: u16) -> Method {
        match self.next_frame() {
            Frame::Method(ch, m) => {
                assert_eq!(ch, channel, "method {} on the wrong channel", m.name());
                m
            }
            other => panic!("expected a method on channel {channel}, got {other:?}"),
        }
    }

    /// The next frame the client transmitted must be `connection.close` with `code`.
    fn expect_connection_close(&mut self, code: u16) -> ConnectionClose {
        let Method::ConnectionClose(c) = self.expect_method(0) else {
            panic!("expected connection.close");
        };
        assert_eq!(c.reply_code, code, "close: {c:?}");
        c
    }

    /// The client transmitted nothing more.
    fn expect_silence(&mut self) {
        self.drive();
        assert!(
            self.rx.is_empty(),
            "client transmitted unexpected bytes: {:?}",
            codec::decode_frame(&mut self.rx.clone(), 0)
        );
    }

    /// Takes the events polled so far.
    fn take_events(&mut self) -> Vec<Event> {
        self.drive();
        std::mem::take(&mut self.events)
    }

    /// Exactly one event must have been produced.
    fn one_event(&mut self) -> Event {
        let mut evs = self.take_events();
        assert_eq!(evs.len(), 1, "expected exactly one event, got {evs:?}");
        evs.pop().unwrap()
    }

    /// No event was produced.
    fn expect_no_event(&mut self) {
        let evs = self.take_events();
        assert!(evs.is_empty(), "unexpected events: {evs:?}");
    }

    /// The connection must have ended with an error; returns it.
    fn expect_closed_err(&mut self) -> Error {
        match self.one_event() {
            Event::Closed(Err(e)) => {
                assert_eq!(self.conn.status(), ConnectionStatus::Closed);
                assert_eq!(self.conn.poll_timeout(), None);
                e
            }
            other => panic!("expected Closed(Err), got {other:?}"),
        }
    }

    /// The client's protocol header.
    fn expect_protocol_header(&mut self) {
        self.drive();
        assert!(self.rx.len() >= 8, "no protocol header: {:?}", self.rx);
        let header = self.rx.split_to(8);
        assert_eq!(&header[..], codec::PROTOCOL_HEADER);
    }

    /// Reads the header, sends `connection.start` offering `mechanisms`, returns the start-ok.
    fn start(&mut self, mechanisms: &str) -> codec::ConnectionStartOk {
        self.expect_protocol_header();
        self.send(0, start_method(mechanisms));
        let Method::ConnectionStartOk(ok) = self.expect_method(0) else {
            panic!("expected start-ok");
        };
        assert_eq!(self.conn.status(), ConnectionStatus::AwaitingTune);
        ok
    }

    /// Sends `tune`; expects tune-ok and open, returns them.
    fn tune(&mut self, tune: ConnectionTune) -> (codec::ConnectionTuneOk, codec::ConnectionOpen) {
        self.send(0, tune);
        let Method::ConnectionTuneOk(tune_ok) = self.expect_method(0) else {
            panic!("expected tune-ok");
        };
        let Method::ConnectionOpen(open) = self.expect_method(0) else {
            panic!("expected connection.open");
        };
        assert_eq!(self.conn.status(), ConnectionStatus::AwaitingOpenOk);
        (tune_ok, open)
    }

    /// Sends `open-ok`; expects `Event::Connected` and returns its tuning.
    fn open_ok(&mut self) -> Tuning {
        self.send(0, ConnectionOpenOk::default());
        match self.one_event() {
            Event::Connected {
                server_properties,
                tuning,
            } => {
                assert_eq!(
                    server_properties.get("product"),
                    Some(&FieldValue::from("ScriptedBroker"))
                );
                assert_eq!(self.conn.status(), ConnectionStatus::Open);
                tuning
            }
            other => panic!("expected Connected, got {other:?}"),
        }
    }

    /// A full PLAIN handshake with `tune` offered by the broker.
    fn connected_with(config: ConnectionConfig, tune: ConnectionTune) -> Self {
        let mut b = Broker::new(config);
        b.start("PLAIN AMQPLAIN");
        b.tune(tune);
        b.open_ok();
        b.expect_silence();
        b
    }

    /// A full handshake with default config and no heartbeats, frame-max 131072.
    fn connected() -> Self {
        Self::connected_with(
            ConnectionConfig {
                heartbeat: 0,
                ..Default::default()
            },
            ConnectionTune {
                channel_max: 2047,
                frame_max: 131_072,
                heartbeat: 0,
            },
        )
    }

    /// Opens a channel and answers its `channel.open`.
    fn open_channel(&mut self) -> u16 {
        let ch = self.conn.open_channel().expect("open_channel");
        assert_eq!(self.conn.channel_status(ch), Some(ChannelStatus::Opening));
        let Method::ChannelOpen(_) = self.expect_method(ch) else {
            panic!("expected channel.open");
        };
        self.send(ch, ChannelOpenOk::default());
        match self.one_event() {
            Event::Reply {
                channel,
                method: Method::ChannelOpenOk(_),
                content: None,
            } => assert_eq!(channel, ch),
            other => panic!("expected channel.open-ok reply, got {other:?}"),
        }
        assert_eq!(self.conn.channel_status(ch), Some(ChannelStatus::Open));
        ch
    }
}

fn start_method(mechanisms: &str) -> ConnectionStart {
    let mut server_properties = FieldTable::new();
    server_properties
        .insert("product", "ScriptedBroker")
        .unwrap();
    ConnectionStart {
        version_major: 0,
        version_minor: 9,
        server_properties,
        mechanisms: LongString::from(mechanisms),
        locales: LongString::from("en_US"),
    }
}

fn short(s: &str) -> ShortString {
    ShortString::try_from(s).unwrap()
}

fn header(body_size: u64, properties: BasicProperties) -> Box<ContentHeader> {
    Box::new(ContentHeader {
        class_id: BasicProperties::CLASS_ID,
        body_size,
        properties,
    })
}

fn deliver(tag: u64) -> BasicDeliver {
    BasicDeliver {
        consumer_tag: short("ctag-1"),
        delivery_tag: tag,
        redelivered: false,
        exchange: short("amq.direct"),
        routing_key: short("rk"),
    }
}

/// Asserts the connection failed with a protocol error and told the broker `code`.
fn assert_protocol_failure(b: &mut Broker, code: ReplyCode) {
    b.expect_connection_close(code as u16);
    b.expect_silence();
    let err = b.expect_closed_err();
    assert!(matches!(err, Error::Protocol(_)), "got {err:?}");
}

// ---------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------

#[test]
fn protocol_header_is_sent_first_and_alone() {
    let mut b = Broker::new(ConnectionConfig::default());
    assert_eq!(b.conn.status(), ConnectionStatus::AwaitingStart);
    assert_eq!(b.conn.pending_transmit(), 8);
    let raw = b.take_raw();
    assert_eq!(&raw[..], codec::PROTOCOL_HEADER);
    b.expect_no_event();
    assert_eq!(b.conn.poll_timeout(), None);
}

#[test]
fn start_ok_carries_client_properties_and_capabilities() {
    let mut extra = FieldTable::new();
    extra.insert("custom", "value").unwrap();
    let mut b = Broker::new(ConnectionConfig {
        connection_name: Some("orders-service".into()),
        client_properties: extra,
        locale: "en_GB".into(),
        ..Default::default()
    });
    let ok = b.start("PLAIN AMQPLAIN");
    assert_eq!(ok.mechanism, "PLAIN");
    assert_eq!(ok.locale, "en_GB");
    let props = &ok.client_properties;
    assert_eq!(props.get("product"), Some(&FieldValue::from("Warren")));
    assert!(props.contains_key("version"));
    assert!(props.contains_key("platform"));
    assert_eq!(
        props.get("connection_name"),
        Some(&FieldValue::from("orders-service"))
    );
    assert_eq!(props.get("custom"), Some(&FieldValue::from("value")));
    let caps = props
        .get("capabilities")
        .and_then(FieldValue::as_table)
        .expect("capabilities table");
    for cap in [
        "publisher_confirms",
        "exchange_exchange_bindings",
        "basic.nack",
        "consumer_cancel_notify",
        "connection.blocked",
        "authentication_failure_close",
        "per_consumer_qos",
    ] {
        assert_eq!(
            caps.get(cap),
            Some(&FieldValue::Boolean(true)),
            "capability {cap}"
        );
    }
    b.expect_silence();
    b.expect_no_event();
}

#[test]
fn connection_name_absent_unless_configured() {
    let mut b = Broker::new(ConnectionConfig::default());
    let ok = b.start("PLAIN");
    assert!(!ok.client_properties.contains_key("connection_name"));
}

#[test]
fn plain_response() {
    let mut b = Broker::new(ConnectionConfig {
        credentials: Credentials {
            username: "alice".into(),
            password: "s3cret".into(),
        },
        ..Default::default()
    });
    let ok = b.start("AMQPLAIN PLAIN");
    assert_eq!(ok.mechanism, "PLAIN");
    assert_eq!(ok.response.as_bytes(), b"\0alice\0s3cret");
}

#[test]
fn amqplain_response_is_table_body_without_length() {
    let mut b = Broker::new(ConnectionConfig {
        credentials: Credentials {
            username: "bob".into(),
            password: "hunter2".into(),
        },
        mechanism: AuthMechanism::AmqPlain,
        ..Default::default()
    });
    let ok = b.start("PLAIN AMQPLAIN");
    assert_eq!(ok.mechanism, "AMQPLAIN");
    // Re-add the 4-byte length prefix and decode as a field table.
    let body = ok.response.as_bytes();
    let mut framed = BytesMut::new();
    framed.extend_from_slice(&(body.len() as u32).to_be_bytes());
    framed.extend_from_slice(body);
    let table = codec::wire::Reader::new(framed.freeze())
        .table()
        .expect("AMQPLAIN response decodes as a table body");
    assert_eq!(table.len(), 2);
    assert_eq!(table.get("LOGIN"), Some(&FieldValue::from("bob")));
    assert_eq!(table.get("PASSWORD"), Some(&FieldValue::from("hunter2")));
    // The first entry starts with the key's length octet, not a table length.
    assert_eq!(body[0] as usize, "LOGIN".len());
}

#[test]
fn external_response_is_empty() {
    let mut b = Broker::new(ConnectionConfig {
        mechanism: AuthMechanism::External,
        ..Default::default()
    });
    let ok = b.start("PLAIN EXTERNAL");
    assert_eq!(ok.mechanism, "EXTERNAL");
    assert!(ok.response.is_empty());
}

#[test]
fn mechanism_not_offered() {
    let mut b = Broker::new(ConnectionConfig {
        mechanism: AuthMechanism::External,
        ..Default::default()
    });
    b.expect_protocol_header();
    b.send(0, start_method("PLAIN AMQPLAIN"));
    b.expect_silence();
    match b.expect_closed_err() {
        Error::MechanismNotOffered { wanted, offered } => {
            assert_eq!(wanted, "EXTERNAL");
            assert_eq!(offered, "PLAIN AMQPLAIN");
        }
        other => panic!("got {other:?}"),
    }
    // Nothing more is accepted.
    b.send(0, ConnectionTune::default());
    b.expect_silence();
    b.expect_no_event();
}

#[test]
fn secure_is_answered_with_secure_ok() {
    let mut b = Broker::new(ConnectionConfig {
        credentials: Credentials {
            username: "u".into(),
            password: "p".into(),
        },
        ..Default::default()
    });
    b.start("PLAIN");
    b.send(
        0,
        ConnectionSecure {
            challenge: LongString::from("challenge"),
        },
    );
    let Method::ConnectionSecureOk(ok) = b.expect_method(0) else {
        panic!("expected secure-ok");
    };
    assert_eq!(ok.response.as_bytes(), b"\0u\0p");
    assert_eq!(b.conn.status(), ConnectionStatus::AwaitingTune);
    b.tune(ConnectionTune::default());
    b.open_ok();
}

#[test]
fn tune_negotiation() {
    // (client channel_max, frame_max, heartbeat), (server ...), expected.
    type Triple = (u16, u32, u16);
    let cases: [(Triple, Triple, Triple); 6] = [
        // The server has no limits: the client's wishes stand.
        ((2047, 131_072, 60), (0, 0, 0), (2047, 131_072, 60)),
        // Both limited: the smaller wins, either way round.
        ((2047, 131_072, 60), (100, 4096, 30), (100, 4096, 30)),
        (
            (2047, 131_072, 60),
            (65_535, 1 << 20, 600),
            (2047, 131_072, 60),
        ),
        ((10, 8192, 5), (20, 4096, 10), (10, 4096, 5)),
        // The client has no wishes: the server's limits stand.
        ((0, 0, 0), (100, 4096, 30), (100, 4096, 30)),
        // Nobody limits anything.
        ((0, 0, 0), (0, 0, 0), (0, 0, 0)),
    ];
    for (client, server, want) in cases {
        let mut b = Broker::new(ConnectionConfig {
            channel_max: client.0,
            frame_max: client.1,
            heartbeat: client.2,
            vhost: "/prod".into(),
            ..Default::default()
        });
        b.start("PLAIN");
        let (tune_ok, open) = b.tune(ConnectionTune {
            channel_max: server.0,
            frame_max: server.1,
            heartbeat: server.2,
        });
        let got = (tune_ok.channel_max, tune_ok.frame_max, tune_ok.heartbeat);
        assert_eq!(got, want, "client {client:?} server {server:?}");
        assert_eq!(open.virtual_host, "/prod");
        let tuning = b.open_ok();
        let expected = Tuning {
            channel_max: want.0,
            frame_max: want.1,
            heartbeat: want.2,
        };
        assert_eq!(tuning, expected);
        assert_eq!(b.conn.tuning(), expected);
        if want.2 == 0 {
            assert_eq!(b.conn.poll_timeout(), None);
        } else {
            assert!(b.conn.poll_timeout().is_some());
        }
    }
}

#[test]
fn open_uses_configured_vhost() {
    let mut b = Broker::new(ConnectionConfig {
        vhost: "staging".into(),
        ..Default::default()
    });
    b.start("PLAIN");
    let (_, open) = b.tune(ConnectionTune::default());
    assert_eq!(open.virtual_host, "staging");
    assert!(b.take_events().is_empty(), "no event before open-ok");
}

#[test]
fn open_ok_reports_server_properties_and_tuning() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.start("PLAIN");
    b.tune(ConnectionTune {
        channel_max: 512,
        frame_max: 65_536,
        heartbeat: 20,
    });
    let tuning = b.open_ok();
    assert_eq!(
        tuning,
        Tuning {
            channel_max: 512,
            frame_max: 65_536,
            heartbeat: 20,
        }
    );
}

#[test]
fn access_refused_during_auth_is_authentication_failure() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.start("PLAIN");
    b.send(
        0,
        ConnectionClose {
            reply_code: ReplyCode::AccessRefused as u16,
            reply_text: short("ACCESS_REFUSED - Login was refused"),
            class_id: 0,
            method_id: 0,
        },
    );
    let Method::ConnectionCloseOk(_) = b.expect_method(0) else {
        panic!("expected close-ok");
    };
    match b.expect_closed_err() {
        Error::AuthenticationFailed(text) => assert!(text.contains("Login was refused")),
        other => panic!("got {other:?}"),
    }
}

#[test]
fn other_close_during_handshake_is_connection_closed() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.start("PLAIN");
    b.tune(ConnectionTune::default());
    b.send(
        0,
        ConnectionClose {
            reply_code: ReplyCode::InvalidPath as u16,
            reply_text: short("NOT_ALLOWED - vhost not found"),
            class_id: 10,
            method_id: 40,
        },
    );
    let Method::ConnectionCloseOk(_) = b.expect_method(0) else {
        panic!("expected close-ok");
    };
    match b.expect_closed_err() {
        Error::ConnectionClosed(e) => {
            assert_eq!(e.reply_code, 402);
            assert_eq!((e.class_id, e.method_id), (10, 40));
        }
        other => panic!("got {other:?}"),
    }
}

#[test]
fn commands_refused_before_open() {
    let mut b = Broker::new(ConnectionConfig::default());
    assert!(matches!(
        b.conn.open_channel(),
        Err(Error::ConnectionClosedByClient)
    ));
    b.start("PLAIN");
    assert!(b.conn.open_channel().is_err());
}

#[test]
fn handshake_split_into_single_bytes() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.expect_protocol_header();
    let mut buf = BytesMut::new();
    Frame::Method(0, start_method("PLAIN").into()).encode(&mut buf);
    for byte in buf.iter() {
        b.send_bytes(&[*byte]);
    }
    let Method::ConnectionStartOk(_) = b.expect_method(0) else {
        panic!("expected start-ok");
    };
}

// ---------------------------------------------------------------------------------------------
// Close
// ---------------------------------------------------------------------------------------------

#[test]
fn client_initiated_close() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn.close(200, "bye");
    assert_eq!(b.conn.status(), ConnectionStatus::Closing);
    let close = b.expect_connection_close(200);
    assert_eq!(close.reply_text, "bye");
    b.expect_no_event();
    assert!(b.conn.open_channel().is_err());
    assert!(b
        .conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new()
        )
        .is_err());
    // Whatever the broker still had in flight is dropped.
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(2, BasicProperties::default())),
        Frame::Body(ch, Bytes::from_static(b"hi")),
    ]);
    b.expect_silence();
    b.expect_no_event();
    // A second close does nothing.
    b.conn.close(200, "again");
    b.expect_silence();
    b.send(0, ConnectionCloseOk {});
    assert!(matches!(b.one_event(), Event::Closed(Ok(()))));
    assert_eq!(b.conn.status(), ConnectionStatus::Closed);
    assert_eq!(b.conn.channel_status(ch), None);
    b.expect_silence();
}

#[test]
fn close_before_start_ends_immediately() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.conn.close(200, "never mind");
    assert!(matches!(b.one_event(), Event::Closed(Ok(()))));
}

#[test]
fn broker_initiated_close() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send(
        0,
        ConnectionClose {
            reply_code: ReplyCode::ConnectionForced as u16,
            reply_text: short("CONNECTION_FORCED - broker forced connection closure"),
            class_id: 20,
            method_id: 40,
        },
    );
    let Method::ConnectionCloseOk(_) = b.expect_method(0) else {
        panic!("expected close-ok");
    };
    b.expect_silence();
    match b.expect_closed_err() {
        Error::ConnectionClosed(e) => assert_eq!(
            e,
            AmqpError {
                reply_code: 320,
                reply_text: "CONNECTION_FORCED - broker forced connection closure".into(),
                class_id: 20,
                method_id: 40,
            }
        ),
        other => panic!("got {other:?}"),
    }
    assert_eq!(b.conn.channel_status(ch), None);
    // Later input is ignored.
    b.send(0, ConnectionBlocked::default());
    b.expect_silence();
    b.expect_no_event();
}

#[test]
fn broker_close_while_we_are_closing() {
    let mut b = Broker::connected();
    b.conn.close(200, "bye");
    b.expect_connection_close(200);
    b.send(
        0,
        ConnectionClose {
            reply_code: 320,
            reply_text: short("shutdown"),
            class_id: 0,
            method_id: 0,
        },
    );
    let Method::ConnectionCloseOk(_) = b.expect_method(0) else {
        panic!("expected close-ok");
    };
    assert!(matches!(
        b.expect_closed_err(),
        Error::ConnectionClosed(AmqpError {
            reply_code: 320,
            ..
        })
    ));
}

#[test]
fn socket_eof_fails_the_connection() {
    let mut b = Broker::connected();
    b.conn.handle_disconnect(None);
    assert!(matches!(b.expect_closed_err(), Error::Io(_)));
}

// ---------------------------------------------------------------------------------------------
// Blocked / unblocked
// ---------------------------------------------------------------------------------------------

#[test]
fn blocked_and_unblocked() {
    let mut b = Broker::connected();
    assert!(!b.conn.is_blocked());
    b.send(
        0,
        ConnectionBlocked {
            reason: short("low on memory"),
        },
    );
    match b.one_event() {
        Event::Blocked { reason } => assert_eq!(reason, "low on memory"),
        other => panic!("got {other:?}"),
    }
    assert!(b.conn.is_blocked());
    b.send(0, ConnectionUnblocked {});
    assert!(matches!(b.one_event(), Event::Unblocked));
    assert!(!b.conn.is_blocked());
    b.expect_silence();
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
}

// ---------------------------------------------------------------------------------------------
// Heartbeats
// ---------------------------------------------------------------------------------------------

fn heartbeat_broker(seconds: u16) -> Broker {
    Broker::connected_with(
        ConnectionConfig {
            heartbeat: seconds,
            ..Default::default()
        },
        ConnectionTune {
            channel_max: 0,
            frame_max: 131_072,
            heartbeat: seconds,
        },
    )
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn expect_heartbeat(b: &mut Broker) {
    assert_eq!(b.next_frame(), Frame::Heartbeat(0));
}

#[test]
fn no_timer_before_tune() {
    let mut b = Broker::new(ConnectionConfig::default());
    assert_eq!(b.conn.poll_timeout(), None);
    b.start("PLAIN");
    assert_eq!(b.conn.poll_timeout(), None);
    b.advance(secs(3600));
    b.timeout();
    b.expect_silence();
    b.expect_no_event();
}

#[test]
fn timer_set_after_tune_with_heartbeat() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.start("PLAIN");
    b.advance(secs(1));
    b.tune(ConnectionTune {
        channel_max: 0,
        frame_max: 0,
        heartbeat: 10,
    });
    // tune-ok and open went out at t=1s: the first heartbeat is due half an interval later.
    assert_eq!(b.conn.poll_timeout(), Some(b.at(secs(6))));
}

#[test]
fn heartbeat_sent_after_idle_half_interval() {
    let mut b = heartbeat_broker(10);
    assert_eq!(b.conn.poll_timeout(), Some(b.at(secs(5))));
    // Too early: nothing.
    b.advance(secs(4));
    b.timeout();
    b.expect_silence();
    // Half an interval idle: a heartbeat.
    b.advance(secs(1));
    b.timeout();
    expect_heartbeat(&mut b);
    b.expect_silence();
    b.expect_no_event();
    // The timer moves on from the heartbeat just sent.
    assert_eq!(b.conn.poll_timeout(), Some(b.at(secs(10))));
}

#[test]
fn traffic_postpones_heartbeat() {
    let mut b = heartbeat_broker(10);
    let ch = b.open_channel();
    b.advance(secs(4));
    b.conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::from_static(b"x"),
        )
        .unwrap();
    b.take_raw();
    assert_eq!(b.conn.poll_timeout(), Some(b.at(secs(9))));
    b.advance(secs(2)); // t = 6: not idle long enough
    b.timeout();
    b.expect_silence();
}

#[test]
fn missed_heartbeats_fail_the_connection() {
    let mut b = heartbeat_broker(10);
    // Follow the timer like a driver would, answering nothing.
    let mut beats = 0;
    loop {
        let deadline = b.conn.poll_timeout().expect("timer while open");
        assert!(deadline > b.now, "timer must move forward");
        b.now = deadline;
        b.timeout();
        if b.conn.status() == ConnectionStatus::Closed {
            break;
        }
        expect_heartbeat(&mut b);
        beats += 1;
        assert!(beats < 10, "never gave up");
    }
    assert_eq!(b.now, b.at(secs(20)), "fails after two silent intervals");
    assert_eq!(beats, 3, "heartbeats at 5, 10 and 15 seconds");
    assert!(matches!(b.expect_closed_err(), Error::MissedHeartbeats));
}

#[test]
fn receiving_anything_resets_the_missed_heartbeat_timer() {
    let mut b = heartbeat_broker(10);
    b.advance(secs(15));
    b.timeout();
    expect_heartbeat(&mut b);
    // The broker's heartbeat arrives at 15s.
    b.send_frames(&[Frame::Heartbeat(0)]);
    b.expect_no_event();
    b.advance(secs(5)); // t = 20: two intervals since connect, but only 5s since input
    b.timeout();
    expect_heartbeat(&mut b);
    b.expect_no_event();
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    // Any frame counts, not just heartbeats.
    b.advance(secs(14)); // t = 34
    b.send(0, ConnectionBlocked::default());
    assert!(matches!(b.one_event(), Event::Blocked { .. }));
    b.advance(secs(15)); // t = 49: 15s since input
    b.timeout();
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    assert_eq!(
        b.conn.poll_timeout().map(|t| t <= b.at(secs(54))),
        Some(true)
    );
    b.advance(secs(5)); // t = 54: 20s since input
    b.timeout();
    b.take_raw();
    assert!(matches!(b.expect_closed_err(), Error::MissedHeartbeats));
}

#[test]
fn heartbeat_on_nonzero_channel_is_an_error() {
    let mut b = Broker::connected();
    b.send_frames(&[Frame::Heartbeat(3)]);
    assert_protocol_failure(&mut b, ReplyCode::CommandInvalid);
}

// ---------------------------------------------------------------------------------------------
// Channels and RPC
// ---------------------------------------------------------------------------------------------

#[test]
fn open_channel_sends_open_and_replies() {
    let mut b = Broker::connected();
    let first = b.open_channel();
    let second = b.open_channel();
    assert_eq!((first, second), (1, 2));
}

#[test]
fn open_channels_exhausted() {
    let mut b = Broker::connected_with(
        ConnectionConfig {
            heartbeat: 0,
            ..Default::default()
        },
        ConnectionTune {
            channel_max: 2,
            frame_max: 0,
            heartbeat: 0,
        },
    );
    b.open_channel();
    b.open_channel();
    assert!(matches!(
        b.conn.open_channel(),
        Err(Error::ChannelsExhausted(2))
    ));
}

fn declare(queue: &str) -> QueueDeclare {
    QueueDeclare {
        queue: short(queue),
        ..Default::default()
    }
}

fn declare_ok(queue: &str, messages: u32) -> QueueDeclareOk {
    QueueDeclareOk {
        queue: short(queue),
        message_count: messages,
        consumer_count: 0,
    }
}

#[test]
fn pipelined_rpcs_are_answered_in_order() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn.send_method(ch, declare("a").into()).unwrap();
    b.conn.send_method(ch, declare("b").into()).unwrap();
    let Method::QueueDeclare(d1) = b.expect_method(ch) else {
        panic!("expected queue.declare");
    };
    let Method::QueueDeclare(d2) = b.expect_method(ch) else {
        panic!("expected queue.declare");
    };
    assert_eq!(
        (d1.queue.as_str(), d2.queue.as_str()),
        ("a".into(), "b".into())
    );
    b.send_frames(&[
        Frame::Method(ch, declare_ok("a", 1).into()),
        Frame::Method(ch, declare_ok("b", 2).into()),
    ]);
    let evs = b.take_events();
    assert_eq!(evs.len(), 2, "{evs:?}");
    for (ev, (name, count)) in evs.iter().zip([("a", 1), ("b", 2)]) {
        match ev {
            Event::Reply {
                channel,
                method: Method::QueueDeclareOk(ok),
                content: None,
            } => {
                assert_eq!(*channel, ch);
                assert_eq!(ok.queue, name);
                assert_eq!(ok.message_count, count);
            }
            other => panic!("got {other:?}"),
        }
    }
    // Nothing is awaited any more: a third declare-ok is a protocol error.
    b.send(ch, declare_ok("c", 0));
    assert_protocol_failure(&mut b, ReplyCode::CommandInvalid);
}

#[test]
fn nowait_requests_await_nothing() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    let mut d = declare("q");
    d.nowait = true;
    b.conn.send_method(ch, d.into()).unwrap();
    b.expect_method(ch);
    b.send(ch, declare_ok("q", 0));
    assert_protocol_failure(&mut b, ReplyCode::CommandInvalid);
}

#[test]
fn reply_matching_nothing_closes_connection() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn.send_method(ch, declare("q").into()).unwrap();
    b.expect_method(ch);
    // confirm.select-ok does not answer queue.declare.
    b.send(ch, ConfirmSelectOk {});
    let close = b.expect_connection_close(ReplyCode::CommandInvalid as u16);
    assert!(close.reply_text.as_str().contains("confirm.select-ok"));
    b.expect_silence();
    match b.expect_closed_err() {
        Error::Protocol(text) => assert!(text.contains("503"), "{text}"),
        other => panic!("got {other:?}"),
    }
}

#[test]
fn unexpected_method_on_channel_zero_closes_connection() {
    let mut b = Broker::connected();
    b.send(0, ConnectionTune::default());
    assert_protocol_failure(&mut b, ReplyCode::CommandInvalid);
}

#[test]
fn method_on_unknown_channel_closes_connection() {
    let mut b = Broker::connected();
    b.send(7, declare_ok("q", 0));
    assert_protocol_failure(&mut b, ReplyCode::ChannelError);
}

#[test]
fn client_channel_close() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    let other = b.open_channel();
    b.conn
        .send_method(
            ch,
            ChannelClose {
                reply_code: 200,
                reply_text: short("done"),
                class_id: 0,
                method_id: 0,
            }
            .into(),
        )
        .unwrap();
    assert_eq!(b.conn.channel_status(ch), Some(ChannelStatus::Closing));
    let Method::ChannelClose(c) = b.expect_method(ch) else {
        panic!("expected channel.close");
    };
    assert_eq!(c.reply_code, 200);
    // Commands on a closing channel are refused.
    assert!(matches!(
        b.conn.send_method(ch, declare("q").into()),
        Err(Error::ChannelClosedByClient)
    ));
    assert!(b
        .conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new()
        )
        .is_err());
    b.send(ch, ChannelCloseOk {});
    match b.one_event() {
        Event::Reply {
            channel,
            method: Method::ChannelCloseOk(_),
            content: None,
        } => assert_eq!(channel, ch),
        other => panic!("got {other:?}"),
    }
    assert_eq!(b.conn.channel_status(ch), None);
    assert_eq!(b.conn.channel_status(other), Some(ChannelStatus::Open));
    // The number is reused later.
    b.expect_silence();
}

#[test]
fn client_channel_close_drops_deliveries_in_flight() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn
        .send_method(ch, ChannelClose::default().into())
        .unwrap();
    b.expect_method(ch);
    // The broker sent a whole delivery (and a half one) before it saw our close.
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(5, BasicProperties::default())),
        Frame::Body(ch, Bytes::from_static(b"hello")),
        Frame::Method(ch, deliver(2).into()),
        Frame::Header(ch, header(5, BasicProperties::default())),
    ]);
    b.expect_silence();
    b.expect_no_event();
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    b.send(ch, ChannelCloseOk {});
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::ChannelCloseOk(_),
            ..
        }
    ));
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
}

#[test]
fn client_channel_close_with_delivery_half_received() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(10, BasicProperties::default())),
        Frame::Body(ch, Bytes::from_static(b"hello")),
    ]);
    b.expect_no_event();
    b.conn
        .send_method(ch, ChannelClose::default().into())
        .unwrap();
    b.expect_method(ch);
    // The rest of the body, then close-ok.
    b.send_frames(&[
        Frame::Body(ch, Bytes::from_static(b"world")),
        Frame::Method(ch, ChannelCloseOk {}.into()),
    ]);
    b.expect_silence();
    // The half-received delivery is discarded with the channel; only the close completes.
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::ChannelCloseOk(_),
            ..
        }
    ));
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
}

#[test]
fn both_sides_close_channel_at_once() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn
        .send_method(ch, ChannelClose::default().into())
        .unwrap();
    b.expect_method(ch);
    b.send(
        ch,
        ChannelClose {
            reply_code: 406,
            reply_text: short("PRECONDITION_FAILED"),
            class_id: 50,
            method_id: 10,
        },
    );
    let Method::ChannelCloseOk(_) = b.expect_method(ch) else {
        panic!("expected close-ok");
    };
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::ChannelCloseOk(_),
            ..
        }
    ));
    assert_eq!(b.conn.channel_status(ch), None);
}

#[test]
fn broker_channel_close_leaves_others_alone() {
    let mut b = Broker::connected();
    let doomed = b.open_channel();
    let survivor = b.open_channel();
    b.conn
        .send_method(doomed, declare("missing").into())
        .unwrap();
    b.expect_method(doomed);
    b.send(
        doomed,
        ChannelClose {
            reply_code: ReplyCode::NotFound as u16,
            reply_text: short("NOT_FOUND - no queue 'missing'"),
            class_id: 50,
            method_id: 10,
        },
    );
    let Method::ChannelCloseOk(_) = b.expect_method(doomed) else {
        panic!("expected close-ok");
    };
    b.expect_silence();
    match b.one_event() {
        Event::ChannelClosed { channel, error } => {
            assert_eq!(channel, doomed);
            assert_eq!(
                error,
                AmqpError {
                    reply_code: 404,
                    reply_text: "NOT_FOUND - no queue 'missing'".into(),
                    class_id: 50,
                    method_id: 10,
                }
            );
            assert!(!error.is_hard());
        }
        other => panic!("got {other:?}"),
    }
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    assert_eq!(b.conn.channel_status(doomed), None);
    assert_eq!(b.conn.channel_status(survivor), Some(ChannelStatus::Open));
    assert!(b.conn.send_method(doomed, declare("q").into()).is_err());
    // The other channel still works.
    b.conn.send_method(survivor, declare("q").into()).unwrap();
    b.expect_method(survivor);
    b.send(survivor, declare_ok("q", 0));
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::QueueDeclareOk(_),
            ..
        }
    ));
    // And new channels can be opened.
    b.open_channel();
}

// ---------------------------------------------------------------------------------------------
// Incoming content
// ---------------------------------------------------------------------------------------------

#[test]
fn delivery_reassembled_from_three_body_frames() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    let mut headers = FieldTable::new();
    headers.insert("x-trace", "abc").unwrap();
    let props = BasicProperties {
        content_type: Some(short("text/plain")),
        headers: Some(headers),
        delivery_mode: Some(2),
        ..Default::default()
    };
    b.send_frames(&[
        Frame::Method(ch, deliver(7).into()),
        Frame::Header(ch, header(11, props.clone())),
        Frame::Body(ch, Bytes::from_static(b"hel")),
    ]);
    b.expect_no_event();
    // The rest arrives in a separate read, the last frame split across reads too.
    let mut rest = BytesMut::new();
    Frame::Body(ch, Bytes::from_static(b"lo ")).encode(&mut rest);
    Frame::Body(ch, Bytes::from_static(b"world")).encode(&mut rest);
    let cut = rest.len() - 3;
    b.send_bytes(&rest[..cut]);
    b.expect_no_event();
    b.send_bytes(&rest[cut..]);
    match b.one_event() {
        Event::Delivery {
            channel,
            deliver: d,
            content,
        } => {
            assert_eq!(channel, ch);
            assert_eq!(d, deliver(7));
            assert_eq!(content.properties, props);
            assert_eq!(&content.body[..], b"hello world");
        }
        other => panic!("got {other:?}"),
    }
    b.expect_silence();
}

#[test]
fn zero_length_body_completes_with_header() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(0, BasicProperties::default())),
    ]);
    match b.one_event() {
        Event::Delivery { content, .. } => assert!(content.body.is_empty()),
        other => panic!("got {other:?}"),
    }
    // The channel accepts the next delivery right away.
    b.send_frames(&[
        Frame::Method(ch, deliver(2).into()),
        Frame::Header(ch, header(1, BasicProperties::default())),
        Frame::Body(ch, Bytes::from_static(b"!")),
    ]);
    match b.one_event() {
        Event::Delivery {
            deliver: d,
            content,
            ..
        } => {
            assert_eq!(d.delivery_tag, 2);
            assert_eq!(&content.body[..], b"!");
        }
        other => panic!("got {other:?}"),
    }
}

#[test]
fn deliveries_interleaved_across_channels() {
    let mut b = Broker::connected();
    let c1 = b.open_channel();
    let c2 = b.open_channel();
    b.send_frames(&[
        Frame::Method(c1, deliver(1).into()),
        Frame::Method(c2, deliver(1).into()),
        Frame::Header(c1, header(2, BasicProperties::default())),
        Frame::Header(c2, header(2, BasicProperties::default())),
        Frame::Body(c2, Bytes::from_static(b"c2")),
        Frame::Body(c1, Bytes::from_static(b"c1")),
    ]);
    let evs = b.take_events();
    let got: Vec<(u16, Bytes)> = evs
        .into_iter()
        .map(|e| match e {
            Event::Delivery {
                channel, content, ..
            } => (channel, content.body),
            other => panic!("got {other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (c2, Bytes::from_static(b"c2")),
            (c1, Bytes::from_static(b"c1"))
        ]
    );
}

#[test]
fn basic_get_ok_with_content_is_a_reply() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn
        .send_method(
            ch,
            BasicGet {
                queue: short("q"),
                ..Default::default()
            }
            .into(),
        )
        .unwrap();
    let Method::BasicGet(_) = b.expect_method(ch) else {
        panic!("expected basic.get");
    };
    let get_ok = BasicGetOk {
        delivery_tag: 9,
        redelivered: true,
        exchange: short(""),
        routing_key: short("q"),
        message_count: 3,
    };
    b.send_frames(&[
        Frame::Method(ch, get_ok.clone().into()),
        Frame::Header(ch, header(4, BasicProperties::default())),
    ]);
    b.expect_no_event();
    b.send_frames(&[Frame::Body(ch, Bytes::from_static(b"data"))]);
    match b.one_event() {
        Event::Reply {
            channel,
            method: Method::BasicGetOk(ok),
            content: Some(content),
        } => {
            assert_eq!(channel, ch);
            assert_eq!(ok, get_ok);
            assert_eq!(&content.body[..], b"data");
        }
        other => panic!("got {other:?}"),
    }
    // The get was answered: another get-ok is unexpected.
    b.send(ch, get_ok);
    assert_protocol_failure(&mut b, ReplyCode::UnexpectedFrame);
}

#[test]
fn basic_get_empty() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn.send_method(ch, BasicGet::default().into()).unwrap();
    b.expect_method(ch);
    b.send(ch, BasicGetEmpty::default());
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::BasicGetEmpty(_),
            content: None,
            ..
        }
    ));
}

#[test]
fn basic_return() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    let ret = BasicReturn {
        reply_code: ReplyCode::NoRoute as u16,
        reply_text: short("NO_ROUTE"),
        exchange: short("ex"),
        routing_key: short("nowhere"),
    };
    b.send_frames(&[
        Frame::Method(ch, ret.clone().into()),
        Frame::Header(ch, header(3, BasicProperties::default())),
        Frame::Body(ch, Bytes::from_static(b"msg")),
    ]);
    match b.one_event() {
        Event::Return {
            channel,
            returned,
            content,
        } => {
            assert_eq!(channel, ch);
            assert_eq!(returned, ret);
            assert_eq!(&content.body[..], b"msg");
        }
        other => panic!("got {other:?}"),
    }
}

#[test]
fn body_longer_than_declared_is_an_error() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(5, BasicProperties::default())),
        Frame::Body(ch, Bytes::from_static(b"abc")),
        Frame::Body(ch, Bytes::from_static(b"def")),
    ]);
    assert_protocol_failure(&mut b, ReplyCode::FrameError);
}

#[test]
fn body_without_method_is_an_error() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[Frame::Body(ch, Bytes::from_static(b"orphan"))]);
    assert_protocol_failure(&mut b, ReplyCode::UnexpectedFrame);
}

#[test]
fn header_without_method_is_an_error() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[Frame::Header(ch, header(1, BasicProperties::default()))]);
    assert_protocol_failure(&mut b, ReplyCode::UnexpectedFrame);
}

#[test]
fn body_before_header_is_an_error() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Body(ch, Bytes::from_static(b"x")),
    ]);
    assert_protocol_failure(&mut b, ReplyCode::UnexpectedFrame);
}

#[test]
fn method_while_content_expected_is_an_error() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(4, BasicProperties::default())),
        Frame::Method(ch, deliver(2).into()),
    ]);
    assert_protocol_failure(&mut b, ReplyCode::UnexpectedFrame);
}

// ---------------------------------------------------------------------------------------------
// Content headers whose properties cannot be decoded
// ---------------------------------------------------------------------------------------------

/// A content header frame on `ch` announcing `body_size` bytes, whose properties are
/// `properties` as raw bytes (flags included): what a buggy or newer peer might send.
fn raw_header_frame(ch: u16, body_size: u64, properties: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    payload.extend_from_slice(&BasicProperties::CLASS_ID.to_be_bytes());
    payload.extend_from_slice(&0u16.to_be_bytes());
    payload.extend_from_slice(&body_size.to_be_bytes());
    payload.extend_from_slice(properties);
    let mut frame = vec![codec::FRAME_HEADER];
    frame.extend_from_slice(&ch.to_be_bytes());
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    frame.push(codec::FRAME_END);
    frame
}

/// Properties with a `headers` table `{"trace": "x", "hops": [1, {"k": <'Z'>}]}`: the unknown
/// type letter 'Z' sits in a table inside an array inside the headers.
fn headers_with_unknown_type() -> Vec<u8> {
    fn with_len(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }
    let inner_table = with_len(b"\x01kZ");
    let mut array = b"I\x00\x00\x00\x01F".to_vec();
    array.extend_from_slice(&inner_table);
    let mut entries = b"\x05traceS\x00\x00\x00\x01x\x04hopsA".to_vec();
    entries.extend_from_slice(&with_len(&array));
    let mut properties = 0x2000u16.to_be_bytes().to_vec(); // only `headers` present
    properties.extend_from_slice(&with_len(&entries));
    properties
}

/// Expects the client's `channel.close` for an undecodable header on `ch`, 406 naming the
/// method that carried the content, and the matching `Event::ChannelClosed`.
fn expect_closed_for_bad_properties(b: &mut Broker, ch: u16, method_id: u16, cause: &str) {
    let Method::ChannelClose(close) = b.expect_method(ch) else {
        panic!("expected channel.close on {ch}");
    };
    assert_eq!(
        (close.reply_code, close.class_id, close.method_id),
        (ReplyCode::PreconditionFailed as u16, 60, method_id),
        "{close:?}"
    );
    let text = close.reply_text.as_str().into_owned();
    assert!(text.contains("cannot decode the properties"), "{text}");
    assert!(text.contains(cause), "{text}");
    match b.one_event() {
        Event::ChannelFailed {
            channel,
            close: error,
            error: Error::BadContent(inner),
        } => {
            assert_eq!(channel, ch);
            assert_eq!(error.reply_text, text);
            assert_eq!((error.class_id, error.method_id), (60, method_id));
            assert!(!error.is_hard());
            assert_eq!(inner, error);
        }
        other => panic!("got {other:?}"),
    }
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    assert_eq!(b.conn.channel_status(ch), Some(ChannelStatus::Closing));
}

/// An unknown field type deep in a delivery's headers closes that channel, not the connection:
/// the rest of its body is dropped, a delivery interleaved on another channel arrives whole,
/// the broker's close-ok frees the channel without an event, and the connection keeps working.
#[test]
fn undecodable_delivery_header_closes_only_its_channel() {
    let mut b = Broker::connected();
    let bad = b.open_channel();
    let good = b.open_channel();
    let mut bytes = Vec::new();
    let mut frames = BytesMut::new();
    Frame::Method(bad, deliver(1).into()).encode(&mut frames);
    Frame::Method(good, deliver(1).into()).encode(&mut frames);
    bytes.extend_from_slice(&frames);
    bytes.extend_from_slice(&raw_header_frame(bad, 6, &headers_with_unknown_type()));
    let mut frames = BytesMut::new();
    Frame::Body(bad, Bytes::from_static(b"abc")).encode(&mut frames);
    Frame::Header(good, header(2, BasicProperties::default())).encode(&mut frames);
    Frame::Body(bad, Bytes::from_static(b"def")).encode(&mut frames);
    Frame::Body(good, Bytes::from_static(b"ok")).encode(&mut frames);
    bytes.extend_from_slice(&frames);
    b.send_bytes(&bytes);

    let Method::ChannelClose(close) = b.expect_method(bad) else {
        panic!("expected channel.close");
    };
    assert_eq!(
        (close.reply_code, close.class_id, close.method_id),
        (406, 60, 60)
    );
    assert_eq!(
        close.reply_text.as_str(),
        format!(
            "cannot decode the properties of a basic.deliver on channel {bad}: \
             unknown field value type 'Z' (0x5a)"
        )
    );
    b.expect_silence();
    let evs = b.take_events();
    assert_eq!(evs.len(), 2, "{evs:?}");
    match &evs[0] {
        Event::ChannelFailed {
            channel,
            close: error,
            ..
        } => {
            assert_eq!(*channel, bad);
            assert_eq!(error.reply_code, 406);
            assert_eq!(error.reply_text, close.reply_text.as_str());
        }
        other => panic!("got {other:?}"),
    }
    match &evs[1] {
        Event::Delivery {
            channel, content, ..
        } => {
            assert_eq!(*channel, good);
            assert_eq!(&content.body[..], b"ok");
        }
        other => panic!("got {other:?}"),
    }
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    assert_eq!(b.conn.channel_status(bad), Some(ChannelStatus::Closing));
    // Nothing can be sent on the closing channel.
    assert!(matches!(
        b.conn.send_method(bad, declare("q").into()),
        Err(Error::ChannelClosedByClient)
    ));

    // More deliveries the broker had in flight on the closed channel are dropped.
    b.send_frames(&[
        Frame::Method(bad, deliver(2).into()),
        Frame::Header(bad, header(1, BasicProperties::default())),
        Frame::Body(bad, Bytes::from_static(b"x")),
    ]);
    b.expect_no_event();
    b.send(bad, ChannelCloseOk {});
    b.expect_no_event();
    b.expect_silence();
    assert_eq!(b.conn.channel_status(bad), None);

    // The other channel keeps working, and new channels open.
    b.conn.send_method(good, declare("q").into()).unwrap();
    b.expect_method(good);
    b.send(good, declare_ok("q", 0));
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::QueueDeclareOk(_),
            ..
        }
    ));
    b.open_channel();
}

/// `basic.get-ok` and `basic.return` carry content too: the same, naming their method. The
/// causes include properties cut short and the unused flag-continuation bit.
#[test]
fn undecodable_get_ok_and_return_headers_close_only_their_channel() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn.send_method(ch, BasicGet::default().into()).unwrap();
    b.expect_method(ch);
    let mut bytes = BytesMut::new();
    Frame::Method(ch, BasicGetOk::default().into()).encode(&mut bytes);
    // `content-type` is flagged but not there.
    bytes.extend_from_slice(&raw_header_frame(ch, 0, &0x8000u16.to_be_bytes()));
    b.send_bytes(&bytes);
    expect_closed_for_bad_properties(
        &mut b,
        ch,
        71,
        "frame payload ends in the middle of a field",
    );
    // The broker closes the channel too, at the same time: answered, nothing reported.
    b.send(ch, ChannelClose::default());
    assert!(matches!(b.expect_method(ch), Method::ChannelCloseOk(_)));
    b.expect_no_event();
    assert_eq!(b.conn.channel_status(ch), None);

    let ch = b.open_channel();
    let mut bytes = BytesMut::new();
    Frame::Method(ch, BasicReturn::default().into()).encode(&mut bytes);
    bytes.extend_from_slice(&raw_header_frame(ch, 0, &0x0001u16.to_be_bytes()));
    b.send_bytes(&bytes);
    expect_closed_for_bad_properties(&mut b, ch, 50, "continuation");
    b.send(ch, ChannelCloseOk {});
    b.expect_no_event();
    b.expect_silence();
}

/// What is wrong with the header frame itself stays a connection error, whatever its
/// properties: a header nobody asked for (505), or one too short for class, weight and body
/// size (501).
#[test]
fn undecodable_header_where_no_content_is_expected_closes_the_connection() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send_bytes(&raw_header_frame(ch, 0, &headers_with_unknown_type()));
    assert_protocol_failure(&mut b, ReplyCode::UnexpectedFrame);

    let mut b = Broker::connected();
    let ch = b.open_channel();
    let mut bytes = BytesMut::new();
    Frame::Method(ch, deliver(1).into()).encode(&mut bytes);
    bytes.extend_from_slice(&[codec::FRAME_HEADER, 0, ch as u8, 0, 0, 0, 3, 0, 60, 0]);
    bytes.extend_from_slice(&[codec::FRAME_END]);
    b.send_bytes(&bytes);
    assert_protocol_failure(&mut b, ReplyCode::FrameError);
}

// ---------------------------------------------------------------------------------------------
// Publishing and confirms
// ---------------------------------------------------------------------------------------------

/// Splits raw transmitted bytes into frames, checking each declared size against `frame_max`.
fn split_frames(mut raw: BytesMut, frame_max: u32) -> Vec<Frame> {
    let mut frames = Vec::new();
    while !raw.is_empty() {
        let size = u32::from_be_bytes([raw[3], raw[4], raw[5], raw[6]]) as usize;
        assert!(
            size + codec::FRAME_OVERHEAD <= frame_max as usize,
            "frame of {} bytes exceeds frame-max {frame_max}",
            size + codec::FRAME_OVERHEAD
        );
        frames.push(
            codec::decode_frame(&mut raw, frame_max)
                .expect("well-formed")
                .expect("complete"),
        );
    }
    frames
}

fn publish_split_case(frame_max: u32, body_len: usize) {
    let mut b = Broker::connected_with(
        ConnectionConfig {
            heartbeat: 0,
            ..Default::default()
        },
        ConnectionTune {
            channel_max: 0,
            frame_max,
            heartbeat: 0,
        },
    );
    let ch = b.open_channel();
    let body: Bytes = (0..body_len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    let props = BasicProperties {
        content_type: Some(short("application/octet-stream")),
        ..Default::default()
    };
    let publish = BasicPublish {
        exchange: short("ex"),
        routing_key: short("rk"),
        ..Default::default()
    };
    let seq = b.conn.publish(ch, publish.clone(), &props, &body).unwrap();
    assert_eq!(seq, None, "not in confirm mode");
    let frames = split_frames(b.take_raw(), frame_max);
    let max_payload = frame_max as usize - codec::FRAME_OVERHEAD;
    let expected_bodies = body_len.div_ceil(max_payload);
    assert_eq!(frames.len(), 2 + expected_bodies, "frame_max {frame_max}");
    assert_eq!(frames[0], Frame::Method(ch, publish.into()));
    assert_eq!(frames[1], Frame::Header(ch, header(body_len as u64, props)));
    let mut joined = BytesMut::new();
    for (i, f) in frames[2..].iter().enumerate() {
        let Frame::Body(c, part) = f else {
            panic!("expected body frame, got {f:?}");
        };
        assert_eq!(*c, ch);
        assert!(!part.is_empty());
        if i + 1 < expected_bodies {
            assert_eq!(part.len(), max_payload, "body frames are filled");
        }
        joined.extend_from_slice(part);
    }
    assert_eq!(joined.freeze(), body);
}

#[test]
fn publish_splits_body_at_frame_max() {
    // Small frames (body pieces copied into the coalescing buffer).
    publish_split_case(4096, 10_000);
    // Larger frames (body pieces queued as their own chunks).
    publish_split_case(16_384, 50_000);
    // Exactly one full frame, and one byte over.
    publish_split_case(4096, 4088);
    publish_split_case(4096, 4089);
}

#[test]
fn publish_empty_body_sends_no_body_frame() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new(),
        )
        .unwrap();
    let frames = split_frames(b.take_raw(), 131_072);
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[1],
        Frame::Header(ch, header(0, BasicProperties::default()))
    );
}

#[test]
fn publish_on_unopened_channel_is_refused() {
    let mut b = Broker::connected();
    assert!(matches!(
        b.conn.publish(
            5,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new()
        ),
        Err(Error::ChannelClosedByClient)
    ));
    let ch = b.conn.open_channel().unwrap();
    assert!(b
        .conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new()
        )
        .is_err());
}

#[test]
fn confirm_mode_sequence_numbers_and_confirms() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    let plain = b
        .conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new(),
        )
        .unwrap();
    assert_eq!(plain, None);
    b.take_raw();
    b.conn
        .send_method(ch, ConfirmSelect { nowait: false }.into())
        .unwrap();
    let Method::ConfirmSelect(_) = b.expect_method(ch) else {
        panic!("expected confirm.select");
    };
    b.send(ch, ConfirmSelectOk {});
    assert!(matches!(
        b.one_event(),
        Event::Reply {
            method: Method::ConfirmSelectOk(_),
            ..
        }
    ));
    let seqs: Vec<_> = (0..3)
        .map(|_| {
            b.conn
                .publish(
                    ch,
                    BasicPublish::default(),
                    &BasicProperties::default(),
                    &Bytes::from_static(b"m"),
                )
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, vec![Some(1), Some(2), Some(3)]);
    b.take_raw();
    // A second confirm.select does not restart the numbering.
    b.conn
        .send_method(ch, ConfirmSelect { nowait: true }.into())
        .unwrap();
    b.expect_method(ch);
    let seq = b
        .conn
        .publish(
            ch,
            BasicPublish::default(),
            &BasicProperties::default(),
            &Bytes::new(),
        )
        .unwrap();
    assert_eq!(seq, Some(4));
    b.take_raw();

    b.send_frames(&[
        Frame::Method(
            ch,
            BasicAck {
                delivery_tag: 2,
                multiple: true,
            }
            .into(),
        ),
        Frame::Method(
            ch,
            BasicNack {
                delivery_tag: 3,
                multiple: false,
                requeue: false,
            }
            .into(),
        ),
        Frame::Method(
            ch,
            BasicAck {
                delivery_tag: 4,
                multiple: false,
            }
            .into(),
        ),
    ]);
    let got: Vec<_> = b
        .take_events()
        .into_iter()
        .map(|e| match e {
            Event::Confirm {
                channel,
                delivery_tag,
                multiple,
                ack,
            } => (channel, delivery_tag, multiple, ack),
            other => panic!("got {other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (ch, 2, true, true),
            (ch, 3, false, false),
            (ch, 4, false, true)
        ]
    );
    b.expect_silence();
}

#[test]
fn confirm_numbering_is_per_channel() {
    let mut b = Broker::connected();
    let c1 = b.open_channel();
    let c2 = b.open_channel();
    for ch in [c1, c2] {
        b.conn
            .send_method(ch, ConfirmSelect { nowait: true }.into())
            .unwrap();
    }
    let mut publish = |ch| {
        b.conn
            .publish(
                ch,
                BasicPublish::default(),
                &BasicProperties::default(),
                &Bytes::new(),
            )
            .unwrap()
    };
    assert_eq!(publish(c1), Some(1));
    assert_eq!(publish(c1), Some(2));
    assert_eq!(publish(c2), Some(1));
}

// ---------------------------------------------------------------------------------------------
// Server-initiated consumer cancel and flow
// ---------------------------------------------------------------------------------------------

#[test]
fn broker_cancels_consumer() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send(
        ch,
        BasicCancel {
            consumer_tag: short("ctag-1"),
            nowait: false,
        },
    );
    let Method::BasicCancelOk(ok) = b.expect_method(ch) else {
        panic!("expected basic.cancel-ok");
    };
    assert_eq!(ok.consumer_tag, "ctag-1");
    b.expect_silence();
    match b.one_event() {
        Event::ConsumerCancelled {
            channel,
            consumer_tag,
        } => {
            assert_eq!(channel, ch);
            assert_eq!(consumer_tag, "ctag-1");
        }
        other => panic!("got {other:?}"),
    }
    assert_eq!(b.conn.channel_status(ch), Some(ChannelStatus::Open));
}

#[test]
fn broker_cancels_consumer_nowait() {
    // RabbitMQ sends its consumer-cancel notification with nowait set: no cancel-ok is due.
    let mut b = Broker::connected();
    let ch = b.open_channel();
    b.send(
        ch,
        BasicCancel {
            consumer_tag: short("ctag-2"),
            nowait: true,
        },
    );
    b.expect_silence();
    assert!(matches!(b.one_event(), Event::ConsumerCancelled { .. }));
}

#[test]
fn channel_flow() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    assert!(b.conn.channel_flow_active(ch));
    for active in [false, true] {
        b.send(ch, ChannelFlow { active });
        let Method::ChannelFlowOk(ok) = b.expect_method(ch) else {
            panic!("expected channel.flow-ok");
        };
        assert_eq!(ok.active, active);
        b.expect_silence();
        match b.one_event() {
            Event::Flow { channel, active: a } => {
                assert_eq!(channel, ch);
                assert_eq!(a, active);
            }
            other => panic!("got {other:?}"),
        }
        assert_eq!(b.conn.channel_flow_active(ch), active);
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------------------

fn bad_frame_end() -> BytesMut {
    let mut buf = BytesMut::new();
    Frame::Method(0, ConnectionBlocked::default().into()).encode(&mut buf);
    let last = buf.len() - 1;
    buf[last] = 0x00;
    buf
}

/// Only the 7-byte header of a frame declaring `size` payload bytes.
fn oversized_frame_header(size: u32) -> Vec<u8> {
    let mut v = vec![codec::FRAME_BODY, 0, 1];
    v.extend_from_slice(&size.to_be_bytes());
    v
}

#[test]
fn bad_frame_end_when_open() {
    let mut b = Broker::connected();
    b.send_bytes(&bad_frame_end());
    b.expect_connection_close(ReplyCode::FrameError as u16);
    b.expect_silence();
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
    // Nothing more is processed.
    b.send(0, ConnectionCloseOk {});
    b.expect_no_event();
    b.expect_silence();
}

#[test]
fn frame_above_frame_max_when_open() {
    let mut b = Broker::connected_with(
        ConnectionConfig {
            heartbeat: 0,
            ..Default::default()
        },
        ConnectionTune {
            channel_max: 0,
            frame_max: 4096,
            heartbeat: 0,
        },
    );
    b.open_channel();
    // Refused from the header alone: the payload is never needed.
    b.send_bytes(&oversized_frame_header(4096));
    let close = b.expect_connection_close(ReplyCode::FrameError as u16);
    assert!(close.reply_text.as_str().contains("4096"), "{close:?}");
    b.expect_silence();
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

#[test]
fn frame_exactly_frame_max_is_accepted() {
    let mut b = Broker::connected_with(
        ConnectionConfig {
            heartbeat: 0,
            ..Default::default()
        },
        ConnectionTune {
            channel_max: 0,
            frame_max: 4096,
            heartbeat: 0,
        },
    );
    let ch = b.open_channel();
    let payload = Bytes::from(vec![7u8; 4096 - codec::FRAME_OVERHEAD]);
    b.send_frames(&[
        Frame::Method(ch, deliver(1).into()),
        Frame::Header(ch, header(payload.len() as u64, BasicProperties::default())),
        Frame::Body(ch, payload.clone()),
    ]);
    match b.one_event() {
        Event::Delivery { content, .. } => assert_eq!(content.body, payload),
        other => panic!("got {other:?}"),
    }
}

#[test]
fn unknown_frame_type_when_open() {
    let mut b = Broker::connected();
    b.send_bytes(&[9, 0, 0, 0, 0, 0, 0, 0xCE]);
    b.expect_connection_close(ReplyCode::FrameError as u16);
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

#[test]
fn unknown_method_when_open() {
    let mut b = Broker::connected();
    let mut buf = BytesMut::new();
    codec::encode_body_frame_header(&mut buf, 0, 4);
    buf[0] = codec::FRAME_METHOD;
    buf.extend_from_slice(&[0x03, 0xE7, 0x00, 0x01]); // class 999, method 1
    codec::encode_frame_end(&mut buf);
    b.send_bytes(&buf);
    b.expect_connection_close(ReplyCode::NotImplemented as u16);
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

#[test]
fn malformed_input_before_start_sends_no_close() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.expect_protocol_header();
    b.send_bytes(&bad_frame_end());
    b.expect_silence();
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

#[test]
fn broker_answering_with_protocol_header() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.expect_protocol_header();
    b.send_bytes(b"AMQP\x00\x00\x09\x00");
    b.expect_silence();
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

#[test]
fn malformed_input_during_handshake_sends_close() {
    let mut b = Broker::new(ConnectionConfig::default());
    b.start("PLAIN");
    b.send_bytes(&oversized_frame_header(1 << 30));
    b.expect_connection_close(ReplyCode::FrameError as u16);
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

#[test]
fn frames_after_a_bad_frame_in_the_same_read_are_ignored() {
    let mut b = Broker::connected();
    let ch = b.open_channel();
    let mut buf = bad_frame_end();
    Frame::Method(ch, ChannelFlow { active: false }.into()).encode(&mut buf);
    b.send_bytes(&buf);
    b.expect_connection_close(ReplyCode::FrameError as u16);
    b.expect_silence();
    assert!(matches!(b.expect_closed_err(), Error::Protocol(_)));
}

// ---- limits and pauses the driver relies on ---------------------------------------------------

#[test]
fn a_message_above_max_message_size_closes_only_its_channel_before_allocation() {
    let mut b = Broker::connected_with(
        ConnectionConfig {
            heartbeat: 0,
            max_message_size: 1000,
            ..Default::default()
        },
        ConnectionTune {
            channel_max: 2047,
            frame_max: 131_072,
            heartbeat: 0,
        },
    );
    let big = b.open_channel();
    let good = b.open_channel();
    // The header announces 1 GiB: refused from the header alone.
    b.send_frames(&[
        Frame::Method(big, deliver(1).into()),
        Frame::Header(big, header(1 << 30, BasicProperties::default())),
        Frame::Body(big, Bytes::from_static(b"first slice of a huge body")),
        Frame::Method(good, deliver(1).into()),
        Frame::Header(good, header(2, BasicProperties::default())),
        Frame::Body(good, Bytes::from_static(b"ok")),
    ]);
    let Method::ChannelClose(close) = b.expect_method(big) else {
        panic!("expected channel.close");
    };
    assert_eq!(close.reply_code, ReplyCode::ContentTooLarge as u16);
    b.expect_silence();
    let evs = b.take_events();
    assert_eq!(evs.len(), 2, "{evs:?}");
    match &evs[0] {
        Event::ChannelFailed {
            channel,
            close,
            error: Error::MessageTooLarge { size, max },
        } => {
            assert_eq!((*channel, *size, *max), (big, 1 << 30, 1000));
            assert_eq!(close.reply_code, 311);
        }
        other => panic!("got {other:?}"),
    }
    assert!(matches!(&evs[1], Event::Delivery { channel, .. } if *channel == good));
    // The rest of the refused body is dropped while closing; the close-ok is not reported.
    b.send_frames(&[
        Frame::Body(big, Bytes::from_static(b"more of it")),
        Frame::Method(big, ChannelCloseOk {}.into()),
    ]);
    b.expect_no_event();
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    assert_eq!(b.conn.channel_status(big), None, "number free again");
}

#[test]
fn paused_input_suspends_missed_heartbeat_detection_but_not_heartbeats() {
    let mut b = heartbeat_broker(10);
    b.conn.set_input_paused(true, b.now);
    // Far past two intervals without input: still open, still sending heartbeats.
    for _ in 0..6 {
        let deadline = b.conn.poll_timeout().expect("timer while open");
        b.now = deadline;
        b.timeout();
        expect_heartbeat(&mut b);
    }
    assert_eq!(b.conn.status(), ConnectionStatus::Open);
    // Resuming gives the broker two fresh intervals.
    b.conn.set_input_paused(false, b.now);
    let resumed = b.now;
    loop {
        let deadline = b.conn.poll_timeout().expect("timer while open");
        b.now = deadline;
        b.timeout();
        if b.conn.status() == ConnectionStatus::Closed {
            break;
        }
        expect_heartbeat(&mut b);
    }
    assert_eq!(b.now, resumed + secs(20));
    assert!(matches!(b.expect_closed_err(), Error::MissedHeartbeats));
}

#[test]
fn channels_can_be_reopened_on_their_old_numbers() {
    let mut b = Broker::connected();
    b.conn.open_channel_numbered(7).unwrap();
    let Method::ChannelOpen(_) = b.expect_method(7) else {
        panic!("expected channel.open on 7");
    };
    assert!(matches!(
        b.conn.open_channel_numbered(7),
        Err(Error::InvalidState(_))
    ));
    assert!(matches!(
        b.conn.open_channel_numbered(0),
        Err(Error::ChannelsExhausted(_))
    ));
    assert!(matches!(
        b.conn.open_channel_numbered(4000),
        Err(Error::ChannelsExhausted(2047))
    ));
    b.send(7, ChannelOpenOk::default());
    assert!(matches!(b.one_event(), Event::Reply { channel: 7, .. }));
    // Automatic numbering skips the taken number.
    for _ in 1..=8 {
        let id = b.conn.open_channel().unwrap();
        assert_ne!(id, 7);
    }
}
