//! Nesting of field tables and arrays is bounded: a peer cannot overflow the decoder's stack
//! (which aborts the whole process, not just one connection) with a frame of nested arrays.

use bytes::{BufMut, Bytes, BytesMut};
use warren_core::codec::wire::Reader;
use warren_core::codec::{
    decode_frame, DecodeError, FieldTable, FieldValue, ShortString, FRAME_END, FRAME_METHOD,
    MAX_NESTING,
};

/// A table `{k: [[[...]]]}` with `levels` nested arrays, as wire bytes.
fn nested_arrays(levels: usize) -> Bytes {
    let mut value = BytesMut::new();
    for _ in 0..levels {
        let mut outer = BytesMut::with_capacity(value.len() + 5);
        outer.put_u8(b'A');
        outer.put_u32(value.len() as u32);
        outer.put_slice(&value);
        value = outer;
    }
    let mut table = BytesMut::new();
    table.put_u32(2 + value.len() as u32);
    table.put_u8(1);
    table.put_u8(b'k');
    table.put_slice(&value);
    table.freeze()
}

#[test]
fn nesting_up_to_the_limit_round_trips() {
    let table = Reader::new(nested_arrays(MAX_NESTING)).table().unwrap();
    let mut out = BytesMut::new();
    warren_core::codec::wire::put_table(&mut out, &table);
    assert_eq!(Reader::new(out.freeze()).table().unwrap(), table);

    let mut inner = FieldTable::new();
    for _ in 0..MAX_NESTING {
        let mut t = FieldTable::new();
        t.insert_key(ShortString::from_static("t"), FieldValue::Table(inner));
        inner = t;
    }
    let mut out = BytesMut::new();
    warren_core::codec::wire::put_table(&mut out, &inner);
    assert_eq!(Reader::new(out.freeze()).table().unwrap(), inner);
}

#[test]
fn nesting_beyond_the_limit_is_refused() {
    assert_eq!(
        Reader::new(nested_arrays(MAX_NESTING + 1)).table(),
        Err(DecodeError::TooDeep)
    );
}

#[test]
fn a_frame_of_nested_arrays_is_refused_not_a_stack_overflow() {
    // queue.declare whose arguments nest 25 000 arrays deep (125 kB).
    let mut payload = BytesMut::new();
    payload.put_u16(50);
    payload.put_u16(10);
    payload.put_u16(0);
    payload.put_u8(1);
    payload.put_u8(b'q');
    payload.put_u8(0);
    payload.put_slice(&nested_arrays(25_000));
    let mut buf = BytesMut::new();
    buf.put_u8(FRAME_METHOD);
    buf.put_u16(1);
    buf.put_u32(payload.len() as u32);
    buf.put_slice(&payload);
    buf.put_u8(FRAME_END);
    assert_eq!(decode_frame(&mut buf, 0), Err(DecodeError::TooDeep));
}
