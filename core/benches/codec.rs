//! Codec throughput for the hot path: a `basic.publish` frame set (method, content header with
//! a few properties, 16-byte body), encoded into a reused buffer and decoded with
//! `decode_frame`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use warren_core::codec::{
    decode_frame, BasicProperties, BasicPublish, ContentHeader, FieldTable, Frame, Method,
    ShortString,
};

const CHANNEL: u16 = 1;
const FRAME_MAX: u32 = 131_072;

/// The three frames of one published message.
fn publish_frames() -> [Frame; 3] {
    let body = Bytes::from_static(b"0123456789abcdef");
    let mut headers = FieldTable::new();
    headers.insert("x-trace-id", "4bf92f3577b34da6").unwrap();
    headers.insert("x-retries", 3i32).unwrap();
    let properties = BasicProperties {
        content_type: Some(ShortString::from_static("application/json")),
        delivery_mode: Some(2),
        headers: Some(headers),
        message_id: Some(ShortString::from_static("msg-000000000001")),
        timestamp: Some(1_700_000_000),
        ..BasicProperties::default()
    };
    [
        Frame::Method(
            CHANNEL,
            Method::BasicPublish(BasicPublish {
                exchange: ShortString::from_static("amq.topic"),
                routing_key: ShortString::from_static("orders.created.eu"),
                mandatory: true,
                ..BasicPublish::default()
            }),
        ),
        Frame::Header(
            CHANNEL,
            Box::new(ContentHeader {
                class_id: BasicProperties::CLASS_ID,
                body_size: body.len() as u64,
                properties,
            }),
        ),
        Frame::Body(CHANNEL, body),
    ]
}

fn encode(frames: &[Frame], out: &mut BytesMut) {
    for frame in frames {
        frame.encode(out);
    }
}

fn decode(buf: &mut BytesMut) {
    while let Some(frame) = decode_frame(buf, FRAME_MAX).expect("valid frames") {
        black_box(frame);
    }
}

fn bench_publish(c: &mut Criterion) {
    let frames = publish_frames();
    let mut wire = BytesMut::new();
    encode(&frames, &mut wire);
    let wire = wire.freeze();

    let mut group = c.benchmark_group("basic_publish_frame_set");
    group.throughput(Throughput::Bytes(wire.len() as u64));

    group.bench_function("encode", |b| {
        let mut out = BytesMut::with_capacity(4096);
        b.iter(|| {
            out.clear();
            encode(black_box(&frames), &mut out);
            black_box(&out);
        })
    });

    group.bench_function("decode", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&wire[..]),
            |buf| decode(black_box(buf)),
            BatchSize::SmallInput,
        )
    });

    group.bench_function("encode_decode", |b| {
        let mut buf = BytesMut::with_capacity(4096);
        b.iter(|| {
            encode(black_box(&frames), &mut buf);
            decode(&mut buf);
            debug_assert!(buf.is_empty());
        })
    });

    group.finish();
}

criterion_group!(benches, bench_publish);
criterion_main!(benches);
