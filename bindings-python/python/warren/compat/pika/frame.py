"""pika.frame: the frame objects pika hands to callbacks and returns from synchronous calls."""

from __future__ import annotations

from typing import Any

from . import spec


class Frame:
    """Base frame: a type and a channel number."""

    __slots__ = ("frame_type", "channel_number")

    def __init__(self, frame_type: int, channel_number: int) -> None:
        self.frame_type = frame_type
        self.channel_number = channel_number

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.__dict_repr()})>"

    def __dict_repr(self) -> str:
        return repr({n: getattr(self, n) for n in self._fields()})

    def _fields(self) -> tuple[str, ...]:
        return ("frame_type", "channel_number")


class Method(Frame):
    """A method frame: ``.method`` is the spec object (e.g. ``spec.Queue.DeclareOk``)."""

    __slots__ = ("method",)

    def __init__(self, channel_number: int, method: Any) -> None:
        super().__init__(spec.FRAME_METHOD, channel_number)
        self.method = method

    def _fields(self) -> tuple[str, ...]:
        return ("frame_type", "channel_number", "method")


class Header(Frame):
    """A content header frame."""

    __slots__ = ("body_size", "properties")

    def __init__(self, channel_number: int, body_size: int, props: Any) -> None:
        super().__init__(spec.FRAME_HEADER, channel_number)
        self.body_size = body_size
        self.properties = props


class Body(Frame):
    """A content body frame."""

    __slots__ = ("fragment",)

    def __init__(self, channel_number: int, fragment: bytes) -> None:
        super().__init__(spec.FRAME_BODY, channel_number)
        self.fragment = fragment
