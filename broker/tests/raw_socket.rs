//! Protocol robustness over raw TCP: malformed, out-of-order and hostile input, and what the
//! broker answers — checked against RabbitMQ 3.10 as the oracle.
//!
//! Every case runs twice: `<case>::warren` against an in-process broker, and `<case>::rabbitmq`
//! against the broker named by `WARREN_RAW_ORACLE` (e.g. `127.0.0.1:5672`; skipped when unset),
//! with the same assertions. While a case runs, a well-behaved client on another connection
//! publishes and gets in a loop; it, and a fresh connection afterwards, must be served.
//!
//! RabbitMQ's behaviour that the cases pin down:
//! * before `tune-ok`, any error is answered by closing the socket without a word, after a
//!   delay (3 s) — except a refused login from a client with `authentication_failure_close`,
//!   which gets 403;
//! * from `tune-ok` on, errors are `connection.close` with the reply code and, where RabbitMQ
//!   sets them, the class and method ids;
//! * frame errors (bad end octet, too large, unknown type) are 501 with ids 0/0.

mod raw_support;
mod support;

use std::time::{Duration, Instant};

use raw_support::*;
use warren_core::codec::{self, Frame, Method, ShortString};

// ---- framing ----

async fn bad_frame_end(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let mut bytes = frames(&[Frame::Method(1, queue_declare("raw.bad-end"))]).to_vec();
    *bytes.last_mut().unwrap() = 0x00;
    raw.send(&bytes).await;
    raw.expect_close(501, 0, 0).await;
}
raw_case!(bad_frame_end);

async fn unknown_frame_type(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send(&raw_frame(9, 1, b"abc", codec::FRAME_END)).await;
    raw.expect_close(501, 0, 0).await;
}
raw_case!(unknown_frame_type);

/// Frame-max as negotiated (4096 here), with RabbitMQ's allowance: a payload of up to frame-max
/// bytes passes (frame-max counts the 8 framing bytes, but many clients forget them).
async fn frame_above_negotiated_frame_max(t: Target) {
    let opts = Handshake {
        frame_max: Some(4096),
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    raw.handshake(&opts).await;
    raw.open_channel(1).await;
    let body = vec![b'x'; 4096];
    raw.send(&frames(&[
        Frame::Method(1, publish("raw.nowhere")),
        content_header(1, 4096),
        Frame::Body(1, body.into()),
    ]))
    .await;
    raw.send_method(1, codec::ChannelClose::default()).await;
    match raw.recv_method().await {
        (1, Method::ChannelCloseOk(_)) => {}
        other => panic!("{}: a 4096-byte payload was refused: {other:?}", t.name),
    }
    raw.open_channel(2).await;
    raw.send(&frames(&[
        Frame::Method(2, publish("raw.nowhere")),
        content_header(2, 4097),
        Frame::Body(2, vec![b'x'; 4097].into()),
    ]))
    .await;
    raw.expect_close(501, 0, 0).await;
}
raw_case!(frame_above_negotiated_frame_max);

/// A frame declaring a huge size is refused from its 7-byte header, not buffered.
async fn huge_frame_size_refused_from_header(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.send(&[codec::FRAME_BODY, 0, 1, 0xff, 0xff, 0xff, 0xf0])
        .await;
    raw.expect_close(501, 0, 0).await;
}
raw_case!(huge_frame_size_refused_from_header);

/// Method arguments cut short: 501 naming the method (RabbitMQ: "cannot decode").
async fn truncated_method_arguments(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send(&raw_method(1, 50, 10, &[0])).await;
    raw.expect_close(501, 50, 10).await;
}
raw_case!(truncated_method_arguments);

// ---- channels ----

async fn method_on_channel_never_opened(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_method(5, queue_declare("raw.never")).await;
    raw.expect_close(504, 50, 10).await;

    // A content-bearing method: RabbitMQ assembles the content first, then refuses.
    let mut raw = Raw::open(&t).await;
    raw.send(&frames(&[
        Frame::Method(3, publish("raw.never")),
        content_header(3, 0),
    ]))
    .await;
    raw.expect_close(504, 60, 40).await;
}
raw_case!(method_on_channel_never_opened);

async fn second_channel_open(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_method(1, codec::ChannelOpen::default()).await;
    let text = raw.expect_close(504, 20, 10).await;
    assert!(text.contains("second 'channel.open'"), "{text}");
}
raw_case!(second_channel_open);

/// RabbitMQ reads channel-max as the number of channels open at once, not as the highest
/// channel number: channel 3000 opens under channel-max 2, and the third channel is refused
/// with 530 and no method ids.
async fn channel_above_channel_max(t: Target) {
    let opts = Handshake {
        channel_max: Some(2),
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    raw.handshake(&opts).await;
    raw.open_channel(3000).await;
    raw.open_channel(1).await;
    raw.send_method(2, codec::ChannelOpen::default()).await;
    let text = raw.expect_close(530, 0, 0).await;
    assert!(
        text.contains("number of channels opened (2) has reached the negotiated channel_max (2)"),
        "{text}"
    );
}
raw_case!(channel_above_channel_max);

async fn heartbeat_on_nonzero_channel(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_frame(&Frame::Heartbeat(1)).await;
    raw.expect_close(505, 0, 0).await;
}
raw_case!(heartbeat_on_nonzero_channel);

// ---- content ----

async fn content_header_without_method(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_frame(&content_header(1, 5)).await;
    raw.expect_close(505, 0, 0).await;
}
raw_case!(content_header_without_method);

async fn content_on_channel_never_opened(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_frame(&content_header(7, 3)).await;
    raw.expect_close(505, 0, 0).await;

    let mut raw = Raw::open(&t).await;
    raw.send_frame(&Frame::Body(7, b"abc"[..].into())).await;
    raw.expect_close(505, 0, 0).await;
}
raw_case!(content_on_channel_never_opened);

async fn content_on_channel_zero(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.send_frame(&content_header(0, 0)).await;
    raw.expect_close(505, 0, 0).await;

    let mut raw = Raw::open(&t).await;
    raw.send_frame(&Frame::Body(0, b"x"[..].into())).await;
    raw.expect_close(505, 0, 0).await;
}
raw_case!(content_on_channel_zero);

async fn body_before_header(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send(&frames(&[
        Frame::Method(1, publish("raw.q")),
        Frame::Body(1, b"12345"[..].into()),
    ]))
    .await;
    raw.expect_close(505, 60, 40).await;
}
raw_case!(body_before_header);

async fn body_without_publish(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_frame(&Frame::Body(1, b"12345"[..].into())).await;
    raw.expect_close(505, 0, 0).await;
}
raw_case!(body_without_publish);

/// More body than the header declared. RabbitMQ then waits for a body that can never complete
/// and refuses the channel's next frame; warren refuses at once. Either way the next method
/// on the channel meets 505 naming basic.publish.
async fn body_longer_than_header(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send(&frames(&[
        Frame::Method(1, publish("raw.q")),
        content_header(1, 3),
        Frame::Body(1, b"12345"[..].into()),
        Frame::Method(1, queue_declare("raw.after")),
    ]))
    .await;
    raw.expect_close(505, 60, 40).await;
}
raw_case!(body_longer_than_header);

/// A method where content was expected (header, or the rest of the body).
async fn method_instead_of_content(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send(&frames(&[
        Frame::Method(1, publish("raw.q")),
        Frame::Method(1, queue_declare("raw.after")),
    ]))
    .await;
    raw.expect_close(505, 60, 40).await;

    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send(&frames(&[
        Frame::Method(1, publish("raw.q")),
        content_header(1, 10),
        Frame::Body(1, b"12345"[..].into()),
        Frame::Method(1, queue_declare("raw.after")),
    ]))
    .await;
    raw.expect_close(505, 60, 40).await;
}
raw_case!(method_instead_of_content);

async fn content_header_for_other_class(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let mut header = content_header(1, 3);
    if let Frame::Header(_, h) = &mut header {
        h.class_id = 50;
    }
    raw.send(&frames(&[Frame::Method(1, publish("raw.q")), header]))
        .await;
    raw.expect_close(505, 60, 40).await;
}
raw_case!(content_header_for_other_class);

// ---- methods a client does not send ----

async fn non_client_methods(t: Target) {
    // connection.start from the client, once open.
    let mut raw = Raw::open(&t).await;
    raw.send_method(0, codec::ConnectionStart::default()).await;
    let text = raw.expect_close(504, 10, 10).await;
    assert!(text.contains("unexpected method"), "{text}");

    // Handshake methods again, once open; an unsolicited close-ok.
    for m in [
        Method::from(Handshake::default().start_ok()),
        codec::ConnectionTuneOk::default().into(),
        codec::ConnectionCloseOk {}.into(),
    ] {
        let ids = (m.class_id(), m.method_id());
        let mut raw = Raw::open(&t).await;
        raw.send_method(0, m).await;
        raw.expect_close(504, ids.0, ids.1).await;
    }

    // A channel method on channel 0.
    let mut raw = Raw::open(&t).await;
    raw.send_method(0, codec::ChannelOpen::default()).await;
    raw.expect_close(504, 20, 10).await;

    // basic.deliver (with its content: RabbitMQ assembles it first).
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let deliver = codec::BasicDeliver {
        consumer_tag: ShortString::from_static("t"),
        delivery_tag: 1,
        routing_key: ShortString::from_static("q"),
        ..Default::default()
    };
    raw.send(&frames(&[
        Frame::Method(1, deliver.into()),
        content_header(1, 0),
    ]))
    .await;
    raw.expect_close(503, 60, 60).await;

    // A reply that only a server sends.
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_method(
        1,
        codec::BasicConsumeOk {
            consumer_tag: ShortString::from_static("t"),
        },
    )
    .await;
    raw.expect_close(503, 60, 21).await;

    // channel.close-ok for a close nobody sent.
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    raw.send_method(1, codec::ChannelCloseOk {}).await;
    raw.expect_close(503, 20, 41).await;
}
raw_case!(non_client_methods);

/// The client closes a channel just as the broker closes it with an error: each answers the
/// other's close, and the channel can be opened again once both close-oks are through.
async fn crossing_channel_closes(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let get = codec::BasicGet {
        queue: ShortString::from_static("raw.no-such-queue"),
        ..Default::default()
    };
    raw.send(&frames(&[
        Frame::Method(1, get.into()),
        Frame::Method(1, codec::ChannelClose::default().into()),
    ]))
    .await;
    match raw.recv_method().await {
        (1, Method::ChannelClose(c)) => assert_eq!(c.reply_code, 404),
        other => panic!("{}: expected channel.close 404, got {other:?}", t.name),
    }
    match raw.recv_method().await {
        (1, Method::ChannelCloseOk(_)) => {}
        other => panic!("{}: expected channel.close-ok, got {other:?}", t.name),
    }
    raw.send_method(1, codec::ChannelCloseOk {}).await;
    raw.open_channel(1).await;
    raw.open_channel(2).await;
}
raw_case!(crossing_channel_closes);

// ---- protocol header ----

async fn garbage_instead_of_protocol_header(t: Target) {
    let mut raw = Raw::connect(&t).await;
    raw.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    match raw.recv(REPLY_TIMEOUT).await {
        Event::ProtocolHeader(h) => assert_eq!(&h, codec::PROTOCOL_HEADER),
        other => panic!("{}: expected AMQP 0-9-1 header, got {other:?}", t.name),
    }
    raw.expect_closed(Duration::from_secs(2)).await;
}
raw_case!(garbage_instead_of_protocol_header);

async fn other_protocol_versions(t: Target) {
    for header in [
        &b"AMQP\x00\x01\x00\x00"[..], // AMQP 1.0
        b"AMQP\x03\x01\x00\x00",      // AMQP 1.0 SASL
        b"AMQP\x02\x01\x00\x00",      // AMQP 1.0 TLS
        b"AMQP\x01\x01\x00\x0a",      // AMQP 0-10
        b"AMQP\x00\x00\x09\x02",      // a later 0-9 revision
        b"AMQP\x00\x00\x0a\x00",
    ] {
        let mut raw = Raw::connect(&t).await;
        raw.send(header).await;
        match raw.recv(REPLY_TIMEOUT).await {
            Event::ProtocolHeader(h) => assert_eq!(&h, codec::PROTOCOL_HEADER, "{header:?}"),
            other => panic!("{}: {header:?}: expected our header, got {other:?}", t.name),
        }
        raw.expect_closed(Duration::from_secs(2)).await;
    }
}
raw_case!(other_protocol_versions);

/// The 0-9 header (`AMQP 1 1 0 9`): 0-9 and 0-9-1 frame alike, and RabbitMQ answers it with
/// `connection.start` version 0-9.
async fn amqp_0_9_header(t: Target) {
    let mut raw = Raw::connect(&t).await;
    raw.send(b"AMQP\x01\x01\x00\x09").await;
    match raw.recv_method().await {
        (0, Method::ConnectionStart(s)) => {
            assert_eq!((s.version_major, s.version_minor), (0, 9))
        }
        other => panic!("{}: expected connection.start, got {other:?}", t.name),
    }
}
raw_case!(amqp_0_9_header);

/// Known difference: RabbitMQ 3.10 still speaks AMQP 0-8 (`AMQP 1 1 8 0`, answered with
/// `connection.start` version 8-0); warren speaks 0-9-1 only and answers the header it speaks.
#[tokio::test]
async fn amqp_0_8_header_known_difference() {
    let check = |name| {
        move |h: Event| match (name, h) {
            ("warren", Event::ProtocolHeader(h)) => assert_eq!(&h, codec::PROTOCOL_HEADER),
            ("rabbitmq", Event::Frame(Frame::Method(0, Method::ConnectionStart(s)))) => {
                assert_eq!((s.version_major, s.version_minor), (8, 0))
            }
            (name, other) => panic!("{name}: unexpected answer to 0-8: {other:?}"),
        }
    };
    let (t, broker) = warren_target(warren_config()).await;
    let mut raw = Raw::connect(&t).await;
    raw.send(b"AMQP\x01\x01\x08\x00").await;
    check("warren")(raw.recv(REPLY_TIMEOUT).await);
    raw.expect_closed(Duration::from_secs(2)).await;
    broker.shutdown().await;
    if let Some(t) = oracle_target() {
        let mut raw = Raw::connect(&t).await;
        raw.send(b"AMQP\x01\x01\x08\x00").await;
        check("rabbitmq")(raw.recv(REPLY_TIMEOUT).await);
    }
}

// ---- handshake ----

/// Nothing (or not the whole header, or nothing after it) within the handshake timeout: the
/// socket is closed without a word.
async fn handshake_timeout(t: Target) {
    let timeout = t.handshake_timeout;
    let check = |took: Duration| {
        assert!(
            took + Duration::from_millis(300) >= timeout
                && took <= timeout + Duration::from_secs(3),
            "{}: closed after {took:?}, handshake timeout {timeout:?}",
            t.name
        )
    };
    let started = Instant::now();
    let mut silent = Raw::connect(&t).await;
    let mut partial = Raw::connect(&t).await;
    partial.send(b"AM").await;
    let mut after_header = Raw::connect(&t).await;
    after_header.start().await;
    let mut after_login = Raw::connect(&t).await;
    after_login.start_and_login(&Handshake::default()).await;
    for raw in [
        &mut silent,
        &mut partial,
        &mut after_header,
        &mut after_login,
    ] {
        raw.expect_closed(timeout + Duration::from_secs(3)).await;
        check(started.elapsed());
    }
}
raw_case!(handshake_timeout);

async fn tune_ok_out_of_range(t: Target) {
    let cases = [
        (Some(1000), None),              // frame_max below 4096
        (Some(0), None),                 // "no limit" while the server has one
        (Some(t.frame_max + 1), None),   // above the server's
        (None, Some(0)),                 // channel_max "no limit"
        (None, Some(t.channel_max + 1)), // above the server's
    ];
    let mut conns = Vec::new();
    for (frame_max, channel_max) in cases {
        let opts = Handshake {
            frame_max,
            channel_max,
            ..Default::default()
        };
        let mut raw = Raw::connect(&t).await;
        let tune = raw.start_and_login(&opts).await;
        raw.tune_ok(&opts, &tune).await;
        raw.send_open("/").await;
        conns.push(raw);
    }
    // RabbitMQ's code means to answer 530 here, but its handler only recognises errors without
    // a method: what the client sees is the silent close.
    for raw in &mut conns {
        raw.expect_silent_close().await;
    }
}
raw_case!(tune_ok_out_of_range);

async fn open_missing_vhost(t: Target) {
    let opts = Handshake {
        vhost: "raw-no-such-vhost",
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    let tune = raw.start_and_login(&opts).await;
    raw.tune_ok(&opts, &tune).await;
    raw.send_open(opts.vhost).await;
    let text = raw.expect_close(530, 10, 40).await;
    assert!(text.contains("raw-no-such-vhost"), "{text}");
}
raw_case!(open_missing_vhost);

async fn wrong_password(t: Target) {
    // With authentication_failure_close: 403, no method ids.
    let opts = Handshake {
        password: "not-the-password",
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    raw.send_method(0, opts.start_ok()).await;
    let text = raw.expect_close(403, 0, 0).await;
    assert!(
        text.starts_with("ACCESS_REFUSED - Login was refused"),
        "{text}"
    );

    // Without it (or with it false): the socket is closed without a word, after a delay.
    for afc in [None, Some(false)] {
        let opts = Handshake {
            password: "not-the-password",
            auth_failure_close: afc,
            ..Default::default()
        };
        let mut raw = Raw::connect(&t).await;
        raw.start().await;
        raw.send_method(0, opts.start_ok()).await;
        raw.expect_silent_close().await;
    }
}
raw_case!(wrong_password);

async fn unknown_sasl_mechanism(t: Target) {
    for afc in [Some(true), None] {
        let opts = Handshake {
            mechanism: "X-NO-SUCH-MECHANISM",
            auth_failure_close: afc,
            ..Default::default()
        };
        let mut raw = Raw::connect(&t).await;
        raw.start().await;
        raw.send_method(0, opts.start_ok()).await;
        raw.expect_silent_close().await;
    }
}
raw_case!(unknown_sasl_mechanism);

/// Protocol violations before `tune-ok` are all answered the same way: silence, then close.
async fn handshake_violations(t: Target) {
    let mut conns = Vec::new();
    // tune-ok instead of start-ok.
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    raw.send_method(0, codec::ConnectionTuneOk::default()).await;
    conns.push(raw);
    // open before tune-ok.
    let mut raw = Raw::connect(&t).await;
    raw.start_and_login(&Handshake::default()).await;
    raw.send_open("/").await;
    conns.push(raw);
    // connection.close before start-ok.
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    raw.send_method(0, codec::ConnectionClose::default()).await;
    conns.push(raw);
    // A PLAIN response without its NULs.
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    let mut ok = Handshake::default().start_ok();
    ok.response = "guestguest".into();
    raw.send_method(0, ok).await;
    conns.push(raw);
    // A frame error before start-ok.
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    raw.send(&raw_frame(codec::FRAME_METHOD, 0, b"\x00\x0a\x00\x0b", 0))
        .await;
    conns.push(raw);
    // A channel frame before start-ok.
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    raw.send_method(1, codec::ChannelOpen::default()).await;
    conns.push(raw);
    // start-ok above the pre-tune frame-max (4096).
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    let mut ok = Handshake::default().start_ok();
    ok.client_properties
        .insert_key(ShortString::from_static("padding"), "x".repeat(5000).into());
    raw.send_method(0, ok).await;
    conns.push(raw);
    for raw in &mut conns {
        raw.expect_silent_close().await;
    }
}
raw_case!(handshake_violations);

/// Connects, logs in and sends `tune-ok`, stopping before `connection.open`.
async fn after_tune_ok(t: &Target) -> Raw {
    let opts = Handshake::default();
    let mut raw = Raw::connect(t).await;
    let tune = raw.start_and_login(&opts).await;
    raw.tune_ok(&opts, &tune).await;
    raw
}

/// After `tune-ok` and before `connection.open`, errors are answered with `connection.close`.
async fn frames_before_connection_open(t: Target) {
    let mut raw = after_tune_ok(&t).await;
    raw.send_method(1, codec::ChannelOpen::default()).await;
    raw.expect_close(505, 0, 0).await;

    let mut raw = after_tune_ok(&t).await;
    raw.send_frame(&Frame::Heartbeat(1)).await;
    raw.expect_close(505, 0, 0).await;

    let mut raw = after_tune_ok(&t).await;
    raw.send_method(0, codec::ConnectionTuneOk::default()).await;
    raw.expect_close(504, 10, 31).await;

    let mut raw = after_tune_ok(&t).await;
    raw.send_method(0, codec::ConnectionClose::default()).await;
    raw.expect_close(504, 10, 50).await;

    let mut raw = after_tune_ok(&t).await;
    let mut bytes = frames(&[Frame::Method(0, codec::ConnectionOpen::default().into())]).to_vec();
    *bytes.last_mut().unwrap() = 0;
    raw.send(&bytes).await;
    raw.expect_close(501, 0, 0).await;
}
raw_case!(frames_before_connection_open);

// ---- the peer going away or silent ----

/// A frame cut short, then EOF: the broker just cleans up — no reply, the socket closes, the
/// connection's exclusive queue is deleted.
async fn truncated_frames_then_eof(t: Target) {
    let queue = format!("raw.truncated.{}", std::process::id());
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let declare = codec::QueueDeclare {
        queue: ShortString::try_from(queue.clone()).unwrap(),
        exclusive: true,
        ..Default::default()
    };
    raw.send_method(1, declare).await;
    match raw.recv_method().await {
        (1, Method::QueueDeclareOk(_)) => {}
        other => panic!("{}: expected declare-ok, got {other:?}", t.name),
    }
    let full = frames(&[Frame::Method(1, queue_declare("raw.cut"))]);
    raw.send(&full[..full.len() / 2]).await;
    raw.shutdown_write().await;
    raw.expect_closed(Duration::from_secs(2)).await;

    // The exclusive queue goes with the connection (asynchronously in RabbitMQ).
    let conn = warren_core::client::Connection::connect(&t.uri())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let ch = conn.open_channel().await.unwrap();
        let passive = warren_core::client::QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        match ch.queue_declare(&queue, passive, Default::default()).await {
            Err(warren_core::Error::ChannelClosed(e)) if e.reply_code == 404 => break,
            Ok(_) | Err(warren_core::Error::ChannelClosed(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            other => panic!("{}: exclusive queue still there: {other:?}", t.name),
        }
    }
    let _ = conn.close().await;

    // Cut inside the protocol header, the frame header, and start-ok.
    for cut in [3usize, 8 + 4, 8 + 20] {
        let mut raw = Raw::connect(&t).await;
        let mut bytes = codec::PROTOCOL_HEADER.to_vec();
        bytes.extend_from_slice(&frames(&[Frame::Method(
            0,
            Handshake::default().start_ok().into(),
        )]));
        if cut > 8 {
            raw.start().await;
            raw.send(&bytes[8..cut]).await;
        } else {
            raw.send(&bytes[..cut]).await;
        }
        raw.shutdown_write().await;
        raw.expect_closed(Duration::from_secs(2)).await;
    }
    if let Some(state) = &t.state {
        let deadline = Instant::now() + Duration::from_secs(2);
        // Only the bystander is left.
        while state.connections.load(std::sync::atomic::Ordering::Acquire) > 1 {
            assert!(Instant::now() < deadline, "connections not cleaned up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
raw_case!(truncated_frames_then_eof);

/// Heartbeat 1 s negotiated, then silence: the broker sends heartbeats, then closes the socket
/// (no `connection.close`) after about two intervals.
async fn missed_heartbeats(t: Target) {
    let opts = Handshake {
        heartbeat: 1,
        ..Default::default()
    };
    let mut raw = Raw::connect(&t).await;
    raw.handshake(&opts).await;
    let t0 = Instant::now();
    let mut heartbeats = 0;
    let took = loop {
        match raw.recv(Duration::from_secs(6)).await {
            Event::Frame(Frame::Heartbeat(0)) => heartbeats += 1,
            Event::Closed => break t0.elapsed(),
            other => panic!("{}: expected heartbeats then close, got {other:?}", t.name),
        }
    };
    assert!(heartbeats >= 1, "{}: no heartbeat sent", t.name);
    assert!(
        took >= Duration::from_millis(1500) && took <= Duration::from_millis(4500),
        "{}: closed after {took:?}",
        t.name
    );
}
raw_case!(missed_heartbeats);

// ---- random input ----

/// xorshift64*: deterministic, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn some_bytes(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max) as usize;
        self.bytes(n)
    }
    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Every method id of AMQP 0-9-1, client and server side.
const METHOD_IDS: &[(u16, u16)] = &[
    (10, 10),
    (10, 11),
    (10, 20),
    (10, 21),
    (10, 30),
    (10, 31),
    (10, 40),
    (10, 41),
    (10, 50),
    (10, 51),
    (10, 60),
    (10, 61),
    (10, 70),
    (10, 71),
    (20, 10),
    (20, 11),
    (20, 20),
    (20, 21),
    (20, 40),
    (20, 41),
    (30, 10),
    (30, 11),
    (40, 10),
    (40, 11),
    (40, 20),
    (40, 21),
    (40, 30),
    (40, 31),
    (40, 40),
    (40, 51),
    (50, 10),
    (50, 11),
    (50, 20),
    (50, 21),
    (50, 30),
    (50, 31),
    (50, 40),
    (50, 41),
    (50, 50),
    (50, 51),
    (60, 10),
    (60, 11),
    (60, 20),
    (60, 21),
    (60, 30),
    (60, 31),
    (60, 40),
    (60, 50),
    (60, 60),
    (60, 70),
    (60, 71),
    (60, 72),
    (60, 80),
    (60, 90),
    (60, 100),
    (60, 110),
    (60, 111),
    (60, 120),
    (85, 10),
    (85, 11),
    (90, 10),
    (90, 11),
    (90, 20),
    (90, 21),
    (90, 30),
    (90, 31),
];

/// A field value of a random type, sometimes nested.
fn random_value(rng: &mut Rng, depth: u32) -> codec::FieldValue {
    use codec::FieldValue as V;
    match rng.below(if depth > 2 { 9 } else { 11 }) {
        0 => V::Boolean(rng.below(2) == 0),
        1 => V::ShortShortInt(rng.next() as i8),
        2 => V::ShortInt(rng.next() as i16),
        3 => V::LongInt(rng.next() as i32),
        4 => V::LongLongInt(rng.next() as i64),
        5 => V::LongLongInt(rng.below(5) as i64 - 1),
        6 => V::Double(f64::from_bits(rng.next())),
        7 => V::LongString(codec::LongString::from(rng.some_bytes(12))),
        8 => V::LongString(codec::LongString::from(rng.pick_str(&[
            "drop-head",
            "reject-publish",
            "reject-publish-dlx",
            "lazy",
            "",
            "all",
        ]))),
        9 => V::Table(random_table(rng, depth + 1)),
        _ => V::Array(
            (0..rng.below(3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
    }
}

fn random_table(rng: &mut Rng, depth: u32) -> codec::FieldTable {
    const KEYS: &[&str] = &[
        "x-max-length",
        "x-max-length-bytes",
        "x-message-ttl",
        "x-expires",
        "x-max-priority",
        "x-overflow",
        "x-dead-letter-exchange",
        "x-dead-letter-routing-key",
        "x-single-active-consumer",
        "x-queue-mode",
        "x-queue-type",
        "x-priority",
        "x-match",
        "alternate-exchange",
        "x-cancel-on-ha-failover",
        "x-death",
        "k",
    ];
    let mut t = codec::FieldTable::new();
    for _ in 0..rng.below(4) {
        let key = ShortString::from_static(rng.pick_str(KEYS));
        t.insert_key(key, random_value(rng, depth));
    }
    t
}

/// A well-formed frame a client could send, with random names, flags and arguments.
fn plausible_frame(rng: &mut Rng, ch: u16) -> Frame {
    let name = |rng: &mut Rng| {
        ShortString::from_static(rng.pick_str(&[
            "",
            "fz.q",
            "fz.x",
            "amq.direct",
            "amq.rabbitmq.reply-to",
        ]))
    };
    let flag = |rng: &mut Rng| rng.below(2) == 0;
    let m: Method = match rng.below(16) {
        0 => codec::QueueDeclare {
            queue: name(rng),
            passive: flag(rng),
            durable: flag(rng),
            exclusive: flag(rng),
            auto_delete: flag(rng),
            nowait: flag(rng),
            arguments: random_table(rng, 0),
            ..Default::default()
        }
        .into(),
        1 => codec::ExchangeDeclare {
            exchange: name(rng),
            kind: ShortString::from_static(
                rng.pick_str(&["direct", "fanout", "topic", "headers", "x-nope"]),
            ),
            passive: flag(rng),
            internal: flag(rng),
            arguments: random_table(rng, 0),
            ..Default::default()
        }
        .into(),
        2 => codec::QueueBind {
            queue: name(rng),
            exchange: name(rng),
            routing_key: name(rng),
            arguments: random_table(rng, 0),
            ..Default::default()
        }
        .into(),
        3 => codec::BasicConsume {
            queue: name(rng),
            no_ack: flag(rng),
            exclusive: flag(rng),
            arguments: random_table(rng, 0),
            ..Default::default()
        }
        .into(),
        4 => codec::BasicPublish {
            exchange: name(rng),
            routing_key: name(rng),
            mandatory: flag(rng),
            ..Default::default()
        }
        .into(),
        5 => {
            return Frame::Header(
                ch,
                Box::new(codec::ContentHeader {
                    class_id: 60,
                    body_size: rng.below(8),
                    properties: codec::BasicProperties {
                        headers: Some(random_table(rng, 0)),
                        expiration: Some(ShortString::from_static(rng.pick_str(&[
                            "0",
                            "100",
                            "-1",
                            "x",
                            "99999999999999999999",
                        ]))),
                        priority: Some(rng.next() as u8),
                        user_id: flag(rng).then(|| ShortString::from_static("guest")),
                        ..Default::default()
                    },
                }),
            )
        }
        6 => return Frame::Body(ch, rng.some_bytes(10).into()),
        7 => codec::BasicAck {
            delivery_tag: rng.below(4),
            multiple: flag(rng),
        }
        .into(),
        8 => codec::BasicNack {
            delivery_tag: rng.below(4),
            multiple: flag(rng),
            requeue: flag(rng),
        }
        .into(),
        9 => codec::BasicQos {
            prefetch_count: rng.below(3) as u16,
            global: flag(rng),
            ..Default::default()
        }
        .into(),
        10 => codec::BasicGet {
            queue: name(rng),
            no_ack: flag(rng),
            ..Default::default()
        }
        .into(),
        11 => codec::ConfirmSelect::default().into(),
        12 => codec::TxSelect::default().into(),
        13 => codec::TxCommit::default().into(),
        14 => codec::ChannelOpen::default().into(),
        _ => codec::QueueDelete {
            queue: name(rng),
            if_unused: flag(rng),
            if_empty: flag(rng),
            ..Default::default()
        }
        .into(),
    };
    Frame::Method(ch, m)
}

/// Random bytes where a frame goes: garbage frames, real method ids with garbage arguments,
/// plausible frames, and plausible frames with a few bytes flipped.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..1 + rng.below(12) {
        let ch = rng.below(4) as u16;
        match rng.below(10) {
            0 => out.extend(raw_frame(rng.next() as u8, ch, &rng.some_bytes(20), 0xce)),
            1 | 2 => {
                let (c, m) = *rng.pick(METHOD_IDS);
                let args = rng.some_bytes(40);
                out.extend(raw_method(ch, c, m, &args));
            }
            3 => out.extend(raw_frame(8, ch, &[], 0xce)),
            4 => out.extend(rng.some_bytes(16)),
            5 | 6 => {
                let mut f = frames(&[plausible_frame(rng, ch)]).to_vec();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(f.len() as u64) as usize;
                    f[i] ^= 1 << rng.below(8);
                }
                out.extend(f);
            }
            _ => out.extend(frames(&[plausible_frame(rng, ch)])),
        }
    }
    out
}

/// Thousands of random and mutated frames, on many connections at once, before and after the
/// handshake: the broker must not panic, and a well-behaved client is served throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_input_never_panics_the_broker() {
    let (t, broker) = warren_target(warren_config()).await;
    let watch = Bystander::start(&t).await.watch();
    // Reply codes of the channel and connection closes provoked, for `--nocapture`.
    let codes = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let workers: Vec<_> = (0..8u64)
        .map(|w| {
            let t = t.clone();
            let codes = codes.clone();
            tokio::spawn(async move {
                for i in 0..60u64 {
                    let seed = 0x9e37_79b9_7f4a_7c15 ^ (w << 32 | i);
                    let mut rng = Rng(seed);
                    let mut raw = Raw::connect(&t).await;
                    if rng.below(8) == 0 {
                        // Garbage in the handshake.
                        raw.start().await;
                        raw.send(&random_input(&mut rng)).await;
                        continue;
                    }
                    raw.handshake(&Handshake::default()).await;
                    raw.open_channel(1).await;
                    raw.open_channel(2).await;
                    for _ in 0..1 + rng.below(4) {
                        let input = random_input(&mut rng);
                        raw.send(&input).await;
                    }
                    // Drain whatever the broker answers until it closes or goes quiet.
                    loop {
                        match raw.recv(Duration::from_millis(200)).await {
                            Event::Closed | Event::Timeout => break,
                            Event::Frame(Frame::Method(0, Method::ConnectionClose(c))) => {
                                *codes.lock().unwrap().entry(c.reply_code).or_insert(0) += 1;
                                raw.send_method(0, codec::ConnectionCloseOk {}).await;
                            }
                            Event::Frame(Frame::Method(ch, Method::ChannelClose(c))) => {
                                *codes.lock().unwrap().entry(c.reply_code).or_insert(0) += 1;
                                raw.send_method(ch, codec::ChannelCloseOk {}).await;
                            }
                            Event::Garbage(e) => panic!("seed {seed:#x}: broker sent garbage: {e}"),
                            _ => {}
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let codes = codes.lock().unwrap().clone();
    eprintln!("reply codes provoked: {codes:?}");
    assert!(
        !codes.contains_key(&541),
        "541 INTERNAL_ERROR means a broker bug: {codes:?}"
    );
    let bystander = watch.stop().await;
    bystander.round_trip().await;
    assert_no_broker_panic();
    broker.shutdown().await;
}
