"""A consumer loop survives kill -9 and a restart of a warren-broker this test starts itself,
and goes on without application code: the core reconnects and restores channel, topology and
consumer behind the same Python objects."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import warren

REPO = Path(__file__).resolve().parents[2]
BROKER_BIN = Path(os.environ.get("WARREN_BROKER_BIN", REPO / "target" / "debug" / "warren-broker"))

pytestmark = pytest.mark.skipif(not BROKER_BIN.exists(), reason=f"no warren-broker at {BROKER_BIN} (cargo build -p warren-broker)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A warren-broker process on a port and data directory of its own."""

    def __init__(self, port: int, data_dir: str) -> None:
        self.port = port
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(BROKER_BIN), "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir, "--log-level", "warn"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("warren-broker did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2f"


@pytest.fixture
def broker() -> Iterator[Broker]:
    with tempfile.TemporaryDirectory() as data_dir:
        b = Broker(free_port(), data_dir)
        b.start()
        yield b
        b.stop()


def publish_confirmed(uri: str, queue: str, body: bytes) -> None:
    with warren.connect(uri, recovery=False) as conn:
        ch = conn.channel()
        ch.confirm_select()
        ch.publish_and_wait("", queue, body, warren.BasicProperties(delivery_mode=2), timeout=10)


def test_iterator_consumer_survives_kill_9_and_restart(broker: Broker) -> None:
    conn = warren.connect(broker.uri, heartbeat=1, recovery_initial_delay=0.1, recovery_max_delay=0.5)
    events = conn.events()
    ch = conn.channel()
    q = ch.queue_declare("warren-py-recovery", durable=True).queue
    it = ch.consume(q, inactivity_timeout=0.5)
    publish_confirmed(broker.uri, q, b"before")
    msg = next(m for m in it if m is not None)
    assert msg.body == b"before"
    msg.ack()

    broker.kill9()
    broker.start()
    publish_confirmed(broker.uri, q, b"after")

    deadline = time.monotonic() + 30
    got = None
    for m in it:
        if m is not None and m.body == b"before":
            # The ack raced the kill: at-least-once delivery hands it over again.
            assert m.redelivered
            m.ack()
        elif m is not None:
            got = m
            break
        assert time.monotonic() < deadline, "no delivery after the restart"
    assert got is not None and got.body == b"after"
    got.ack()
    kinds = set()
    while (ev := events.next(0)) is not None:
        kinds.add(ev.kind)
    assert {"connection_lost", "recovered"} <= kinds
    assert conn.metrics()["recoveries"] >= 1
    conn.close()


def test_callback_consumer_survives_kill_9_and_restart(broker: Broker) -> None:
    conn = warren.connect(broker.uri, heartbeat=1, recovery_initial_delay=0.1, recovery_max_delay=0.5)
    ch = conn.channel()
    q = ch.queue_declare("warren-py-recovery-cb", durable=True).queue
    got: list[bytes] = []

    def on_message(msg: warren.Message) -> None:
        msg.ack()
        if msg.body == b"one" and got:
            assert msg.redelivered  # the ack raced the kill: delivered again
            return
        got.append(msg.body)
        if len(got) == 2:
            ch.stop_consuming()

    ch.basic_consume(q, on_message)
    publish_confirmed(broker.uri, q, b"one")
    deadline = time.monotonic() + 10
    while not got:
        conn.drain_events(0.2)
        assert time.monotonic() < deadline
    broker.kill9()
    broker.start()
    publish_confirmed(broker.uri, q, b"two")
    start = time.monotonic()
    ch.start_consuming()
    assert got == [b"one", b"two"]
    assert time.monotonic() - start < 30
    conn.close()


def test_recovery_failed_is_raised_once_recovery_gives_up(broker: Broker) -> None:
    conn = warren.connect(broker.uri, heartbeat=1, recovery_initial_delay=0.05, recovery_max_delay=0.1, recovery_max_attempts=2)
    ch = conn.channel()
    broker.kill9()
    deadline = time.monotonic() + 20
    while conn.is_open:
        assert time.monotonic() < deadline, "recovery did not give up"
        time.sleep(0.05)
    with pytest.raises(warren.RecoveryFailed):
        ch.queue_declare("")
