"""pika.spec: the AMQP method classes as pika returns and accepts them, and BasicProperties.

Only the data shape is imitated (names, attributes, ``NAME``, ``INDEX``, ``synchronous``):
encoding is Warren's core's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from warren import BasicProperties as BasicProperties

__all__ = [
    "BasicProperties",
    "Basic",
    "Channel",
    "Confirm",
    "Connection",
    "Exchange",
    "Queue",
    "Tx",
    "PERSISTENT_DELIVERY_MODE",
    "TRANSIENT_DELIVERY_MODE",
]

PERSISTENT_DELIVERY_MODE = 2
TRANSIENT_DELIVERY_MODE = 1

FRAME_METHOD = 1
FRAME_HEADER = 2
FRAME_BODY = 3
FRAME_HEARTBEAT = 8


class Method:
    """Base of the method classes: attributes in ``__slots__``, pika's repr and equality."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    NAME: ClassVar[str] = "Method"
    INDEX: ClassVar[int] = 0
    synchronous: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self.__slots__
        if len(args) > len(names):
            raise TypeError(f"{self.NAME} takes at most {len(names)} arguments")
        defaults = type(self)._defaults()
        for name in names:
            setattr(self, name, defaults.get(name))
        for name, value in zip(names, args):
            setattr(self, name, value)
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError(f"{self.NAME} has no argument {name!r}")
            setattr(self, name, value)

    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        return {}

    def get_properties(self) -> None:
        return None

    def get_body(self) -> None:
        return None

    def __repr__(self) -> str:
        items = [f"{n}={getattr(self, n)!r}" for n in self.__slots__]
        return f"<{self.NAME}({items!r})>"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]


def _method(
    name: str, index: int, fields: tuple[str, ...], synchronous: bool = False, **defaults: Any
) -> type[Method]:
    cls = type(
        name.split(".")[1],
        (Method,),
        {
            "__slots__": fields,
            "NAME": name,
            "INDEX": index,
            "synchronous": synchronous,
            "_defaults": classmethod(lambda cls: dict(defaults)),
            "__qualname__": name,
        },
    )
    return cls


class _Deliver(Method):
    """``basic.deliver``, written out: one is made per delivered message."""

    __slots__ = ("consumer_tag", "delivery_tag", "redelivered", "exchange", "routing_key")
    NAME = "Basic.Deliver"
    INDEX = 0x003C003C

    def __init__(
        self,
        consumer_tag: Any = None,
        delivery_tag: Any = None,
        redelivered: bool = False,
        exchange: Any = None,
        routing_key: Any = None,
    ) -> None:
        self.consumer_tag = consumer_tag
        self.delivery_tag = delivery_tag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routing_key = routing_key


class _GetOk(Method):
    """``basic.get-ok``, written out: one is made per fetched message."""

    __slots__ = ("delivery_tag", "redelivered", "exchange", "routing_key", "message_count")
    NAME = "Basic.GetOk"
    INDEX = 0x003C0047

    def __init__(
        self,
        delivery_tag: Any = None,
        redelivered: bool = False,
        exchange: Any = None,
        routing_key: Any = None,
        message_count: Any = None,
    ) -> None:
        self.delivery_tag = delivery_tag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routing_key = routing_key
        self.message_count = message_count


class Connection:
    """``connection.*`` methods."""

    Start = _method("Connection.Start", 0x000A000A, ("version_major", "version_minor", "server_properties", "mechanisms", "locales"), True)
    Close = _method("Connection.Close", 0x000A0032, ("reply_code", "reply_text", "class_id", "method_id"), True, reply_text="", class_id=0, method_id=0)
    CloseOk = _method("Connection.CloseOk", 0x000A0033, ())
    Blocked = _method("Connection.Blocked", 0x000A003C, ("reason",), reason="")
    Unblocked = _method("Connection.Unblocked", 0x000A003D, ())


class Channel:
    """``channel.*`` methods."""

    Open = _method("Channel.Open", 0x0014000A, ("out_of_band",), True, out_of_band="")
    OpenOk = _method("Channel.OpenOk", 0x0014000B, ("channel_id",), channel_id="")
    Flow = _method("Channel.Flow", 0x00140014, ("active",), True)
    FlowOk = _method("Channel.FlowOk", 0x00140015, ("active",))
    Close = _method("Channel.Close", 0x00140028, ("reply_code", "reply_text", "class_id", "method_id"), True, reply_text="", class_id=0, method_id=0)
    CloseOk = _method("Channel.CloseOk", 0x00140029, ())


class Exchange:
    """``exchange.*`` methods."""

    Declare = _method("Exchange.Declare", 0x0028000A, ("ticket", "exchange", "type", "passive", "durable", "auto_delete", "internal", "nowait", "arguments"), True, ticket=0, type="direct", passive=False, durable=False, auto_delete=False, internal=False, nowait=False)
    DeclareOk = _method("Exchange.DeclareOk", 0x0028000B, ())
    Delete = _method("Exchange.Delete", 0x00280014, ("ticket", "exchange", "if_unused", "nowait"), True, ticket=0, if_unused=False, nowait=False)
    DeleteOk = _method("Exchange.DeleteOk", 0x00280015, ())
    Bind = _method("Exchange.Bind", 0x0028001E, ("ticket", "destination", "source", "routing_key", "nowait", "arguments"), True, ticket=0, routing_key="", nowait=False)
    BindOk = _method("Exchange.BindOk", 0x0028001F, ())
    Unbind = _method("Exchange.Unbind", 0x00280028, ("ticket", "destination", "source", "routing_key", "nowait", "arguments"), True, ticket=0, routing_key="", nowait=False)
    UnbindOk = _method("Exchange.UnbindOk", 0x00280033, ())


class Queue:
    """``queue.*`` methods."""

    Declare = _method("Queue.Declare", 0x0032000A, ("ticket", "queue", "passive", "durable", "exclusive", "auto_delete", "nowait", "arguments"), True, ticket=0, queue="", passive=False, durable=False, exclusive=False, auto_delete=False, nowait=False)
    DeclareOk = _method("Queue.DeclareOk", 0x0032000B, ("queue", "message_count", "consumer_count"), message_count=0, consumer_count=0)
    Bind = _method("Queue.Bind", 0x00320014, ("ticket", "queue", "exchange", "routing_key", "nowait", "arguments"), True, ticket=0, queue="", routing_key="", nowait=False)
    BindOk = _method("Queue.BindOk", 0x00320015, ())
    Purge = _method("Queue.Purge", 0x0032001E, ("ticket", "queue", "nowait"), True, ticket=0, queue="", nowait=False)
    PurgeOk = _method("Queue.PurgeOk", 0x0032001F, ("message_count",))
    Delete = _method("Queue.Delete", 0x00320028, ("ticket", "queue", "if_unused", "if_empty", "nowait"), True, ticket=0, queue="", if_unused=False, if_empty=False, nowait=False)
    DeleteOk = _method("Queue.DeleteOk", 0x00320029, ("message_count",))
    Unbind = _method("Queue.Unbind", 0x00320032, ("ticket", "queue", "exchange", "routing_key", "arguments"), True, ticket=0, queue="", routing_key="")
    UnbindOk = _method("Queue.UnbindOk", 0x00320033, ())


class Basic:
    """``basic.*`` methods."""

    Qos = _method("Basic.Qos", 0x003C000A, ("prefetch_size", "prefetch_count", "global_qos"), True, prefetch_size=0, prefetch_count=0, global_qos=False)
    QosOk = _method("Basic.QosOk", 0x003C000B, ())
    Consume = _method("Basic.Consume", 0x003C0014, ("ticket", "queue", "consumer_tag", "no_local", "no_ack", "exclusive", "nowait", "arguments"), True, ticket=0, queue="", consumer_tag="", no_local=False, no_ack=False, exclusive=False, nowait=False)
    ConsumeOk = _method("Basic.ConsumeOk", 0x003C0015, ("consumer_tag",))
    Cancel = _method("Basic.Cancel", 0x003C001E, ("consumer_tag", "nowait"), True, nowait=False)
    CancelOk = _method("Basic.CancelOk", 0x003C001F, ("consumer_tag",))
    Publish = _method("Basic.Publish", 0x003C0028, ("ticket", "exchange", "routing_key", "mandatory", "immediate"), ticket=0, exchange="", routing_key="", mandatory=False, immediate=False)
    Return = _method("Basic.Return", 0x003C0032, ("reply_code", "reply_text", "exchange", "routing_key"), reply_text="")
    Deliver = _Deliver
    Get = _method("Basic.Get", 0x003C0046, ("ticket", "queue", "no_ack"), True, ticket=0, queue="", no_ack=False)
    GetOk = _GetOk
    GetEmpty = _method("Basic.GetEmpty", 0x003C0048, ("cluster_id",), cluster_id="")
    Ack = _method("Basic.Ack", 0x003C0050, ("delivery_tag", "multiple"), delivery_tag=0, multiple=False)
    Reject = _method("Basic.Reject", 0x003C005A, ("delivery_tag", "requeue"), requeue=True)
    RecoverAsync = _method("Basic.RecoverAsync", 0x003C0064, ("requeue",), requeue=False)
    Recover = _method("Basic.Recover", 0x003C006E, ("requeue",), True, requeue=False)
    RecoverOk = _method("Basic.RecoverOk", 0x003C006F, ())
    Nack = _method("Basic.Nack", 0x003C0078, ("delivery_tag", "multiple", "requeue"), delivery_tag=0, multiple=False, requeue=True)


class Tx:
    """``tx.*`` methods."""

    Select = _method("Tx.Select", 0x005A000A, (), True)
    SelectOk = _method("Tx.SelectOk", 0x005A000B, ())
    Commit = _method("Tx.Commit", 0x005A0014, (), True)
    CommitOk = _method("Tx.CommitOk", 0x005A0015, ())
    Rollback = _method("Tx.Rollback", 0x005A001E, (), True)
    RollbackOk = _method("Tx.RollbackOk", 0x005A001F, ())


class Confirm:
    """``confirm.*`` methods."""

    Select = _method("Confirm.Select", 0x0055000A, ("nowait",), True, nowait=False)
    SelectOk = _method("Confirm.SelectOk", 0x0055000B, ())
