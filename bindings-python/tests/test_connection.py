"""warren.connect, Connection, context managers, options, events and metrics."""

from __future__ import annotations

import time
import urllib.parse

import pytest

import warren
from conftest import URI, unique, with_query


def test_connect_and_close_with_context_manager() -> None:
    with warren.connect(URI) as conn:
        assert conn.is_open
        assert conn.is_connected
        assert not conn.is_blocked
        ch = conn.channel()
        assert ch.is_open and not ch.is_closed
        assert ch.channel_number >= 1
    assert not conn.is_open
    # Closing twice is a no-op.
    conn.close()


def test_channel_context_manager_closes_only_the_channel(conn: warren.Connection) -> None:
    with conn.channel() as ch:
        ch.queue_declare("", exclusive=True)
    assert ch.is_closed
    assert conn.is_open
    assert conn.channel().is_open


def test_server_properties_tuning_host_and_repr(conn: warren.Connection) -> None:
    props = conn.server_properties
    assert isinstance(props, dict)
    assert "capabilities" in props and isinstance(props["capabilities"], dict)
    channel_max, frame_max, heartbeat = conn.tuning
    assert channel_max > 0 and frame_max >= 4096 and heartbeat >= 0
    assert conn.host.startswith("amqp://")
    assert "open" in repr(conn)


def test_heartbeat_option_and_url_query_are_negotiated() -> None:
    with warren.connect(with_query(URI, "heartbeat=7")) as c:
        assert c.tuning[2] == 7
    with warren.connect(URI, heartbeat=5) as c:
        assert c.tuning[2] == 5


def test_list_of_urls_uses_the_first_that_accepts() -> None:
    parsed = urllib.parse.urlsplit(URI)
    dead = URI.replace(f":{parsed.port}", ":1", 1)
    with warren.connect([dead, URI], connection_timeout=5) as conn:
        assert conn.is_open
        assert str(parsed.port) in conn.host


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        warren.connect(URI, no_such_option=1)


def test_bad_url_is_invalid_argument_and_value_error() -> None:
    with pytest.raises(warren.InvalidArgument) as info:
        warren.connect("http://localhost")
    assert isinstance(info.value, ValueError)


def test_refused_credentials_raise_authentication_error() -> None:
    parsed = urllib.parse.urlsplit(URI)
    bad = URI.replace(f"{parsed.username}:{parsed.password}@", "guest:wrong-password@", 1)
    with pytest.raises(warren.AuthenticationError) as info:
        warren.connect(bad, recovery=False)
    assert isinstance(info.value, warren.ConnectionClosed)
    assert info.value.reply_code == 403


def test_unknown_vhost_is_refused() -> None:
    with pytest.raises(warren.ConnectionClosed) as info:
        warren.connect(URI, virtual_host=unique("no-such-vhost"), recovery=False)
    assert info.value.reply_code in (530, 402)


def test_nothing_listening_is_connection_failed() -> None:
    parsed = urllib.parse.urlsplit(URI)
    dead = URI.replace(f":{parsed.port}", ":1", 1)
    with pytest.raises(warren.ConnectionFailed):
        warren.connect(dead, connection_timeout=2)


def test_metrics_count_publishes_and_deliveries(conn: warren.Connection, ch: warren.Channel, queue: str) -> None:
    for i in range(5):
        ch.basic_publish("", queue, b"x" * 10)
    got = 0
    while got < 5:
        msg = ch.basic_get(queue, auto_ack=True)
        if msg is not None:
            got += 1
    m = conn.metrics()
    assert m["published"] == 5
    assert m["published_bytes"] == 50
    assert m["delivered"] == 5
    assert m["channels"] >= 1


def test_event_stream_ends_after_the_close(uri: str) -> None:
    conn = warren.connect(uri)
    events = conn.events()
    assert events.next(0.05) is None
    conn.close()
    started = time.monotonic()
    kinds = [ev.kind for ev in events]  # iteration ends once the connection is gone
    assert set(kinds) <= {"closed"}
    assert time.monotonic() - started < 5


def test_connection_sleep_and_drain_events_without_consumers(conn: warren.Connection) -> None:
    conn.sleep(0.01)
    assert conn.drain_events(0.01) == 0


def test_channel_after_connection_close_is_connection_closed(uri: str) -> None:
    conn = warren.connect(uri)
    conn.close()
    with pytest.raises(warren.ConnectionClosed):
        conn.channel()


def test_client_properties_and_connection_name_reach_the_broker() -> None:
    # The broker echoes nothing back, but a bad table value is refused before connecting.
    with pytest.raises(warren.InvalidArgument):
        warren.connect(URI, client_properties={"x": object()})
    with warren.connect(URI, client_properties={"app": "tests"}, connection_name="pytest") as c:
        assert c.is_open


def test_update_secret(conn: warren.Connection) -> None:
    conn.update_secret("guest", "refreshed")
    assert conn.is_open and conn.channel().is_open
