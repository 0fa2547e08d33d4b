"""Warren's exceptions.

Every error Warren raises is an :class:`AMQPError`. Errors that come from a ``connection.close``
or ``channel.close`` sent by the broker carry its ``reply_code``, ``reply_text``, ``class_id``
and ``method_id`` (the method that caused it); errors found on this side carry a reply code of
0 (or the code the client used, e.g. 311 for a message too large) and a description.

The hierarchy::

    AMQPError
    ├── ConnectionClosed            the connection ended (broker close, client close)
    │   ├── ConnectionLost          the link dropped (socket error, missed heartbeats)
    │   ├── ConnectionFailed        could not connect to any host
    │   ├── AuthenticationError     the broker refused the credentials
    │   └── RecoveryFailed          automatic recovery gave up
    ├── ChannelClosed               the broker (or the client) closed the channel
    │   ├── AccessRefused           403 ACCESS_REFUSED
    │   ├── NotFound                404 NOT_FOUND
    │   ├── ResourceLocked          405 RESOURCE_LOCKED
    │   └── PreconditionFailed      406 PRECONDITION_FAILED
    ├── Unroutable                  a mandatory message no queue took (312 NO_ROUTE)
    ├── Nacked                      the broker nacked a publish (or never confirmed it)
    ├── Timeout                     also a TimeoutError
    ├── InvalidArgument             also a ValueError (bad URL, name over 255 bytes, ...)
    ├── InvalidState                the call does not fit the current state
    ├── ConsumerCancelled           the broker cancelled a consumer
    ├── DuplicateConsumerTag        the consumer tag is in use on the channel
    └── ChannelsExhausted           no free channel number
"""

from __future__ import annotations

__all__ = [
    "AMQPError",
    "AccessRefused",
    "AuthenticationError",
    "ChannelClosed",
    "ChannelsExhausted",
    "ConnectionClosed",
    "ConnectionFailed",
    "ConnectionLost",
    "ConsumerCancelled",
    "DuplicateConsumerTag",
    "InvalidArgument",
    "InvalidState",
    "Nacked",
    "NotFound",
    "PreconditionFailed",
    "RecoveryFailed",
    "ResourceLocked",
    "Timeout",
    "Unroutable",
]


class AMQPError(Exception):
    """Base class of every Warren error.

    :ivar reply_code: the AMQP reply code (e.g. 404), or 0 when no close was involved.
    :ivar reply_text: the broker's explanation, or a description of the local failure.
    :ivar class_id: the AMQP class of the method that caused a close (0 if none).
    :ivar method_id: the AMQP method that caused a close (0 if none).
    """

    reply_code: int
    reply_text: str
    class_id: int
    method_id: int

    def __init__(
        self,
        message: str = "",
        *,
        reply_code: int = 0,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
    ) -> None:
        super().__init__(message or reply_text)
        self.reply_code = reply_code
        self.reply_text = reply_text or message
        self.class_id = class_id
        self.method_id = method_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reply_code}, {self.reply_text!r})"


class ConnectionClosed(AMQPError):
    """The connection is closed: the broker closed it (``reply_code`` says why, e.g. 320
    CONNECTION_FORCED) or this client did. With automatic recovery on, a broker-side close
    is retried and only reaches you once recovery gives up (:class:`RecoveryFailed`)."""


class ConnectionLost(ConnectionClosed):
    """The link to the broker dropped (socket error, missed heartbeats) while a call was in
    flight. With recovery on, the connection is being re-established: the call may or may
    not have reached the broker, retry it."""


class ConnectionFailed(ConnectionClosed):
    """No host of the list could be connected to (refused, unreachable, timed out)."""


class AuthenticationError(ConnectionClosed):
    """The broker refused the user name or password (or the SASL mechanism)."""


class RecoveryFailed(ConnectionClosed):
    """Automatic recovery gave up: the broker refuses the connection for good (credentials,
    vhost access) or ``recovery_max_attempts`` rounds failed."""


class ChannelClosed(AMQPError):
    """The channel is closed: the broker closed it with a soft error (``reply_code``), or the
    application did. The connection and its other channels go on."""


class AccessRefused(ChannelClosed):
    """403 ACCESS_REFUSED: the user may not do this (or the name is reserved, ``amq.*``)."""


class NotFound(ChannelClosed):
    """404 NOT_FOUND: the queue or exchange does not exist."""


class ResourceLocked(ChannelClosed):
    """405 RESOURCE_LOCKED: the queue is exclusive to another connection."""


class PreconditionFailed(ChannelClosed):
    """406 PRECONDITION_FAILED: e.g. a re-declaration with other arguments, an unknown
    delivery tag, ``if_unused``/``if_empty`` not met."""


class Unroutable(AMQPError):
    """A message published with ``mandatory=True`` reached no queue (``basic.return``,
    usually 312 NO_ROUTE)."""


class Nacked(AMQPError):
    """The broker refused a publish (``basic.nack``), or the connection was lost before it
    confirmed it (the message may or may not have been routed)."""


class Timeout(AMQPError, TimeoutError):
    """An operation waited longer than it was allowed to."""


class InvalidArgument(AMQPError, ValueError):
    """An argument cannot be sent: a bad URL, a name longer than 255 bytes, a value that has
    no AMQP field type, an integer out of range..."""


class InvalidState(AMQPError):
    """The call does not fit the current state: e.g. waiting for confirms outside confirm
    mode, a delivery tag from before a recovery, a connection used after ``fork()``."""


class ConsumerCancelled(AMQPError):
    """The broker cancelled the consumer (its queue was deleted, or it failed over)."""


class DuplicateConsumerTag(AMQPError):
    """The consumer tag is already used by a consumer on this channel."""


class ChannelsExhausted(AMQPError):
    """No channel number is free below the negotiated channel-max."""
