"""pika.credentials."""

from __future__ import annotations


class PlainCredentials:
    """User name and password for the PLAIN mechanism."""

    TYPE = "PLAIN"

    def __init__(self, username: str, password: str, erase_on_connect: bool = False) -> None:
        self.username = username
        self.password = password
        self.erase_on_connect = erase_on_connect

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PlainCredentials):
            return (self.username, self.password, self.erase_on_connect) == (
                other.username,
                other.password,
                other.erase_on_connect,
            )
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]


class ExternalCredentials:
    """The EXTERNAL mechanism (identity from the TLS client certificate)."""

    TYPE = "EXTERNAL"

    def __init__(self) -> None:
        self.erase_on_connect = False


VALID_TYPES = [PlainCredentials, ExternalCredentials]
