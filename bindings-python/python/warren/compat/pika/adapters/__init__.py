"""pika.adapters: only the blocking adapter exists in ``warren.compat.pika``."""

from .blocking_connection import BlockingConnection

__all__ = ["BlockingConnection"]
