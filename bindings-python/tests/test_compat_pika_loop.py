"""warren.compat.pika's event loop as pika programs use it: add_callback_threadsafe from other
threads while start_consuming runs, call_later, sleep, process_data_events(time_limit=0),
the consume() generator (inactivity timeout, cancel, waiting count), basic_cancel from a
callback and its returned messages, stop_consuming from a callback or another thread. Each
test checks pika's documented behaviour (the same assertions hold with real pika on RabbitMQ:
run this module with WARREN_COMPAT_REAL_PIKA=1)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from conftest import URI, unique

if os.environ.get("WARREN_COMPAT_REAL_PIKA"):
    import pika  # type: ignore[import-untyped]
else:
    from warren.compat import pika  # type: ignore[no-redef]


@pytest.fixture
def connection() -> Any:
    c = pika.BlockingConnection(pika.URLParameters(URI))
    yield c
    if c.is_open:
        c.close()


@pytest.fixture
def channel(connection: Any) -> Any:
    return connection.channel()


def fill(channel: Any, n: int, durable: bool = False) -> str:
    q = channel.queue_declare(unique("loop"), exclusive=True).method.queue
    for i in range(n):
        channel.basic_publish("", q, f"m{i}".encode())
    deadline = time.monotonic() + 10
    while channel.queue_declare(q, passive=True).method.message_count < n:
        assert time.monotonic() < deadline, "messages did not arrive"
        time.sleep(0.02)
    return q


def message_count(connection: Any, q: str, expected: int) -> int:
    """The queue's ready count, waiting (bounded) for it to become `expected`."""
    ch = connection.channel()
    deadline = time.monotonic() + 10
    while True:
        n = ch.queue_declare(q, passive=True).method.message_count
        if n == expected or time.monotonic() > deadline:
            ch.close()
            return n
        time.sleep(0.05)


def test_add_callback_threadsafe_from_another_thread_during_start_consuming(connection: Any, channel: Any) -> None:
    q = fill(channel, 3)
    received: list[bytes] = []
    acked_from: list[str] = []

    def work(ch: Any, delivery_tag: int, body: bytes) -> None:
        # A worker thread does the job, then hands the ack to the connection's thread.
        time.sleep(0.05)

        def ack() -> None:
            ch.basic_ack(delivery_tag)
            acked_from.append(threading.current_thread().name)
            if len(acked_from) == 3:
                ch.stop_consuming()

        connection.add_callback_threadsafe(ack)

    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        received.append(body)
        threading.Thread(target=work, args=(ch, method.delivery_tag, body)).start()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(q, on_message)
    started = time.monotonic()
    channel.start_consuming()
    assert received == [b"m0", b"m1", b"m2"]
    # Acks ran on the consuming (main) thread, and each woke the loop promptly: with
    # prefetch 1 each message waits for the previous ack.
    assert acked_from == [threading.current_thread().name] * 3
    assert time.monotonic() - started < 5
    assert message_count(connection, q, 0) == 0


def test_add_callback_threadsafe_wakes_process_data_events_promptly(connection: Any) -> None:
    done: list[float] = []
    t = threading.Timer(0.2, lambda: connection.add_callback_threadsafe(lambda: done.append(time.monotonic())))
    t.start()
    start = time.monotonic()
    while not done:
        connection.process_data_events(time_limit=None)
        assert time.monotonic() - start < 10
    assert done[0] - start < 1.0
    assert time.monotonic() - start < 1.0


def test_call_later_sleep_and_process_data_events_zero(connection: Any) -> None:
    fired: list[str] = []
    connection.call_later(0.1, lambda: fired.append("later"))
    removed = connection.call_later(0.1, lambda: fired.append("removed"))
    connection.remove_timeout(removed)
    connection.process_data_events(time_limit=0)
    assert fired == []  # not due yet, and time_limit=0 does not wait
    start = time.monotonic()
    connection.sleep(0.3)
    assert 0.25 <= time.monotonic() - start < 2
    assert fired == ["later"]
    connection.call_later(0, lambda: fired.append("now"))
    connection.process_data_events(time_limit=0)
    assert fired == ["later", "now"]


def test_process_data_events_zero_dispatches_what_arrived(connection: Any, channel: Any) -> None:
    q = fill(channel, 2)
    got: list[bytes] = []
    channel.basic_consume(q, lambda ch, m, p, b: got.append(b), auto_ack=True)
    deadline = time.monotonic() + 10
    while len(got) < 2 and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0)
        time.sleep(0.01)
    assert got == [b"m0", b"m1"]


def test_consume_generator_inactivity_timeout_waiting_count_and_cancel(connection: Any, channel: Any) -> None:
    q = fill(channel, 5)
    gen = channel.consume(q, inactivity_timeout=0.5)
    method, props, body = next(gen)
    assert body == b"m0" and method.delivery_tag == 1
    channel.basic_ack(method.delivery_tag)
    # The other four arrive and wait in the generator.
    deadline = time.monotonic() + 10
    while channel.get_waiting_message_count() < 4 and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0.05)
    assert channel.get_waiting_message_count() == 4
    assert next(gen)[2] == b"m1"
    assert channel.get_waiting_message_count() == 3
    # cancel() rejects the unread (and the unacked one stays unacked until the channel
    # closes); as pika, it returns 0.
    assert channel.cancel() == 0
    assert channel.get_waiting_message_count() == 0
    assert message_count(connection, q, 3) == 3
    channel.close()
    assert message_count(connection, q, 4) == 4


def test_consume_generator_yields_none_after_inactivity(connection: Any, channel: Any) -> None:
    q = channel.queue_declare(unique("idle"), exclusive=True).method.queue
    start = time.monotonic()
    for item in channel.consume(q, inactivity_timeout=0.3):
        assert item == (None, None, None)
        break
    assert 0.25 <= time.monotonic() - start < 3
    channel.basic_publish("", q, b"late")
    start = time.monotonic()
    for method, _, body in channel.consume(q, inactivity_timeout=10):
        assert body == b"late"
        channel.basic_ack(method.delivery_tag)
        break
    assert time.monotonic() - start < 5
    channel.cancel()


def test_consume_generator_with_different_params_is_refused(channel: Any) -> None:
    q = channel.queue_declare(unique("params"), exclusive=True).method.queue
    next(channel.consume(q, inactivity_timeout=0.05))
    with pytest.raises(ValueError):
        next(channel.consume(q, auto_ack=True, inactivity_timeout=0.05))
    channel.cancel()


def test_consume_generator_serves_basic_consume_callbacks(connection: Any, channel: Any) -> None:
    # pika's "publish from a consume callback": the generator waits while a callback moves
    # messages from one queue to the one it reads.
    src = fill(channel, 1)
    dest = channel.queue_declare(unique("dest"), exclusive=True).method.queue
    channel.confirm_delivery()

    def move(ch: Any, method: Any, props: Any, body: bytes) -> None:
        ch.basic_publish("", dest, body, properties=props, mandatory=True)
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(src, move)
    start = time.monotonic()
    for method, _, body in channel.consume(dest, auto_ack=True, inactivity_timeout=10):
        assert method is not None, "the moved message did not arrive"
        assert body == b"m0"
        break
    # Yielded as soon as it arrived, not when the inactivity timeout ran out.
    assert time.monotonic() - start < 5
    channel.cancel()


def test_basic_cancel_of_auto_ack_consumer_returns_pending_messages(connection: Any, channel: Any) -> None:
    q = fill(channel, 3)
    tag = channel.basic_consume(q, lambda *a: pytest.fail("not dispatched"), auto_ack=True)
    assert message_count(connection, q, 0) == 0  # all three are on their way to us
    messages = channel.basic_cancel(tag)
    assert [body for _, _, body in messages] == [b"m0", b"m1", b"m2"]
    assert [m.delivery_tag for m, _, _ in messages] == [1, 2, 3]
    assert all(isinstance(m, pika.spec.Basic.Deliver) for m, _, _ in messages)
    assert channel.consumer_tags == []


def test_basic_cancel_of_ackable_consumer_requeues_pending(connection: Any, channel: Any) -> None:
    q = fill(channel, 3)
    tag = channel.basic_consume(q, lambda *a: pytest.fail("not dispatched"))
    assert message_count(connection, q, 0) == 0
    assert channel.basic_cancel(tag) == []
    assert message_count(connection, q, 3) == 3


def test_basic_cancel_from_inside_the_callback(connection: Any, channel: Any) -> None:
    q = fill(channel, 5)
    got: list[bytes] = []

    def on_message(ch: Any, method: Any, props: Any, body: bytes) -> None:
        got.append(body)
        ch.basic_ack(method.delivery_tag)
        if len(got) == 2:
            ch.basic_cancel(method.consumer_tag)

    channel.basic_consume(q, on_message)
    channel.start_consuming()  # returns: its only consumer is gone
    assert got == [b"m0", b"m1"]
    assert channel.consumer_tags == []
    assert message_count(connection, q, 3) == 3


def test_stop_consuming_from_a_callback(connection: Any, channel: Any) -> None:
    q = fill(channel, 4)
    got: list[bytes] = []

    def on_message(ch: Any, method: Any, props: Any, body: bytes) -> None:
        got.append(body)
        ch.basic_ack(method.delivery_tag)
        ch.stop_consuming()

    channel.basic_qos(prefetch_count=2)
    channel.basic_consume(q, on_message)
    channel.start_consuming()
    assert got == [b"m0"]
    assert message_count(connection, q, 3) == 3


def test_stop_consuming_through_add_callback_threadsafe(connection: Any, channel: Any) -> None:
    q = channel.queue_declare(unique("idle"), exclusive=True).method.queue
    channel.basic_consume(q, lambda *a: None)
    timer = threading.Timer(0.3, lambda: connection.add_callback_threadsafe(channel.stop_consuming))
    timer.start()
    start = time.monotonic()
    channel.start_consuming()
    assert time.monotonic() - start < 3
    assert channel.consumer_tags == []


def test_start_consuming_inside_a_callback_is_refused(connection: Any, channel: Any) -> None:
    q = fill(channel, 1)
    errors: list[BaseException] = []

    def on_message(ch: Any, method: Any, props: Any, body: bytes) -> None:
        try:
            ch.start_consuming()
        except pika.exceptions.ReentrancyError as e:
            errors.append(e)
        ch.stop_consuming()

    channel.basic_consume(q, on_message, auto_ack=True)
    channel.start_consuming()
    assert len(errors) == 1


def test_rpc_reply_published_inside_the_callback(connection: Any) -> None:
    server_conn = pika.BlockingConnection(pika.URLParameters(URI))
    try:
        server = server_conn.channel()
        rpc_q = server.queue_declare(unique("rpc"), exclusive=True).method.queue

        def on_request(ch: Any, method: Any, props: Any, body: bytes) -> None:
            ch.basic_publish("", props.reply_to, body.upper(),
                             pika.BasicProperties(correlation_id=props.correlation_id))
            ch.basic_ack(method.delivery_tag)
            if body == b"last":
                ch.stop_consuming()

        server.basic_consume(rpc_q, on_request)
        thread = threading.Thread(target=server.start_consuming)
        thread.start()

        client = connection.channel()
        reply_q = client.queue_declare("", exclusive=True).method.queue
        replies: dict[str, bytes] = {}
        client.basic_consume(reply_q, lambda ch, m, p, b: replies.__setitem__(p.correlation_id, b), auto_ack=True)
        for i, word in enumerate([b"one", b"two", b"last"]):
            client.basic_publish("", rpc_q, word, pika.BasicProperties(reply_to=reply_q, correlation_id=str(i)))
            deadline = time.monotonic() + 10
            while str(i) not in replies:
                connection.process_data_events(time_limit=None if time.monotonic() < deadline else 0)
                assert time.monotonic() < deadline + 1, "no reply"
        assert replies == {"0": b"ONE", "1": b"TWO", "2": b"LAST"}
        thread.join(10)
        assert not thread.is_alive()
    finally:
        if server_conn.is_open:
            server_conn.close()
