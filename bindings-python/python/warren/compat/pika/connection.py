"""pika.connection: ConnectionParameters and URLParameters.

They only hold settings; ``BlockingConnection`` turns them into a Warren URL and options.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Callable, Optional, Union

from .credentials import ExternalCredentials, PlainCredentials

__all__ = ["Parameters", "ConnectionParameters", "URLParameters", "SSLOptions"]

_DEFAULT = object()


class SSLOptions:
    """TLS settings (``amqps``). Warren reads certificate files, not an ``ssl.SSLContext``:
    pass ``cafile``/``certfile``/``keyfile`` attributes on the context object, or use an
    ``amqps://`` URL with ``cacertfile``/``certfile``/``keyfile`` query parameters."""

    def __init__(self, context: Any, server_hostname: Optional[str] = None) -> None:
        self.context = context
        self.server_hostname = server_hostname


class Parameters:
    """Settings shared by ConnectionParameters and URLParameters, with pika's defaults."""

    DEFAULT_HOST = "localhost"
    DEFAULT_PORT = 5672
    DEFAULT_SSL_PORT = 5671
    DEFAULT_VIRTUAL_HOST = "/"
    DEFAULT_USERNAME = "guest"
    DEFAULT_PASSWORD = "guest"
    DEFAULT_CREDENTIALS = PlainCredentials(DEFAULT_USERNAME, DEFAULT_PASSWORD)
    DEFAULT_HEARTBEAT_TIMEOUT: Optional[int] = None
    DEFAULT_CHANNEL_MAX = 65535
    DEFAULT_FRAME_MAX = 131072
    DEFAULT_CONNECTION_ATTEMPTS = 1
    DEFAULT_RETRY_DELAY = 2.0
    DEFAULT_SOCKET_TIMEOUT = 10.0
    DEFAULT_STACK_TIMEOUT = 15.0
    DEFAULT_BLOCKED_CONNECTION_TIMEOUT: Optional[float] = None
    DEFAULT_CLIENT_PROPERTIES: Optional[dict[str, Any]] = None
    DEFAULT_LOCALE = "en_US"
    DEFAULT_SSL_OPTIONS: Optional[SSLOptions] = None
    DEFAULT_TCP_OPTIONS: Optional[dict[str, Any]] = None

    def __init__(self) -> None:
        self.host = self.DEFAULT_HOST
        self.port = self.DEFAULT_PORT
        self.virtual_host = self.DEFAULT_VIRTUAL_HOST
        self.credentials: Union[PlainCredentials, ExternalCredentials] = self.DEFAULT_CREDENTIALS
        self.heartbeat: Union[int, None, Callable[..., Optional[int]]] = self.DEFAULT_HEARTBEAT_TIMEOUT
        self.channel_max = self.DEFAULT_CHANNEL_MAX
        self.frame_max = self.DEFAULT_FRAME_MAX
        self.connection_attempts = self.DEFAULT_CONNECTION_ATTEMPTS
        self.retry_delay = self.DEFAULT_RETRY_DELAY
        self.socket_timeout: Optional[float] = self.DEFAULT_SOCKET_TIMEOUT
        self.stack_timeout: Optional[float] = self.DEFAULT_STACK_TIMEOUT
        self.blocked_connection_timeout = self.DEFAULT_BLOCKED_CONNECTION_TIMEOUT
        self.client_properties = self.DEFAULT_CLIENT_PROPERTIES
        self.locale = self.DEFAULT_LOCALE
        self.ssl_options = self.DEFAULT_SSL_OPTIONS
        self.tcp_options = self.DEFAULT_TCP_OPTIONS

    def __repr__(self) -> str:
        return f"<{type(self).__name__} host={self.host} port={self.port} virtual_host={self.virtual_host} ssl={self.ssl_options is not None}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Parameters):
            return self.__dict__ == other.__dict__
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def _warren_url(self) -> str:
        """The AMQP URL Warren connects to."""
        scheme = "amqps" if self.ssl_options is not None else "amqp"
        creds = self.credentials
        userinfo = ""
        if isinstance(creds, PlainCredentials):
            userinfo = (
                urllib.parse.quote(creds.username, safe="")
                + ":"
                + urllib.parse.quote(creds.password, safe="")
                + "@"
            )
        host = f"[{self.host}]" if ":" in self.host else self.host
        vhost = urllib.parse.quote(self.virtual_host, safe="")
        query = {}
        if isinstance(creds, ExternalCredentials):
            query["auth_mechanism"] = "external"
        ssl = self.ssl_options
        if ssl is not None:
            for attr, key in (("cafile", "cacertfile"), ("certfile", "certfile"), ("keyfile", "keyfile")):
                value = getattr(ssl.context, attr, None)
                if value:
                    query[key] = value
            if ssl.server_hostname:
                query["server_name_indication"] = ssl.server_hostname
        qs = ("?" + urllib.parse.urlencode(query)) if query else ""
        return f"{scheme}://{userinfo}{host}:{self.port}/{vhost}{qs}"

    def _warren_options(self) -> dict[str, Any]:
        """Keyword options for ``warren.connect``."""
        opts: dict[str, Any] = {}
        heartbeat = self.heartbeat
        if callable(heartbeat):
            # pika calls it with the broker's proposal; Warren negotiates in its core, so ask
            # it with RabbitMQ's default proposal.
            heartbeat = heartbeat(None, 60)
        if heartbeat is not None:
            opts["heartbeat"] = int(heartbeat)
        if self.channel_max != self.DEFAULT_CHANNEL_MAX:
            opts["channel_max"] = int(self.channel_max)
        opts["frame_max"] = int(self.frame_max)
        if self.socket_timeout is not None or self.stack_timeout is not None:
            limits = [t for t in (self.socket_timeout, self.stack_timeout) if t is not None]
            opts["connection_timeout"] = float(max(limits))
        if self.blocked_connection_timeout is not None:
            opts["publish_timeout"] = float(self.blocked_connection_timeout)
        # Recovery, bounded: a lost link is reconnected behind the same objects if the broker
        # is back within a few seconds (at least ``connection_attempts`` attempts, ~8 s by
        # default); after that the program sees pika's StreamLostError, as it would at once
        # with pika, instead of waiting for the broker indefinitely.
        attempts = max(int(self.connection_attempts or 1), RECOVERY_MIN_ATTEMPTS)
        opts["recovery_max_attempts"] = attempts
        opts["recovery_max_delay"] = max(float(self.retry_delay or 0), 1.0)
        if self.client_properties:
            props = dict(self.client_properties)
            name = props.get("connection_name")
            if isinstance(name, str):
                opts["connection_name"] = name
            opts["client_properties"] = props
        return opts


#: Reconnection attempts after a lost link before calls raise StreamLostError (0.1 s, then
#: doubling up to ``max(retry_delay, 1)`` s between attempts: about 8 s in all by default).
RECOVERY_MIN_ATTEMPTS = 10


class ConnectionParameters(Parameters):
    """pika.ConnectionParameters: every argument optional, pika's defaults."""

    def __init__(
        self,
        host: Any = _DEFAULT,
        port: Any = _DEFAULT,
        virtual_host: Any = _DEFAULT,
        credentials: Any = _DEFAULT,
        channel_max: Any = _DEFAULT,
        frame_max: Any = _DEFAULT,
        heartbeat: Any = _DEFAULT,
        ssl_options: Any = _DEFAULT,
        connection_attempts: Any = _DEFAULT,
        retry_delay: Any = _DEFAULT,
        socket_timeout: Any = _DEFAULT,
        stack_timeout: Any = _DEFAULT,
        locale: Any = _DEFAULT,
        blocked_connection_timeout: Any = _DEFAULT,
        client_properties: Any = _DEFAULT,
        tcp_options: Any = _DEFAULT,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        given = dict(
            host=host,
            port=port,
            virtual_host=virtual_host,
            credentials=credentials,
            channel_max=channel_max,
            frame_max=frame_max,
            heartbeat=heartbeat,
            ssl_options=ssl_options,
            connection_attempts=connection_attempts,
            retry_delay=retry_delay,
            socket_timeout=socket_timeout,
            stack_timeout=stack_timeout,
            locale=locale,
            blocked_connection_timeout=blocked_connection_timeout,
            client_properties=client_properties,
            tcp_options=tcp_options,
        )
        if kwargs:
            raise TypeError(f"unexpected kwargs: {kwargs!r}")
        for name, value in given.items():
            if value is not _DEFAULT:
                setattr(self, name, value)
        if ssl_options not in (_DEFAULT, None) and port is _DEFAULT:
            self.port = self.DEFAULT_SSL_PORT
        if not isinstance(self.credentials, (PlainCredentials, ExternalCredentials)):
            raise TypeError(f"credentials must be PlainCredentials or ExternalCredentials, not {self.credentials!r}")
        if not isinstance(self.port, int):
            raise TypeError(f"port must be an int, not {self.port!r}")


class URLParameters(Parameters):
    """pika.URLParameters: ``amqp[s]://user:pass@host:port/vhost?heartbeat=..&...`` with
    pika's query parameters (``heartbeat``, ``channel_max``, ``frame_max``,
    ``connection_attempts``, ``retry_delay``, ``socket_timeout``, ``stack_timeout``,
    ``blocked_connection_timeout``, ``locale``, ``ssl_options``)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        if url.startswith("amqps://") or url.startswith("amqp://"):
            parsed = urllib.parse.urlparse(url)
        else:
            raise ValueError(f"unexpected URL scheme in {url!r}; expected amqp or amqps")
        if parsed.scheme == "amqps":
            self.port = self.DEFAULT_SSL_PORT
            self.ssl_options = SSLOptions(context=None)
        if parsed.hostname:
            self.host = parsed.hostname
        if parsed.port:
            self.port = parsed.port
        if parsed.username is not None:
            self.credentials = PlainCredentials(
                urllib.parse.unquote(parsed.username),
                urllib.parse.unquote(parsed.password or ""),
            )
        path = parsed.path
        if path and path != "/":
            self.virtual_host = urllib.parse.unquote(path[1:])
        elif path == "/":
            self.virtual_host = self.DEFAULT_VIRTUAL_HOST
        query = urllib.parse.parse_qs(parsed.query)
        for name, values in query.items():
            value = values[-1]
            if name in ("heartbeat", "heartbeat_interval"):
                self.heartbeat = int(value)
            elif name == "channel_max":
                self.channel_max = int(value)
            elif name == "frame_max":
                self.frame_max = int(value)
            elif name == "connection_attempts":
                self.connection_attempts = int(value)
            elif name == "retry_delay":
                self.retry_delay = float(value)
            elif name == "socket_timeout":
                self.socket_timeout = float(value)
            elif name == "stack_timeout":
                self.stack_timeout = float(value)
            elif name == "blocked_connection_timeout":
                self.blocked_connection_timeout = float(value)
            elif name == "locale":
                self.locale = value
            elif name == "ssl_options":
                self.ssl_options = SSLOptions(context=None)
            elif name == "tcp_options":
                self.tcp_options = {}
            # pika ignores nothing silently either, but Warren has no use for the others
            # (e.g. backpressure_detection); they are accepted and ignored.
