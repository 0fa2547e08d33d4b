"""warren.compat.pika: code written for pika's BlockingConnection, unchanged."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from conftest import URI, unique
from warren.compat import pika


@pytest.fixture
def connection() -> Any:
    c = pika.BlockingConnection(pika.URLParameters(URI))
    yield c
    if c.is_open:
        c.close()


@pytest.fixture
def channel(connection: Any) -> Any:
    return connection.channel()


def test_connection_parameters_and_url_parameters() -> None:
    import urllib.parse

    u = urllib.parse.urlsplit(URI)
    params = pika.ConnectionParameters(
        host=u.hostname, port=u.port, virtual_host="/",
        credentials=pika.PlainCredentials(u.username or "guest", u.password or "guest"),
        heartbeat=10, blocked_connection_timeout=30, connection_attempts=2, retry_delay=0.1,
        socket_timeout=5, client_properties={"connection_name": "compat-test"},
    )
    with pika.BlockingConnection(params) as conn:
        assert conn.is_open and not conn.is_closed
        assert conn._native.tuning[2] == 10
    assert conn.is_closed
    p = pika.URLParameters(URI + "?heartbeat=3&socket_timeout=2&connection_attempts=3")
    assert (p.heartbeat, p.socket_timeout, p.connection_attempts) == (3, 2.0, 3)
    assert p.virtual_host == "/"


def test_declare_returns_method_frames(channel: Any) -> None:
    frame = channel.queue_declare(queue="", exclusive=True)
    assert isinstance(frame, pika.frame.Method)
    assert isinstance(frame.method, pika.spec.Queue.DeclareOk)
    assert frame.method.queue.startswith("amq.gen-")
    assert frame.channel_number == channel.channel_number
    ex = unique("ex")
    ok = channel.exchange_declare(exchange=ex, exchange_type=pika.exchange_type.ExchangeType.fanout, auto_delete=True)
    assert isinstance(ok.method, pika.spec.Exchange.DeclareOk)
    assert isinstance(channel.queue_bind(frame.method.queue, ex).method, pika.spec.Queue.BindOk)
    assert isinstance(channel.queue_unbind(frame.method.queue, ex).method, pika.spec.Queue.UnbindOk)
    assert isinstance(channel.queue_purge(frame.method.queue).method, pika.spec.Queue.PurgeOk)
    assert isinstance(channel.exchange_delete(ex).method, pika.spec.Exchange.DeleteOk)
    assert channel.queue_delete(frame.method.queue).method.message_count == 0


def test_publish_and_basic_get_tuple(channel: Any) -> None:
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish(exchange="", routing_key=q, body="hello",
                          properties=pika.BasicProperties(content_type="text/plain", delivery_mode=pika.DeliveryMode.Persistent))
    deadline = time.monotonic() + 5
    method = None
    while method is None and time.monotonic() < deadline:
        method, props, body = channel.basic_get(q)
    assert isinstance(method, pika.spec.Basic.GetOk)
    assert body == b"hello" and props.content_type == "text/plain" and props.delivery_mode == 2
    channel.basic_ack(method.delivery_tag)
    assert channel.basic_get(q) == (None, None, None)


def test_basic_consume_callback_signature_and_start_stop(channel: Any) -> None:
    q = channel.queue_declare("", exclusive=True).method.queue
    seen: list[tuple[Any, ...]] = []

    def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
        seen.append((ch, method, properties, body))
        ch.basic_ack(delivery_tag=method.delivery_tag)
        if len(seen) == 2:
            ch.stop_consuming()

    tag = channel.basic_consume(queue=q, on_message_callback=on_message)
    assert tag in channel.consumer_tags
    channel.basic_publish("", q, b"1")
    channel.basic_publish("", q, b"2")
    channel.start_consuming()
    assert [s[3] for s in seen] == [b"1", b"2"]
    ch, method, props, _ = seen[0]
    assert ch is channel
    assert isinstance(method, pika.spec.Basic.Deliver)
    assert method.consumer_tag == tag and method.routing_key == q and method.exchange == ""
    assert isinstance(props, pika.BasicProperties)


def test_consume_generator_with_inactivity_and_cancel(channel: Any) -> None:
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"a")
    out = []
    for method, props, body in channel.consume(q, inactivity_timeout=0.3):
        if method is None:
            break
        out.append(body)
        channel.basic_ack(method.delivery_tag)
    assert out == [b"a"]
    assert channel.get_waiting_message_count() == 0
    assert channel.cancel() == 0


def test_confirm_delivery_raises_unroutable_and_succeeds_otherwise(channel: Any) -> None:
    channel.confirm_delivery()
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"ok", mandatory=True)
    with pytest.raises(pika.exceptions.UnroutableError) as info:
        channel.basic_publish("", unique("nowhere"), b"lost", mandatory=True)
    assert len(info.value.messages) == 1
    assert info.value.messages[0].body == b"lost"


def test_channel_closed_by_broker(connection: Any) -> None:
    ch = connection.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as info:
        ch.queue_declare(unique("missing"), passive=True)
    assert info.value.reply_code == 404
    assert ch.is_closed
    with pytest.raises(pika.exceptions.ChannelWrongStateError):
        ch.basic_publish("", "x", b"")
    assert isinstance(info.value, pika.exceptions.AMQPChannelError)


def test_wrong_credentials(connection: Any) -> None:
    import urllib.parse

    u = urllib.parse.urlsplit(URI)
    params = pika.ConnectionParameters(host=u.hostname, port=u.port, credentials=pika.PlainCredentials("guest", "nope"))
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        pika.BlockingConnection(params)
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=1, socket_timeout=1))


def test_process_data_events_call_later_and_threadsafe_callbacks(connection: Any) -> None:
    fired: list[str] = []
    connection.call_later(0.05, lambda: fired.append("timer"))
    cancelled = connection.call_later(0.05, lambda: fired.append("cancelled"))
    connection.remove_timeout(cancelled)
    threading.Thread(target=lambda: connection.add_callback_threadsafe(lambda: fired.append("threadsafe"))).start()
    deadline = time.monotonic() + 5
    while len(fired) < 2 and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0.1)
    assert sorted(fired) == ["threadsafe", "timer"]
    connection.sleep(0.05)


def test_return_callback_is_called_while_processing_events(channel: Any, connection: Any) -> None:
    returned: list[Any] = []
    channel.add_on_return_callback(lambda ch, method, props, body: returned.append((method, body)))
    channel.basic_publish("", unique("nowhere"), b"back", mandatory=True)
    deadline = time.monotonic() + 5
    while not returned and time.monotonic() < deadline:
        connection.process_data_events(0.1)
    method, body = returned[0]
    assert isinstance(method, pika.spec.Basic.Return)
    assert (method.reply_code, body) == (312, b"back")


def test_on_cancel_callback_gets_basic_cancel_frame(connection: Any) -> None:
    ch = connection.channel()
    q = ch.queue_declare(unique("cancel")).method.queue
    frames: list[Any] = []
    ch.add_on_cancel_callback(frames.append)
    ch.basic_consume(q, lambda *a: None)
    connection.channel().queue_delete(q)
    ch.start_consuming()
    assert isinstance(frames[0].method, pika.spec.Basic.Cancel)


def test_tx_qos_recover_nack_reject(connection: Any, channel: Any) -> None:
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_qos(prefetch_count=10)
    tx = connection.channel()
    assert isinstance(tx.tx_select().method, pika.spec.Tx.SelectOk)
    tx.basic_publish("", q, b"x")
    assert isinstance(tx.tx_commit().method, pika.spec.Tx.CommitOk)
    assert isinstance(tx.tx_rollback().method, pika.spec.Tx.RollbackOk)

    def get() -> Any:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            method, _, _ = channel.basic_get(q)
            if method is not None:
                return method
            time.sleep(0.01)
        raise AssertionError("nothing to get")

    method = get()
    channel.basic_nack(method.delivery_tag, requeue=True)
    method = get()
    assert method.redelivered
    channel.basic_reject(method.delivery_tag, requeue=False)
    channel.basic_recover(requeue=True)


def test_duplicate_consumer_tag(channel: Any) -> None:
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_consume(q, lambda *a: None, consumer_tag="t1")
    with pytest.raises(pika.exceptions.DuplicateConsumerTag):
        channel.basic_consume(q, lambda *a: None, consumer_tag="t1")


def test_spec_objects_repr_and_equality() -> None:
    a = pika.spec.Basic.Deliver("t", 1, False, "ex", "rk")
    assert a == pika.spec.Basic.Deliver("t", 1, False, "ex", "rk")
    assert a.NAME == "Basic.Deliver" and "Basic.Deliver" in repr(a)
    assert pika.spec.Queue.DeclareOk("q", 1, 2).consumer_count == 2
    assert pika.spec.Basic.Ack().delivery_tag == 0
