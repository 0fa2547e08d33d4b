"""Every Channel method, with pika's names and keyword arguments."""

from __future__ import annotations

import time

import pytest

import warren
from conftest import unique


def get(ch: warren.Channel, queue: str, auto_ack: bool = False, timeout: float = 5.0) -> warren.Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = ch.basic_get(queue, auto_ack=auto_ack)
        if msg is not None:
            return msg
        time.sleep(0.01)
    raise AssertionError(f"no message in {queue} within {timeout}s")


def test_exchange_declare_bind_unbind_delete(ch: warren.Channel) -> None:
    src, dst = unique("src"), unique("dst")
    ch.exchange_declare(src, "topic", auto_delete=False)
    ch.exchange_declare(dst, "fanout", durable=False)
    ch.exchange_declare(src, "topic", passive=True)
    ch.exchange_bind(dst, src, "a.#")
    q = ch.queue_declare("", exclusive=True).queue
    ch.queue_bind(q, dst)
    ch.basic_publish(src, "a.b", b"routed")
    assert get(ch, q, auto_ack=True).body == b"routed"
    ch.exchange_unbind(dst, src, "a.#")
    ch.basic_publish(src, "a.b", b"dropped")
    time.sleep(0.2)
    assert ch.basic_get(q) is None
    ch.exchange_delete(dst)
    ch.exchange_delete(src, if_unused=False)
    with pytest.raises(warren.NotFound) as info:
        ch.exchange_declare(src, "topic", passive=True)
    assert info.value.reply_code == 404
    assert info.value.class_id == 40 and info.value.method_id == 10


def test_internal_exchange_refuses_publishes(conn: warren.Connection) -> None:
    ch = conn.channel()
    name = unique("internal")
    ch.exchange_declare(name, "fanout", internal=True, auto_delete=True)
    ch.basic_publish(name, "", b"x")
    # Publishing to an internal exchange is refused asynchronously with 403.
    with pytest.raises(warren.AccessRefused):
        ch.queue_declare("", exclusive=True)
        time.sleep(0.3)
        ch.queue_declare("", exclusive=True)


def test_queue_declare_returns_name_and_counts(ch: warren.Channel) -> None:
    ok = ch.queue_declare("", exclusive=True)
    assert ok.queue.startswith("amq.gen-")
    assert (ok.message_count, ok.consumer_count) == (0, 0)
    ch.basic_publish("", ok.queue, b"1")
    ch.basic_publish("", ok.queue, b"2")
    deadline = time.monotonic() + 5
    while ch.queue_declare(ok.queue, passive=True).message_count < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert "QueueDeclareOk" in repr(ok)


def test_queue_declare_durable_auto_delete_and_arguments(ch: warren.Channel) -> None:
    name = unique("args")
    ok = ch.queue_declare(name, durable=True, auto_delete=False, arguments={"x-max-length": 10})
    assert ok.queue == name
    with pytest.raises(warren.PreconditionFailed) as info:
        ch.queue_declare(name, durable=True, arguments={"x-max-length": 20})
    assert info.value.reply_code == 406
    assert not ch.is_open


def test_queue_bind_defaults_routing_key_to_queue_name(ch: warren.Channel) -> None:
    ex = unique("direct")
    ch.exchange_declare(ex, "direct")
    q = ch.queue_declare(unique("q"), exclusive=True).queue
    ch.queue_bind(q, ex)
    ch.basic_publish(ex, q, b"by name")
    assert get(ch, q, auto_ack=True).body == b"by name"
    ch.queue_unbind(q, ex)
    ch.basic_publish(ex, q, b"gone")
    time.sleep(0.2)
    assert ch.basic_get(q) is None
    ch.exchange_delete(ex)


def test_queue_bind_with_headers_arguments(ch: warren.Channel) -> None:
    ex = unique("headers")
    ch.exchange_declare(ex, "headers", auto_delete=True)
    q = ch.queue_declare("", exclusive=True).queue
    ch.queue_bind(q, ex, "", {"x-match": "all", "kind": "a"})
    ch.basic_publish(ex, "", b"match", warren.BasicProperties(headers={"kind": "a"}))
    ch.basic_publish(ex, "", b"no", warren.BasicProperties(headers={"kind": "b"}))
    assert get(ch, q, auto_ack=True).body == b"match"
    time.sleep(0.2)
    assert ch.basic_get(q) is None


def test_queue_purge_and_delete_return_counts(ch: warren.Channel) -> None:
    q = ch.queue_declare(unique("purge")).queue
    for _ in range(3):
        ch.basic_publish("", q, b"x")
    deadline = time.monotonic() + 5
    while ch.queue_declare(q, passive=True).message_count < 3:
        assert time.monotonic() < deadline
    assert ch.queue_purge(q) == 3
    ch.basic_publish("", q, b"y")
    while ch.queue_declare(q, passive=True).message_count < 1:
        assert time.monotonic() < deadline
    assert ch.queue_delete(q, if_unused=False, if_empty=False) == 1
    with pytest.raises(warren.NotFound):
        ch.queue_declare(q, passive=True)


def test_queue_delete_if_empty_refuses_a_full_queue(ch: warren.Channel) -> None:
    q = ch.queue_declare(unique("full")).queue
    ch.basic_publish("", q, b"x")
    get_ch = ch
    deadline = time.monotonic() + 5
    while get_ch.queue_declare(q, passive=True).message_count < 1:
        assert time.monotonic() < deadline
    with pytest.raises(warren.PreconditionFailed):
        ch.queue_delete(q, if_empty=True)


def test_basic_get_ack_nack_reject(ch: warren.Channel, queue: str) -> None:
    for body in (b"a", b"b", b"c"):
        ch.basic_publish("", queue, body)
    m = get(ch, queue)
    assert m.body == b"a" and not m.redelivered and m.consumer_tag == ""
    assert m.exchange == "" and m.routing_key == queue
    assert m.message_count is not None
    m.nack(requeue=True)
    again = get(ch, queue)
    assert again.body == b"a" and again.redelivered
    again.ack()
    b = get(ch, queue)
    b.reject(requeue=False)
    c = get(ch, queue)
    ch.basic_ack(c.delivery_tag)
    time.sleep(0.1)
    assert ch.basic_get(queue) is None


def test_channel_level_ack_nack_reject_multiple(ch: warren.Channel, queue: str) -> None:
    for i in range(4):
        ch.basic_publish("", queue, str(i))
    tags = [get(ch, queue).delivery_tag for _ in range(4)]
    ch.basic_nack(tags[1], multiple=True, requeue=True)
    m0 = get(ch, queue)
    m1 = get(ch, queue)
    assert {m0.body, m1.body} == {b"0", b"1"}
    ch.basic_reject(m0.delivery_tag, requeue=False)
    ch.basic_ack(m1.delivery_tag)
    ch.basic_ack(0, multiple=True)
    time.sleep(0.1)
    assert ch.basic_get(queue) is None


def test_ack_of_unknown_tag_closes_channel_with_precondition_failed(conn: warren.Connection) -> None:
    ch = conn.channel()
    ch.basic_ack(999)
    with pytest.raises(warren.PreconditionFailed):
        for _ in range(50):
            ch.queue_declare("", exclusive=True)
            time.sleep(0.05)


def test_basic_recover_redelivers(ch: warren.Channel, queue: str) -> None:
    ch.basic_publish("", queue, b"r")
    first = get(ch, queue)
    assert not first.redelivered
    ch.basic_recover(requeue=True)
    again = get(ch, queue)
    assert again.redelivered and again.body == b"r"
    again.ack()


def test_basic_qos(ch: warren.Channel) -> None:
    ch.basic_qos(10)
    ch.basic_qos(prefetch_count=5, global_qos=True)
    with pytest.raises(warren.InvalidArgument):
        ch.basic_qos(1, prefetch_size=1024)


def test_publish_bodies_str_bytearray_memoryview(ch: warren.Channel, queue: str) -> None:
    ch.basic_publish("", queue, "héllo")
    ch.basic_publish("", queue, bytearray(b"ba"))
    ch.basic_publish("", queue, memoryview(b"mv"))
    assert [get(ch, queue, auto_ack=True).body for _ in range(3)] == ["héllo".encode(), b"ba", b"mv"]
    with pytest.raises(warren.InvalidArgument):
        ch.basic_publish("", queue, 12345)  # type: ignore[arg-type]


def test_publish_many(ch: warren.Channel, queue: str) -> None:
    n = ch.basic_publish_many("", queue, [b"1", b"2", "3"], warren.BasicProperties(priority=1))
    assert n == 3
    got = [get(ch, queue, auto_ack=True) for _ in range(3)]
    assert [m.body for m in got] == [b"1", b"2", b"3"]
    assert all(m.properties.priority == 1 for m in got)


def test_name_longer_than_255_bytes_is_invalid_argument(ch: warren.Channel) -> None:
    with pytest.raises(warren.InvalidArgument):
        ch.queue_declare("q" * 256)
    with pytest.raises(warren.InvalidArgument):
        ch.basic_publish("", "k" * 256, b"")
    assert ch.is_open


def test_confirms(ch: warren.Channel, queue: str) -> None:
    assert not ch.is_confirm_mode
    ch.confirm_select()
    assert ch.is_confirm_mode
    seq = ch.next_publish_seq_no
    for _ in range(10):
        ch.basic_publish("", queue, b"c")
    assert ch.next_publish_seq_no == seq + 10
    assert ch.wait_for_confirms(timeout=10) is True
    assert ch.wait_for_confirms() is True
    ch.publish_and_wait("", queue, b"one", timeout=10)


def test_publish_and_wait_mandatory_unroutable(ch: warren.Channel) -> None:
    ch.confirm_select()
    with pytest.raises(warren.Unroutable) as info:
        ch.publish_and_wait("", unique("nowhere"), b"x", mandatory=True)
    assert info.value.reply_code == 312
    # Not mandatory: silently dropped, but confirmed.
    ch.publish_and_wait("", unique("nowhere"), b"x")


def test_publish_and_wait_needs_confirm_mode(ch: warren.Channel) -> None:
    with pytest.raises(warren.InvalidState):
        ch.publish_and_wait("", "x", b"")


def test_wait_for_confirms_outside_confirm_mode_is_invalid_state(ch: warren.Channel) -> None:
    with pytest.raises(warren.InvalidState):
        ch.wait_for_confirms()


def test_mandatory_return_is_readable(ch: warren.Channel) -> None:
    key = unique("unroutable")
    ch.basic_publish("", key, b"back", warren.BasicProperties(message_id="m1"), mandatory=True)
    r = ch.next_return(timeout=5)
    assert r is not None
    assert (r.reply_code, r.routing_key, r.body) == (312, key, b"back")
    assert r.reply_text == "NO_ROUTE"
    assert r.properties.message_id == "m1"
    assert ch.next_return() is None


def test_transactions(ch: warren.Channel, queue: str) -> None:
    ch.tx_select()
    ch.basic_publish("", queue, b"rolled back")
    ch.tx_rollback()
    ch.basic_publish("", queue, b"committed")
    ch.tx_commit()
    assert get(ch, queue, auto_ack=True).body == b"committed"
    time.sleep(0.1)
    assert ch.basic_get(queue) is None


def test_tx_commit_without_select_is_precondition_failed(ch: warren.Channel) -> None:
    with pytest.raises(warren.PreconditionFailed):
        ch.tx_commit()


def test_close_then_use_is_channel_closed(conn: warren.Connection) -> None:
    ch = conn.channel()
    ch.close()
    assert ch.is_closed
    ch.close()  # a no-op
    with pytest.raises(warren.ChannelClosed) as info:
        ch.queue_declare("")
    assert info.value.reply_code == 0


def test_exclusive_queue_of_another_connection_is_resource_locked(uri: str, ch: warren.Channel, queue: str) -> None:
    with warren.connect(uri) as other:
        with pytest.raises(warren.ResourceLocked) as info:
            other.channel().queue_declare(queue, exclusive=True)
    assert info.value.reply_code == 405


def test_reserved_name_is_access_refused(ch: warren.Channel) -> None:
    with pytest.raises(warren.AccessRefused) as info:
        ch.exchange_declare("amq.warren-test", "direct")
    assert info.value.reply_code == 403


def test_message_json_and_repr(ch: warren.Channel, queue: str) -> None:
    ch.basic_publish("", queue, b'{"image_id": 1, "user_id": 2}', warren.BasicProperties(content_type="application/json"))
    m = get(ch, queue, auto_ack=True)
    assert m.json() == {"image_id": 1, "user_id": 2}
    assert m.properties.content_type == "application/json"
    assert "Message" in repr(m)
    assert m.channel_number == ch.channel_number
