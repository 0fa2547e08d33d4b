//! Field types over raw TCP: unknown type letters and undecodable properties, and the `L` type,
//! checked against RabbitMQ 3.10 as the oracle.
//!
//! Every case runs twice: `<case>::warren` against an in-process broker, and `<case>::rabbitmq`
//! against the broker named by `WARREN_RAW_ORACLE` (e.g. `127.0.0.1:5672`; skipped when unset),
//! with the same assertions, while a well-behaved client on another connection must keep
//! being served.
//!
//! What RabbitMQ 3.10.8 does, which the cases pin down:
//! * a field table in a method's arguments (`queue.declare`, `basic.consume`,
//!   `exchange.declare`, `queue.bind`...) holding an unknown type letter, or an entry that
//!   runs past the end of its table, at any depth: the reader process crashes decoding it,
//!   and the socket is closed at once without a `connection.close`. (A table whose length
//!   runs past the end of the method is 501 "cannot decode" naming the method; in
//!   `start-ok`'s client properties, the handshake's silent close.)
//! * a published message whose properties cannot be decoded (an unknown type in `headers`
//!   at any depth, properties cut short, the flag-continuation bit): nothing until the
//!   message is complete (body included); then, if its exchange exists, the channel process
//!   crashes decoding the properties and the whole connection is closed with
//!   `541 "INTERNAL_ERROR"`, class and method 0 — no ack, nothing enqueued. To a missing
//!   exchange it is the usual channel-level 404: the properties are never looked at.
//! * `L` is read as a signed 64-bit integer (as `l`): `x-max-length` of 2^64-1 is
//!   `{value_negative,-1}`; a message's `L` header is relayed as it came, but a dead-lettered
//!   message is re-encoded and its `L` values go out as `l`.

mod raw_support;
mod support;

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use raw_support::*;
use warren_core::codec::{self, FieldValue, Frame, Method, ShortString};

/// `bytes` with a 32-bit length in front: a table or array on the wire.
fn with_len(bytes: &[u8]) -> Vec<u8> {
    let mut v = (bytes.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(bytes);
    v
}

/// One table entry: short-string key, then the type letter and value bytes.
fn entry(key: &str, letter_and_value: &[u8]) -> Vec<u8> {
    let mut v = vec![key.len() as u8];
    v.extend_from_slice(key.as_bytes());
    v.extend_from_slice(letter_and_value);
    v
}

/// Tables holding the unknown type letter 'Z': at the top, in an array, in a nested table,
/// after a good entry; and one whose entry runs past the table's end.
fn bad_tables() -> Vec<(&'static str, Vec<u8>)> {
    let good = entry("ok", b"I\x00\x00\x00\x01");
    let mut in_array = b"A".to_vec();
    in_array.extend_from_slice(&with_len(b"b\x01SZ"));
    let mut in_table = b"F".to_vec();
    in_table.extend_from_slice(&with_len(&entry("inner", b"Z")));
    let mut after_good = good.clone();
    after_good.extend_from_slice(&entry("k", b"Z\x00\x00\x00\x01"));
    vec![
        ("top level", with_len(&entry("k", b"Z"))),
        ("in an array", with_len(&entry("k", &in_array))),
        ("in a table", with_len(&entry("k", &in_table))),
        ("after a good entry", with_len(&after_good)),
        (
            "entry past the table's end",
            with_len(&entry("k", b"S\x00\x00\x00\x64ab")),
        ),
    ]
}

/// A content header frame for class 60 with raw property bytes (flags first).
fn header_frame(channel: u16, body_size: u64, properties: &[u8]) -> Bytes {
    let mut payload = BytesMut::new();
    payload.put_u16(codec::BasicProperties::CLASS_ID);
    payload.put_u16(0);
    payload.put_u64(body_size);
    payload.put_slice(properties);
    raw_frame(codec::FRAME_HEADER, channel, &payload, codec::FRAME_END)
}

/// Properties with only `headers`, given as raw table bytes.
fn headers_property(table: &[u8]) -> Vec<u8> {
    let mut v = 0x2000u16.to_be_bytes().to_vec();
    v.extend_from_slice(table);
    v
}

/// `queue.declare` arguments: reserved, queue name, flags (none), then the raw table.
fn queue_declare_args(queue: &str, table: &[u8]) -> Vec<u8> {
    let mut args = vec![0, 0, queue.len() as u8];
    args.extend_from_slice(queue.as_bytes());
    args.push(0);
    args.extend_from_slice(table);
    args
}

/// A queue name unique to this case and target (cases run at once against one RabbitMQ).
fn queue_name(t: &Target, case: &str) -> String {
    format!("raw.field-types.{case}.{}.{}", t.name, std::process::id())
}

/// Declares `queue` (durable no, auto-delete no) on channel 1, which must be open.
async fn declare(raw: &mut Raw, queue: &str) {
    raw.send_method(1, queue_declare(queue)).await;
    match raw.recv_method().await {
        (1, Method::QueueDeclareOk(_)) => {}
        other => panic!("{}: expected declare-ok, got {other:?}", raw.target.name),
    }
}

/// Deletes `queue` from a fresh connection, returning how many messages it held.
async fn delete_queue(t: &Target, queue: &str) -> u32 {
    let mut raw = Raw::open(t).await;
    raw.open_channel(1).await;
    let delete = codec::QueueDelete {
        queue: ShortString::try_from(queue.to_string()).expect("short queue name"),
        ..Default::default()
    };
    raw.send_method(1, delete).await;
    match raw.recv_method().await {
        (1, Method::QueueDeleteOk(ok)) => ok.message_count,
        other => panic!("{}: expected delete-ok, got {other:?}", t.name),
    }
}

/// Expects `connection.close` 541 with no method ids and nothing else before it (no
/// `basic.ack` for the publish), answers `close-ok` and expects the socket to close.
async fn expect_internal_error_close(raw: &mut Raw, what: &str) {
    let name = raw.target.name;
    let close = match raw.recv(REPLY_TIMEOUT).await {
        Event::Frame(Frame::Method(0, Method::ConnectionClose(c))) => c,
        other => panic!("{name}: {what}: expected connection.close 541, got {other:?}"),
    };
    let text = close.reply_text.as_str().into_owned();
    assert_eq!(
        (close.reply_code, close.class_id, close.method_id),
        (541, 0, 0),
        "{name}: {what}: {text:?}"
    );
    assert!(
        text.starts_with("INTERNAL_ERROR"),
        "{name}: {what}: {text:?}"
    );
    raw.send_method(0, codec::ConnectionCloseOk {}).await;
    raw.expect_closed(Duration::from_secs(6)).await;
}

// ---- unknown types in method arguments ----

/// Method argument tables RabbitMQ's reader cannot parse: the socket is closed without a word,
/// at once, whatever the method and wherever the bad value is.
async fn unknown_type_in_method_arguments(t: Target) {
    let queue = queue_name(&t, "args");
    for (where_, table) in bad_tables() {
        eprintln!("{}: queue.declare, unknown type {where_}", t.name);
        let mut raw = Raw::open(&t).await;
        raw.open_channel(1).await;
        raw.send(&raw_method(1, 50, 10, &queue_declare_args(&queue, &table)))
            .await;
        raw.expect_closed(Duration::from_secs(2)).await;
    }
    // basic.consume, exchange.declare and queue.bind decode their tables the same way.
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    declare(&mut raw, &queue).await;
    let (_, table) = &bad_tables()[1];
    let mut consume = vec![0, 0, queue.len() as u8];
    consume.extend_from_slice(queue.as_bytes());
    consume.extend_from_slice(&[0, 0]); // consumer tag "", flags
    consume.extend_from_slice(table);
    raw.send(&raw_method(1, 60, 20, &consume)).await;
    raw.expect_closed(Duration::from_secs(2)).await;

    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let mut exchange = b"\x00\x00\x0fraw.field-types\x06direct\x00".to_vec();
    exchange.extend_from_slice(table);
    raw.send(&raw_method(1, 40, 10, &exchange)).await;
    raw.expect_closed(Duration::from_secs(2)).await;

    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let mut bind = vec![0, 0, queue.len() as u8];
    bind.extend_from_slice(queue.as_bytes());
    bind.extend_from_slice(b"\x0aamq.direct\x02rk\x00");
    bind.extend_from_slice(table);
    raw.send(&raw_method(1, 50, 20, &bind)).await;
    raw.expect_closed(Duration::from_secs(2)).await;

    assert_eq!(delete_queue(&t, &queue).await, 0);
}
raw_case!(unknown_type_in_method_arguments);

/// A table whose length runs past the end of its method is the method's layout, not the
/// table's contents: 501 naming the method, as for any method cut short.
async fn table_length_past_method_end(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let args = queue_declare_args("raw.field-types.never", b"\x00\x00\x00\x64\x01kV");
    raw.send(&raw_method(1, 50, 10, &args)).await;
    let text = raw.expect_close(501, 50, 10).await;
    assert!(text.starts_with("FRAME_ERROR - cannot decode"), "{text}");
}
raw_case!(table_length_past_method_end);

/// During the handshake the same fault in `start-ok`'s client properties is refused as any
/// other: the socket is closed without a word, after the silent-close delay.
async fn unknown_type_in_client_properties(t: Target) {
    let mut raw = Raw::connect(&t).await;
    raw.start().await;
    let mut start_ok = with_len(&entry("product", b"Z"));
    start_ok.extend_from_slice(b"\x05PLAIN");
    start_ok.extend_from_slice(&with_len(b"\x00guest\x00guest"));
    start_ok.extend_from_slice(b"\x05en_US");
    raw.send(&raw_method(0, 10, 11, &start_ok)).await;
    raw.expect_silent_close().await;
}
raw_case!(unknown_type_in_client_properties);

// ---- undecodable properties in a published message ----

/// An unknown type in a published message's `headers`, at any depth: the connection stays
/// up while the message is incomplete (another channel is served), then closes with 541 and
/// no ack once the last body frame arrives. Nothing is enqueued.
async fn unknown_type_in_published_headers(t: Target) {
    let queue = queue_name(&t, "headers");
    for (where_, table) in bad_tables() {
        let mut raw = Raw::open(&t).await;
        raw.open_channel(1).await;
        raw.open_channel(2).await;
        declare(&mut raw, &queue).await;
        raw.send_method(1, codec::ConfirmSelect::default()).await;
        match raw.recv_method().await {
            (1, Method::ConfirmSelectOk(_)) => {}
            other => panic!("{}: expected select-ok, got {other:?}", t.name),
        }
        let mut bytes = frames(&[Frame::Method(1, publish(&queue))]).to_vec();
        bytes.extend_from_slice(&header_frame(1, 4, &headers_property(&table)));
        bytes.extend_from_slice(&frames(&[Frame::Body(1, Bytes::from_static(b"ab"))]));
        raw.send(&bytes).await;
        // Half the body: RabbitMQ has not looked at the properties yet.
        raw.send_method(2, queue_declare(&queue)).await;
        match raw.recv_method().await {
            (2, Method::QueueDeclareOk(ok)) => assert_eq!(ok.message_count, 0),
            other => panic!("{}: {where_}: expected declare-ok, got {other:?}", t.name),
        }
        raw.send_frame(&Frame::Body(1, Bytes::from_static(b"cd")))
            .await;
        expect_internal_error_close(&mut raw, where_).await;
    }
    assert_eq!(delete_queue(&t, &queue).await, 0, "{}", t.name);
}
raw_case!(unknown_type_in_published_headers);

/// Other properties that cannot be decoded end the same way: a flagged property that is not
/// there, a `headers` table longer than the header, the flag-continuation bit. A header too
/// short for class, weight and body size is a frame error instead.
async fn other_undecodable_properties(t: Target) {
    let queue = queue_name(&t, "props");
    let cases: [(&str, Vec<u8>); 3] = [
        ("content-type missing", 0x8000u16.to_be_bytes().to_vec()),
        (
            "headers past the header's end",
            headers_property(b"\x00\x00\x00\x09\x01kS"),
        ),
        ("flag continuation", vec![0x00, 0x01, 0x00, 0x00]),
    ];
    for (what, properties) in cases {
        let mut raw = Raw::open(&t).await;
        raw.open_channel(1).await;
        declare(&mut raw, &queue).await;
        let mut bytes = frames(&[Frame::Method(1, publish(&queue))]).to_vec();
        bytes.extend_from_slice(&header_frame(1, 0, &properties));
        raw.send(&bytes).await;
        expect_internal_error_close(&mut raw, what).await;
    }
    assert_eq!(delete_queue(&t, &queue).await, 0, "{}", t.name);

    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let mut bytes = frames(&[Frame::Method(1, publish(&queue))]).to_vec();
    bytes.extend_from_slice(&raw_frame(
        codec::FRAME_HEADER,
        1,
        &[0, 60, 0],
        codec::FRAME_END,
    ));
    raw.send(&bytes).await;
    let text = raw.expect_close(501, 0, 0).await;
    assert!(text.starts_with("FRAME_ERROR"), "{text}");
}
raw_case!(other_undecodable_properties);

/// To an exchange that does not exist the publish fails as usual, 404 on the channel: the
/// properties are never decoded, and the connection carries on.
async fn undecodable_headers_to_missing_exchange(t: Target) {
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let publish = codec::BasicPublish {
        exchange: ShortString::from_static("raw.field-types.no-such-exchange"),
        routing_key: ShortString::from_static("rk"),
        ..Default::default()
    };
    let (_, table) = &bad_tables()[0];
    let mut bytes = frames(&[Frame::Method(1, publish.into())]).to_vec();
    bytes.extend_from_slice(&header_frame(1, 0, &headers_property(table)));
    raw.send(&bytes).await;
    let text = raw.expect_channel_close(1, 404, 60, 40).await;
    assert!(text.starts_with("NOT_FOUND - no exchange"), "{text}");
    raw.open_channel(2).await;
}
raw_case!(undecodable_headers_to_missing_exchange);

// ---- `L` ----

/// `L` is a signed 64-bit integer to RabbitMQ: as a queue argument 2^64-1 is -1.
async fn unsigned_long_argument_is_read_as_signed(t: Target) {
    let queue = queue_name(&t, "max-length");
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    let table = with_len(&entry("x-max-length", b"L\xff\xff\xff\xff\xff\xff\xff\xff"));
    raw.send(&raw_method(1, 50, 10, &queue_declare_args(&queue, &table)))
        .await;
    let text = raw.expect_channel_close(1, 406, 50, 10).await;
    assert_eq!(
        text,
        format!(
            "PRECONDITION_FAILED - invalid arg 'x-max-length' for queue '{queue}' in vhost '/': \
             {{value_negative,-1}}"
        )
    );
    raw.open_channel(2).await;
    let table = with_len(&entry("x-max-length", b"L\x00\x00\x00\x00\x00\x00\x00\x01"));
    raw.send(&raw_method(2, 50, 10, &queue_declare_args(&queue, &table)))
        .await;
    match raw.recv_method().await {
        (2, Method::QueueDeclareOk(_)) => {}
        other => panic!("{}: expected declare-ok, got {other:?}", t.name),
    }
    assert_eq!(delete_queue(&t, &queue).await, 0);
}
raw_case!(unsigned_long_argument_is_read_as_signed);

/// A message's `L` header comes back as it was sent; dead-lettered (so re-encoded by
/// RabbitMQ, whose encoder has no `L`), it comes back as `l` with the same bits.
async fn unsigned_long_header_relayed_then_dead_lettered(t: Target) {
    let source = queue_name(&t, "dl-source");
    let target = queue_name(&t, "dl-target");
    let mut raw = Raw::open(&t).await;
    raw.open_channel(1).await;
    declare(&mut raw, &target).await;
    let mut dlx = entry("x-dead-letter-exchange", b"S\x00\x00\x00\x00");
    let mut key = b"S".to_vec();
    key.extend_from_slice(&with_len(target.as_bytes()));
    dlx.extend_from_slice(&entry("x-dead-letter-routing-key", &key));
    raw.send(&raw_method(
        1,
        50,
        10,
        &queue_declare_args(&source, &with_len(&dlx)),
    ))
    .await;
    match raw.recv_method().await {
        (1, Method::QueueDeclareOk(_)) => {}
        other => panic!("{}: expected declare-ok, got {other:?}", t.name),
    }
    let headers = with_len(&entry("big", b"L\xff\xff\xff\xff\xff\xff\xff\xfe"));
    let mut bytes = frames(&[Frame::Method(1, publish(&source))]).to_vec();
    bytes.extend_from_slice(&header_frame(1, 0, &headers_property(&headers)));
    raw.send(&bytes).await;

    let get = |queue: &str| codec::BasicGet {
        queue: ShortString::try_from(queue.to_string()).expect("short queue name"),
        no_ack: false,
        ..Default::default()
    };
    raw.send_method(1, get(&source)).await;
    let (tag, header) = get_ok_with_header(&mut raw).await;
    assert_eq!(
        header
            .properties
            .headers
            .and_then(|h| h.get("big").cloned()),
        Some(FieldValue::LongLongUInt(u64::MAX - 1)),
        "{}: relayed",
        t.name
    );
    raw.send_method(
        1,
        codec::BasicReject {
            delivery_tag: tag,
            requeue: false,
        },
    )
    .await;
    // Dead-lettering is asynchronous in RabbitMQ: poll the target queue.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let header = loop {
        raw.send_method(1, get(&target)).await;
        match raw.recv_method().await {
            (1, Method::BasicGetEmpty(_)) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (1, Method::BasicGetOk(_)) => match raw.recv(REPLY_TIMEOUT).await {
                Event::Frame(Frame::Header(1, h)) => break h,
                other => panic!("{}: expected a content header, got {other:?}", t.name),
            },
            other => panic!(
                "{}: expected the dead-lettered message, got {other:?}",
                t.name
            ),
        }
    };
    let headers = header.properties.headers.expect("headers");
    assert_eq!(
        headers.get("big"),
        Some(&FieldValue::LongLongInt(-2)),
        "{}: dead-lettered",
        t.name
    );
    assert!(headers.get("x-death").is_some());
    delete_queue(&t, &source).await;
    delete_queue(&t, &target).await;
}
raw_case!(unsigned_long_header_relayed_then_dead_lettered);

/// Reads a `basic.get-ok` on channel 1 and its (empty-bodied) content header.
async fn get_ok_with_header(raw: &mut Raw) -> (u64, codec::ContentHeader) {
    let tag = match raw.recv_method().await {
        (1, Method::BasicGetOk(ok)) => ok.delivery_tag,
        other => panic!("{}: expected get-ok, got {other:?}", raw.target.name),
    };
    match raw.recv(REPLY_TIMEOUT).await {
        Event::Frame(Frame::Header(1, h)) => (tag, *h),
        other => panic!(
            "{}: expected a content header, got {other:?}",
            raw.target.name
        ),
    }
}
