"""Field tables and the 14 properties through the broker, with real pika as the peer both ways,
and byte-exact with what pika sends for the same values."""

from __future__ import annotations

import decimal
import time
from datetime import datetime, timezone
from typing import Any

import pika
import pika.data
import pytest

import warren
from conftest import URI, unique

# Every type both sides can send, as pika encodes them.
TABLE: dict[str, Any] = {
    "str": "héllo",
    "bytes": b"\x00\xffraw",
    "true": True,
    "false": False,
    "small": 7,
    "negative": -129,
    "int32_max": 2**31 - 1,
    "int32_min": -(2**31),
    "int64": 2**40,
    "int64_min": -(2**63),
    "decimal": decimal.Decimal("123.45"),
    "decimal_int": decimal.Decimal("-17"),
    "timestamp": datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
    "none": None,
    "list": [1, "two", [3], {"k": "v"}, None, b"x"],
    "nested": {"a": {"b": {"c": 1}}, "empty": {}},
    "empty_list": [],
}


def all_properties(headers: dict[str, Any]) -> dict[str, Any]:
    return dict(
        content_type="application/json",
        content_encoding="gzip",
        headers=headers,
        delivery_mode=2,
        priority=5,
        correlation_id="corr-1",
        reply_to="reply.q",
        expiration="60000",
        message_id="msg-1",
        timestamp=1700000000,
        type="event.kind",
        user_id="guest",
        app_id="tests",
        cluster_id="c1",
    )


@pytest.fixture
def pika_channel() -> Any:
    conn = pika.BlockingConnection(pika.URLParameters(URI))
    yield conn.channel()
    if conn.is_open:
        conn.close()


def pika_get(ch: Any, queue: str) -> tuple[Any, Any, bytes]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is not None:
            return method, props, body
        time.sleep(0.01)
    raise AssertionError("pika got nothing")


def warren_get(ch: warren.Channel, queue: str) -> warren.Message:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        msg = ch.basic_get(queue, auto_ack=True)
        if msg is not None:
            return msg
        time.sleep(0.01)
    raise AssertionError("warren got nothing")


def test_warren_publishes_pika_consumes_all_properties_and_types(ch: warren.Channel, pika_channel: Any) -> None:
    q = ch.queue_declare(unique("w2p")).queue
    try:
        ch.basic_publish("", q, b"body", warren.BasicProperties(**all_properties(TABLE)))
        _, props, body = pika_get(pika_channel, q)
        assert body == b"body"
        expected = all_properties(TABLE)
        for name, value in expected.items():
            if name != "headers":
                assert getattr(props, name) == value, name
        assert props.headers == TABLE
    finally:
        ch.queue_delete(q)


def test_pika_publishes_warren_consumes_all_properties_and_types(ch: warren.Channel, pika_channel: Any) -> None:
    q = ch.queue_declare(unique("p2w")).queue
    try:
        pika_channel.basic_publish("", q, b"body", pika.BasicProperties(**all_properties(TABLE)))
        msg = warren_get(ch, q)
        assert msg.body == b"body"
        for name, value in all_properties(TABLE).items():
            if name != "headers":
                assert getattr(msg.properties, name) == value, name
        assert msg.properties.headers == TABLE
    finally:
        ch.queue_delete(q)


def test_tables_are_byte_exact_with_pika(ch: warren.Channel, pika_channel: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """pika decodes what Warren sent; the raw table bytes it decodes must equal what pika's own
    encoder makes for the same dict."""
    captured: list[bytes] = []
    real_decode_table = pika.data.decode_table

    def capture(encoded: bytes, offset: int) -> Any:
        value, end = real_decode_table(encoded, offset)
        captured.append(bytes(encoded[offset:end]))
        return value, end

    monkeypatch.setattr(pika.data, "decode_table", capture)
    q = ch.queue_declare(unique("exact")).queue
    try:
        ch.basic_publish("", q, b"", warren.BasicProperties(headers=TABLE))
        pika_get(pika_channel, q)
    finally:
        ch.queue_delete(q)
    pieces: list[bytes] = []
    pika.data.encode_table(pieces, TABLE)
    assert b"".join(pieces) in captured


def test_floats_are_sent_as_doubles(ch: warren.Channel, queue: str) -> None:
    # pika cannot send floats; Warren sends `d` and reads it back as a float.
    ch.basic_publish("", queue, b"", warren.BasicProperties(headers={"f": 1.5}))
    assert warren_get(ch, queue).properties.headers == {"f": 1.5}


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, object(), {1: "non-str key"}, decimal.Decimal("NaN")])
def test_unsendable_values_are_refused_clearly(ch: warren.Channel, queue: str, value: Any) -> None:
    with pytest.raises(warren.InvalidArgument):
        ch.basic_publish("", queue, b"", warren.BasicProperties(headers={"v": value}))
    assert ch.is_open


def test_naive_datetime_is_taken_as_utc(ch: warren.Channel, queue: str) -> None:
    ch.basic_publish("", queue, b"", warren.BasicProperties(headers={"t": datetime(2020, 1, 2, 3, 4, 5)}))
    got = warren_get(ch, queue).properties.headers
    assert got == {"t": datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)}


def test_properties_object_of_pika_is_accepted_by_native_publish(ch: warren.Channel, queue: str) -> None:
    props = pika.BasicProperties(content_type="text/plain", delivery_mode=pika.DeliveryMode.Persistent, headers={"a": 1})
    ch.basic_publish("", queue, b"x", props)
    got = warren_get(ch, queue).properties
    assert (got.content_type, got.delivery_mode, got.headers) == ("text/plain", 2, {"a": 1})


def test_basic_properties_api() -> None:
    p = warren.BasicProperties(content_type="a", type="t", delivery_mode=2)
    assert p.type == "t" and p.delivery_mode == 2
    p.headers = {"x": 1}
    p.headers["y"] = 2
    assert p.headers == {"x": 1, "y": 2}
    assert p == warren.BasicProperties(content_type="a", type="t", delivery_mode=2, headers={"x": 1, "y": 2})
    assert p != warren.BasicProperties()
    assert "content_type='a'" in repr(p)
    with pytest.raises(OverflowError):
        warren.BasicProperties(priority=300)
