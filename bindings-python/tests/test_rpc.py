"""RPC over direct reply-to: RpcClient.call against a server consuming requests."""

from __future__ import annotations

import threading

import pytest

import warren
from conftest import URI, unique


def test_rpc_call_gets_the_reply(uri: str) -> None:
    requests = unique("rpc")
    ready = threading.Event()
    stop = threading.Event()

    def server() -> None:
        with warren.connect(uri) as conn:
            ch = conn.channel()
            ch.queue_declare(requests, exclusive=True)
            it = ch.consume(requests, inactivity_timeout=0.2)
            ready.set()
            for msg in it:
                if stop.is_set():
                    return
                if msg is None:
                    continue
                props = msg.properties
                ch.basic_publish("", props.reply_to or "", msg.body.upper(), warren.BasicProperties(correlation_id=props.correlation_id))
                msg.ack()

    t = threading.Thread(target=server)
    t.start()
    try:
        assert ready.wait(10)
        with warren.connect(uri) as conn:
            rpc = conn.rpc_client()
            for word in (b"ping", b"pong"):
                reply = rpc.call("", requests, word, timeout=10)
                assert reply.body == word.upper()
    finally:
        stop.set()
        t.join(10)


def test_rpc_call_without_server_is_unroutable(conn: warren.Connection) -> None:
    rpc = conn.rpc_client()
    with pytest.raises(warren.Unroutable) as info:
        rpc.call("", unique("nobody"), b"hello?", timeout=5)
    assert info.value.reply_code == 312


def test_rpc_call_times_out(conn: warren.Connection) -> None:
    ch = conn.channel()
    silent = ch.queue_declare(unique("silent"), exclusive=True).queue
    rpc = conn.rpc_client()
    with pytest.raises(warren.Timeout):
        rpc.call("", silent, b"anyone?", timeout=0.5)
