"""Ctrl-C (KeyboardInterrupt) during start_consuming() and consume() returns promptly and
leaves the connection usable and closable."""

from __future__ import annotations

import _thread
import threading
import time

import pytest

import warren


def interrupt_main_after(seconds: float) -> threading.Timer:
    t = threading.Timer(seconds, _thread.interrupt_main)
    t.start()
    return t


def test_keyboard_interrupt_during_start_consuming(conn: warren.Connection, ch: warren.Channel, queue: str) -> None:
    ch.basic_consume(queue, lambda m: None, auto_ack=True)
    interrupt_main_after(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ch.start_consuming()
    assert time.monotonic() - started < 2
    assert conn.is_open
    ch.basic_publish("", queue, b"still works")
    ch.stop_consuming()
    conn.close()
    assert not conn.is_open


def test_keyboard_interrupt_during_consume_iterator(conn: warren.Connection, ch: warren.Channel, queue: str) -> None:
    it = ch.consume(queue)
    interrupt_main_after(0.3)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        next(it)
    assert time.monotonic() - started < 2
    ch.basic_publish("", queue, b"after")
    msg = next(it)
    assert msg is not None and msg.body == b"after"
    msg.ack()
    conn.close()


def test_keyboard_interrupt_during_drain_events(conn: warren.Connection, ch: warren.Channel, queue: str) -> None:
    ch.basic_consume(queue, lambda m: None, auto_ack=True)
    interrupt_main_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        conn.drain_events()
    conn.close()
