//! Property tests for the codec: every method, field values of every type, properties and
//! framing round-trip; truncated, corrupted and random input never panics and is reported as
//! "incomplete" or a typed error.

mod support;

use bytes::{BufMut, Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};
use support::{
    any_field_value, any_method, any_properties, any_table, method_strategies, present_properties,
};
use warren_core::codec::wire::{put_table, Reader};
use warren_core::codec::{
    decode_frame, method_info, BasicProperties, ContentHeader, DecodeError, FieldTable, FieldValue,
    Frame, Method, UndecodableProperties, FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEADER_SIZE,
    FRAME_HEARTBEAT, FRAME_METHOD, FRAME_OVERHEAD, METHODS,
};

/// Large enough for every generated frame; the limit itself is tested separately.
const FRAME_MAX: u32 = 1 << 24;

const FRAME_TYPES: [u8; 4] = [FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT];

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        ..ProptestConfig::default()
    }
}

/// Encodes `method` as a payload, decodes it, and checks the value and the bytes survive.
fn check_method_round_trip(method: &Method) -> Result<(), TestCaseError> {
    let mut payload = BytesMut::new();
    method.encode(&mut payload);
    let payload = payload.freeze();
    prop_assert_eq!(
        &payload[..4],
        &[
            method.class_id().to_be_bytes(),
            method.method_id().to_be_bytes()
        ]
        .concat()[..]
    );
    prop_assert_eq!(
        method_info(method.class_id(), method.method_id()),
        Some(method.info())
    );
    let decoded = Method::decode(payload.clone())
        .map_err(|e| TestCaseError::fail(format!("decoding {method:?}: {e}")))?;
    prop_assert_eq!(&decoded, method);
    let mut again = BytesMut::new();
    decoded.encode(&mut again);
    prop_assert_eq!(&again[..], &payload[..]);
    Ok(())
}

/// Encodes `frame`, decodes it with `decode_frame`, and checks the value and the bytes survive
/// and the whole frame is consumed. Returns the encoded frame.
fn check_frame_round_trip(frame: &Frame) -> Result<Bytes, TestCaseError> {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    let wire = buf.clone().freeze();
    let size = u32::from_be_bytes(wire[3..7].try_into().unwrap()) as usize;
    prop_assert_eq!(wire.len(), size + FRAME_OVERHEAD);
    prop_assert_eq!(wire[wire.len() - 1], FRAME_END);
    let decoded = match decode_frame(&mut buf, FRAME_MAX) {
        Ok(Some(f)) => f,
        other => {
            return Err(TestCaseError::fail(format!(
                "decoding {frame:?} gave {other:?}"
            )))
        }
    };
    prop_assert_eq!(&decoded, frame);
    prop_assert!(buf.is_empty(), "{} bytes left after the frame", buf.len());
    let mut again = BytesMut::new();
    decoded.encode(&mut again);
    prop_assert_eq!(&again[..], &wire[..]);
    Ok(wire)
}

fn header_frame(channel: u16, body_size: u64, properties: BasicProperties) -> Frame {
    Frame::Header(
        channel,
        Box::new(ContentHeader {
            class_id: BasicProperties::CLASS_ID,
            body_size,
            properties,
        }),
    )
}

fn headers_frame(headers: FieldTable) -> Frame {
    header_frame(
        1,
        0,
        BasicProperties {
            headers: Some(headers),
            ..BasicProperties::default()
        },
    )
}

/// Any frame: a method with arbitrary arguments, a content header with arbitrary properties,
/// a body or a heartbeat, on any channel.
fn any_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        3 => (any::<u16>(), any_method()).prop_map(|(c, m)| Frame::Method(c, m)),
        2 => (any::<u16>(), any::<u16>(), any::<u64>(), any_properties()).prop_map(
            |(channel, class_id, body_size, properties)| Frame::Header(
                channel,
                Box::new(ContentHeader { class_id, body_size, properties })
            )
        ),
        1 => (any::<u16>(), vec(any::<u8>(), 0..64))
            .prop_map(|(c, b)| Frame::Body(c, Bytes::from(b))),
        1 => any::<u16>().prop_map(Frame::Heartbeat),
    ]
}

/// A frame of type `kind` around `payload`, with a correct size and end octet.
fn wrap(kind: u8, channel: u16, payload: &[u8]) -> BytesMut {
    let mut buf = BytesMut::with_capacity(payload.len() + FRAME_OVERHEAD);
    buf.put_u8(kind);
    buf.put_u16(channel);
    buf.put_u32(payload.len() as u32);
    buf.put_slice(payload);
    buf.put_u8(FRAME_END);
    buf
}

/// Decodes frames off `buf` until it is exhausted, incomplete or malformed. Only checks that
/// nothing panics and that a successful decode consumes something.
fn drain(buf: &mut BytesMut, frame_max: u32) -> Result<(), TestCaseError> {
    loop {
        let before = buf.len();
        match decode_frame(buf, frame_max) {
            Ok(Some(_)) => prop_assert!(buf.len() < before, "a decoded frame consumed nothing"),
            Ok(None) | Err(_) => return Ok(()),
        }
    }
}

/// Each generated strategy yields its own method, in the order of `METHODS`, so `any_method`
/// covers the whole spec; a few values of each are round-tripped deterministically.
#[test]
fn method_strategies_cover_every_method_of_the_spec() {
    let strategies = method_strategies();
    assert_eq!(strategies.len(), METHODS.len());
    let mut runner = TestRunner::deterministic();
    for (strategy, info) in strategies.iter().zip(METHODS) {
        for _ in 0..8 {
            let method = strategy.new_tree(&mut runner).unwrap().current();
            assert_eq!(
                method.info(),
                info,
                "strategy for {} made {method:?}",
                info.name
            );
            check_method_round_trip(&method).unwrap();
            check_frame_round_trip(&Frame::Method(7, method)).unwrap();
        }
    }
}

/// NaNs with payloads and signs, and the other edge values, keep their exact bits.
#[test]
fn float_edge_values_keep_their_bits() {
    let mut table = FieldTable::new();
    let floats = [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001), // signalling NaN
        f32::from_bits(0xffc1_2345),
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        f32::MIN_POSITIVE / 2.0,
    ];
    let doubles = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff8_dead_beef_0001),
        f64::INFINITY,
        -0.0,
        f64::MIN_POSITIVE / 2.0,
    ];
    let array: Vec<FieldValue> = floats
        .iter()
        .map(|&f| FieldValue::Float(f))
        .chain(doubles.iter().map(|&d| FieldValue::Double(d)))
        .collect();
    table.insert("floats", array).unwrap();
    table.insert("nan", f64::NAN).unwrap();
    let frame = headers_frame(table);
    check_frame_round_trip(&frame).unwrap();
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    let Ok(Some(Frame::Header(_, h))) = decode_frame(&mut buf, FRAME_MAX) else {
        panic!("no header decoded")
    };
    let headers = h.properties.headers.unwrap();
    let decoded = headers.get("floats").unwrap().as_array().unwrap();
    for (value, &f) in decoded.iter().zip(&floats) {
        let FieldValue::Float(d) = value else {
            panic!("{value:?}")
        };
        assert_eq!(d.to_bits(), f.to_bits());
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// Any method, with any arguments, survives encode/decode, alone and in a method frame.
    #[test]
    fn every_method_round_trips(method in any_method(), channel in any::<u16>()) {
        check_method_round_trip(&method)?;
        check_frame_round_trip(&Frame::Method(channel, method))?;
    }

    /// `encoded_len` (used to refuse oversized headers before sending) matches the encoding.
    #[test]
    fn table_encoded_len_matches_encoding(table in any_table()) {
        let properties = BasicProperties { headers: Some(table.clone()), ..Default::default() };
        let mut with = BytesMut::new();
        properties.encode(&mut with);
        let mut without = BytesMut::new();
        BasicProperties::default().encode(&mut without);
        prop_assert_eq!(table.encoded_len(), with.len() - without.len());
    }

    /// Nested tables and arrays of every type survive a content header's `headers` property.
    #[test]
    fn tables_round_trip_through_content_headers(table in any_table()) {
        check_frame_round_trip(&headers_frame(table))?;
    }

    /// An array of any values survives as a table value.
    #[test]
    fn arrays_round_trip_through_content_headers(items in vec(any_field_value(), 0..8)) {
        let mut table = FieldTable::new();
        table.insert("array", items).unwrap();
        check_frame_round_trip(&headers_frame(table))?;
    }

    /// Tables survive as method arguments too (`queue.declare`'s `arguments`).
    #[test]
    fn tables_round_trip_through_method_frames(table in any_table(), channel in any::<u16>()) {
        let method = Method::QueueDeclare(warren_core::codec::QueueDeclare {
            arguments: table,
            ..Default::default()
        });
        check_frame_round_trip(&Frame::Method(channel, method))?;
    }

    /// Any combination of the 14 basic properties survives, and the flags announce exactly the
    /// present ones.
    #[test]
    fn basic_properties_round_trip(
        properties in any_properties(),
        channel in any::<u16>(),
        body_size in any::<u64>(),
    ) {
        let present = present_properties(&properties);
        let wire = check_frame_round_trip(&header_frame(channel, body_size, properties))?;
        // header (7), class (2), weight (2), body size (8), then the flags.
        let at = FRAME_HEADER_SIZE + 12;
        let flags = u16::from_be_bytes([wire[at], wire[at + 1]]);
        for (i, present) in present.iter().enumerate() {
            prop_assert_eq!(flags & (1 << (15 - i)) != 0, *present, "flag {}", i);
        }
        prop_assert_eq!(flags & 0b11, 0);
    }

    /// Frames of every kind survive, also back to back in one buffer.
    #[test]
    fn frame_sequences_round_trip(frames in vec(any_frame(), 1..5)) {
        let mut buf = BytesMut::new();
        for frame in &frames {
            frame.encode(&mut buf);
        }
        for frame in &frames {
            prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Ok(Some(frame.clone())));
        }
        prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Ok(None));
        prop_assert!(buf.is_empty());
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// Every prefix of a valid frame is "incomplete" and consumes nothing; the whole frame
    /// decodes.
    #[test]
    fn every_truncation_of_a_frame_is_incomplete(frame in any_frame()) {
        let mut wire = BytesMut::new();
        frame.encode(&mut wire);
        for cut in 0..wire.len() {
            let mut buf = BytesMut::from(&wire[..cut]);
            prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Ok(None), "cut at {}", cut);
            prop_assert_eq!(&buf[..], &wire[..cut]);
        }
        let mut buf = BytesMut::from(&wire[..]);
        prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Ok(Some(frame)));
    }

    /// A method or content header whose payload is cut short, but framed correctly, is a
    /// malformed frame (`Truncated`), never a panic or a wrong value; a header cut inside its
    /// properties is that message's properties failing to decode.
    #[test]
    fn truncated_payloads_are_malformed(frame in any_frame(), channel in any::<u16>()) {
        let mut wire = BytesMut::new();
        frame.encode(&mut wire);
        let payload = &wire[FRAME_HEADER_SIZE..wire.len() - 1];
        let kind = wire[0];
        for cut in 0..payload.len() {
            let mut buf = wrap(kind, channel, &payload[..cut]);
            let result = decode_frame(&mut buf, FRAME_MAX);
            match kind {
                // Class, weight and body size are the header frame's own layout; what follows
                // is the message's properties, and only that message is lost.
                FRAME_HEADER if cut >= 12 => {
                    let Frame::Header(_, h) = &frame else { unreachable!() };
                    let expected = UndecodableProperties {
                        channel,
                        class_id: h.class_id,
                        body_size: h.body_size,
                        cause: DecodeError::Truncated,
                    };
                    prop_assert_eq!(
                        result,
                        Err(DecodeError::Properties(Box::new(expected))),
                        "cut at {}",
                        cut
                    );
                    prop_assert!(buf.is_empty(), "the frame was not consumed");
                }
                FRAME_METHOD | FRAME_HEADER => {
                    prop_assert_eq!(result, Err(DecodeError::Truncated), "cut at {}", cut)
                }
                // A shorter body is still a body.
                _ => prop_assert!(matches!(result, Ok(Some(_))), "cut at {}: {:?}", cut, result),
            }
        }
    }

    /// Random bytes never panic: they decode, wait for more, or are refused.
    #[test]
    fn random_bytes_never_panic(
        bytes in vec(any::<u8>(), 0..512),
        frame_max in prop_oneof![Just(0u32), Just(4096u32), any::<u32>()],
    ) {
        drain(&mut BytesMut::from(&bytes[..]), frame_max)?;
    }

    /// Random payloads behind a valid frame header and a known class/method id exercise every
    /// argument decoder on garbage.
    #[test]
    fn random_payloads_never_panic(
        method in 0..METHODS.len(),
        kind in proptest::sample::select(FRAME_TYPES.to_vec()),
        payload in vec(any::<u8>(), 0..256),
    ) {
        let mut p = payload;
        if kind == FRAME_METHOD && p.len() >= 4 {
            p[..2].copy_from_slice(&METHODS[method].class_id.to_be_bytes());
            p[2..4].copy_from_slice(&METHODS[method].method_id.to_be_bytes());
        }
        let mut buf = wrap(kind, 1, &p);
        let result = decode_frame(&mut buf, FRAME_MAX);
        prop_assert!(!matches!(result, Ok(None)), "a whole frame was reported incomplete");
        if result.is_ok() {
            prop_assert!(buf.is_empty());
        }
    }

    /// Valid frames with some bytes overwritten never panic.
    #[test]
    fn corrupted_frames_never_panic(
        frames in vec(any_frame(), 1..3),
        edits in vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut buf = BytesMut::new();
        for frame in &frames {
            frame.encode(&mut buf);
        }
        for (at, byte) in edits {
            let i = at.index(buf.len());
            buf[i] = byte;
        }
        drain(&mut buf, FRAME_MAX)?;
    }
}

proptest! {
    #![proptest_config(cases(256))]

    /// A frame declaring more than frame-max is refused from its 7-byte header alone, before
    /// any of the payload is buffered or even reserved.
    #[test]
    fn oversized_frames_are_refused_from_the_header(
        kind in proptest::sample::select(FRAME_TYPES.to_vec()),
        channel in any::<u16>(),
        frame_max in 4096u32..=(1 << 20),
        over in any::<u32>(),
    ) {
        // Sizes from frame_max - 7 (one byte too many with the overhead) up to u32::MAX.
        let smallest = frame_max - FRAME_OVERHEAD as u32 + 1;
        let size = smallest + over % (u32::MAX - smallest + 1);
        let mut buf = BytesMut::with_capacity(FRAME_HEADER_SIZE);
        buf.put_u8(kind);
        buf.put_u16(channel);
        buf.put_u32(size);
        prop_assert_eq!(
            decode_frame(&mut buf, frame_max),
            Err(DecodeError::FrameTooLarge {
                size: u64::from(size) + FRAME_OVERHEAD as u64,
                max: frame_max,
            })
        );
        prop_assert_eq!(buf.len(), FRAME_HEADER_SIZE);
        prop_assert!(buf.capacity() < 64, "reserved {} bytes", buf.capacity());

        // Exactly frame-max is allowed: the decoder waits for the payload.
        let mut buf = BytesMut::new();
        buf.put_u8(kind);
        buf.put_u16(channel);
        buf.put_u32(frame_max - FRAME_OVERHEAD as u32);
        prop_assert_eq!(decode_frame(&mut buf, frame_max), Ok(None));
    }

    /// Without a frame-max (0), a header alone is incomplete and does not make the decoder
    /// reserve the declared size, which can be 4 GiB.
    #[test]
    fn unlimited_frame_header_reserves_little(
        kind in proptest::sample::select(FRAME_TYPES.to_vec()),
        size in any::<u32>(),
    ) {
        let mut buf = BytesMut::new();
        buf.put_u8(kind);
        buf.put_u16(1);
        buf.put_u32(size);
        prop_assert_eq!(decode_frame(&mut buf, 0), Ok(None));
        prop_assert_eq!(buf.len(), FRAME_HEADER_SIZE);
        prop_assert!(buf.capacity() <= 256 * 1024, "reserved {} bytes", buf.capacity());
    }

    /// Anything but 0xCE after the payload is a bad frame end.
    #[test]
    fn bad_frame_end_is_refused(frame in any_frame(), end in any::<u8>()) {
        prop_assume!(end != FRAME_END);
        let mut buf = BytesMut::new();
        frame.encode(&mut buf);
        let last = buf.len() - 1;
        buf[last] = end;
        prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Err(DecodeError::BadFrameEnd(end)));
    }

    /// An unknown frame type is refused from the 7-byte header alone.
    #[test]
    fn unknown_frame_types_are_refused(
        kind in any::<u8>(),
        channel in any::<u16>(),
        size in any::<u32>(),
    ) {
        prop_assume!(!FRAME_TYPES.contains(&kind));
        let mut buf = BytesMut::new();
        buf.put_u8(kind);
        buf.put_u16(channel);
        buf.put_u32(size);
        prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Err(DecodeError::UnknownFrameType(kind)));
    }
}

/// Header order survives a round trip (brokers and apps relay tables byte for byte, as
/// RabbitMQ does), while equality ignores order (as RabbitMQ's equivalence checks do).
#[test]
fn tables_keep_their_order_and_compare_without_it() {
    let mut t = FieldTable::new();
    for k in ["zeta", "alpha", "mid"] {
        t.insert(k, k).unwrap();
    }
    t.insert("alpha", "again").unwrap();
    let frame = headers_frame(t.clone());
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    let Some(Frame::Header(_, h)) = decode_frame(&mut buf, 0).unwrap() else {
        panic!("not a header frame");
    };
    let decoded = h.properties.headers.unwrap();
    let keys: Vec<String> = decoded.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["zeta", "alpha", "mid"]);
    assert_eq!(
        decoded.get("alpha").and_then(|v| v.as_str()).as_deref(),
        Some("again")
    );
    let mut reversed = FieldTable::new();
    for (k, v) in decoded.iter().collect::<Vec<_>>().into_iter().rev() {
        reversed.insert_key(k.clone(), v.clone());
    }
    assert_eq!(reversed, decoded);
}

// ---- the type table, checked against RabbitMQ ----

/// Each type letter with a value whose bits tell signedness apart, as exact wire bytes, the
/// value they decode to, and what RabbitMQ makes of it as an integer
/// (`rabbit_binary_parser`: `b` signed, `B` unsigned, `s` signed, `u` unsigned, `I` signed,
/// `i` unsigned, `l` and `L` both signed, `T` unsigned, `D`'s value unsigned).
#[test]
fn every_type_letter_decodes_with_rabbitmqs_width_and_sign() {
    use warren_core::codec::Decimal;
    let ones = |n: usize| vec![0xffu8; n];
    let cases: Vec<(u8, Vec<u8>, FieldValue, Option<i64>)> = vec![
        (b't', vec![1], FieldValue::Boolean(true), None),
        (b't', vec![0], FieldValue::Boolean(false), None),
        (b'b', ones(1), FieldValue::ShortShortInt(-1), Some(-1)),
        (b'B', ones(1), FieldValue::ShortShortUInt(255), Some(255)),
        (b's', ones(2), FieldValue::ShortInt(-1), Some(-1)),
        (b'u', ones(2), FieldValue::ShortUInt(65_535), Some(65_535)),
        (b'I', ones(4), FieldValue::LongInt(-1), Some(-1)),
        (
            b'i',
            ones(4),
            FieldValue::LongUInt(u32::MAX),
            Some(u32::MAX.into()),
        ),
        (b'l', ones(8), FieldValue::LongLongInt(-1), Some(-1)),
        (b'L', ones(8), FieldValue::LongLongUInt(u64::MAX), Some(-1)),
        (
            b'L',
            vec![0, 0, 0, 0, 0, 0, 0, 5],
            FieldValue::LongLongUInt(5),
            Some(5),
        ),
        (b'f', vec![0x3f, 0x80, 0, 0], FieldValue::Float(1.0), None),
        (
            b'd',
            vec![0x3f, 0xf0, 0, 0, 0, 0, 0, 0],
            FieldValue::Double(1.0),
            None,
        ),
        (
            b'D',
            vec![2, 0xff, 0xff, 0xff, 0xff],
            FieldValue::Decimal(Decimal {
                scale: 2,
                value: u32::MAX,
            }),
            None,
        ),
        (
            b'S',
            vec![0, 0, 0, 2, b'h', b'i'],
            FieldValue::from("hi"),
            None,
        ),
        (
            b'x',
            vec![0, 0, 0, 2, 0, 0xff],
            FieldValue::ByteArray(Bytes::from_static(&[0, 0xff])),
            None,
        ),
        (b'T', ones(8), FieldValue::Timestamp(u64::MAX), None),
        (
            b'A',
            vec![0, 0, 0, 4, b'b', 0xff, b'V', b'V'],
            FieldValue::Array(vec![
                FieldValue::ShortShortInt(-1),
                FieldValue::Void,
                FieldValue::Void,
            ]),
            None,
        ),
        (
            b'F',
            vec![0, 0, 0, 4, 1, b'k', b'B', 7],
            FieldValue::Table(FieldTable::from_iter([(
                "k".try_into().unwrap(),
                FieldValue::ShortShortUInt(7),
            )])),
            None,
        ),
        (b'V', vec![], FieldValue::Void, None),
    ];
    for (letter, value_bytes, expected, as_int) in cases {
        let mut wire = vec![1, b'k', letter];
        wire.extend_from_slice(&value_bytes);
        let mut table_bytes = (wire.len() as u32).to_be_bytes().to_vec();
        table_bytes.extend_from_slice(&wire);
        let table = Reader::new(Bytes::from(table_bytes.clone()))
            .table()
            .unwrap_or_else(|e| panic!("'{}': {e}", char::from(letter)));
        let value = table.get("k").expect("the key");
        assert_eq!(value, &expected, "'{}'", char::from(letter));
        assert_eq!(value.type_tag(), letter);
        assert_eq!(
            value.as_i64(),
            as_int,
            "'{}' as an integer",
            char::from(letter)
        );
        assert_eq!(value.encoded_len(), 1 + value_bytes.len());
        let mut again = BytesMut::new();
        put_table(&mut again, &table);
        assert_eq!(
            &again[..],
            &table_bytes[..],
            "'{}' re-encoded",
            char::from(letter)
        );
    }
    // Any non-zero octet is true; true goes out as 1, as RabbitMQ writes it.
    let table = Reader::new(Bytes::from_static(b"\x00\x00\x00\x04\x01kt\x02"))
        .table()
        .unwrap();
    assert_eq!(table.get("k"), Some(&FieldValue::Boolean(true)));
    let mut again = BytesMut::new();
    put_table(&mut again, &table);
    assert_eq!(&again[..], b"\x00\x00\x00\x04\x01kt\x01");
}

/// Type letters RabbitMQ's parser knows; every other octet is unknown.
const KNOWN_TYPES: &[u8] = b"tbBsuIilLfdDSxTAFV";

fn unknown_type_letter() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("a known type", |b| !KNOWN_TYPES.contains(b))
}

/// Wraps `bytes` in a 32-bit length.
fn with_len(bytes: &[u8]) -> Vec<u8> {
    let mut v = (bytes.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(bytes);
    v
}

/// The wire form of the table `siblings` plus one entry whose value is the bare type letter
/// `letter`, wrapped in arrays (`true`) and tables (`false`) as `path` says, outermost first;
/// `trailing` bytes follow the letter inside its container.
fn table_with_letter(siblings: &FieldTable, path: &[bool], letter: u8, trailing: &[u8]) -> Vec<u8> {
    let mut value = vec![letter];
    value.extend_from_slice(trailing);
    for &in_array in path.iter().rev() {
        value = if in_array {
            let mut v = vec![b'A'];
            v.extend_from_slice(&with_len(&value));
            v
        } else {
            let mut entry = vec![1, b'z'];
            entry.extend_from_slice(&value);
            let mut v = vec![b'F'];
            v.extend_from_slice(&with_len(&entry));
            v
        };
    }
    let mut encoded = BytesMut::new();
    put_table(&mut encoded, siblings);
    let mut entries = encoded[4..].to_vec();
    entries.extend_from_slice(&[1, 0xfe]); // a key no generated sibling can shadow in the check
    entries.extend_from_slice(&value);
    with_len(&entries)
}

/// `queue.declare` with raw argument-table bytes.
fn queue_declare_frame(channel: u16, arguments: &[u8]) -> BytesMut {
    let mut payload = vec![0, 50, 0, 10, 0, 0, 1, b'q', 0];
    payload.extend_from_slice(arguments);
    wrap(FRAME_METHOD, channel, &payload)
}

proptest! {
    #![proptest_config(cases(128))]

    /// An unknown type letter anywhere in a content header's `headers` (top level, or nested
    /// in arrays and tables) is "this header's properties could not be decoded", with the
    /// header's channel, class and body size; the frame is consumed, and the frames after it
    /// decode.
    #[test]
    fn unknown_type_in_headers_is_undecodable_properties_and_the_stream_stays_in_step(
        siblings in any_table(),
        path in vec(any::<bool>(), 0..5),
        letter in unknown_type_letter(),
        trailing in vec(any::<u8>(), 0..8),
        channel in any::<u16>(),
        body_size in any::<u64>(),
        after in any_frame(),
    ) {
        let mut payload = BasicProperties::CLASS_ID.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0, 0]);
        payload.extend_from_slice(&body_size.to_be_bytes());
        payload.extend_from_slice(&0x2000u16.to_be_bytes());
        payload.extend_from_slice(&table_with_letter(&siblings, &path, letter, &trailing));
        let mut buf = wrap(FRAME_HEADER, channel, &payload);
        after.encode(&mut buf);
        let expected = UndecodableProperties {
            channel,
            class_id: BasicProperties::CLASS_ID,
            body_size,
            cause: DecodeError::UnknownFieldType(letter),
        };
        prop_assert_eq!(
            decode_frame(&mut buf, FRAME_MAX),
            Err(DecodeError::Properties(Box::new(expected)))
        );
        prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Ok(Some(after)));
        prop_assert!(buf.is_empty());
    }

    /// The same in a method's argument table is an error inside a field table (RabbitMQ's
    /// reader crashes on it), and the method frame is consumed whole.
    #[test]
    fn unknown_type_in_method_arguments_is_a_field_table_error(
        siblings in any_table(),
        path in vec(any::<bool>(), 0..5),
        letter in unknown_type_letter(),
        trailing in vec(any::<u8>(), 0..8),
        after in any_frame(),
    ) {
        let mut buf = queue_declare_frame(1, &table_with_letter(&siblings, &path, letter, &trailing));
        after.encode(&mut buf);
        let err = decode_frame(&mut buf, FRAME_MAX).unwrap_err();
        prop_assert_eq!(&err, &DecodeError::UnknownFieldType(letter));
        prop_assert!(err.is_in_field_table());
        prop_assert_eq!(decode_frame(&mut buf, FRAME_MAX), Ok(Some(after)));
    }

    /// A known letter in the same place decodes: the wrapping itself is sound.
    #[test]
    fn the_same_tables_with_a_known_letter_decode(
        siblings in any_table(),
        path in vec(any::<bool>(), 0..5),
    ) {
        let bytes = table_with_letter(&siblings, &path, b'V', &[]);
        let table = Reader::new(Bytes::from(bytes)).table();
        prop_assert!(table.is_ok(), "{:?}", table);
    }
}

/// An entry running past the end of its table is a field-table error (RabbitMQ's parser
/// crashes); a table whose length runs past the end of its method is the method's layout
/// (RabbitMQ: 501 "cannot decode").
#[test]
fn table_contents_cut_short_differ_from_a_table_cut_short() {
    // {"k": longstr of 100 bytes} in an 8-byte table.
    let mut buf = queue_declare_frame(1, &with_len(b"\x01kS\x00\x00\x00\x64ab"));
    let err = decode_frame(&mut buf, FRAME_MAX).unwrap_err();
    assert_eq!(err, DecodeError::TableTruncated);
    assert!(err.is_in_field_table());
    // An array in the table whose length runs past the table's end.
    let mut buf = queue_declare_frame(
        1,
        &with_len(b"\x01kA\x00\x00\x00\x09\x01kF\x00\x00\x00\x09"),
    );
    assert_eq!(
        decode_frame(&mut buf, FRAME_MAX),
        Err(DecodeError::TableTruncated)
    );
    // A table of 100 bytes with 3 in the frame.
    let mut buf = queue_declare_frame(1, b"\x00\x00\x00\x64\x01kV");
    let err = decode_frame(&mut buf, FRAME_MAX).unwrap_err();
    assert_eq!(err, DecodeError::Truncated);
    assert!(!err.is_in_field_table());
    assert!(buf.is_empty());
}
