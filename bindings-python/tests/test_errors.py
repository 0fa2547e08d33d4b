"""The one mapping from core errors to Python exceptions: one test per mapping (through
`_error_for_test`, which builds each core error and maps it as a real failure is mapped),
plus the hierarchy."""

from __future__ import annotations

import pytest

import warren
from warren import _native, exceptions

CASES = [
    # (core error kind, reply code given, exception class, reply code expected)
    ("ChannelClosed", 404, warren.NotFound, 404),
    ("ChannelClosed", 403, warren.AccessRefused, 403),
    ("ChannelClosed", 405, warren.ResourceLocked, 405),
    ("ChannelClosed", 406, warren.PreconditionFailed, 406),
    ("ChannelClosed", 312, warren.ChannelClosed, 312),
    ("ConnectionClosed", 320, warren.ConnectionClosed, 320),
    ("ConnectionClosed", 403, warren.AuthenticationError, 403),
    ("ConnectionClosed", 541, warren.ConnectionClosed, 541),
    ("ConnectionClosedByClient", 0, warren.ConnectionClosed, 0),
    ("ChannelClosedByClient", 0, warren.ChannelClosed, 0),
    ("Protocol", 0, warren.ConnectionClosed, 0),
    ("Decode", 0, warren.ConnectionClosed, 0),
    ("Tls", 0, warren.ConnectionClosed, 0),
    ("Io", 0, warren.ConnectionLost, 0),
    ("MissedHeartbeats", 0, warren.ConnectionLost, 0),
    ("ConnectionLost", 0, warren.ConnectionLost, 0),
    ("ConnectionLostByBrokerClose", 503, warren.ConnectionLost, 503),
    ("InvalidUri", 0, warren.InvalidArgument, 0),
    ("InvalidArgument", 0, warren.InvalidArgument, 0),
    ("AuthenticationFailed", 0, warren.AuthenticationError, 403),
    ("MechanismNotOffered", 0, warren.AuthenticationError, 403),
    ("ConnectTimeout", 0, warren.ConnectionFailed, 0),
    ("AllHostsFailed", 0, warren.ConnectionFailed, 0),
    ("AllHostsFailedAuth", 0, warren.AuthenticationError, 403),
    ("Timeout", 0, warren.Timeout, 0),
    ("ConsumerCancelled", 0, warren.ConsumerCancelled, 0),
    ("ChannelsExhausted", 0, warren.ChannelsExhausted, 0),
    ("InvalidState", 0, warren.InvalidState, 0),
    ("UsedAfterFork", 0, warren.InvalidState, 0),
    ("StaleDeliveryTag", 0, warren.InvalidState, 0),
    ("PublishUnconfirmed", 0, warren.Nacked, 0),
    ("Unroutable", 312, warren.Unroutable, 312),
    ("MessageTooLarge", 0, warren.ChannelClosed, 311),
    ("BadContent", 505, warren.ChannelClosed, 505),
]


@pytest.mark.parametrize(("kind", "code", "cls", "expected_code"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_core_error_maps_to_its_exception(kind: str, code: int, cls: type, expected_code: int) -> None:
    exc = _native._error_for_test(kind, code, "the text")
    assert type(exc) is cls
    assert isinstance(exc, warren.AMQPError)
    assert exc.reply_code == expected_code
    if code:
        # A close from the broker keeps its text, class and method.
        assert exc.reply_text == "the text"
        assert (exc.class_id, exc.method_id) == (50, 10)
    assert str(exc)


@pytest.mark.parametrize("kind", ["ConnectionClosed", "Io", "AllHostsFailed", "ConnectionLost", "ConnectionClosedByClient"])
def test_connection_errors_after_recovery_gave_up_are_recovery_failed(kind: str) -> None:
    exc = _native._error_for_test(kind, 320, "gone", recovery_failed=True)
    assert type(exc) is warren.RecoveryFailed
    assert isinstance(exc, warren.ConnectionClosed)


def test_channel_errors_stay_channel_errors_after_recovery_gave_up() -> None:
    exc = _native._error_for_test("ChannelClosed", 404, "x", recovery_failed=True)
    assert type(exc) is warren.NotFound


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        _native._error_for_test("NoSuchError")


def test_hierarchy() -> None:
    assert issubclass(warren.Timeout, TimeoutError)
    assert issubclass(warren.InvalidArgument, ValueError)
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, warren.AMQPError), name
        assert cls.__doc__, f"{name} has no docs"
    for cls in (warren.NotFound, warren.AccessRefused, warren.ResourceLocked, warren.PreconditionFailed):
        assert issubclass(cls, warren.ChannelClosed)
    for cls in (warren.AuthenticationError, warren.RecoveryFailed, warren.ConnectionLost, warren.ConnectionFailed):
        assert issubclass(cls, warren.ConnectionClosed)


def test_exceptions_can_be_raised_by_applications() -> None:
    e = warren.NotFound("no queue", reply_code=404, reply_text="NOT_FOUND - no queue 'x'")
    assert e.reply_code == 404 and e.class_id == 0
    assert "NotFound(404" in repr(e)


@pytest.mark.parametrize("kind", ["Io", "Tls", "ConnectTimeout"])
def test_socket_errors_while_connecting_are_connection_failed(kind: str) -> None:
    exc = _native._error_for_test(kind, connecting=True)
    assert type(exc) is warren.ConnectionFailed
