"""asyncio API over Warren's native client.

>>> async with await warren.aio.connect(url) as conn:
...     ch = await conn.channel()
...     await ch.confirm_select()
...     await ch.basic_publish("", "jobs", b"work")        # returns once the broker confirmed
...     async for msg in ch.consume("jobs"):
...         await msg.ack()

How it works: the connection itself runs on Warren's threads as always. Deliveries of all the
consumers of a connection are taken by one dispatcher thread per connection (not one per
consumer), which hands them to the event loop in batches with a single wake-up; publisher
confirms of a channel in confirm mode are read the same way by one thread per such channel.
Synchronous broker calls (declare, bind, qos, close...) run in a small thread pool so they never
block the loop. Waiting for a delivery (``__anext__``) and for a confirm are cancellation-safe:
a cancelled wait loses nothing, the message stays for the next ``__anext__``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, TypeVar, Union

from . import _native
from .exceptions import AMQPError, ChannelClosed, ConnectionClosed, Nacked, Unroutable

__all__ = ["connect", "Connection", "Channel", "Consumer", "Message"]

T = TypeVar("T")
Body = Union[bytes, bytearray, memoryview, str]

#: Deliveries a consumer buffers for the event loop before the dispatcher waits (and, behind
#: it, Warren stops reading the socket: TCP pushes back on the broker).
CONSUMER_BUFFER = 10_000


async def connect(url: Union[str, Sequence[str], None] = None, **options: Any) -> Connection:
    """Opens a connection (see ``warren.connect`` for the options) without blocking the loop."""
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="warren-aio")
    try:
        native = await loop.run_in_executor(executor, functools.partial(_native.connect, url, **options))
    except BaseException:
        executor.shutdown(wait=False)
        raise
    return Connection(native, loop, executor)


class Message:
    """A delivered message; ``await msg.ack()`` (or ``nack``/``reject``) unless auto-acked."""

    __slots__ = ("_msg",)

    def __init__(self, msg: _native.Message) -> None:
        self._msg = msg

    @property
    def body(self) -> bytes:
        return self._msg.body

    @property
    def properties(self) -> _native.BasicProperties:
        return self._msg.properties

    @property
    def exchange(self) -> str:
        return self._msg.exchange

    @property
    def routing_key(self) -> str:
        return self._msg.routing_key

    @property
    def delivery_tag(self) -> int:
        return self._msg.delivery_tag

    @property
    def redelivered(self) -> bool:
        return self._msg.redelivered

    @property
    def consumer_tag(self) -> str:
        return self._msg.consumer_tag

    def json(self) -> Any:
        return self._msg.json()

    # Acknowledgements only queue a frame for Warren's connection thread: they never wait, so
    # they run inline.
    async def ack(self, multiple: bool = False) -> None:
        self._msg.ack(multiple)

    async def nack(self, requeue: bool = True, multiple: bool = False) -> None:
        self._msg.nack(requeue, multiple)

    async def reject(self, requeue: bool = True) -> None:
        self._msg.reject(requeue)

    def __repr__(self) -> str:
        return f"<warren.aio.Message delivery_tag={self.delivery_tag} routing_key={self.routing_key!r}>"


class Consumer:
    """``async for msg in consumer``: the deliveries of one consumer, in order."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._loop = channel._conn._loop
        self._buffer: deque[_native.Message] = deque()
        self._ready = asyncio.Event()
        self._wake_scheduled = False
        self._space = threading.Condition()
        self._ended: Optional[BaseException] = None
        self._finished = False
        self.consumer_tag = ""

    # -- the dispatcher thread's side --------------------------------------------------------

    def _on_message(self, msg: _native.Message) -> None:
        with self._space:
            while len(self._buffer) >= CONSUMER_BUFFER and not self._finished:
                self._space.wait(0.1)
            self._buffer.append(msg)
            schedule = not self._wake_scheduled
            self._wake_scheduled = True
        if schedule:
            self._loop.call_soon_threadsafe(self._wake)

    def _end(self, error: Optional[BaseException]) -> None:
        """Called from any thread when the consumer is over."""
        with self._space:
            if self._finished:
                return
            self._finished = True
            self._ended = error
            self._space.notify_all()
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    # -- the event loop's side ---------------------------------------------------------------

    def _wake(self) -> None:
        with self._space:
            self._wake_scheduled = False
        self._ready.set()

    def __aiter__(self) -> Consumer:
        return self

    async def __anext__(self) -> Message:
        while True:
            with self._space:
                if self._buffer:
                    msg = self._buffer.popleft()
                    if len(self._buffer) < CONSUMER_BUFFER // 2:
                        self._space.notify_all()
                    return Message(msg)
                if self._finished:
                    if self._ended is not None:
                        raise self._ended
                    raise StopAsyncIteration
                self._ready.clear()
            # Cancelling here loses nothing: the buffer is only taken from above.
            await self._ready.wait()

    async def cancel(self) -> None:
        """Cancels the consumer; messages already buffered are still yielded."""
        if self.consumer_tag and self._channel._native.is_open:
            await self._channel._conn._run(self._channel._native.basic_cancel, self.consumer_tag)
        self._channel._conn._consumers.pop((self._channel.channel_number, self.consumer_tag), None)
        self._end(None)


class Channel:
    """An asyncio channel: pika's method names, awaitable."""

    def __init__(self, conn: Connection, native: _native.Channel) -> None:
        self._conn = conn
        self._native = native
        self._confirm_futures: dict[int, asyncio.Future[bool]] = {}
        self._confirm_thread: Optional[threading.Thread] = None
        native.add_on_cancel_callback(self._on_broker_cancel)

    @property
    def channel_number(self) -> int:
        return self._native.channel_number

    @property
    def is_open(self) -> bool:
        return self._native.is_open

    async def __aenter__(self) -> Channel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        return self._conn._run(fn, *args, **kwargs)

    async def exchange_declare(self, exchange: str, exchange_type: str = "direct", **kwargs: Any) -> None:
        await self._call(self._native.exchange_declare, exchange, exchange_type, **kwargs)

    async def exchange_delete(self, exchange: str, **kwargs: Any) -> None:
        await self._call(self._native.exchange_delete, exchange, **kwargs)

    async def exchange_bind(self, destination: str, source: str, routing_key: str = "", arguments: Optional[Mapping[str, Any]] = None) -> None:
        await self._call(self._native.exchange_bind, destination, source, routing_key, arguments)

    async def exchange_unbind(self, destination: str, source: str, routing_key: str = "", arguments: Optional[Mapping[str, Any]] = None) -> None:
        await self._call(self._native.exchange_unbind, destination, source, routing_key, arguments)

    async def queue_declare(self, queue: str = "", **kwargs: Any) -> _native.QueueDeclareOk:
        return await self._call(self._native.queue_declare, queue, **kwargs)

    async def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None, arguments: Optional[Mapping[str, Any]] = None) -> None:
        await self._call(self._native.queue_bind, queue, exchange, routing_key, arguments)

    async def queue_unbind(self, queue: str, exchange: str, routing_key: Optional[str] = None, arguments: Optional[Mapping[str, Any]] = None) -> None:
        await self._call(self._native.queue_unbind, queue, exchange, routing_key, arguments)

    async def queue_purge(self, queue: str) -> int:
        return await self._call(self._native.queue_purge, queue)

    async def queue_delete(self, queue: str, **kwargs: Any) -> int:
        return await self._call(self._native.queue_delete, queue, **kwargs)

    async def basic_qos(self, prefetch_count: int = 0, **kwargs: Any) -> None:
        await self._call(self._native.basic_qos, prefetch_count, **kwargs)

    async def basic_get(self, queue: str, *, auto_ack: bool = False) -> Optional[Message]:
        msg = await self._call(self._native.basic_get, queue, auto_ack=auto_ack)
        return None if msg is None else Message(msg)

    async def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        self._native.basic_ack(delivery_tag, multiple)

    async def basic_nack(self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True) -> None:
        self._native.basic_nack(delivery_tag, multiple, requeue)

    async def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        self._native.basic_reject(delivery_tag, requeue)

    async def confirm_select(self) -> None:
        """Confirm mode: from now on ``basic_publish`` returns once the broker confirmed."""
        await self._call(self._native.confirm_select)
        if self._confirm_thread is None:
            events = self._native.confirm_events()
            self._confirm_thread = threading.Thread(
                target=self._read_confirms, args=(events,), name=f"warren-aio-confirms-{self.channel_number}", daemon=True
            )
            self._confirm_thread.start()

    def _read_confirms(self, events: _native.ConfirmEventStream) -> None:
        loop = self._conn._loop
        while True:
            try:
                batch = events.next(0.5)
            except AMQPError:
                batch = []
            if batch:
                try:
                    loop.call_soon_threadsafe(self._settle, batch)
                except RuntimeError:
                    return
            elif not self._native.is_open:
                try:
                    loop.call_soon_threadsafe(self._settle_all_lost)
                except RuntimeError:
                    pass
                return

    def _settle(self, batch: list[tuple[int, bool, str]]) -> None:
        futures = self._confirm_futures
        for seq_no, multiple, outcome in batch:
            tags = [t for t in futures if t <= seq_no] if multiple else [seq_no]
            for tag in tags:
                fut = futures.pop(tag, None)
                if fut is None or fut.done():
                    continue
                if outcome == "ack":
                    fut.set_result(True)
                elif outcome == "nack":
                    fut.set_exception(Nacked("the broker nacked the message"))
                else:
                    fut.set_exception(Nacked("the connection was lost before the broker confirmed the message"))

    def _settle_all_lost(self) -> None:
        for fut in self._confirm_futures.values():
            if not fut.done():
                fut.set_exception(ChannelClosed("the channel closed before the broker confirmed the message"))
        self._confirm_futures.clear()

    async def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: Body,
        properties: Optional[_native.BasicProperties] = None,
        *,
        mandatory: bool = False,
    ) -> None:
        """Publishes; in confirm mode, returns when the broker confirmed (raises ``Nacked``, and
        ``Unroutable`` for a returned mandatory message)."""
        if not self._native.is_confirm_mode:
            self._native.basic_publish(exchange, routing_key, body, properties, mandatory=mandatory)
            return
        fut: asyncio.Future[bool] = self._conn._loop.create_future()
        seq = self._native.next_publish_seq_no
        self._confirm_futures[seq] = fut
        try:
            self._native.basic_publish(exchange, routing_key, body, properties, mandatory=mandatory)
        except BaseException:
            self._confirm_futures.pop(seq, None)
            raise
        # shield: cancelling the caller does not disturb the bookkeeping of other publishes.
        await asyncio.shield(fut)
        if mandatory:
            returned = self._native.next_return(0)
            if returned is not None:
                raise Unroutable(returned.reply_text, reply_code=returned.reply_code, reply_text=returned.reply_text)

    async def basic_publish_many(self, exchange: str, routing_key: str, bodies: Iterable[Body], properties: Optional[_native.BasicProperties] = None) -> int:
        """Publishes a batch in one call (no confirm wait; use ``wait_for_confirms``)."""
        return self._native.basic_publish_many(exchange, routing_key, bodies, properties)

    async def wait_for_confirms(self, timeout: Optional[float] = None) -> bool:
        return await self._call(self._native.wait_for_confirms, timeout)

    def consume(
        self,
        queue: str,
        *,
        auto_ack: bool = False,
        exclusive: bool = False,
        consumer_tag: Optional[str] = None,
        arguments: Optional[Mapping[str, Any]] = None,
    ) -> _ConsumeStart:
        """``async for msg in ch.consume(queue)`` (or ``consumer = await ch.consume(queue)``)."""
        return _ConsumeStart(self, queue, dict(auto_ack=auto_ack, exclusive=exclusive, consumer_tag=consumer_tag, arguments=arguments))

    async def _start_consumer(self, queue: str, kwargs: dict[str, Any]) -> Consumer:
        consumer = Consumer(self)
        tag = await self._call(self._native.basic_consume, queue, consumer._on_message, **kwargs)
        consumer.consumer_tag = tag
        self._conn._consumers[(self.channel_number, tag)] = consumer
        self._conn._ensure_dispatcher()
        return consumer

    def _on_broker_cancel(self, consumer_tag: str) -> None:
        from .exceptions import ConsumerCancelled

        consumer = self._conn._consumers.pop((self.channel_number, consumer_tag), None)
        if consumer is not None:
            consumer._end(ConsumerCancelled(f"the broker cancelled consumer {consumer_tag}"))

    async def tx_select(self) -> None:
        await self._call(self._native.tx_select)

    async def tx_commit(self) -> None:
        await self._call(self._native.tx_commit)

    async def tx_rollback(self) -> None:
        await self._call(self._native.tx_rollback)

    async def close(self) -> None:
        await self._call(self._native.close)
        self._conn._end_consumers(self.channel_number, None)


class _ConsumeStart:
    """What ``Channel.consume`` returns: awaitable (a ``Consumer``) and async-iterable."""

    def __init__(self, channel: Channel, queue: str, kwargs: dict[str, Any]) -> None:
        self._channel = channel
        self._queue = queue
        self._kwargs = kwargs
        self._consumer: Optional[Consumer] = None

    def __await__(self) -> Any:
        return self._channel._start_consumer(self._queue, self._kwargs).__await__()

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        consumer = await self._channel._start_consumer(self._queue, self._kwargs)
        try:
            async for msg in consumer:
                yield msg
        finally:
            if self._channel.is_open:
                try:
                    await consumer.cancel()
                except AMQPError:
                    pass


class Connection:
    """An asyncio connection: ``async with await warren.aio.connect(url) as conn``."""

    def __init__(self, native: _native.Connection, loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        self._native = native
        self._loop = loop
        self._executor = executor
        self._consumers: dict[tuple[int, str], Consumer] = {}
        self._dispatcher: Optional[threading.Thread] = None
        self._closing = threading.Event()

    @property
    def is_open(self) -> bool:
        return self._native.is_open

    @property
    def native(self) -> _native.Connection:
        """The blocking connection underneath."""
        return self._native

    def metrics(self) -> dict[str, int]:
        return self._native.metrics()

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        return self._loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def channel(self) -> Channel:
        return Channel(self, await self._run(self._native.channel))

    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = threading.Thread(target=self._dispatch, name="warren-aio-deliveries", daemon=True)
            self._dispatcher.start()

    def _dispatch(self) -> None:
        """The dispatcher thread: hands every consumer's deliveries to its buffer."""
        while not self._closing.is_set():
            try:
                self._native.drain_events(0.2)
            except ChannelClosed as e:
                # A channel with consumers was closed by the broker: end its consumers.
                for (number, _tag), consumer in list(self._consumers.items()):
                    if not self._channel_open(number):
                        consumer._end(e)
            except ConnectionClosed as e:
                self._end_consumers(None, e)
                return
            except AMQPError as e:
                self._end_consumers(None, e)
                return

    def _channel_open(self, number: int) -> bool:
        consumer = next((c for (n, _), c in self._consumers.items() if n == number), None)
        return consumer is not None and consumer._channel.is_open

    def _end_consumers(self, channel_number: Optional[int], error: Optional[BaseException]) -> None:
        for key, consumer in list(self._consumers.items()):
            if channel_number is None or key[0] == channel_number:
                self._consumers.pop(key, None)
                consumer._end(error)

    async def close(self) -> None:
        self._closing.set()
        try:
            await self._run(self._native.close)
        finally:
            self._end_consumers(None, None)
            self._executor.shutdown(wait=False)
