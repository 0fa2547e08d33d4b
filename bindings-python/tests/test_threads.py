"""One channel shared by many threads; waits release the GIL."""

from __future__ import annotations

import threading
import time

import warren


def test_threads_share_one_channel_for_publishing_and_getting(conn: warren.Connection, ch: warren.Channel, queue: str) -> None:
    threads_n, per_thread = 8, 250
    errors: list[BaseException] = []

    def publisher(i: int) -> None:
        try:
            for j in range(per_thread):
                ch.basic_publish("", queue, f"{i}:{j}")
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            errors.append(e)

    threads = [threading.Thread(target=publisher, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors

    got: list[bytes] = []
    lock = threading.Lock()

    def getter() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                if len(got) >= threads_n * per_thread:
                    return
            msg = ch.basic_get(queue)
            if msg is None:
                time.sleep(0.001)
                continue
            msg.ack()
            with lock:
                got.append(msg.body)

    getters = [threading.Thread(target=getter) for _ in range(4)]
    for t in getters:
        t.start()
    for t in getters:
        t.join()
    assert len(got) == threads_n * per_thread
    assert len(set(got)) == threads_n * per_thread
    # Per publisher, order is kept.
    for i in range(threads_n):
        mine = [int(b.split(b":")[1]) for b in got if b.startswith(f"{i}:".encode())]
        assert sorted(mine) == list(range(per_thread))


def test_a_blocked_wait_does_not_hold_the_gil(ch: warren.Channel, queue: str) -> None:
    it = ch.consume(queue, inactivity_timeout=1.0)
    counter = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1

    t = threading.Thread(target=spin)
    t.start()
    assert next(it) is None  # waited a second for nothing
    stop.set()
    t.join()
    # With the GIL held for the whole second the spinning thread would barely have run.
    assert counter > 100_000
    it.cancel()


def test_consumer_iterating_while_other_threads_publish(conn: warren.Connection, queue: str) -> None:
    ch = conn.channel()
    n = 2000
    it = ch.consume(queue, auto_ack=True)

    def publish() -> None:
        for k in range(n // 2):
            ch.basic_publish("", queue, str(k))

    ts = [threading.Thread(target=publish) for _ in range(2)]
    for t in ts:
        t.start()
    count = 0
    for msg in it:
        assert msg is not None
        count += 1
        if count == n:
            break
    for t in ts:
        t.join()
    assert count == n
