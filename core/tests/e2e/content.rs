//! Message content: empty, frame-boundary and multi-megabyte bodies byte-exact, all 14 basic
//! properties, and a headers table with every field type the broker relays.

use bytes::Bytes;
use warren_core::client::{BasicConsumeOptions, Channel};
use warren_core::codec::{Decimal, LongString, ShortString};
use warren_core::{BasicProperties, FieldTable, FieldValue};

use crate::support::*;

/// A body whose every byte depends on its position, so a shifted or dropped frame shows.
fn patterned(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ (i >> 16) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Publishes `body` and reads it back through a consumer and through basic.get.
async fn round_trip(ch: &Channel, q: &str, body: Bytes) {
    publish_confirmed(ch, "", q, body.clone(), Default::default()).await;
    publish_confirmed(ch, "", q, body.clone(), Default::default()).await;

    let got = get(ch, q).await.expect("basic.get");
    assert_eq!(got.body.len(), body.len(), "basic.get body length");
    assert!(
        got.body == body,
        "basic.get body of {} bytes differs",
        body.len()
    );
    got.ack().unwrap();

    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    let d = next(&mut consumer).await;
    assert_eq!(d.body.len(), body.len(), "delivery body length");
    assert!(
        d.body == body,
        "delivered body of {} bytes differs",
        body.len()
    );
    d.ack().unwrap();
    within("basic.cancel", consumer.cancel()).await.unwrap();
}

#[tokio::test]
async fn empty_body_round_trips() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "empty-body").await;
    round_trip(&ch, &q, Bytes::new()).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn bodies_at_frame_boundaries_round_trip() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "frame-edges").await;
    // A body frame carries frame_max - 8 bytes (7 header octets and the end octet).
    let frame_max = conn.tuning().frame_max as usize;
    assert!(frame_max >= 4096, "negotiated frame_max {frame_max}");
    let per_frame = frame_max - 8;
    for len in [
        1,
        per_frame - 1,
        per_frame,
        per_frame + 1,
        2 * per_frame,
        2 * per_frame + 1,
    ] {
        round_trip(&ch, &q, patterned(len)).await;
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn one_mib_body_round_trips() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "1mib").await;
    round_trip(&ch, &q, patterned(1 << 20)).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn sixteen_mib_body_round_trips() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "16mib").await;
    round_trip(&ch, &q, patterned(16 << 20)).await;
    conn.close().await.unwrap();
}

#[tokio::test]
async fn small_frame_max_splits_bodies_into_many_frames() {
    // frame_max=4096 (the spec minimum): a 100 KB body spans 25 body frames.
    let conn = within(
        "connect",
        warren_core::Connection::connect(&uri_with("frame_max=4096")),
    )
    .await
    .unwrap();
    assert_eq!(conn.tuning().frame_max, 4096);
    let ch = conn.open_channel().await.unwrap();
    ch.confirm_select().await.unwrap();
    let q = temp_queue(&ch, "small-frames").await;
    round_trip(&ch, &q, patterned(100_000)).await;
    conn.close().await.unwrap();
}

fn s(v: &'static str) -> Option<ShortString> {
    Some(ShortString::from_static(v))
}

#[tokio::test]
async fn all_fourteen_basic_properties_round_trip() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "properties").await;
    let mut headers = FieldTable::new();
    headers.insert("h", "v").unwrap();
    let props = BasicProperties {
        content_type: s("application/json"),
        content_encoding: s("gzip"),
        headers: Some(headers),
        delivery_mode: Some(2),
        priority: Some(7),
        correlation_id: s("correlation-123"),
        reply_to: s("amq.rabbitmq.reply-to-not-really"),
        expiration: s("600000"),
        message_id: s("message-456"),
        timestamp: Some(1_700_000_000),
        kind: s("order.created"),
        // RabbitMQ refuses (406) a user-id other than the connection's user.
        user_id: Some(ShortString::try_from(username()).unwrap()),
        app_id: s("warren-e2e"),
        cluster_id: s("cluster-789"),
    };
    publish_confirmed(&ch, "", &q, &b"{}"[..], props.clone()).await;
    publish_confirmed(&ch, "", &q, &b"{}"[..], props.clone()).await;

    let got = get(&ch, &q).await.unwrap();
    assert_eq!(got.properties, props, "properties through basic.get");
    got.ack().unwrap();
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new()),
    )
    .await
    .unwrap();
    let d = next(&mut consumer).await;
    assert_eq!(d.properties, props, "properties through basic.deliver");
    d.ack().unwrap();
    within("basic.cancel", consumer.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn absent_properties_stay_absent() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "no-properties").await;
    publish_confirmed(&ch, "", &q, &b"bare"[..], BasicProperties::default()).await;
    let got = get(&ch, &q).await.unwrap();
    assert_eq!(got.properties, BasicProperties::default());
    got.ack().unwrap();
    // Each property alone, so a flag-bit mix-up shows.
    let one_each: Vec<BasicProperties> = vec![
        BasicProperties {
            content_type: s("a"),
            ..Default::default()
        },
        BasicProperties {
            delivery_mode: Some(1),
            ..Default::default()
        },
        BasicProperties {
            priority: Some(0),
            ..Default::default()
        },
        BasicProperties {
            timestamp: Some(0),
            ..Default::default()
        },
        BasicProperties {
            headers: Some(FieldTable::new()),
            ..Default::default()
        },
        BasicProperties {
            cluster_id: s(""),
            ..Default::default()
        },
    ];
    for props in one_each {
        publish_confirmed(&ch, "", &q, &b"one"[..], props.clone()).await;
        let got = get(&ch, &q).await.unwrap();
        assert_eq!(got.properties, props);
        got.ack().unwrap();
    }
    conn.close().await.unwrap();
}

/// A table holding every field type, nested tables and arrays included.
fn every_field_type() -> FieldTable {
    let mut nested = FieldTable::new();
    nested.insert("inner-string", "deep").unwrap();
    nested.insert("inner-int", FieldValue::LongInt(-5)).unwrap();
    let mut deeper = FieldTable::new();
    deeper.insert("level", FieldValue::LongInt(3)).unwrap();
    nested.insert("inner-table", deeper).unwrap();

    let mut t = FieldTable::new();
    t.insert("bool-true", true).unwrap();
    t.insert("bool-false", false).unwrap();
    t.insert("i8", FieldValue::ShortShortInt(-8)).unwrap();
    t.insert("u8", FieldValue::ShortShortUInt(200)).unwrap();
    t.insert("i16", FieldValue::ShortInt(-1600)).unwrap();
    t.insert("u16", FieldValue::ShortUInt(60_000)).unwrap();
    t.insert("i32", FieldValue::LongInt(-320_000)).unwrap();
    t.insert("u32", FieldValue::LongUInt(4_000_000_000))
        .unwrap();
    t.insert("i64", FieldValue::LongLongInt(-6_400_000_000_000))
        .unwrap();
    // Above i64::MAX: RabbitMQ reads `L` as signed, so only its bits survive re-encoding.
    t.insert("u64", FieldValue::LongLongUInt(u64::MAX - 1))
        .unwrap();
    t.insert("f32", FieldValue::Float(1.5)).unwrap();
    t.insert("f64", FieldValue::Double(-2.25e100)).unwrap();
    t.insert(
        "decimal",
        FieldValue::Decimal(Decimal {
            scale: 2,
            value: 12_345,
        }),
    )
    .unwrap();
    t.insert("string", "héllo, wörld").unwrap();
    t.insert(
        "long-string",
        FieldValue::LongString(LongString::from("x".repeat(70_000))),
    )
    .unwrap();
    t.insert("empty-string", "").unwrap();
    t.insert(
        "bytes",
        FieldValue::ByteArray(Bytes::from_static(&[0, 1, 2, 0xfe, 0xff])),
    )
    .unwrap();
    t.insert("timestamp", FieldValue::Timestamp(1_700_000_000))
        .unwrap();
    t.insert("void", FieldValue::Void).unwrap();
    t.insert("table", nested.clone()).unwrap();
    t.insert("empty-table", FieldTable::new()).unwrap();
    t.insert(
        "array",
        vec![
            FieldValue::LongInt(1),
            FieldValue::from("two"),
            FieldValue::Boolean(true),
            FieldValue::Void,
            FieldValue::Double(0.5),
            FieldValue::Table(nested),
            FieldValue::Array(vec![FieldValue::LongLongInt(7), FieldValue::from("nested")]),
        ],
    )
    .unwrap();
    t.insert("empty-array", Vec::<FieldValue>::new()).unwrap();
    t
}

#[tokio::test]
async fn headers_table_with_every_field_type_round_trips() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "field-types").await;
    let sent = every_field_type();
    let props = BasicProperties {
        headers: Some(sent.clone()),
        ..Default::default()
    };
    publish_confirmed(&ch, "", &q, &b"typed"[..], props.clone()).await;
    let got = get(&ch, &q).await.unwrap();
    let back = got.properties.headers.clone().expect("headers came back");
    for (k, v) in sent.iter() {
        assert_eq!(back.get(&k.as_str()), Some(v), "header {k}");
    }
    assert_eq!(back, sent);
    got.ack().unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn headers_survive_re_encoding_when_dead_lettered() {
    // Dead-lettering makes RabbitMQ decode the headers, add x-death and encode them again
    // (a plain publish is relayed byte for byte). RabbitMQ 3.10 writes every type back with
    // the letter it was read with, except `L`: it reads it as a signed 64-bit `long` and
    // writes that as `l`. Nothing else may change but the added x-death headers.
    let (conn, ch) = open_confirming().await;
    let target = temp_queue(&ch, "dlx-target").await;
    let mut args = FieldTable::new();
    args.insert("x-dead-letter-exchange", "").unwrap();
    args.insert("x-dead-letter-routing-key", target.as_str())
        .unwrap();
    let source = temp_queue_with(&ch, "dlx-source", args).await;
    let sent = every_field_type();
    let props = BasicProperties {
        headers: Some(sent.clone()),
        message_id: s("dead-letter-me"),
        ..Default::default()
    };
    let mut consumer = within(
        "basic.consume",
        ch.basic_consume(
            &target,
            "",
            BasicConsumeOptions::default(),
            FieldTable::new(),
        ),
    )
    .await
    .unwrap();
    publish_confirmed(&ch, "", &source, &b"typed"[..], props).await;
    get(&ch, &source).await.unwrap().reject(false).unwrap();

    let d = next(&mut consumer).await;
    assert_eq!(&d.body[..], b"typed");
    assert_eq!(d.properties.message_id, s("dead-letter-me"));
    let mut back = d.properties.headers.clone().expect("headers");
    let death = back.remove("x-death").expect("x-death header");
    for k in [
        "x-first-death-exchange",
        "x-first-death-queue",
        "x-first-death-reason",
    ] {
        back.remove(k);
    }
    let mut expected = sent.clone();
    expected.insert("u64", FieldValue::LongLongInt(-2)).unwrap();
    for (k, v) in expected.iter() {
        assert_eq!(
            back.get(&k.as_str()),
            Some(v),
            "header {k} after re-encoding"
        );
    }
    assert_eq!(back, expected);
    let deaths = death.as_array().expect("x-death is an array");
    let first = deaths[0].as_table().expect("x-death entries are tables");
    assert_eq!(
        first.get("reason").and_then(|v| v.as_str()).as_deref(),
        Some("rejected")
    );
    assert_eq!(
        first.get("queue").and_then(|v| v.as_str()).as_deref(),
        Some(source.as_str())
    );
    assert_eq!(first.get("count").and_then(|v| v.as_i64()), Some(1));
    d.ack().unwrap();
    within("basic.cancel", consumer.cancel()).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn large_deliveries_on_several_channels_at_once() {
    // The broker interleaves the frames of deliveries on different channels; each channel's
    // content must still be assembled from its own frames.
    let conn = connect().await;
    let mut tasks = Vec::new();
    for t in 0..4u8 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move {
            let ch = conn.open_channel().await.unwrap();
            ch.confirm_select().await.unwrap();
            let q = temp_queue(&ch, "interleaved").await;
            let bodies: Vec<Bytes> = (0..3)
                .map(|i| {
                    let mut b = patterned(600_000 + 1000 * i).to_vec();
                    b[0] = t;
                    Bytes::from(b)
                })
                .collect();
            for b in &bodies {
                publish(&ch, "", &q, b.clone()).await;
            }
            assert!(ch.wait_for_confirms().await.unwrap());
            let mut consumer = ch
                .basic_consume(&q, "", BasicConsumeOptions::default(), FieldTable::new())
                .await
                .unwrap();
            for b in &bodies {
                let d = next(&mut consumer).await;
                assert!(
                    d.body == *b,
                    "channel {t}: body of {} bytes differs",
                    b.len()
                );
                d.ack().unwrap();
            }
            consumer.cancel().await.unwrap();
        }));
    }
    for t in tasks {
        within("channel task", t).await.unwrap();
    }
    conn.close().await.unwrap();
}

/// Properties whose content header frame is exactly `frame_size` bytes long.
fn properties_with_header_frame_of(frame_size: usize) -> BasicProperties {
    let with_pad = |n: usize| {
        let mut headers = FieldTable::new();
        headers.insert("pad", "p".repeat(n).as_str()).unwrap();
        BasicProperties {
            headers: Some(headers),
            ..Default::default()
        }
    };
    // Frame: 7-byte frame header, class + weight + body size (12), flags and properties, end.
    let header_frame = |p: &BasicProperties| {
        let mut out = bytes::BytesMut::new();
        p.encode(&mut out);
        7 + 12 + out.len() + 1
    };
    let overhead = header_frame(&with_pad(0));
    let props = with_pad(frame_size - overhead);
    assert_eq!(header_frame(&props), frame_size);
    props
}

#[tokio::test]
async fn content_header_filling_frame_max_exactly_round_trips() {
    let (conn, ch) = open_confirming().await;
    let q = temp_queue(&ch, "full-header").await;
    let frame_max = conn.tuning().frame_max as usize;
    let props = properties_with_header_frame_of(frame_max);
    publish_confirmed(&ch, "", &q, patterned(3 * frame_max), props.clone()).await;
    let got = get(&ch, &q).await.unwrap();
    assert_eq!(got.properties, props);
    assert!(got.body == patterned(3 * frame_max));
    got.ack().unwrap();
    assert!(conn.is_open());
    conn.close().await.unwrap();
}
