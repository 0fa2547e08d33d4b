"""pika's BlockingConnection and BlockingChannel over Warren's native API.

An adapter, not a second client: names, argument orders, return shapes and exceptions are
pika's; every protocol step is Warren's core. Where it differs from pika on purpose:

- Heartbeats and acknowledgements run on Warren's own threads, so a callback may take as
  long as it needs (sleeping or computing) without the broker dropping the connection.
- A connection and its channels may be used from several threads at once.
- Automatic recovery is on: after a broker restart or a lost link the connection, channels,
  topology and consumers come back behind the same objects. Pass a URL query or
  ``client_properties`` as usual; recovery cannot be switched off from pika's parameters.

Where it cannot match pika: ``basic_cancel`` of an ``auto_ack`` consumer returns
no pending messages (they are still delivered to its callback), and pika internals
(``connection._impl``, the I/O loop) do not exist.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Generator, Sequence
from typing import Any, Callable, NamedTuple, Optional, Union

import warren
from warren import exceptions as wx

from .. import exceptions
from .. import frame as pika_frame
from .. import spec
from ..connection import Parameters

__all__ = ["BlockingConnection", "BlockingChannel", "ReturnedMessage"]


class ReturnedMessage(NamedTuple):
    """A message the broker returned (``UnroutableError.messages``)."""

    method: Any
    properties: Any
    body: bytes


def _translate(exc: BaseException, messages: Sequence[Any] = ()) -> BaseException:
    """The pika exception for a Warren exception: the only such mapping in this module."""
    if isinstance(exc, wx.Unroutable):
        return exceptions.UnroutableError(list(messages))
    if isinstance(exc, wx.Nacked):
        return exceptions.NackError(list(messages))
    if isinstance(exc, wx.ChannelClosed):
        if exc.reply_code:
            return exceptions.ChannelClosedByBroker(exc.reply_code, exc.reply_text)
        return exceptions.ChannelWrongStateError("Channel is closed.")
    if isinstance(exc, wx.AuthenticationError):
        return exceptions.ProbableAuthenticationError(exc.reply_code, exc.reply_text)
    if isinstance(exc, wx.ConnectionLost):
        return exceptions.StreamLostError(f"Stream connection lost: {exc.reply_text}")
    if isinstance(exc, wx.ConnectionFailed):
        return exceptions.AMQPConnectionError(exc.reply_text)
    if isinstance(exc, wx.ConnectionClosed):
        if exc.reply_code == 530 or exc.reply_code == 402:
            return exceptions.ProbableAccessDeniedError(exc.reply_code, exc.reply_text)
        if exc.reply_code:
            return exceptions.ConnectionClosedByBroker(exc.reply_code, exc.reply_text)
        return exceptions.ConnectionWrongStateError("Connection is closed.")
    if isinstance(exc, wx.DuplicateConsumerTag):
        return exceptions.DuplicateConsumerTag(exc.reply_text)
    if isinstance(exc, wx.ConsumerCancelled):
        return exceptions.ConsumerCancelled(exc.reply_text)
    if isinstance(exc, wx.ChannelsExhausted):
        return exceptions.NoFreeChannels()
    if isinstance(exc, wx.InvalidArgument):
        return ValueError(str(exc))
    if isinstance(exc, wx.AMQPError):
        return exceptions.AMQPError(str(exc))
    return exc


class _Timer:
    """A ``call_later`` timer, ordered by due time."""

    __slots__ = ("due", "seq", "callback", "cancelled")

    def __init__(self, due: float, seq: int, callback: Callable[[], Any]) -> None:
        self.due = due
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def __lt__(self, other: _Timer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class _IOLoopFacade:
    """pika's I/O loop entry points, for code (test harnesses) that instruments them. Warren
    has no Python I/O loop, so nothing calls these."""

    def poll(self, *args: Any, **kwargs: Any) -> None:
        return None

    def process_timeouts(self, *args: Any, **kwargs: Any) -> None:
        return None


class _ImplFacade:
    """The parts of pika's private ``connection._impl`` that harnesses reach for: its timer
    (``_adapter_call_later``, served by ``call_later``), ``ioloop``, ``params``."""

    def __init__(self, conn: BlockingConnection) -> None:
        self._conn = conn
        self.ioloop = _IOLoopFacade()
        self.params = conn._params

    def _adapter_call_later(self, delay: float, callback: Callable[[], Any]) -> object:
        return self._conn.call_later(delay, callback)

    def _adapter_remove_timeout(self, timeout_id: object) -> None:
        self._conn.remove_timeout(timeout_id)

    @property
    def is_closing(self) -> bool:
        return False

    @property
    def is_open(self) -> bool:
        return self._conn.is_open

    @property
    def is_closed(self) -> bool:
        return self._conn.is_closed

    @property
    def server_properties(self) -> dict[str, Any]:
        return self._conn.server_properties


class BlockingConnection:
    """pika.BlockingConnection over a Warren connection."""

    def __init__(
        self,
        parameters: Union[Parameters, Sequence[Parameters], None] = None,
        _impl_class: Any = None,
    ) -> None:
        if parameters is None:
            params_list: list[Parameters] = [Parameters()]
        elif isinstance(parameters, Parameters):
            params_list = [parameters]
        else:
            params_list = list(parameters)
            if not params_list:
                raise ValueError("parameters must not be empty")
        self._params = params_list[0]
        self._native = self._open(params_list)
        self._channels: dict[int, BlockingChannel] = {}
        self._closed_by_client = False
        # Work for the thread that runs process_data_events: call_later timers and
        # add_callback_threadsafe callbacks.
        self._timers: list[_Timer] = []
        self._timer_seq = itertools.count()
        self._threadsafe: deque[Callable[[], Any]] = deque()
        self._lock = threading.Lock()
        self._blocked_callbacks: list[Callable[..., Any]] = []
        self._unblocked_callbacks: list[Callable[..., Any]] = []
        self._events: Optional[warren.EventStream] = None
        self._impl = _ImplFacade(self)

    @staticmethod
    def _open(params_list: Sequence[Parameters]) -> warren.Connection:
        first = params_list[0]
        attempts = max(int(first.connection_attempts or 1), 1)
        last: Optional[BaseException] = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(float(first.retry_delay or 0))
            for params in params_list:
                try:
                    return warren.connect(params._warren_url(), **params._warren_options())
                except wx.AuthenticationError as e:
                    raise _translate(e) from None
                except wx.AMQPError as e:
                    last = e
        if isinstance(last, wx.ConnectionClosed) and last.reply_code in (402, 530):
            raise exceptions.ProbableAccessDeniedError(last.reply_code, last.reply_text)
        raise exceptions.AMQPConnectionError(str(last) if last else "connection failed")

    def __repr__(self) -> str:
        return f"<BlockingConnection impl={self._native!r}>"

    def __enter__(self) -> BlockingConnection:
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if self.is_open:
            self.close()

    # -- state ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._native.is_open

    @property
    def is_closed(self) -> bool:
        return not self._native.is_open

    @property
    def basic_nack_supported(self) -> bool:
        return True

    @property
    def consumer_cancel_notify_supported(self) -> bool:
        return True

    @property
    def exchange_exchange_bindings_supported(self) -> bool:
        return True

    @property
    def publisher_confirms_supported(self) -> bool:
        return True

    # pika's aliases
    basic_nack = basic_nack_supported
    consumer_cancel_notify = consumer_cancel_notify_supported
    exchange_exchange_bindings = exchange_exchange_bindings_supported
    publisher_confirms = publisher_confirms_supported

    @property
    def server_properties(self) -> dict[str, Any]:
        return self._native.server_properties

    # -- channels ------------------------------------------------------------------------

    def channel(self, channel_number: Optional[int] = None) -> BlockingChannel:
        """A new channel (``channel_number`` is chosen by Warren; a given one is ignored)."""
        if not self.is_open:
            raise exceptions.ConnectionWrongStateError("Channel allocation requires an open connection")
        try:
            native = self._native.channel()
        except wx.AMQPError as e:
            raise _translate(e) from None
        ch = BlockingChannel(native, self)
        self._channels[ch.channel_number] = ch
        return ch

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        if not self.is_open:
            raise exceptions.ConnectionWrongStateError("BlockingConnection.close(%s, %r) called on closed connection." % (reply_code, reply_text))
        for ch in list(self._channels.values()):
            if ch.is_open:
                try:
                    ch.close(reply_code, reply_text)
                except exceptions.AMQPError:
                    pass
        self._closed_by_client = True
        try:
            self._native.close(reply_code, reply_text)
        except wx.AMQPError as e:
            raise _translate(e) from None

    # -- the event loop pika's users drive -------------------------------------------------

    def process_data_events(self, time_limit: Optional[float] = 0) -> None:
        """Dispatches timers, threadsafe callbacks, connection events, returned messages and
        consumer deliveries; waits up to ``time_limit`` seconds (``None``: until something
        was dispatched)."""
        deadline = None if time_limit is None else time.monotonic() + max(float(time_limit), 0.0)
        while True:
            dispatched = self._run_pending()
            now = time.monotonic()
            remaining = None if deadline is None else max(deadline - now, 0.0)
            wait = 0.1 if remaining is None else min(remaining, 0.1)
            if self._timers:
                wait = min(wait, max(self._timers[0].due - now, 0.0))
            if dispatched and deadline is None:
                wait = 0.0
            try:
                dispatched += self._native.drain_events(wait)
            except wx.AMQPError as e:
                raise _translate(e) from None
            if deadline is None:
                if dispatched:
                    return
            elif time.monotonic() >= deadline:
                self._run_pending()
                return
            if not self.is_open:
                raise exceptions.StreamLostError("connection is closed")

    def _run_pending(self) -> int:
        """Runs what is due outside the native inbox; returns how many callbacks ran."""
        ran = 0
        while self._threadsafe:
            self._threadsafe.popleft()()
            ran += 1
        now = time.monotonic()
        while self._timers and self._timers[0].due <= now:
            timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.callback()
                ran += 1
        if self._events is not None:
            while True:
                ev = self._events.next(0)
                if ev is None:
                    break
                if ev.kind == "blocked":
                    method = pika_frame.Method(0, spec.Connection.Blocked(ev.reason or ""))
                    for cb in list(self._blocked_callbacks):
                        cb(self, method)
                        ran += 1
                elif ev.kind == "unblocked":
                    method = pika_frame.Method(0, spec.Connection.Unblocked())
                    for cb in list(self._unblocked_callbacks):
                        cb(self, method)
                        ran += 1
        for ch in list(self._channels.values()):
            if ch._return_callbacks:
                ran += ch._dispatch_returns()
        return ran

    def sleep(self, duration: float) -> None:
        """Sleeps ``duration`` seconds while dispatching events (as pika's)."""
        deadline = time.monotonic() + duration
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.process_data_events(remaining)

    def add_callback_threadsafe(self, callback: Callable[[], Any]) -> None:
        """Runs ``callback`` on the thread that processes this connection's events (the next
        ``process_data_events``/``start_consuming``/``sleep``). Safe from any thread."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError("BlockingConnection.add_callback_threadsafe() called on closed or closing connection.")
        self._threadsafe.append(callback)

    def call_later(self, delay: float, callback: Callable[[], Any]) -> object:
        """Runs ``callback`` after ``delay`` seconds, from the event-processing thread;
        returns an id for ``remove_timeout``."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        timer = _Timer(time.monotonic() + float(delay), next(self._timer_seq), callback)
        with self._lock:
            heapq.heappush(self._timers, timer)
        return timer

    def remove_timeout(self, timeout_id: object) -> None:
        if isinstance(timeout_id, _Timer):
            timeout_id.cancelled = True

    def _subscribe_events(self) -> None:
        if self._events is None:
            self._events = self._native.events()

    def add_on_connection_blocked_callback(self, callback: Callable[..., Any]) -> None:
        """``callback(connection, method_frame)`` on ``connection.blocked``."""
        self._subscribe_events()
        self._blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callable[..., Any]) -> None:
        """``callback(connection, method_frame)`` on ``connection.unblocked``."""
        self._subscribe_events()
        self._unblocked_callbacks.append(callback)

    def update_secret(self, new_secret: str, reason: str) -> None:
        """Sends ``connection.update-secret`` and waits for the broker's answer."""
        assert isinstance(new_secret, str), "new_secret must be a str"
        assert isinstance(reason, str), "reason must be a str"
        if not self.is_open:
            raise exceptions.ConnectionWrongStateError("update_secret() called on a closed connection")
        try:
            self._native.update_secret(new_secret, reason)
        except wx.AMQPError as e:
            raise _translate(e) from None


class BlockingChannel:
    """pika.adapters.blocking_connection.BlockingChannel over a Warren channel."""

    def __init__(self, native: warren.Channel, connection: BlockingConnection) -> None:
        self._native = native
        self._connection = connection
        self._confirm = False
        self._consumers: dict[str, Callable[..., Any]] = {}
        self._return_callbacks: list[Callable[..., Any]] = []
        self._cancel_callbacks: list[Callable[..., Any]] = []
        self._generator: Optional[warren.ConsumeIterator] = None
        # Whether the broker's close of this channel was raised already.
        self._close_reported = False
        native.add_on_cancel_callback(self._on_broker_cancel)

    def __repr__(self) -> str:
        return f"<BlockingChannel impl={self._native!r}>"

    def __int__(self) -> int:
        return self.channel_number

    def __enter__(self) -> BlockingChannel:
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if self.is_open:
            self.close()

    @property
    def channel_number(self) -> int:
        return self._native.channel_number

    @property
    def connection(self) -> BlockingConnection:
        return self._connection

    @property
    def is_closed(self) -> bool:
        return not self._native.is_open

    @property
    def is_open(self) -> bool:
        return self._native.is_open

    @property
    def consumer_tags(self) -> list[str]:
        return list(self._consumers)

    def _method(self, method: Any) -> pika_frame.Method:
        return pika_frame.Method(self.channel_number, method)

    def _fail(self, exc: BaseException) -> BaseException:
        """The pika exception for a failed call: the broker's close once, then (as pika)
        ChannelWrongStateError for every later call on the closed channel."""
        if isinstance(exc, wx.ChannelClosed) and exc.reply_code:
            if self._close_reported:
                return exceptions.ChannelWrongStateError("Channel is closed.")
            self._close_reported = True
        return _translate(exc)

    def _check_open(self) -> None:
        if not self._native.is_open:
            raise exceptions.ChannelWrongStateError("Channel is closed.")

    # -- channel ---------------------------------------------------------------------------

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        if not self._native.is_open:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        try:
            self._native.close(200 if reply_code == 0 else reply_code, reply_text)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        self._consumers.clear()

    def flow(self, active: bool) -> bool:
        try:
            return self._native.flow(active)
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def add_on_cancel_callback(self, callback: Callable[..., Any]) -> None:
        """``callback(method_frame)`` with a ``Basic.Cancel`` when the broker cancels a
        consumer of this channel."""
        self._cancel_callbacks.append(callback)

    def add_on_return_callback(self, callback: Callable[..., Any]) -> None:
        """``callback(channel, method, properties, body)`` for each message the broker returns;
        called while events are processed."""
        self._return_callbacks.append(callback)

    def _on_broker_cancel(self, consumer_tag: str) -> None:
        self._consumers.pop(consumer_tag, None)
        method = self._method(spec.Basic.Cancel(consumer_tag=consumer_tag, nowait=True))
        for cb in list(self._cancel_callbacks):
            cb(method)

    def _dispatch_returns(self) -> int:
        ran = 0
        while True:
            try:
                r = self._native.next_return(0)
            except wx.AMQPError:
                return ran
            if r is None:
                return ran
            method = spec.Basic.Return(r.reply_code, r.reply_text, r.exchange, r.routing_key)
            for cb in list(self._return_callbacks):
                cb(self, method, r.properties, r.body)
            ran += 1

    # -- exchanges -------------------------------------------------------------------------

    def exchange_declare(
        self,
        exchange: str,
        exchange_type: Any = "direct",
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: Optional[dict[str, Any]] = None,
    ) -> pika_frame.Method:
        kind = getattr(exchange_type, "value", exchange_type)
        try:
            self._native.exchange_declare(
                exchange, kind, passive=passive, durable=durable, auto_delete=auto_delete,
                internal=internal, arguments=arguments,
            )
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Exchange.DeclareOk())

    def exchange_delete(self, exchange: Optional[str] = None, if_unused: bool = False) -> pika_frame.Method:
        try:
            self._native.exchange_delete(exchange or "", if_unused=if_unused)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Exchange.DeleteOk())

    def exchange_bind(
        self, destination: str, source: str, routing_key: str = "", arguments: Optional[dict[str, Any]] = None
    ) -> pika_frame.Method:
        try:
            self._native.exchange_bind(destination, source, routing_key, arguments)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Exchange.BindOk())

    def exchange_unbind(
        self,
        destination: Optional[str] = None,
        source: Optional[str] = None,
        routing_key: str = "",
        arguments: Optional[dict[str, Any]] = None,
    ) -> pika_frame.Method:
        try:
            self._native.exchange_unbind(destination or "", source or "", routing_key, arguments)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Exchange.UnbindOk())

    # -- queues ----------------------------------------------------------------------------

    def queue_declare(
        self,
        queue: str,
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: Optional[dict[str, Any]] = None,
    ) -> pika_frame.Method:
        try:
            ok = self._native.queue_declare(
                queue, passive=passive, durable=durable, exclusive=exclusive,
                auto_delete=auto_delete, arguments=arguments,
            )
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Queue.DeclareOk(ok.queue, ok.message_count, ok.consumer_count))

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False) -> pika_frame.Method:
        try:
            n = self._native.queue_delete(queue, if_unused=if_unused, if_empty=if_empty)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Queue.DeleteOk(message_count=n))

    def queue_purge(self, queue: str) -> pika_frame.Method:
        try:
            n = self._native.queue_purge(queue)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Queue.PurgeOk(message_count=n))

    def queue_bind(
        self, queue: str, exchange: str, routing_key: Optional[str] = None, arguments: Optional[dict[str, Any]] = None
    ) -> pika_frame.Method:
        try:
            self._native.queue_bind(queue, exchange, routing_key, arguments)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Queue.BindOk())

    def queue_unbind(
        self,
        queue: str,
        exchange: Optional[str] = None,
        routing_key: Optional[str] = None,
        arguments: Optional[dict[str, Any]] = None,
    ) -> pika_frame.Method:
        try:
            self._native.queue_unbind(queue, exchange or "", routing_key, arguments)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Queue.UnbindOk())

    # -- basic -----------------------------------------------------------------------------

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0, global_qos: bool = False) -> None:
        try:
            self._native.basic_qos(prefetch_count, prefetch_size=prefetch_size, global_qos=global_qos)
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: Union[bytes, str],
        properties: Optional[spec.BasicProperties] = None,
        mandatory: bool = False,
    ) -> None:
        """Publishes; in confirm mode (``confirm_delivery``) waits for the broker and raises
        ``UnroutableError`` (mandatory, no queue) or ``NackError``."""
        try:
            if self._confirm:
                self._native.publish_and_wait(exchange, routing_key, body, properties, mandatory=mandatory)
            else:
                self._native.basic_publish(exchange, routing_key, body, properties, mandatory=mandatory)
        except (wx.Unroutable, wx.Nacked) as e:
            data = body.encode() if isinstance(body, str) else bytes(body)
            method = spec.Basic.Return(getattr(e, "reply_code", 312), getattr(e, "reply_text", ""), exchange, routing_key)
            raise _translate(e, [ReturnedMessage(method, properties or spec.BasicProperties(), data)]) from None
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def confirm_delivery(self) -> None:
        """Turns on publisher confirms: ``basic_publish`` then waits for each message."""
        if self._confirm:
            return
        try:
            self._native.confirm_select()
        except wx.AMQPError as e:
            raise self._fail(e) from None
        self._confirm = True

    def basic_get(self, queue: str, auto_ack: bool = False) -> tuple[Any, Any, Any]:
        try:
            msg = self._native.basic_get(queue, auto_ack=auto_ack)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        if msg is None:
            return None, None, None
        method = spec.Basic.GetOk(msg.delivery_tag, msg.redelivered, msg.exchange, msg.routing_key, msg.message_count)
        return method, msg.properties, msg.body

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        try:
            self._native.basic_ack(delivery_tag, multiple)
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True) -> None:
        try:
            self._native.basic_nack(delivery_tag, multiple, requeue)
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        try:
            self._native.basic_reject(delivery_tag, requeue)
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def basic_recover(self, requeue: bool = False) -> None:
        try:
            self._native.basic_recover(requeue)
        except wx.AMQPError as e:
            raise self._fail(e) from None

    def basic_consume(
        self,
        queue: str,
        on_message_callback: Callable[..., Any],
        auto_ack: bool = False,
        exclusive: bool = False,
        consumer_tag: Optional[str] = None,
        arguments: Optional[dict[str, Any]] = None,
    ) -> str:
        """Starts a consumer calling ``on_message_callback(channel, method, properties, body)``
        while events are processed; returns its tag."""
        if not callable(on_message_callback):
            raise ValueError("callback on_message_callback must be callable; got %r" % on_message_callback)
        self._check_open()
        if consumer_tag and (consumer_tag in self._consumers):
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        deliver = spec.Basic.Deliver
        channel = self

        def on_message(msg: warren.Message) -> None:
            on_message_callback(
                channel,
                deliver(msg.consumer_tag, msg.delivery_tag, msg.redelivered, msg.exchange, msg.routing_key),
                msg.properties,
                msg.body,
            )

        try:
            tag = self._native.basic_consume(
                queue, on_message, auto_ack=auto_ack, exclusive=exclusive,
                consumer_tag=consumer_tag, arguments=arguments,
            )
        except wx.AMQPError as e:
            raise self._fail(e) from None
        self._consumers[tag] = on_message_callback
        return tag

    def basic_cancel(self, consumer_tag: str) -> list[Any]:
        """Cancels a consumer. Deliveries still buffered for a manual-ack consumer go back to
        the queue; returns an empty list (see the module docs)."""
        if self._generator is not None and self._generator.consumer_tag == consumer_tag:
            self.cancel()
            return []
        if consumer_tag not in self._consumers:
            return []
        self._consumers.pop(consumer_tag, None)
        if not self.is_open:
            return []
        try:
            self._native.basic_cancel(consumer_tag)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return []

    def start_consuming(self) -> None:
        """Processes events and calls consumer callbacks until every consumer of this channel
        is cancelled."""
        while self._consumers or self._native.consumer_tags:
            self._connection.process_data_events(time_limit=None)
            if not self.is_open:
                break

    def stop_consuming(self, consumer_tag: Optional[str] = None) -> None:
        """Cancels all consumers of this channel (or the one given)."""
        if consumer_tag:
            self.basic_cancel(consumer_tag)
        else:
            for tag in list(self._consumers):
                self.basic_cancel(tag)
            if self._generator is not None:
                self.cancel()

    # -- the consume() generator ----------------------------------------------------------

    def consume(
        self,
        queue: str,
        auto_ack: bool = False,
        exclusive: bool = False,
        arguments: Optional[dict[str, Any]] = None,
        inactivity_timeout: Optional[float] = None,
    ) -> Generator[tuple[Any, Any, Any], None, None]:
        """Yields ``(method, properties, body)`` for each message, or ``(None, None, None)``
        after ``inactivity_timeout`` seconds without one, until ``cancel()``."""
        self._check_open()
        if self._generator is None:
            try:
                self._generator = self._native.consume(
                    queue, auto_ack=auto_ack, exclusive=exclusive, arguments=arguments,
                    inactivity_timeout=inactivity_timeout,
                )
            except wx.AMQPError as e:
                raise self._fail(e) from None
        it = self._generator
        deliver = spec.Basic.Deliver
        while self._generator is it:
            try:
                msg = next(it)
            except StopIteration:
                return
            except wx.AMQPError as e:
                self._generator = None
                raise self._fail(e) from None
            if msg is None:
                yield None, None, None
                continue
            yield (
                deliver(msg.consumer_tag, msg.delivery_tag, msg.redelivered, msg.exchange, msg.routing_key),
                msg.properties,
                msg.body,
            )

    def cancel(self) -> int:
        """Cancels the ``consume()`` generator's consumer; unread messages go back to the queue
        (Warren does this in its core). Returns 0: their count is not known here."""
        it = self._generator
        if it is None:
            return 0
        self._generator = None
        if self.is_open:
            try:
                it.cancel()
            except wx.AMQPError as e:
                raise self._fail(e) from None
        return 0

    def get_waiting_message_count(self) -> int:
        """Messages received for the ``consume()`` generator and not yet yielded."""
        return self._generator.waiting if self._generator is not None else 0

    # -- transactions ----------------------------------------------------------------------

    def tx_select(self) -> pika_frame.Method:
        try:
            self._native.tx_select()
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Tx.SelectOk())

    def tx_commit(self) -> pika_frame.Method:
        try:
            self._native.tx_commit()
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Tx.CommitOk())

    def tx_rollback(self) -> pika_frame.Method:
        try:
            self._native.tx_rollback()
        except wx.AMQPError as e:
            raise self._fail(e) from None
        return self._method(spec.Tx.RollbackOk())
