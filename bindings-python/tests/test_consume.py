"""Consuming: the iterator, basic_consume callbacks with start/stop_consuming and
drain_events, broker cancels."""

from __future__ import annotations

import threading
import time

import pytest

import warren
from conftest import unique


def test_consume_iterator_yields_messages_then_none_on_inactivity(ch: warren.Channel, queue: str) -> None:
    for i in range(3):
        ch.basic_publish("", queue, f"m{i}")
    bodies = []
    nones = 0
    it = ch.consume(queue, inactivity_timeout=0.3)
    assert it.consumer_tag
    for msg in it:
        if msg is None:
            nones += 1
            break
        bodies.append(msg.body)
        assert msg.consumer_tag == it.consumer_tag
        msg.ack()
    assert bodies == [b"m0", b"m1", b"m2"]
    assert nones == 1
    it.cancel()
    assert list(it) == []


def test_consume_auto_ack_exclusive_and_waiting(conn: warren.Connection, ch: warren.Channel, queue: str) -> None:
    it = ch.consume(queue, auto_ack=True, exclusive=True)
    for i in range(5):
        ch.basic_publish("", queue, str(i))
    deadline = time.monotonic() + 5
    while it.waiting < 5:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    first = next(it)
    assert first is not None and first.body == b"0"
    assert it.waiting == 4
    with pytest.raises(warren.AccessRefused):
        # exclusive consumer: a second one on the queue is refused (403).
        conn.channel().consume(queue)


def test_consume_ends_with_consumer_cancelled_when_queue_is_deleted(conn: warren.Connection) -> None:
    ch = conn.channel()
    q = ch.queue_declare(unique("deleted")).queue
    it = ch.consume(q)
    conn.channel().queue_delete(q)
    with pytest.raises(warren.ConsumerCancelled):
        next(it)


def test_basic_consume_start_and_stop_consuming(ch: warren.Channel, queue: str) -> None:
    got: list[bytes] = []

    def on_message(msg: warren.Message) -> None:
        got.append(msg.body)
        msg.ack()
        if len(got) == 3:
            ch.stop_consuming()

    tag = ch.basic_consume(queue, on_message)
    assert tag in ch.consumer_tags
    for i in range(3):
        ch.basic_publish("", queue, f"{i}")
    ch.start_consuming()
    assert got == [b"0", b"1", b"2"]
    assert ch.consumer_tags == []


def test_basic_consume_with_own_tag_and_duplicate(ch: warren.Channel, queue: str) -> None:
    tag = ch.basic_consume(queue, lambda m: None, consumer_tag="my-tag", auto_ack=True)
    assert tag == "my-tag"
    with pytest.raises(warren.DuplicateConsumerTag):
        ch.basic_consume(queue, lambda m: None, consumer_tag="my-tag")
    ch.basic_cancel("my-tag")


def test_basic_consume_refuses_a_non_callable(ch: warren.Channel, queue: str) -> None:
    with pytest.raises(TypeError):
        ch.basic_consume(queue, "not callable")  # type: ignore[arg-type]


def test_drain_events_serves_consumers_of_all_channels(conn: warren.Connection) -> None:
    a, b = conn.channel(), conn.channel()
    qa = a.queue_declare("", exclusive=True).queue
    qb = b.queue_declare("", exclusive=True).queue
    got: list[tuple[int, bytes]] = []
    a.basic_consume(qa, lambda m: got.append((m.channel_number, m.body)), auto_ack=True)
    b.basic_consume(qb, lambda m: got.append((m.channel_number, m.body)), auto_ack=True)
    a.basic_publish("", qa, b"to a")
    b.basic_publish("", qb, b"to b")
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        conn.drain_events(timeout=0.5)
    assert sorted(got) == sorted([(a.channel_number, b"to a"), (b.channel_number, b"to b")])
    assert conn.drain_events(timeout=0.05) == 0


def test_stop_consuming_from_another_thread(ch: warren.Channel, queue: str) -> None:
    ch.basic_consume(queue, lambda m: None, auto_ack=True)
    timer = threading.Timer(0.3, ch.stop_consuming)
    timer.start()
    started = time.monotonic()
    ch.start_consuming()
    assert time.monotonic() - started < 5


def test_callback_exception_propagates_out_of_start_consuming(ch: warren.Channel, queue: str) -> None:
    def boom(msg: warren.Message) -> None:
        raise RuntimeError("from the callback")

    ch.basic_consume(queue, boom, auto_ack=True)
    ch.basic_publish("", queue, b"x")
    with pytest.raises(RuntimeError, match="from the callback"):
        ch.start_consuming()


def test_broker_cancel_calls_on_cancel_callback_and_ends_start_consuming(conn: warren.Connection) -> None:
    ch = conn.channel()
    q = ch.queue_declare(unique("cancelled")).queue
    cancelled: list[str] = []
    ch.add_on_cancel_callback(cancelled.append)
    tag = ch.basic_consume(q, lambda m: None)
    threading.Timer(0.3, lambda: conn.channel().queue_delete(q)).start()
    ch.start_consuming()
    assert cancelled == [tag]


def test_cancelled_manual_ack_deliveries_go_back_to_the_queue(conn: warren.Connection, ch: warren.Channel) -> None:
    q = ch.queue_declare(unique("requeue")).queue
    for i in range(5):
        ch.basic_publish("", q, str(i))
    seen: list[bytes] = []

    def first_only(msg: warren.Message) -> None:
        seen.append(msg.body)
        msg.ack()
        ch.stop_consuming()

    ch.basic_qos(5)
    ch.basic_consume(q, first_only)
    ch.start_consuming()
    assert seen == [b"0"]
    other = conn.channel()
    deadline = time.monotonic() + 5
    while other.queue_declare(q, passive=True).message_count < 4:
        assert time.monotonic() < deadline, "the 4 unhandled messages were not requeued"
        time.sleep(0.05)
    other.queue_delete(q)


def test_channel_closed_by_broker_is_raised_from_start_consuming(conn: warren.Connection) -> None:
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).queue
    ch.basic_consume(q, lambda m: None)
    # An ack for a tag that was never delivered makes the broker close the channel (406).
    ch.basic_ack(12345)
    with pytest.raises(warren.PreconditionFailed):
        ch.start_consuming()
