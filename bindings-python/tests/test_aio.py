"""warren.aio: async connect/channel/publish with confirms/consume/ack, cancellation safety."""

from __future__ import annotations

import asyncio

import pytest

import warren
import warren.aio
from conftest import URI, unique


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_publish_confirmed_and_consume() -> None:
    async def main() -> list[bytes]:
        async with await warren.aio.connect(URI) as conn:
            ch = await conn.channel()
            q = (await ch.queue_declare("", exclusive=True)).queue
            await ch.confirm_select()
            for i in range(100):
                await ch.basic_publish("", q, f"m{i}")
            got = []
            async for msg in ch.consume(q):
                got.append(msg.body)
                await msg.ack()
                if len(got) == 100:
                    break
            return got

    assert run(main()) == [f"m{i}".encode() for i in range(100)]


def test_many_concurrent_confirmed_publishes() -> None:
    async def main() -> int:
        async with await warren.aio.connect(URI) as conn:
            ch = await conn.channel()
            q = (await ch.queue_declare("", exclusive=True)).queue
            await ch.confirm_select()
            await asyncio.gather(*(ch.basic_publish("", q, b"x") for _ in range(500)))
            return (await ch.queue_declare(q, passive=True)).message_count

    assert run(main()) == 500


def test_unroutable_mandatory_publish_raises() -> None:
    async def main() -> None:
        async with await warren.aio.connect(URI) as conn:
            ch = await conn.channel()
            await ch.confirm_select()
            await ch.basic_publish("", unique("nowhere"), b"x", mandatory=True)

    with pytest.raises(warren.Unroutable):
        run(main())


def test_cancelled_wait_loses_no_message() -> None:
    async def main() -> bytes:
        async with await warren.aio.connect(URI) as conn:
            ch = await conn.channel()
            q = (await ch.queue_declare("", exclusive=True)).queue
            consumer = await ch.consume(q)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(consumer.__anext__(), 0.2)
            await ch.basic_publish("", q, b"after the cancel")
            msg = await asyncio.wait_for(consumer.__anext__(), 5)
            await msg.ack()
            await consumer.cancel()
            with pytest.raises(StopAsyncIteration):
                await consumer.__anext__()
            return msg.body

    assert run(main()) == b"after the cancel"


def test_two_consumers_share_one_dispatcher() -> None:
    async def main() -> set[bytes]:
        async with await warren.aio.connect(URI) as conn:
            a, b = await conn.channel(), await conn.channel()
            qa = (await a.queue_declare("", exclusive=True)).queue
            qb = (await b.queue_declare("", exclusive=True)).queue
            ca, cb = await a.consume(qa, auto_ack=True), await b.consume(qb, auto_ack=True)
            await a.basic_publish("", qa, b"a")
            await b.basic_publish("", qb, b"b")
            ma, mb = await asyncio.gather(ca.__anext__(), cb.__anext__())
            return {ma.body, mb.body}

    assert run(main()) == {b"a", b"b"}


def test_errors_are_warren_exceptions() -> None:
    async def main() -> None:
        async with await warren.aio.connect(URI) as conn:
            ch = await conn.channel()
            await ch.queue_declare(unique("missing"), passive=True)

    with pytest.raises(warren.NotFound):
        run(main())


def test_basic_get_and_json() -> None:
    async def main() -> object:
        async with await warren.aio.connect(URI) as conn:
            ch = await conn.channel()
            q = (await ch.queue_declare("", exclusive=True)).queue
            await ch.basic_publish("", q, b'{"a": 1}')
            for _ in range(100):
                msg = await ch.basic_get(q, auto_ack=True)
                if msg is not None:
                    return msg.json()
                await asyncio.sleep(0.01)
            return None

    assert run(main()) == {"a": 1}
