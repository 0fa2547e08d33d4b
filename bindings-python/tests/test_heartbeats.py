"""Heartbeats keep flowing while a callback is busy: sleeping (GIL released) or computing
(GIL held). The core runs the connection on its own threads."""

from __future__ import annotations

import time

import pytest

import warren
from conftest import URI, unique, with_query


def busy_loop(seconds: float) -> None:
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        x += 1


@pytest.mark.parametrize("work", [time.sleep, busy_loop], ids=["sleep", "busy-loop"])
def test_a_callback_busy_for_three_heartbeats_stays_connected_and_acks(work: object) -> None:
    with warren.connect(with_query(URI, "heartbeat=1"), recovery=False) as conn:
        assert conn.tuning[2] == 1
        ch = conn.channel()
        q = ch.queue_declare(unique("hb")).queue
        try:
            ch.basic_publish("", q, b"slow job")
            done: list[bytes] = []

            def on_message(msg: warren.Message) -> None:
                work(3.5)  # type: ignore[operator]
                msg.ack()
                done.append(msg.body)
                ch.stop_consuming()

            ch.basic_consume(q, on_message)
            ch.start_consuming()
            assert done == [b"slow job"]
            assert conn.is_open and conn.is_connected
            # The ack reached the broker: the queue is empty, and nothing is unacked.
            time.sleep(0.3)
            ok = conn.channel().queue_declare(q, passive=True)
            assert ok.message_count == 0
            assert conn.metrics()["recoveries"] == 0
        finally:
            conn.channel().queue_delete(q)


def test_iterator_consumer_busy_between_messages() -> None:
    with warren.connect(with_query(URI, "heartbeat=1"), recovery=False) as conn:
        ch = conn.channel()
        q = ch.queue_declare("", exclusive=True).queue
        ch.basic_publish("", q, b"1")
        ch.basic_publish("", q, b"2")
        it = ch.consume(q)
        first = next(it)
        assert first is not None
        busy_loop(3.5)
        first.ack()
        second = next(it)
        assert second is not None and second.body == b"2"
        second.ack()
        assert conn.is_open
