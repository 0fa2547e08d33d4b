"""Cross-client tests: pika (the usual Python AMQP 0-9-1 client) against the broker under test.

The broker is chosen by WARREN_TEST_URI (default amqp://guest:guest@127.0.0.1:5672/%2f, i.e.
a local RabbitMQ), the same variable the Rust end-to-end suite reads, so these tests can be
checked against RabbitMQ and then run against Warren's reference broker:

    WARREN_TEST_URI=amqp://guest:guest@127.0.0.1:5673/%2f python3 -m pytest tests/clients/python

Every wait is bounded; every queue and exchange is uniquely named and removed afterwards
(exclusive or auto-delete, or deleted explicitly).
"""

import json
import os
import time
import uuid

import pika
import pika.exceptions
import pytest

URI = os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@127.0.0.1:5672/%2f")
WAIT = 10.0  # the longest any single step may wait for the broker, in seconds


def unique(prefix):
    return f"warren-pika.{prefix}.{os.getpid()}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def conn():
    params = pika.URLParameters(URI)
    params.connection_attempts = 1
    params.socket_timeout = WAIT
    params.stack_timeout = WAIT
    params.blocked_connection_timeout = WAIT
    connection = pika.BlockingConnection(params)
    yield connection
    if connection.is_open:
        connection.close()


@pytest.fixture
def ch(conn):
    return conn.channel()


def temp_queue(ch, prefix):
    name = unique(prefix)
    ok = ch.queue_declare(queue=name, exclusive=True)
    assert ok.method.queue == name
    return name


def message_count(ch, queue):
    return ch.queue_declare(queue=queue, passive=True).method.message_count


def consume_n(conn, ch, queue, n, auto_ack=False, ack=True):
    """Consumes until n deliveries arrived (or WAIT passes); returns (method, props, body) list."""
    got = []

    def on_message(channel, method, properties, body):
        got.append((method, properties, body))
        if ack and not auto_ack:
            channel.basic_ack(delivery_tag=method.delivery_tag)

    tag = ch.basic_consume(queue=queue, on_message_callback=on_message, auto_ack=auto_ack)
    deadline = time.monotonic() + WAIT
    while len(got) < n and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    ch.basic_cancel(tag)
    assert len(got) == n, f"expected {n} deliveries from {queue}, got {len(got)} within {WAIT}s"
    return got


def test_connection_handshake(conn):
    props = conn._impl.server_properties
    assert props, "the broker sent no server properties"
    caps = props.get("capabilities", {})
    assert caps.get("publisher_confirms") is True, f"capabilities: {caps}"
    assert caps.get("basic.nack") is True, f"capabilities: {caps}"
    assert caps.get("consumer_cancel_notify") is True, f"capabilities: {caps}"


def test_publish_and_consume_with_manual_ack(conn, ch):
    q = temp_queue(ch, "consume")
    for i in range(5):
        ch.basic_publish(
            exchange="",
            routing_key=q,
            body=f"job {i}".encode(),
            properties=pika.BasicProperties(
                content_type="text/plain",
                delivery_mode=2,
                correlation_id=f"c{i}",
                headers={"attempt": i, "source": "pika"},
            ),
        )
    got = consume_n(conn, ch, q, 5)
    assert [b for _, _, b in got] == [f"job {i}".encode() for i in range(5)]
    for i, (method, props, _) in enumerate(got):
        assert method.routing_key == q
        assert method.exchange == ""
        assert not method.redelivered
        assert props.content_type == "text/plain"
        assert props.delivery_mode == 2
        assert props.correlation_id == f"c{i}"
        assert props.headers == {"attempt": i, "source": "pika"}
    # Every delivery was acked: the queue is empty and nothing comes back.
    assert message_count(ch, q) == 0
    method, _, _ = ch.basic_get(queue=q, auto_ack=True)
    assert method is None


def test_unacked_deliveries_are_redelivered_when_the_channel_closes(conn):
    ch1 = conn.channel()
    q = unique("redeliver")
    ch1.queue_declare(queue=q, auto_delete=False)
    try:
        ch1.basic_publish(exchange="", routing_key=q, body=b"unacked")
        got = consume_n(conn, ch1, q, 1, ack=False)
        assert not got[0][0].redelivered
        ch1.close()

        ch2 = conn.channel()
        method, _, body = ch2.basic_get(queue=q, auto_ack=False)
        assert method is not None, "the unacked message was not requeued when its channel closed"
        assert body == b"unacked"
        assert method.redelivered, "a requeued message must carry redelivered=True"
        ch2.basic_ack(method.delivery_tag)
    finally:
        conn.channel().queue_delete(queue=q)


def test_nack_with_requeue_redelivers_and_without_drops(conn, ch):
    ch.confirm_delivery()  # so each publish is in the queue before the next step looks
    q = temp_queue(ch, "nack")
    ch.basic_publish(exchange="", routing_key=q, body=b"again")
    method, _, _ = ch.basic_get(queue=q)
    ch.basic_nack(delivery_tag=method.delivery_tag, requeue=True)
    method, _, body = ch.basic_get(queue=q)
    assert method is not None and body == b"again" and method.redelivered
    ch.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
    assert message_count(ch, q) == 0


def test_prefetch_limits_unacked_deliveries(conn, ch):
    q = temp_queue(ch, "qos")
    for i in range(4):
        ch.basic_publish(exchange="", routing_key=q, body=str(i).encode())
    ch.basic_qos(prefetch_count=2)
    pending = []
    tag = ch.basic_consume(queue=q, on_message_callback=lambda c, m, p, b: pending.append(m))
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    assert len(pending) == 2, f"prefetch_count=2 but {len(pending)} deliveries are unacked"
    ch.basic_ack(delivery_tag=pending[1].delivery_tag, multiple=True)
    deadline = time.monotonic() + WAIT
    while len(pending) < 4 and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    assert len(pending) == 4
    ch.basic_ack(delivery_tag=pending[3].delivery_tag, multiple=True)
    ch.basic_cancel(tag)


def test_publisher_confirms(conn, ch):
    ch.confirm_delivery()
    q = temp_queue(ch, "confirms")
    # In confirm mode BlockingChannel.basic_publish waits for the broker's ack; a nack raises.
    for i in range(20):
        ch.basic_publish(exchange="", routing_key=q, body=f"m{i}".encode())
    assert message_count(ch, q) == 20
    # An unroutable mandatory publish is returned, then confirmed: pika raises UnroutableError.
    with pytest.raises(pika.exceptions.UnroutableError):
        ch.basic_publish(
            exchange="", routing_key=unique("nowhere"), body=b"lost", mandatory=True
        )
    # The channel is still usable and still confirming.
    ch.basic_publish(exchange="", routing_key=q, body=b"after")
    assert message_count(ch, q) == 21


def test_basic_get(conn, ch):
    ch.confirm_delivery()  # so each publish is in the queue before the next step looks
    q = temp_queue(ch, "get")
    method, props, body = ch.basic_get(queue=q)
    assert (method, props, body) == (None, None, None), "basic.get on an empty queue must be get-empty"
    for body in (b"first", b"second", b"third"):
        ch.basic_publish(
            exchange="", routing_key=q, body=body,
            properties=pika.BasicProperties(message_id=body.decode()),
        )
    method, props, body = ch.basic_get(queue=q, auto_ack=False)
    assert body == b"first" and props.message_id == "first"
    assert method.message_count == 2, "get-ok.message_count counts the messages still ready"
    assert method.routing_key == q and not method.redelivered
    ch.basic_ack(method.delivery_tag)
    method, _, body = ch.basic_get(queue=q, auto_ack=True)
    assert body == b"second" and method.message_count == 1
    method, _, body = ch.basic_get(queue=q, auto_ack=True)
    assert body == b"third" and method.message_count == 0
    assert ch.basic_get(queue=q)[0] is None


def test_fanout_image_upload(conn, ch):
    """The talk's image-upload scenario: one upload event fans out to three services."""
    exchange = unique("upload-pictures")
    ch.exchange_declare(exchange=exchange, exchange_type="fanout", auto_delete=True)
    queues = {}
    for service in ("resize-picture", "reward-user", "notify-friends"):
        queues[service] = temp_queue(ch, service)
        ch.queue_bind(queue=queues[service], exchange=exchange)
    ch.confirm_delivery()
    uploads = [{"user_id": 100 + i, "image_id": i, "image_path": f"/tmp/img{i}.jpg"} for i in range(6)]
    for event in uploads:
        ch.basic_publish(
            exchange=exchange,
            routing_key="",
            body=json.dumps(event).encode(),
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    for service, q in queues.items():
        got = consume_n(conn, ch, q, len(uploads))
        assert [json.loads(b) for _, _, b in got] == uploads, f"{service} saw the wrong events"
        assert all(m.exchange == exchange for m, _, _ in got)
        assert all(p.content_type == "application/json" for _, p, _ in got)
        assert message_count(ch, q) == 0
    for q in queues.values():
        ch.queue_unbind(queue=q, exchange=exchange)
    ch.exchange_delete(exchange=exchange)


def test_topic_routing(conn, ch):
    exchange = unique("logs")
    ch.exchange_declare(exchange=exchange, exchange_type="topic", auto_delete=True)
    server1 = temp_queue(ch, "server1")
    errors = temp_queue(ch, "errors")
    ch.queue_bind(queue=server1, exchange=exchange, routing_key="server1.#")
    ch.queue_bind(queue=errors, exchange=exchange, routing_key="#.error")
    ch.confirm_delivery()
    keys = ["server1.auth.login.info", "server2.db.query.error", "server1.db.write.error", "server3.web.get.debug"]
    for key in keys:
        ch.basic_publish(exchange=exchange, routing_key=key, body=key.encode())
    s1 = [ch.basic_get(queue=server1, auto_ack=True)[2] for _ in range(2)]
    er = [ch.basic_get(queue=errors, auto_ack=True)[2] for _ in range(2)]
    assert s1 == [b"server1.auth.login.info", b"server1.db.write.error"]
    assert er == [b"server2.db.query.error", b"server1.db.write.error"]
    assert message_count(ch, server1) == 0 and message_count(ch, errors) == 0
    ch.exchange_delete(exchange=exchange)


def test_rpc_reply_to_server_named_queue(conn, ch):
    ch.confirm_delivery()  # so each publish is in the queue before the next step looks
    reply = ch.queue_declare(queue="", exclusive=True).method.queue
    assert reply, "queue.declare with an empty name must return a server-generated name"
    server_q = temp_queue(ch, "rpc")
    ch.basic_publish(
        exchange="", routing_key=server_q, body=b"21",
        properties=pika.BasicProperties(reply_to=reply, correlation_id="abc"),
    )
    method, props, body = ch.basic_get(queue=server_q, auto_ack=True)
    assert props.reply_to == reply and props.correlation_id == "abc"
    ch.basic_publish(
        exchange="", routing_key=props.reply_to, body=str(int(body) * 2).encode(),
        properties=pika.BasicProperties(correlation_id=props.correlation_id),
    )
    got = consume_n(conn, ch, reply, 1, auto_ack=True)
    assert got[0][2] == b"42" and got[0][1].correlation_id == "abc"


def test_channel_error_closes_only_the_channel(conn):
    ch = conn.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as err:
        ch.queue_declare(queue=unique("missing"), passive=True)
    assert err.value.reply_code == 404
    assert conn.is_open
    ch2 = conn.channel()
    ch2.confirm_delivery()
    q = temp_queue(ch2, "after-error")
    ch2.basic_publish(exchange="", routing_key=q, body=b"ok")
    assert ch2.basic_get(queue=q, auto_ack=True)[2] == b"ok"


def test_large_message_spans_frames(conn, ch):
    q = temp_queue(ch, "large")
    body = bytes(range(256)) * 4096  # 1 MiB, many body frames
    ch.confirm_delivery()
    ch.basic_publish(exchange="", routing_key=q, body=body)
    method, _, got = ch.basic_get(queue=q, auto_ack=True)
    assert method is not None and got == body


def test_heartbeats_keep_an_idle_connection_open():
    params = pika.URLParameters(URI)
    params.connection_attempts = 1
    params.socket_timeout = WAIT
    params.heartbeat = 1
    connection = pika.BlockingConnection(params)
    try:
        assert connection._impl.params.heartbeat == 1, "negotiated heartbeat interval"
        # Idle for 4 intervals: pika sends heartbeats and closes the connection if it hears
        # nothing from the broker for too long; the broker must send its own and accept pika's.
        connection.process_data_events(time_limit=4.0)
        assert connection.is_open
        ch = connection.channel()
        ch.confirm_delivery()
        q = temp_queue(ch, "heartbeat")
        ch.basic_publish(exchange="", routing_key=q, body=b"alive")
        assert ch.basic_get(queue=q, auto_ack=True)[2] == b"alive"
    finally:
        if connection.is_open:
            connection.close()


def test_deleting_a_queue_cancels_its_consumers(conn, ch):
    """consumer_cancel_notify: the broker sends basic.cancel when the queue goes away."""
    q = unique("cancel-notify")
    ch.queue_declare(queue=q)
    cancelled = []
    ch.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
    tag = ch.basic_consume(queue=q, on_message_callback=lambda *a: None)
    conn.channel().queue_delete(queue=q)
    deadline = time.monotonic() + WAIT
    while not cancelled and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    assert cancelled == [tag], "no basic.cancel from the broker after its queue was deleted"
    assert ch.is_open


def test_exclusive_queue_is_locked_to_its_connection(conn, ch):
    q = temp_queue(ch, "exclusive")
    params = pika.URLParameters(URI)
    params.connection_attempts = 1
    other = pika.BlockingConnection(params)
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as err:
            other.channel().basic_consume(queue=q, on_message_callback=lambda *a: None)
        assert err.value.reply_code == 405, f"RESOURCE_LOCKED expected, got {err.value}"
    finally:
        other.close()


def test_basic_recover_redelivers_unacked(conn, ch):
    q = temp_queue(ch, "recover")
    ch.basic_publish(exchange="", routing_key=q, body=b"once more")
    got = consume_n(conn, ch, q, 1, ack=False)
    assert not got[0][0].redelivered
    ch.basic_recover(requeue=True)
    method, _, body = ch.basic_get(queue=q, auto_ack=True)
    assert method is not None and body == b"once more" and method.redelivered


def test_queue_purge_reports_the_count(conn, ch):
    ch.confirm_delivery()  # so each publish is in the queue before the next step looks
    q = temp_queue(ch, "purge")
    for i in range(7):
        ch.basic_publish(exchange="", routing_key=q, body=b"x")
    assert message_count(ch, q) == 7
    assert ch.queue_purge(queue=q).method.message_count == 7
    assert message_count(ch, q) == 0


def test_consumers_share_a_queue_round_robin(conn, ch):
    q = temp_queue(ch, "round-robin")
    seen = {"a": [], "b": []}
    ch.basic_consume(queue=q, consumer_tag="a", auto_ack=True,
                     on_message_callback=lambda c, m, p, b: seen["a"].append(b))
    ch.basic_consume(queue=q, consumer_tag="b", auto_ack=True,
                     on_message_callback=lambda c, m, p, b: seen["b"].append(b))
    for i in range(10):
        ch.basic_publish(exchange="", routing_key=q, body=str(i).encode())
    deadline = time.monotonic() + WAIT
    while len(seen["a"]) + len(seen["b"]) < 10 and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    assert sorted(seen["a"] + seen["b"], key=int) == [str(i).encode() for i in range(10)]
    assert seen["a"] and seen["b"], f"one consumer got everything: {seen}"


def test_headers_exchange_and_exchange_to_exchange_binding(conn, ch):
    ch.confirm_delivery()
    front = unique("front")
    headers = unique("headers")
    ch.exchange_declare(exchange=front, exchange_type="fanout", auto_delete=True)
    ch.exchange_declare(exchange=headers, exchange_type="headers", auto_delete=True)
    ch.exchange_bind(destination=headers, source=front)
    all_q = temp_queue(ch, "x-match-all")
    any_q = temp_queue(ch, "x-match-any")
    ch.queue_bind(queue=all_q, exchange=headers,
                  arguments={"x-match": "all", "format": "pdf", "type": "report"})
    ch.queue_bind(queue=any_q, exchange=headers,
                  arguments={"x-match": "any", "format": "pdf", "type": "log"})
    for body, hdrs in [(b"pdf report", {"format": "pdf", "type": "report"}),
                       (b"zip log", {"format": "zip", "type": "log"}),
                       (b"zip report", {"format": "zip", "type": "report"})]:
        ch.basic_publish(exchange=front, routing_key="", body=body,
                         properties=pika.BasicProperties(headers=hdrs))
    assert [ch.basic_get(queue=all_q, auto_ack=True)[2] for _ in range(2)] == [b"pdf report", None]
    assert [ch.basic_get(queue=any_q, auto_ack=True)[2] for _ in range(3)] == [b"pdf report", b"zip log", None]
    ch.exchange_unbind(destination=headers, source=front)
    ch.exchange_delete(exchange=headers)
    ch.exchange_delete(exchange=front)


def test_empty_body(conn, ch):
    ch.confirm_delivery()
    q = temp_queue(ch, "empty")
    ch.basic_publish(exchange="", routing_key=q, body=b"",
                     properties=pika.BasicProperties(content_type="text/plain"))
    method, props, body = ch.basic_get(queue=q, auto_ack=True)
    assert method is not None, "a message with an empty body was lost"
    assert body == b"" and props.content_type == "text/plain"
    got = None
    ch.basic_publish(exchange="", routing_key=q, body=b"")
    got = consume_n(conn, ch, q, 1)
    assert got[0][2] == b""


def test_every_basic_property_and_header_type_round_trips(conn, ch):
    import datetime
    import decimal

    ch.confirm_delivery()
    q = temp_queue(ch, "props")
    headers = {
        "text": "héllo ✓",
        "int": 42,
        "negative": -7,
        "big": 2**40,
        "true": True,
        "false": False,
        "decimal": decimal.Decimal("12.34"),
        "timestamp": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "void": None,
        "array": [1, "two", [3, {"four": 4}]],
        "table": {"nested": {"deeper": "yes"}, "n": 1},
    }
    props = pika.BasicProperties(
        content_type="application/octet-stream",
        content_encoding="gzip",
        headers=headers,
        delivery_mode=2,
        priority=5,
        correlation_id="corr-1",
        reply_to="reply-queue",
        expiration="600000",
        message_id="msg-1",
        timestamp=1700000000,
        type="example.type",
        user_id=pika.URLParameters(URI).credentials.username,
        app_id="warren-tests",
    )
    ch.basic_publish(exchange="", routing_key=q, body=b"\x00\x01\xff", properties=props)
    for fetch in ("basic.get", "basic.consume"):
        if fetch == "basic.get":
            method, got, body = ch.basic_get(queue=q, auto_ack=False)
            assert method is not None
            ch.basic_nack(method.delivery_tag, requeue=True)
        else:
            (_, got, body), = consume_n(conn, ch, q, 1)
        assert body == b"\x00\x01\xff", fetch
        for name in ("content_type", "content_encoding", "delivery_mode", "priority",
                     "correlation_id", "reply_to", "expiration", "message_id", "timestamp",
                     "type", "user_id", "app_id"):
            assert getattr(got, name) == getattr(props, name), f"{fetch}: property {name}"
        assert got.headers == headers, f"{fetch}: headers changed in transit"


def test_channel_errors(conn):
    # (what, action, reply code, reply text starts with)
    def missing_exchange(ch):
        ch.confirm_delivery()
        ch.basic_publish(exchange=unique("no-such-exchange"), routing_key="k", body=b"x")

    def redeclare_with_other_properties(ch):
        q = temp_queue(ch, "mismatch")
        ch.queue_declare(queue=q, exclusive=True, arguments={"x-max-priority": 5})

    def ack_unknown_tag(ch):
        ch.basic_ack(delivery_tag=999)
        ch.queue_declare(queue="", exclusive=True)  # a round trip, to hear the close

    def bind_to_missing_queue(ch):
        ch.queue_bind(queue=unique("no-such-queue"), exchange="amq.direct", routing_key="k")

    def redeclare_exchange_as_other_type(ch):
        ch.exchange_declare(exchange="amq.direct", exchange_type="fanout", durable=True)

    cases = [
        ("publish to a missing exchange", missing_exchange, 404, "NOT_FOUND"),
        ("redeclare a queue with other arguments", redeclare_with_other_properties, 406, "PRECONDITION_FAILED"),
        ("ack an unknown delivery tag", ack_unknown_tag, 406, "PRECONDITION_FAILED"),
        ("bind a missing queue", bind_to_missing_queue, 404, "NOT_FOUND"),
        ("redeclare amq.direct as fanout", redeclare_exchange_as_other_type, 406, "PRECONDITION_FAILED"),
    ]
    for what, action, code, text in cases:
        ch = conn.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as err:
            action(ch)
        assert err.value.reply_code == code, f"{what}: {err.value}"
        assert err.value.reply_text.startswith(text), f"{what}: {err.value}"
        assert conn.is_open, f"{what} closed the connection"


def test_many_channels_on_one_connection(conn):
    channels = [conn.channel() for _ in range(50)]
    queues = []
    for i, ch in enumerate(channels):
        ch.confirm_delivery()
        q = temp_queue(ch, f"chan{i}")
        ch.basic_publish(exchange="", routing_key=q, body=f"from {i}".encode())
        queues.append(q)
    for i, (ch, q) in enumerate(zip(channels, queues)):
        assert ch.basic_get(queue=q, auto_ack=True)[2] == f"from {i}".encode()
    for ch in channels:
        ch.close()
    assert conn.is_open


def test_wrong_password_is_refused_with_403():
    params = pika.URLParameters(URI)
    params.connection_attempts = 1
    params.socket_timeout = WAIT
    params.credentials = pika.PlainCredentials(params.credentials.username, "not-the-password")
    # pika advertises authentication_failure_close, so the broker must answer with
    # connection.close 403 ACCESS_REFUSED rather than just dropping the socket.
    with pytest.raises(pika.exceptions.ProbableAuthenticationError) as err:
        pika.BlockingConnection(params)
    assert "ConnectionClosedByBroker: (403) 'ACCESS_REFUSED" in str(err.value), str(err.value)


def test_missing_vhost_is_refused():
    params = pika.URLParameters(URI)
    params.connection_attempts = 1
    params.socket_timeout = WAIT
    params.virtual_host = unique("no-such-vhost")
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError) as err:
        pika.BlockingConnection(params)
    assert "ConnectionClosedByBroker: (530) 'NOT_ALLOWED" in str(err.value), str(err.value)


def test_exclusive_consumer_excludes_others(conn, ch):
    q = temp_queue(ch, "exclusive-consumer")
    ch.basic_consume(queue=q, on_message_callback=lambda *a: None, exclusive=True)
    other = conn.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as err:
        other.basic_consume(queue=q, on_message_callback=lambda *a: None)
    assert err.value.reply_code == 403, str(err.value)


def test_nack_multiple_requeues_in_order(conn, ch):
    ch.confirm_delivery()
    q = temp_queue(ch, "nack-multiple")
    for i in range(5):
        ch.basic_publish(exchange="", routing_key=q, body=str(i).encode())
    got = consume_n(conn, ch, q, 5, ack=False)
    ch.basic_nack(delivery_tag=got[-1][0].delivery_tag, multiple=True, requeue=True)
    again = [ch.basic_get(queue=q, auto_ack=True) for _ in range(5)]
    assert [b for _, _, b in again] == [str(i).encode() for i in range(5)], "requeued in original order"
    assert all(m.redelivered for m, _, _ in again)


def test_a_thousand_confirmed_publishes(conn, ch):
    ch.confirm_delivery()
    q = temp_queue(ch, "thousand")
    start = time.monotonic()
    for i in range(1000):
        ch.basic_publish(exchange="", routing_key=q, body=b"%d" % i)
    assert time.monotonic() - start < 60
    assert message_count(ch, q) == 1000
    got = consume_n(conn, ch, q, 1000, auto_ack=True)
    assert [b for _, _, b in got] == [b"%d" % i for i in range(1000)]
