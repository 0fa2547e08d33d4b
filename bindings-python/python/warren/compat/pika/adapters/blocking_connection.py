"""pika's BlockingConnection and BlockingChannel over Warren's native API.

An adapter, not a second client: names, argument orders, return shapes and exceptions are
pika's; every protocol step is Warren's core. Where it differs from pika on purpose:

- Heartbeats and acknowledgements run on Warren's own threads, so a callback may take as
  long as it needs (sleeping or computing) without the broker dropping the connection.
- A connection and its channels may be used from several threads at once.
- Automatic recovery is on: after a broker restart or a lost link the connection, channels,
  topology and consumers come back behind the same objects, if the broker is back within
  about 8 seconds (``connection_attempts`` attempts at least, see
  ``connection.RECOVERY_MIN_ATTEMPTS``); calls made meanwhile wait. After that, calls raise
  ``StreamLostError`` and the connection is closed, as pika's is at once.

Like pika, deliveries, returned messages, broker cancels, timers (``call_later``) and
``add_callback_threadsafe`` callbacks wait in queues until the application's thread
processes events (``process_data_events``, ``start_consuming``, ``sleep``, the ``consume()``
generator), and callbacks are never called from inside another callback: calls made there
only receive. Where it cannot match pika: pika internals (``connection._impl``, the I/O
loop) do not exist; a small stand-in serves test harnesses that reach for its timer.
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

#: Deliveries taken in at most per look, before they are dispatched: the rest stay in Warren's
#: bounded buffer, which holds the broker back when the application falls behind.
RECEIVE_BATCH = 1000


class ReturnedMessage(NamedTuple):
    """A message the broker returned (``UnroutableError.messages``)."""

    method: Any
    properties: Any
    body: bytes


class _ConsumerDeliveryEvt:
    """A delivery waiting to be handed to its consumer (pika's name)."""

    __slots__ = ("method", "properties", "body")

    def __init__(self, method: Any, properties: Any, body: bytes) -> None:
        self.method = method
        self.properties = properties
        self.body = body


class _ConsumerCancellationEvt:
    """The broker cancelled a consumer (pika's name); ``method_frame`` holds a Basic.Cancel."""

    __slots__ = ("method_frame",)

    def __init__(self, method_frame: pika_frame.Method) -> None:
        self.method_frame = method_frame


class _ReturnedMessageEvt:
    """A message the broker returned, waiting for the channel's return callbacks."""

    __slots__ = ("callbacks", "channel", "method", "properties", "body")

    def __init__(self, callbacks: list[Callable[..., Any]], channel: BlockingChannel,
                 method: Any, properties: Any, body: bytes) -> None:
        self.callbacks = callbacks
        self.channel = channel
        self.method = method
        self.properties = properties
        self.body = body

    def dispatch(self) -> None:
        for cb in list(self.callbacks):
            cb(self.channel, self.method, self.properties, self.body)


def _event_tag(evt: Any) -> Optional[str]:
    """The consumer tag a pending consumer event belongs to (None for other events)."""
    if type(evt) is _ConsumerDeliveryEvt:
        return evt.method.consumer_tag  # type: ignore[no-any-return]
    if type(evt) is _ConsumerCancellationEvt:
        return evt.method_frame.method.consumer_tag  # type: ignore[no-any-return]
    return None


def _take_consumer_events(pending: deque[Any], consumer_tag: str) -> list[_ConsumerDeliveryEvt]:
    """Removes a consumer's events from ``pending`` (in place, keeping the others in order);
    returns its deliveries (a broker cancel of it is dropped, as pika does)."""
    if not pending:
        return []
    keep: list[Any] = []
    taken: list[_ConsumerDeliveryEvt] = []
    while pending:
        evt = pending.popleft()
        if _event_tag(evt) != consumer_tag:
            keep.append(evt)
        elif type(evt) is _ConsumerDeliveryEvt:
            taken.append(evt)
    pending.extend(keep)
    return taken


class _ConsumerInfo:
    """A consumer of a BlockingChannel: its callback (None for the ``consume()`` generator's)
    and where its events wait."""

    __slots__ = ("consumer_tag", "auto_ack", "on_message_callback", "pending", "cancelled_by_broker")

    def __init__(self, consumer_tag: str, auto_ack: bool,
                 on_message_callback: Optional[Callable[..., Any]], pending: deque[Any]) -> None:
        self.consumer_tag = consumer_tag
        self.auto_ack = auto_ack
        self.on_message_callback = on_message_callback
        self.pending = pending
        self.cancelled_by_broker = False


class _QueueConsumerGeneratorInfo:
    """The ``consume()`` generator's consumer: its parameters and its waiting events."""

    __slots__ = ("params", "consumer_tag", "pending_events")

    def __init__(self, params: tuple[str, bool, bool]) -> None:
        self.params = params
        self.consumer_tag = ""
        self.pending_events: deque[Any] = deque()


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
    if isinstance(exc, wx.RecoveryFailed):
        return exceptions.StreamLostError(f"Stream connection lost: {exc.reply_text or exc}")
    if isinstance(exc, wx.ConnectionLost) and exc.reply_code:
        # The broker closed the connection (e.g. 503 COMMAND_INVALID); Warren reconnects,
        # but the call failed as pika's would.
        return exceptions.ConnectionClosedByBroker(exc.reply_code, exc.reply_text)
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


class _TimerEvt:
    """A ``call_later`` timer (pika's name), ordered by due time."""

    __slots__ = ("due", "seq", "callback", "cancelled")

    def __init__(self, callback: Callable[[], Any], due: float = 0.0, seq: int = 0) -> None:
        self.callback = callback
        self.due = due
        self.seq = seq
        self.cancelled = False

    def __lt__(self, other: _TimerEvt) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    def __repr__(self) -> str:
        return f"<_TimerEvt callback={self.callback!r} due={self.due} cancelled={self.cancelled}>"


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
    def _channels(self) -> dict[int, Any]:
        """The open channels by number (empty once the connection is closed)."""
        if not self._conn.is_open:
            return {}
        return {n: ch for n, ch in self._conn._channels.items() if ch.is_open}

    @property
    def _transport(self) -> Optional[object]:
        """None once the connection is closed (pika drops its transport then); the socket
        itself is Warren's core's and is not reachable from Python."""
        return self._conn._native if self._conn.is_open else None

    def _process_frame(self, frame_value: pika_frame.Method) -> None:
        """Takes a ``Connection.Blocked``/``Unblocked`` frame as if the broker had sent it."""
        self._conn._on_blocked_change(frame_value)

    def _on_connection_blocked(self, _impl: Any, method_frame: pika_frame.Method) -> None:
        self._conn._on_blocked_change(method_frame)

    def _on_connection_unblocked(self, _impl: Any, method_frame: pika_frame.Method) -> None:
        self._conn._on_blocked_change(method_frame)

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
        self._native, self._params = self._open(params_list)
        self._channels: dict[int, BlockingChannel] = {}
        self._closed_by_client = False
        # Work for the thread that runs process_data_events: call_later timers and
        # add_callback_threadsafe callbacks.
        self._timers: list[_TimerEvt] = []
        self._timer_seq = itertools.count()
        self._threadsafe: deque[Callable[[], Any]] = deque()
        self._lock = threading.Lock()
        self._blocked_callbacks: list[Callable[..., Any]] = []
        self._unblocked_callbacks: list[Callable[..., Any]] = []
        self._events: Optional[warren.EventStream] = None
        # Blocked/unblocked notifications waiting for dispatch: (callbacks, method frame).
        self._ready_events: deque[tuple[list[Callable[..., Any]], pika_frame.Method]] = deque()
        # > 0 while process_data_events runs callbacks: calls from inside them only receive.
        self._dispatch_depth = 0
        # The blocked_connection_timeout timer while the broker blocks this connection.
        self._blocked_timer: Optional[_TimerEvt] = None
        self._impl = _ImplFacade(self)
        if self._params.blocked_connection_timeout is not None:
            self._subscribe_events()

    @staticmethod
    def _open(params_list: Sequence[Parameters]) -> tuple[warren.Connection, Parameters]:
        """The connection to the first parameters that accept, and those parameters."""
        first = params_list[0]
        attempts = max(int(first.connection_attempts or 1), 1)
        last: Optional[BaseException] = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(float(first.retry_delay or 0))
            for params in params_list:
                try:
                    return warren.connect(params._warren_url(), **params._warren_options()), params
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
        # As pika's synchronous calls, take in what arrived meanwhile (it waits for dispatch).
        if any(c._consumer_infos for c in self._channels.values()) and self._receive(0):
            # A loop waiting on another thread sees them at once.
            self._native.wake()
        self._channels[ch.channel_number] = ch
        return ch

    @property
    def _channel_list(self) -> list[BlockingChannel]:
        return list(self._channels.values())

    def _forget_channel(self, ch: BlockingChannel) -> None:
        if self._channels.get(ch.channel_number) is ch:
            del self._channels[ch.channel_number]

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
        """Receives what the broker sent and dispatches what is waiting: timers,
        ``add_callback_threadsafe`` callbacks, blocked/unblocked callbacks, returned messages
        and consumer deliveries. Waits up to ``time_limit`` seconds for something to dispatch
        (0: only what is there; ``None``: until something was dispatched). Called from inside
        one of those callbacks, it only receives (as pika's)."""
        if time_limit is not None:
            time_limit = max(float(time_limit), 0.0)
        deadline = None if time_limit is None else time.monotonic() + time_limit
        can_dispatch = self._dispatch_depth == 0
        while True:
            self._receive(0)
            if can_dispatch and self._ready():
                break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            wait = 1.0 if deadline is None else deadline - now
            if self._timers:
                wait = min(wait, max(self._timers[0].due - now, 0.0))
            if self._polled_sources():
                # Returns and blocked/unblocked events do not end the wait: look often.
                wait = min(wait, 0.05)
            got = self._receive(wait)
            if not can_dispatch and (got or deadline is None):
                break
            if not self.is_open:
                raise exceptions.StreamLostError("Stream connection lost: connection is closed")
        if can_dispatch:
            self._dispatch()

    def _receive(self, wait: float) -> int:
        """Moves what arrived (deliveries, broker cancels, returns, connection events) into
        the queues it waits in, waiting at most ``wait`` seconds for a delivery (or a
        ``wake``); calls no application callback. Returns how many deliveries came."""
        try:
            got = self._native.drain_events(wait, max_events=RECEIVE_BATCH)
        except wx.AMQPError as e:
            raise _translate(e) from None
        if self._events is not None:
            while True:
                ev = self._events.next(0)
                if ev is None:
                    break
                if ev.kind == "blocked":
                    self._on_blocked_change(pika_frame.Method(0, spec.Connection.Blocked(ev.reason or "")))
                elif ev.kind == "unblocked":
                    self._on_blocked_change(pika_frame.Method(0, spec.Connection.Unblocked()))
        for ch in self._channel_list:
            if ch._return_callbacks:
                ch._receive_returns()
        return got

    def _on_blocked_change(self, method_frame: pika_frame.Method) -> None:
        """``Connection.Blocked``/``Unblocked``: queued for the application's callbacks; with
        ``blocked_connection_timeout``, a connection blocked for longer is closed and
        process_data_events raises ``ConnectionBlockedTimeout`` (as pika's)."""
        blocked = isinstance(method_frame.method, spec.Connection.Blocked)
        callbacks = self._blocked_callbacks if blocked else self._unblocked_callbacks
        self._ready_events.append((callbacks, method_frame))
        timeout = self._params.blocked_connection_timeout
        if blocked and timeout is not None and self._blocked_timer is None:
            self._blocked_timer = self._add_timer(float(timeout), self._on_blocked_timeout)
        elif not blocked and self._blocked_timer is not None:
            self.remove_timeout(self._blocked_timer)
            self._blocked_timer = None

    def _on_blocked_timeout(self) -> None:
        self._blocked_timer = None
        self._closed_by_client = True
        try:
            self._native.close(320, "Blocked connection timeout expired")
        except wx.AMQPError:
            pass
        raise exceptions.ConnectionBlockedTimeout("Blocked connection timeout expired.")

    def _polled_sources(self) -> bool:
        """Whether something that does not wake a wait is watched (returns, connection
        events), so that waits are kept short."""
        if self._events is not None:
            return True
        return any(ch._return_callbacks for ch in self._channel_list)

    def _ready(self) -> bool:
        """Whether anything waits to be dispatched."""
        if self._threadsafe or self._ready_events:
            return True
        if self._timers and self._timers[0].due <= time.monotonic():
            return True
        for ch in self._channel_list:
            if ch._pending_events:
                return True
            gen = ch._queue_consumer_generator
            if gen is not None and gen.pending_events:
                # Not dispatched here, but the consume() generator waiting on this call has
                # something to yield.
                return True
        return False

    def _dispatch(self) -> None:
        """Runs every callback that waits; none of them can dispatch again meanwhile."""
        self._dispatch_depth += 1
        try:
            for _ in range(len(self._threadsafe)):
                self._threadsafe.popleft()()
            now = time.monotonic()
            while self._timers and self._timers[0].due <= now:
                with self._lock:
                    timer = heapq.heappop(self._timers)
                if not timer.cancelled:
                    timer.callback()
            while self._ready_events:
                callbacks, method = self._ready_events.popleft()
                for cb in list(callbacks):
                    cb(self, method)
            for ch in self._channel_list:
                if ch._pending_events:
                    ch._dispatch_events()
        finally:
            self._dispatch_depth -= 1

    def sleep(self, duration: float) -> None:
        """Sleeps ``duration`` seconds while dispatching events; processes events at least
        once, even for 0 (as pika's)."""
        assert duration >= 0, duration
        deadline = time.monotonic() + duration
        time_limit = float(duration)
        while True:
            self.process_data_events(time_limit)
            time_limit = deadline - time.monotonic()
            if time_limit <= 0:
                return

    def add_callback_threadsafe(self, callback: Callable[[], Any]) -> None:
        """Runs ``callback`` on the thread that processes this connection's events (the next
        ``process_data_events``/``start_consuming``/``sleep``). Safe from any thread."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError("BlockingConnection.add_callback_threadsafe() called on closed or closing connection.")
        self._threadsafe.append(callback)
        self._native.wake()

    def call_later(self, delay: float, callback: Callable[[], Any]) -> object:
        """Runs ``callback`` after ``delay`` seconds, from the event-processing thread;
        returns an id for ``remove_timeout``."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        return self._add_timer(delay, callback)

    def _add_timer(self, delay: float, callback: Callable[[], Any]) -> _TimerEvt:
        timer = _TimerEvt(callback, time.monotonic() + float(delay), next(self._timer_seq))
        with self._lock:
            heapq.heappush(self._timers, timer)
        return timer

    def remove_timeout(self, timeout_id: object) -> None:
        if isinstance(timeout_id, _TimerEvt):
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


class _ChannelImplFacade:
    """The parts of pika's private ``channel._impl`` that harnesses reach for."""

    def __init__(self, channel: BlockingChannel) -> None:
        self._channel = channel

    @property
    def is_closing(self) -> bool:
        return False

    @property
    def _consumers(self) -> dict[str, Any]:
        return dict.fromkeys(self._channel._native.consumer_tags)


class BlockingChannel:
    """pika.adapters.blocking_connection.BlockingChannel over a Warren channel."""

    def __init__(self, native: warren.Channel, connection: BlockingConnection) -> None:
        self._native = native
        self._connection = connection
        self._confirm = False
        # Consumers by tag: basic_consume's and the consume() generator's (as pika's).
        self._consumer_infos: dict[str, _ConsumerInfo] = {}
        # Deliveries, broker cancels and returns waiting for process_data_events, in order.
        self._pending_events: deque[Any] = deque()
        self._queue_consumer_generator: Optional[_QueueConsumerGeneratorInfo] = None
        self._return_callbacks: list[Callable[..., Any]] = []
        self._cancel_callbacks: list[Callable[..., Any]] = []
        # Whether the broker's close of this channel was raised already.
        self._close_reported = False
        # Whether the application closed it (then its end is not an error to raise).
        self._closed_by_client = False
        self._impl = _ChannelImplFacade(self)
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
        return list(self._consumer_infos)

    def _method(self, method: Any) -> pika_frame.Method:
        """The frame a synchronous call returns; like pika's synchronous calls, it also takes
        in the messages the broker returned meanwhile (they wait for dispatch)."""
        if self._return_callbacks:
            self._receive_returns()
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
        """Cancels the consumers (as pika: pending ackable messages are rejected, pending
        auto-ack ones dropped), then closes the channel."""
        if not self._native.is_open:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        self._closed_by_client = True
        try:
            self._cancel_all_consumers()
        except exceptions.AMQPError:
            pass
        try:
            self._native.close(200 if reply_code == 0 else reply_code, reply_text)
        except wx.AMQPError as e:
            raise self._fail(e) from None
        finally:
            self._forget_consumers()
            self._connection._forget_channel(self)

    def _forget_consumers(self) -> None:
        self._consumer_infos.clear()
        self._pending_events.clear()
        self._queue_consumer_generator = None

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
        """The broker cancelled a consumer: queued behind its deliveries (called while
        events are received, so it only queues)."""
        info = self._consumer_infos.get(consumer_tag)
        if info is None:
            return
        info.cancelled_by_broker = True
        method = self._method(spec.Basic.Cancel(consumer_tag=consumer_tag, nowait=True))
        info.pending.append(_ConsumerCancellationEvt(method))

    def _receive_returns(self) -> None:
        """Queues the messages the broker returned, for the return callbacks."""
        while True:
            try:
                r = self._native.next_return(0)
            except wx.AMQPError:
                return
            if r is None:
                return
            method = spec.Basic.Return(r.reply_code, r.reply_text, r.exchange, r.routing_key)
            self._pending_events.append(
                _ReturnedMessageEvt(self._return_callbacks, self, method, r.properties, r.body))

    def _dispatch_events(self) -> None:
        """Hands the waiting events to their callbacks (from process_data_events)."""
        pending = self._pending_events
        infos = self._consumer_infos
        while pending:
            evt = pending.popleft()
            kind = type(evt)
            if kind is _ConsumerDeliveryEvt:
                info = infos.get(evt.method.consumer_tag)
                if info is not None and info.on_message_callback is not None:
                    info.on_message_callback(self, evt.method, evt.properties, evt.body)
            elif kind is _ConsumerCancellationEvt:
                infos.pop(evt.method_frame.method.consumer_tag, None)
                for cb in list(self._cancel_callbacks):
                    cb(evt.method_frame)
            else:
                evt.dispatch()

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
            props = properties or spec.BasicProperties()
            if isinstance(e, wx.Unroutable):
                # As pika: raised here, and also handed to the return callbacks later.
                self._pending_events.append(
                    _ReturnedMessageEvt(self._return_callbacks, self, method, props, data))
            raise _translate(e, [ReturnedMessage(method, props, data)]) from None
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
        if self._return_callbacks:
            self._receive_returns()

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
        return self._start_consumer(queue, on_message_callback, self._pending_events,
                                    auto_ack, exclusive, consumer_tag, arguments)

    def _start_consumer(
        self,
        queue: str,
        on_message_callback: Optional[Callable[..., Any]],
        pending: deque[Any],
        auto_ack: bool,
        exclusive: bool,
        consumer_tag: Optional[str],
        arguments: Optional[dict[str, Any]],
    ) -> str:
        """Starts a native consumer whose deliveries wait in ``pending`` as pika events."""
        self._check_open()
        if consumer_tag and consumer_tag in self._consumer_infos:
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        deliver = spec.Basic.Deliver
        event = _ConsumerDeliveryEvt
        append = pending.append

        def on_message(msg: warren.Message) -> None:
            append(event(
                deliver(msg.consumer_tag, msg.delivery_tag, msg.redelivered, msg.exchange, msg.routing_key),
                msg.properties,
                msg.body,
            ))

        try:
            tag = self._native.basic_consume(
                queue, on_message, auto_ack=auto_ack, exclusive=exclusive,
                consumer_tag=consumer_tag, arguments=arguments,
            )
        except wx.AMQPError as e:
            raise self._fail(e) from None
        self._consumer_infos[tag] = _ConsumerInfo(tag, auto_ack, on_message_callback, pending)
        return tag

    def basic_cancel(self, consumer_tag: str) -> list[Any]:
        """Cancels a consumer and waits for the broker's ``cancel-ok``. As pika: for an
        ``auto_ack`` consumer, returns the ``(method, properties, body)`` of the messages
        that arrived for it and were not dispatched yet; for a manual-ack consumer, rejects
        them (requeue) and returns an empty list."""
        gen = self._queue_consumer_generator
        if gen is not None and gen.consumer_tag == consumer_tag:
            self.cancel()
            return []
        return self._cancel_consumer(consumer_tag)

    def _cancel_consumer(self, consumer_tag: str) -> list[Any]:
        info = self._consumer_infos.get(consumer_tag)
        if info is None:
            return []
        try:
            if not info.auto_ack:
                self._reject(_take_consumer_events(info.pending, consumer_tag))
            if self._native.is_open and not info.cancelled_by_broker:
                try:
                    self._native.basic_cancel(consumer_tag, drain=True)
                except wx.AMQPError as e:
                    raise self._fail(e) from None
            taken = _take_consumer_events(info.pending, consumer_tag)
            if info.auto_ack:
                return [(evt.method, evt.properties, evt.body) for evt in taken]
            self._reject(taken)
            return []
        finally:
            self._consumer_infos.pop(consumer_tag, None)
            # A start_consuming loop elsewhere looks again at once.
            self._connection._native.wake()

    def _reject(self, deliveries: list[_ConsumerDeliveryEvt]) -> None:
        """Gives undispatched deliveries back to the queue (as pika, one reject each: a
        multiple nack would also hit messages the application holds)."""
        for evt in deliveries:
            if not self._native.is_open:
                return
            try:
                self._native.basic_reject(evt.method.delivery_tag, True)
            except wx.AMQPError as e:
                raise self._fail(e) from None

    def _cancel_all_consumers(self) -> None:
        if self._queue_consumer_generator is not None:
            self.cancel()
        for tag in list(self._consumer_infos):
            self._cancel_consumer(tag)

    def start_consuming(self) -> None:
        """Processes events and calls consumer callbacks until every consumer of this channel
        is cancelled. Raises ``ReentrancyError`` from inside a callback, and
        ``ChannelClosedByBroker`` when the broker closes the channel."""
        if self._connection._dispatch_depth:
            raise exceptions.ReentrancyError(
                "start_consuming may not be called from the scope of "
                "another BlockingConnection or BlockingChannel callback")
        self._check_open()
        while self._consumer_infos:
            self._process_data_events(time_limit=None)

    def _process_data_events(self, time_limit: Optional[float]) -> None:
        """process_data_events, then ``ChannelClosedByBroker`` if the broker closed this
        channel."""
        try:
            self._connection.process_data_events(time_limit=time_limit)
        except exceptions.ChannelClosedByBroker:
            if not self.is_open:
                self._close_reported = True
                self._forget_consumers()
            raise
        if not self._native.is_open:
            self._forget_consumers()
            if not self._close_reported and not self._closed_by_client and self._connection.is_open:
                self._close_reported = True
                raise exceptions.ChannelClosedByBroker(0, "channel closed")

    def stop_consuming(self, consumer_tag: Optional[str] = None) -> None:
        """Cancels all consumers of this channel (or the one given), so that
        ``start_consuming`` returns. As pika: pending auto-ack messages are dropped, pending
        ackable ones rejected."""
        if consumer_tag:
            self.basic_cancel(consumer_tag)
        else:
            self._cancel_all_consumers()

    # -- the consume() generator ----------------------------------------------------------

    def consume(
        self,
        queue: str,
        auto_ack: bool = False,
        exclusive: bool = False,
        arguments: Optional[dict[str, Any]] = None,
        inactivity_timeout: Optional[float] = None,
        consumer_tag: Optional[str] = None,
    ) -> Generator[tuple[Any, Any, Any], None, None]:
        """Yields ``(method, properties, body)`` for each message, or ``(None, None, None)``
        after ``inactivity_timeout`` seconds without one, until ``cancel()`` or a cancel from
        the broker. While it waits, events are processed (other consumers' callbacks run).
        Called again with the same ``(queue, auto_ack, exclusive)`` it resumes the same
        consumer; with others it raises ``ValueError``."""
        self._check_open()
        params = (queue, auto_ack, exclusive)
        gen = self._queue_consumer_generator
        if gen is not None:
            if params != gen.params:
                raise ValueError(
                    "Consume with different params not allowed on existing queue consumer "
                    f"generator; previous params: {gen.params!r}; new params: {params!r}")
        else:
            gen = _QueueConsumerGeneratorInfo(params)
            self._queue_consumer_generator = gen
            try:
                gen.consumer_tag = self._start_consumer(
                    queue, None, gen.pending_events, auto_ack, exclusive, consumer_tag, arguments)
            except BaseException:
                self._queue_consumer_generator = None
                raise
        pending = gen.pending_events
        while self._queue_consumer_generator is gen:
            if pending:
                evt = pending.popleft()
                if type(evt) is _ConsumerCancellationEvt:
                    # Cancelled by the broker: the generator ends.
                    self._consumer_infos.pop(gen.consumer_tag, None)
                    self._queue_consumer_generator = None
                    break
                yield evt.method, evt.properties, evt.body
                continue
            if inactivity_timeout is None:
                self._process_data_events(time_limit=None)
                continue
            deadline = time.monotonic() + inactivity_timeout
            delta = float(inactivity_timeout)
            while self._queue_consumer_generator is gen and not pending:
                self._process_data_events(time_limit=delta)
                if self._queue_consumer_generator is not gen or pending:
                    break
                delta = deadline - time.monotonic()
                if delta <= 0.0:
                    yield None, None, None
                    break

    def cancel(self) -> int:
        """Cancels the ``consume()`` generator's consumer, rejecting (requeue) the ackable
        messages it received and did not yield. Returns 0, as pika (which documents that the
        count is not meaningful)."""
        gen = self._queue_consumer_generator
        if gen is None:
            return 0
        try:
            _, auto_ack, _ = gen.params
            if not auto_ack:
                self._reject(_take_consumer_events(gen.pending_events, gen.consumer_tag))
            self._cancel_consumer(gen.consumer_tag)
        finally:
            self._queue_consumer_generator = None
        return 0

    def get_waiting_message_count(self) -> int:
        """Messages received for the ``consume()`` generator and not yet yielded."""
        gen = self._queue_consumer_generator
        if gen is None:
            return 0
        count = len(gen.pending_events)
        if count and type(gen.pending_events[-1]) is _ConsumerCancellationEvt:
            count -= 1
        return count

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
