"""pika.exceptions: pika's exception classes, raised by ``warren.compat.pika`` where pika raises
them. Warren's own errors are translated in one place (``_translate`` in ``blocking.py``)."""

from __future__ import annotations

from typing import Any, Sequence


class AMQPError(Exception):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: An unspecified AMQP error has occurred; {self.args}"


class AMQPConnectionError(AMQPError):
    def __repr__(self) -> str:
        if len(self.args) == 2:
            return f"{self.__class__.__name__}: ({self.args[0]}) {self.args[1]}"
        return f"{self.__class__.__name__}: {self.args}"


class ConnectionOpenAborted(AMQPConnectionError):
    """The application closed the connection before it finished opening."""


class StreamLostError(AMQPConnectionError):
    """The TCP connection to the broker ended without a close handshake."""


class IncompatibleProtocolError(AMQPConnectionError):
    pass


class AuthenticationError(AMQPConnectionError):
    pass


class ProbableAuthenticationError(AMQPConnectionError):
    pass


class ProbableAccessDeniedError(AMQPConnectionError):
    pass


class NoFreeChannels(AMQPConnectionError):
    pass


class ConnectionWrongStateError(AMQPConnectionError):
    """The connection cannot do this now (it is closing or closed)."""


class ConnectionClosed(AMQPConnectionError):
    def __init__(self, reply_code: int, reply_text: str) -> None:
        super().__init__(int(reply_code), str(reply_text))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: ({self.reply_code}) {self.reply_text!r}"

    @property
    def reply_code(self) -> int:
        return int(self.args[0])

    @property
    def reply_text(self) -> str:
        return str(self.args[1])


class ConnectionClosedByBroker(ConnectionClosed):
    """The broker closed the connection (connection.close with its reply code and text)."""


class ConnectionClosedByClient(ConnectionClosed):
    """The application closed the connection."""


class ConnectionBlockedTimeout(AMQPConnectionError):
    """The broker kept the connection blocked longer than blocked_connection_timeout."""


class AMQPHeartbeatTimeout(AMQPConnectionError):
    """No heartbeat or other traffic arrived from the broker in time; the connection was dropped."""


class AMQPChannelError(AMQPError):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: {self.args!r}"


class ChannelWrongStateError(AMQPChannelError):
    """The channel cannot do this now (it is closing or closed)."""


class ChannelClosed(AMQPChannelError):
    def __init__(self, reply_code: int, reply_text: str) -> None:
        super().__init__(int(reply_code), str(reply_text))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: ({self.reply_code}) {self.reply_text!r}"

    @property
    def reply_code(self) -> int:
        return int(self.args[0])

    @property
    def reply_text(self) -> str:
        return str(self.args[1])


class ChannelClosedByBroker(ChannelClosed):
    """The broker closed the channel (channel.close with its reply code and text)."""


class ChannelClosedByClient(ChannelClosed):
    """The application closed the channel."""


class DuplicateConsumerTag(AMQPChannelError):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: The consumer tag specified already exists for this channel: {self.args[0]}"


class ConsumerCancelled(AMQPChannelError):
    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: Server cancelled consumer"


class UnroutableError(AMQPChannelError):
    """In confirm mode, a mandatory publish came back from the broker (basic.return); the
    returned messages are in ``messages``."""

    def __init__(self, messages: Sequence[Any]) -> None:
        super().__init__(f"{len(messages)} unroutable message(s) returned")
        self.messages = messages

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: {len(self.messages)} unroutable messages returned by broker"


class NackError(AMQPChannelError):
    """In confirm mode, the broker answered a publish with basic.nack; the refused messages are
    in ``messages``."""

    def __init__(self, messages: Sequence[Any]) -> None:
        super().__init__(f"{len(messages)} message(s) NACKed")
        self.messages = messages

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}: {len(self.messages)} unroutable messages returned by broker"


class InvalidChannelNumber(AMQPError):
    pass


class ProtocolSyntaxError(AMQPError):
    pass


class UnexpectedFrameError(ProtocolSyntaxError):
    pass


class ProtocolVersionMismatch(ProtocolSyntaxError):
    pass


class BodyTooLongError(AMQPError):
    pass


class InvalidFrameError(ProtocolSyntaxError):
    pass


class InvalidFieldTypeException(ProtocolSyntaxError):
    pass


class UnsupportedAMQPFieldException(ProtocolSyntaxError):
    pass


class MethodNotImplemented(AMQPError):
    pass


class ChannelError(Exception):
    pass


class ReentrancyError(Exception):
    """The call would re-enter the connection from inside one of its own callbacks in a way that is not supported."""


class ShortStringTooLong(AMQPError):
    pass


class DuplicateGetOkCallback(ChannelError):
    pass
