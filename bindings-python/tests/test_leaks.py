"""No leaks: a loop of connect/publish/close keeps the process's RSS flat.

WARREN_LEAK_ITERATIONS sets the loop length (default 10,000, as the issue asks)."""

from __future__ import annotations

import gc
import os

import warren
from conftest import URI

ITERATIONS = int(os.environ.get("WARREN_LEAK_ITERATIONS", "10000"))


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_round(queue: str) -> None:
    with warren.connect(URI) as conn:
        ch = conn.channel()
        ch.basic_publish("", queue, b"leak-check" * 10)


def test_connect_publish_close_loop_keeps_rss_flat() -> None:
    with warren.connect(URI) as keeper:
        ch = keeper.channel()
        queue = ch.queue_declare("", exclusive=True).queue
        warmup = max(ITERATIONS // 10, 50)
        for _ in range(warmup):
            one_round(queue)
        ch.queue_purge(queue)
        gc.collect()
        before = rss_bytes()
        for i in range(ITERATIONS - warmup):
            one_round(queue)
            if i % 1000 == 999:
                ch.queue_purge(queue)
        gc.collect()
        after = rss_bytes()
    growth = after - before
    # Allocator noise stays within a few MiB; a leak of even 1 KiB per round would show as
    # ~9 MiB over 9,000 rounds.
    assert growth < 8 * 1024 * 1024, f"RSS grew by {growth / 2**20:.1f} MiB over {ITERATIONS - warmup} rounds"
