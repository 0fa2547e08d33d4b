"""Shared fixtures: the broker under test comes from WARREN_TEST_URI (default: the local
RabbitMQ); scripts/bindings/python.sh runs the suite once per broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

import warren

URI = os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@127.0.0.1:5672/%2f")


def with_query(uri: str, query: str) -> str:
    return f"{uri}&{query}" if "?" in uri else f"{uri}?{query}"


def unique(prefix: str) -> str:
    return f"warren-py.{prefix}.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def uri() -> str:
    return URI


@pytest.fixture
def conn() -> Iterator[warren.Connection]:
    c = warren.connect(URI)
    yield c
    c.close()


@pytest.fixture
def ch(conn: warren.Connection) -> warren.Channel:
    return conn.channel()


@pytest.fixture
def queue(ch: warren.Channel) -> str:
    """A fresh exclusive queue on `ch`'s connection."""
    return ch.queue_declare(unique("q"), exclusive=True).queue


def is_rabbitmq(conn: warren.Connection) -> bool:
    return conn.server_properties.get("product") == "RabbitMQ"
