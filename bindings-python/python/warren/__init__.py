"""Warren: an AMQP 0-9-1 client for RabbitMQ (and Warren's own broker) on a Rust core.

The connection runs on Warren's own threads, so heartbeats, acknowledgements, publisher
confirms and automatic recovery keep going while your code is busy, blocked, or holding the
GIL. Every handle is thread-safe: one channel may be shared by many threads. Calls that wait
release the GIL.

>>> import warren
>>> with warren.connect("amqp://guest:guest@localhost:5672/%2f") as conn:
...     ch = conn.channel()
...     ch.basic_publish("", "hello", b"world")

``warren.aio`` is the asyncio API; ``warren.compat.pika`` runs code written for pika's
``BlockingConnection`` unchanged.
"""

from __future__ import annotations

from . import exceptions
from ._native import (
    BasicProperties,
    Channel,
    ConfirmEventStream,
    Connection,
    ConnectionEvent,
    ConsumeIterator,
    EventStream,
    Message,
    QueueDeclareOk,
    ReturnedMessage,
    RpcClient,
    __version__,
    connect,
)
from .exceptions import (
    AccessRefused,
    AMQPError,
    AuthenticationError,
    ChannelClosed,
    ChannelsExhausted,
    ConnectionClosed,
    ConnectionFailed,
    ConnectionLost,
    ConsumerCancelled,
    DuplicateConsumerTag,
    InvalidArgument,
    InvalidState,
    Nacked,
    NotFound,
    PreconditionFailed,
    RecoveryFailed,
    ResourceLocked,
    Timeout,
    Unroutable,
)

#: ``delivery_mode`` values.
TRANSIENT = 1
PERSISTENT = 2

__all__ = [
    "AMQPError",
    "AccessRefused",
    "AuthenticationError",
    "BasicProperties",
    "Channel",
    "ChannelClosed",
    "ChannelsExhausted",
    "ConfirmEventStream",
    "Connection",
    "ConnectionClosed",
    "ConnectionEvent",
    "ConnectionFailed",
    "ConnectionLost",
    "ConsumeIterator",
    "ConsumerCancelled",
    "DuplicateConsumerTag",
    "EventStream",
    "InvalidArgument",
    "InvalidState",
    "Message",
    "Nacked",
    "NotFound",
    "PERSISTENT",
    "PreconditionFailed",
    "QueueDeclareOk",
    "RecoveryFailed",
    "ResourceLocked",
    "ReturnedMessage",
    "RpcClient",
    "TRANSIENT",
    "Timeout",
    "Unroutable",
    "__version__",
    "connect",
    "exceptions",
]
