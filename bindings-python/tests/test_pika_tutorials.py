"""RabbitMQ's pika tutorials, written in their style (tests/pika_tutorials), run as separate
programs over `warren.compat.pika` against the broker under test: producers and consumers are
subprocesses, consumers stop on Ctrl-C (SIGINT) as the tutorials tell their readers to do, and
the test checks what each printed. Every wait is bounded."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import warren
from conftest import URI

PROGRAMS = Path(__file__).resolve().parent / "pika_tutorials"


class Program:
    """A tutorial program running in a subprocess, its output read line by line."""

    def __init__(self, name: str, *args: str, prefix: str) -> None:
        env = dict(os.environ, PIKA_URL=URI, PREFIX=prefix, PYTHONUNBUFFERED="1")
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, str(PROGRAMS / f"{name}.py"), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """The first new line containing `text`; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                pytest.fail(f"{self.name}: no line with {text!r} in {timeout}s; output: {self.lines}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            self.lines.append(line)
            if text in line:
                return line

    def finish(self, timeout: float = 30.0) -> list[str]:
        """Waits for the program to exit by itself; returns all its output."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"{self.name} did not exit in {timeout}s; output: {self.lines}")
        self._reader.join(5)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        assert rc == 0, f"{self.name} exited with {rc}: {self.lines}"
        return self.lines

    def interrupt(self, timeout: float = 15.0) -> list[str]:
        """Ctrl-C: the program must stop promptly and cleanly."""
        self.proc.send_signal(signal.SIGINT)
        lines = self.finish(timeout)
        assert any("Interrupted" in line for line in lines), lines
        return lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A name prefix for one test; what the programs leave behind is deleted afterwards."""
    p = f"warren-py-tutorial.{uuid.uuid4().hex[:8]}."
    yield p
    with warren.connect(URI) as conn:
        ch = conn.channel()
        for q in ("hello", "task_queue", "rpc_queue", "confirmed"):
            ch.queue_delete(p + q)
        for ex in ("logs", "direct_logs", "topic_logs"):
            ch.exchange_delete(p + ex)


def run(name: str, *args: str, prefix: str) -> list[str]:
    return Program(name, *args, prefix=prefix).finish()


def test_hello_world(prefix: str) -> None:
    receiver = Program("receive", prefix=prefix)
    try:
        receiver.wait_for("Waiting for messages")
        assert run("send", prefix=prefix) == [" [x] Sent 'Hello World!'"]
        assert receiver.wait_for("Received") == " [x] Received b'Hello World!'"
        receiver.interrupt()
    finally:
        receiver.kill()


def test_hello_world_receive_after_send(prefix: str) -> None:
    run("send", prefix=prefix)
    run("send", prefix=prefix)
    receiver = Program("receive", prefix=prefix)
    try:
        receiver.wait_for("Received b'Hello World!'")
        receiver.wait_for("Received b'Hello World!'")
        receiver.interrupt()
    finally:
        receiver.kill()


def test_work_queues_fair_dispatch(prefix: str) -> None:
    workers = [Program("worker", prefix=prefix) for _ in range(2)]
    try:
        for w in workers:
            w.wait_for("Waiting for messages")
        tasks = [f"task {i}" + "." * (3 if i % 2 == 0 else 1) for i in range(6)]
        for t in tasks:
            run("new_task", *t.split(" "), prefix=prefix)
        done: dict[int, list[str]] = {0: [], 1: []}
        finished = 0
        deadline = time.monotonic() + 30
        while finished < len(tasks) and time.monotonic() < deadline:
            for i, w in enumerate(workers):
                try:
                    line = w._queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                w.lines.append(line)
                if "Received" in line:
                    done[i].append(line.split("Received ", 1)[1])
                elif "Done" in line:
                    finished += 1
        received = sorted(done[0] + done[1])
        assert received == sorted(tasks), done
        # prefetch_count=1: a busy worker gets no second task, so both did some.
        assert done[0] and done[1], done
        for w in workers:
            w.interrupt()
        # Every task was acknowledged: nothing is left once the workers are gone.
        with warren.connect(URI) as conn:
            ok = conn.channel().queue_declare(prefix + "task_queue", passive=True)
            assert ok.message_count == 0 and ok.consumer_count == 0
    finally:
        for w in workers:
            w.kill()


def test_publish_subscribe(prefix: str) -> None:
    receivers = [Program("receive_logs", prefix=prefix) for _ in range(2)]
    try:
        for r in receivers:
            r.wait_for("Waiting for logs")
        run("emit_log", "info:", "a", "fanout", "message", prefix=prefix)
        for r in receivers:
            assert r.wait_for(" [x] ") == " [x] b'info: a fanout message'"
            r.interrupt()
    finally:
        for r in receivers:
            r.kill()


def test_routing(prefix: str) -> None:
    errors = Program("receive_logs_direct", "error", prefix=prefix)
    everything = Program("receive_logs_direct", "info", "warning", "error", prefix=prefix)
    try:
        errors.wait_for("Waiting for logs")
        everything.wait_for("Waiting for logs")
        run("emit_log_direct", "info", "just saying", prefix=prefix)
        run("emit_log_direct", "error", "disk full", prefix=prefix)
        run("emit_log_direct", "debug", "nobody listens", prefix=prefix)
        assert everything.wait_for(" [x] ") == " [x] info:b'just saying'"
        assert everything.wait_for(" [x] ") == " [x] error:b'disk full'"
        assert errors.wait_for(" [x] ") == " [x] error:b'disk full'"
        got_errors = errors.interrupt()
        got_everything = everything.interrupt()
        assert not any("debug" in line for line in got_errors + got_everything)
        assert sum(" [x] " in line for line in got_errors) == 1
    finally:
        errors.kill()
        everything.kill()


def test_topics(prefix: str) -> None:
    kern = Program("receive_logs_topic", "kern.*", prefix=prefix)
    critical = Program("receive_logs_topic", "*.critical", prefix=prefix)
    all_ = Program("receive_logs_topic", "#", prefix=prefix)
    try:
        for p in (kern, critical, all_):
            p.wait_for("Waiting for logs")
        run("emit_log_topic", "kern.critical", "A critical kernel error", prefix=prefix)
        run("emit_log_topic", "cron.info", "tick", prefix=prefix)
        run("emit_log_topic", "kern.info.extra", "three words", prefix=prefix)
        assert kern.wait_for(" [x] ") == " [x] kern.critical:b'A critical kernel error'"
        assert critical.wait_for(" [x] ") == " [x] kern.critical:b'A critical kernel error'"
        assert all_.wait_for(" [x] ") == " [x] kern.critical:b'A critical kernel error'"
        assert all_.wait_for(" [x] ") == " [x] cron.info:b'tick'"
        assert all_.wait_for(" [x] ") == " [x] kern.info.extra:b'three words'"
        for p in (kern, critical):
            lines = p.interrupt()
            assert sum(" [x] " in line for line in lines) == 1, lines
        all_.interrupt()
    finally:
        for p in (kern, critical, all_):
            p.kill()


def test_rpc(prefix: str) -> None:
    server = Program("rpc_server", prefix=prefix)
    try:
        server.wait_for("Awaiting RPC requests")
        lines = run("rpc_client", "10", "20", "1", prefix=prefix)
        assert [line for line in lines if "Got" in line] == [
            " [.] Got 55", " [.] Got 6765", " [.] Got 1"]
        server.wait_for("fib(10)")
        server.wait_for("fib(20)")
        server.wait_for("fib(1)")
        server.interrupt()
    finally:
        server.kill()


def test_rpc_two_clients_at_once(prefix: str) -> None:
    server = Program("rpc_server", prefix=prefix)
    try:
        server.wait_for("Awaiting RPC requests")
        clients = [Program("rpc_client", *[str(n) for n in range(k, k + 8)], prefix=prefix) for k in (0, 5)]
        fib = [0, 1]
        while len(fib) < 20:
            fib.append(fib[-1] + fib[-2])
        for k, c in zip((0, 5), clients):
            got = [line for line in c.finish() if "Got" in line]
            assert got == [f" [.] Got {fib[n]}" for n in range(k, k + 8)]
        server.interrupt()
    finally:
        server.kill()


def test_publisher_confirms(prefix: str) -> None:
    lines = run("publisher_confirms", prefix=prefix)
    assert lines[:5] == [f" [x] Message {i} was published and confirmed" for i in range(5)]
    assert lines[5] == " [x] Message could not be confirmed: 312 NO_ROUTE b'lost?'"
    assert lines[6] == " [x] Queue holds 5 messages"
