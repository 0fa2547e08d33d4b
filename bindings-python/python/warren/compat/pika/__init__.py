"""pika's ``BlockingConnection`` API on Warren: ``from warren.compat import pika``.

Existing code written for pika's blocking adapter runs unchanged; what differs, on purpose
or by necessity, is documented in ``warren.compat.pika.adapters.blocking_connection``.
"""

from __future__ import annotations

from . import adapters, connection, credentials, delivery_mode, exceptions, exchange_type, frame, spec
from .adapters.blocking_connection import BlockingChannel, BlockingConnection
from .connection import ConnectionParameters, SSLOptions, URLParameters
from .credentials import PlainCredentials
from .delivery_mode import DeliveryMode
from .exchange_type import ExchangeType
from .spec import BasicProperties

#: The pika version whose API this module follows.
__version__ = "1.3.2"

__all__ = [
    "BasicProperties",
    "BlockingChannel",
    "BlockingConnection",
    "ConnectionParameters",
    "DeliveryMode",
    "ExchangeType",
    "PlainCredentials",
    "SSLOptions",
    "URLParameters",
    "adapters",
    "connection",
    "credentials",
    "delivery_mode",
    "exceptions",
    "exchange_type",
    "frame",
    "spec",
]
