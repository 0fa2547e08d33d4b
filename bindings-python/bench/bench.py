"""Side-by-side Python client benchmarks, one run, one broker.

    python bindings-python/bench/bench.py [--uri URI] [--messages N] [--consume-messages N]
                                          [--write docs/benchmarks-python.md]

The publish and consume loops are written once against pika's API and run with real pika
and with ``warren.compat.pika``; the same loops with Warren's native API; aio-pika against
``warren.aio``. Scenarios: 16-byte transient publishes; persistent publishes with publisher
confirms (one confirmed at a time, as pika's BlockingChannel does); consume with auto-ack
callbacks from a queue pre-filled with at least 200,000 messages. Every run is bounded by a
message count and a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any, Callable

BODY = b"x" * 16
TIME_LIMIT = 30.0


def unique(prefix: str) -> str:
    return f"bench.{prefix}.{uuid.uuid4().hex[:8]}"


# -- the loops, written once against pika's API ------------------------------------------------


def pika_publish(pika: Any, uri: str, n: int) -> float:
    conn = pika.BlockingConnection(pika.URLParameters(uri))
    ch = conn.channel()
    q = ch.queue_declare(unique("pub"), auto_delete=False).method.queue
    start = time.perf_counter()
    sent = 0
    deadline = start + TIME_LIMIT
    while sent < n and time.perf_counter() < deadline:
        ch.basic_publish("", q, BODY)
        sent += 1
    # Make sure the broker has them (a synchronous round trip after the last publish).
    ch.queue_declare(q, passive=True)
    elapsed = time.perf_counter() - start
    ch.queue_delete(q)
    conn.close()
    return sent / elapsed


def pika_publish_confirmed(pika: Any, uri: str, n: int) -> float:
    conn = pika.BlockingConnection(pika.URLParameters(uri))
    ch = conn.channel()
    q = ch.queue_declare(unique("conf"), durable=True).method.queue
    ch.confirm_delivery()
    props = pika.BasicProperties(delivery_mode=2)
    start = time.perf_counter()
    sent = 0
    deadline = start + TIME_LIMIT
    while sent < n and time.perf_counter() < deadline:
        ch.basic_publish("", q, BODY, props)
        sent += 1
    elapsed = time.perf_counter() - start
    ch.queue_delete(q)
    conn.close()
    return sent / elapsed


def pika_consume(pika: Any, uri: str, queue: str, n: int) -> float:
    conn = pika.BlockingConnection(pika.URLParameters(uri))
    ch = conn.channel()
    got = 0
    start = time.perf_counter()
    deadline = start + TIME_LIMIT

    def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None:
        nonlocal got
        got += 1
        if got >= n or (got % 1000 == 0 and time.perf_counter() > deadline):
            channel.stop_consuming()

    ch.basic_consume(queue, on_message, auto_ack=True)
    ch.start_consuming()
    elapsed = time.perf_counter() - start
    conn.close()
    return got / elapsed


# -- Warren's native API ---------------------------------------------------------------------


def native_publish(uri: str, n: int) -> float:
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        q = ch.queue_declare(unique("pub")).queue
        start = time.perf_counter()
        sent = 0
        deadline = start + TIME_LIMIT
        while sent < n and time.perf_counter() < deadline:
            ch.basic_publish("", q, BODY)
            sent += 1
        ch.queue_declare(q, passive=True)
        elapsed = time.perf_counter() - start
        ch.queue_delete(q)
    return sent / elapsed


def native_publish_many(uri: str, n: int) -> float:
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        q = ch.queue_declare(unique("many")).queue
        batch = [BODY] * 1000
        start = time.perf_counter()
        sent = 0
        while sent < n:
            sent += ch.basic_publish_many("", q, batch)
        ch.queue_declare(q, passive=True)
        elapsed = time.perf_counter() - start
        ch.queue_delete(q)
    return sent / elapsed


def native_publish_confirmed(uri: str, n: int) -> float:
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        q = ch.queue_declare(unique("conf"), durable=True).queue
        ch.confirm_select()
        props = warren.BasicProperties(delivery_mode=2)
        start = time.perf_counter()
        sent = 0
        deadline = start + TIME_LIMIT
        while sent < n and time.perf_counter() < deadline:
            ch.publish_and_wait("", q, BODY, props)
            sent += 1
        elapsed = time.perf_counter() - start
        ch.queue_delete(q)
    return sent / elapsed


def native_publish_confirmed_windowed(uri: str, n: int) -> float:
    """Confirms waited for every 1,000 publishes (how confirm mode is meant to be used)."""
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        q = ch.queue_declare(unique("confw"), durable=True).queue
        ch.confirm_select()
        props = warren.BasicProperties(delivery_mode=2)
        start = time.perf_counter()
        sent = 0
        while sent < n:
            for _ in range(1000):
                ch.basic_publish("", q, BODY, props)
            sent += 1000
            assert ch.wait_for_confirms(timeout=60)
        elapsed = time.perf_counter() - start
        ch.queue_delete(q)
    return sent / elapsed


def native_consume(uri: str, queue: str, n: int) -> float:
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        got = 0
        start = time.perf_counter()
        deadline = start + TIME_LIMIT
        for _msg in ch.consume(queue, auto_ack=True):
            got += 1
            if got >= n or (got % 1000 == 0 and time.perf_counter() > deadline):
                break
        elapsed = time.perf_counter() - start
    return got / elapsed


def native_consume_callback(uri: str, queue: str, n: int) -> float:
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        got = 0
        start = time.perf_counter()
        deadline = start + TIME_LIMIT

        def on_message(msg: warren.Message) -> None:
            nonlocal got
            got += 1
            if got >= n or (got % 1000 == 0 and time.perf_counter() > deadline):
                ch.stop_consuming()

        ch.basic_consume(queue, on_message, auto_ack=True)
        ch.start_consuming()
        elapsed = time.perf_counter() - start
    return got / elapsed


# -- asyncio ---------------------------------------------------------------------------------


async def aio_pika_publish(uri: str, n: int) -> float:
    import aio_pika

    conn = await aio_pika.connect(uri)
    ch = await conn.channel(publisher_confirms=False)
    q = await ch.declare_queue(unique("aiopub"))
    start = time.perf_counter()
    sent = 0
    deadline = start + TIME_LIMIT
    while sent < n and time.perf_counter() < deadline:
        await ch.default_exchange.publish(aio_pika.Message(BODY), routing_key=q.name)
        sent += 1
    await ch.declare_queue(q.name, passive=True)
    elapsed = time.perf_counter() - start
    await q.delete(if_unused=False, if_empty=False)
    await conn.close()
    return sent / elapsed


async def aio_pika_publish_confirmed(uri: str, n: int) -> float:
    import aio_pika

    conn = await aio_pika.connect(uri)
    ch = await conn.channel(publisher_confirms=True)
    q = await ch.declare_queue(unique("aioconf"), durable=True)
    start = time.perf_counter()
    sent = 0
    deadline = start + TIME_LIMIT
    while sent < n and time.perf_counter() < deadline:
        await ch.default_exchange.publish(aio_pika.Message(BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=q.name)
        sent += 1
    elapsed = time.perf_counter() - start
    await q.delete(if_unused=False, if_empty=False)
    await conn.close()
    return sent / elapsed


async def aio_pika_consume(uri: str, queue: str, n: int) -> float:
    import aio_pika

    conn = await aio_pika.connect(uri)
    ch = await conn.channel()
    await ch.set_qos(prefetch_count=1000)
    q = await ch.declare_queue(queue, passive=True)
    got = 0
    start = time.perf_counter()
    deadline = start + TIME_LIMIT
    async with q.iterator(no_ack=True) as it:
        async for _msg in it:
            got += 1
            if got >= n or (got % 1000 == 0 and time.perf_counter() > deadline):
                break
    elapsed = time.perf_counter() - start
    await conn.close()
    return got / elapsed


async def warren_aio_publish(uri: str, n: int) -> float:
    import warren.aio

    async with await warren.aio.connect(uri) as conn:
        ch = await conn.channel()
        q = (await ch.queue_declare(unique("wpub"))).queue
        start = time.perf_counter()
        sent = 0
        deadline = start + TIME_LIMIT
        while sent < n and time.perf_counter() < deadline:
            await ch.basic_publish("", q, BODY)
            sent += 1
        await ch.queue_declare(q, passive=True)
        elapsed = time.perf_counter() - start
        await ch.queue_delete(q)
    return sent / elapsed


async def warren_aio_publish_confirmed(uri: str, n: int) -> float:
    import warren
    import warren.aio

    async with await warren.aio.connect(uri) as conn:
        ch = await conn.channel()
        q = (await ch.queue_declare(unique("wconf"), durable=True)).queue
        await ch.confirm_select()
        props = warren.BasicProperties(delivery_mode=2)
        start = time.perf_counter()
        sent = 0
        deadline = start + TIME_LIMIT
        while sent < n and time.perf_counter() < deadline:
            await ch.basic_publish("", q, BODY, props)
            sent += 1
        elapsed = time.perf_counter() - start
        await ch.queue_delete(q)
    return sent / elapsed


async def warren_aio_consume(uri: str, queue: str, n: int) -> float:
    import warren.aio

    async with await warren.aio.connect(uri) as conn:
        ch = await conn.channel()
        got = 0
        start = time.perf_counter()
        deadline = start + TIME_LIMIT
        async for _msg in ch.consume(queue, auto_ack=True):
            got += 1
            if got >= n or (got % 1000 == 0 and time.perf_counter() > deadline):
                break
        elapsed = time.perf_counter() - start
    return got / elapsed


# -- the run ---------------------------------------------------------------------------------


def prefill(uri: str, n: int) -> str:
    import warren

    with warren.connect(uri) as conn:
        ch = conn.channel()
        q = ch.queue_declare(unique("prefill")).queue
        ch.confirm_select()
        batch = [BODY] * 1000
        sent = 0
        while sent < n:
            sent += ch.basic_publish_many("", q, batch)
            if sent % 20000 == 0:
                ch.wait_for_confirms(timeout=120)
        ch.wait_for_confirms(timeout=120)
    return q


def delete_queue(uri: str, q: str) -> None:
    import warren

    with warren.connect(uri) as conn:
        conn.channel().queue_delete(q)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uri", default=os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@127.0.0.1:5672/%2f"))
    ap.add_argument("--messages", type=int, default=200_000, help="messages per publish run")
    ap.add_argument("--confirm-messages", type=int, default=20_000, help="messages per one-at-a-time confirmed run")
    ap.add_argument("--consume-messages", type=int, default=200_000, help="messages per consume run (the queue is pre-filled with this many)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds at most per run")
    ap.add_argument("--write", help="write the report to this markdown file (docs/benchmarks-python.md), replacing it")
    ap.add_argument("--notes", default="", help="a paragraph for the report, above the table (e.g. how the run was limited)")
    args = ap.parse_args()

    global TIME_LIMIT
    TIME_LIMIT = args.time_limit
    import pika as real_pika

    from warren.compat import pika as compat_pika

    uri, n, nc, ncons = args.uri, args.messages, args.confirm_messages, args.consume_messages
    rows: list[tuple[str, str, float]] = []

    def record(scenario: str, client: str, rate: float) -> None:
        rows.append((scenario, client, rate))
        print(f"{scenario:<34} {client:<26} {rate:>12,.0f} msg/s", flush=True)

    scenario = "publish 16 B transient"
    record(scenario, "pika", pika_publish(real_pika, uri, min(n, 100_000)))
    record(scenario, "warren.compat.pika", pika_publish(compat_pika, uri, n))
    record(scenario, "warren (native)", native_publish(uri, n))
    record(scenario, "warren basic_publish_many", native_publish_many(uri, n))
    record(scenario, "aio-pika", asyncio.run(aio_pika_publish(uri, min(n, 50_000))))
    record(scenario, "warren.aio", asyncio.run(warren_aio_publish(uri, n)))

    scenario = "publish persistent + confirms"
    record(scenario, "pika", pika_publish_confirmed(real_pika, uri, nc))
    record(scenario, "warren.compat.pika", pika_publish_confirmed(compat_pika, uri, nc))
    record(scenario, "warren (native)", native_publish_confirmed(uri, nc))
    record(scenario, "warren, confirms per 1,000", native_publish_confirmed_windowed(uri, n))
    record(scenario, "aio-pika", asyncio.run(aio_pika_publish_confirmed(uri, nc)))
    record(scenario, "warren.aio", asyncio.run(warren_aio_publish_confirmed(uri, nc)))

    scenario = f"consume (auto-ack, {ncons:,} queued)"
    for client, run in (
        ("pika", lambda q: pika_consume(real_pika, uri, q, ncons)),
        ("warren.compat.pika", lambda q: pika_consume(compat_pika, uri, q, ncons)),
        ("warren (native iterator)", lambda q: native_consume(uri, q, ncons)),
        ("warren (native callback)", lambda q: native_consume_callback(uri, q, ncons)),
        ("aio-pika", lambda q: asyncio.run(aio_pika_consume(uri, q, ncons))),
        ("warren.aio", lambda q: asyncio.run(warren_aio_consume(uri, q, ncons))),
    ):
        q = prefill(uri, ncons)
        try:
            record(scenario, client, run(q))
        finally:
            delete_queue(uri, q)

    table = render(rows, uri, args.notes)
    print(table)
    if args.write:
        write_report(args.write, table)


def baseline_for(client: str) -> str:
    return "aio-pika" if client.startswith("warren.aio") or client == "aio-pika" else "pika"


def render(rows: list[tuple[str, str, float]], uri: str, notes: str = "") -> str:
    """The whole of docs/benchmarks-python.md: how it was made, then the table."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit = "?"
    lines = [
        "# Python clients side by side",
        "",
        f"_Generated by `python bindings-python/bench/bench.py --uri URI --write docs/benchmarks-python.md` "
        f"on {time.strftime('%Y-%m-%d', time.gmtime())}; do not edit by hand._",
        "",
        f"Commit {commit}, Python {sys.version.split()[0]}, broker `{re.sub(r'//[^@]*@', '//', uri)}`, "
        f"`{' '.join(sys.argv[1:])}`. One run, one machine; ratios are against pika (aio-pika for the "
        "asyncio rows), measured in the same run on the same broker.",
        "",
    ]
    if notes:
        lines += [notes.strip(), ""]
    lines += [
        "| scenario | client | msg/s | ratio |",
        "|---|---|---:|---:|",
    ]
    by_scenario: dict[str, dict[str, float]] = {}
    for scenario, client, rate in rows:
        by_scenario.setdefault(scenario, {})[client] = rate
    for scenario, client, rate in rows:
        base = by_scenario[scenario].get(baseline_for(client))
        ratio = f"{rate / base:.1f}x" if base else "-"
        lines.append(f"| {scenario} | {client} | {rate:,.0f} | {ratio} |")
    return "\n".join(lines) + "\n"


def write_report(path: str, report: str) -> None:
    with open(path, "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()
