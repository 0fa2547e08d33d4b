"""Distributed logging (the talk's third pattern): listeners come and go.

Servers publish to the topic exchange `logs` with routing keys `server.module.action.level`;
one listener binds `server1.#` (everything from server1), another `#.error` (errors from
anywhere). Run: python distributed_logging.py [AMQP_URL]
"""

from __future__ import annotations

import os
import sys

import warren

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@localhost:5672/%2f")
# The talk's exchange is `logs`; a second argument names another (tests use a fresh one).
EXCHANGE = sys.argv[2] if len(sys.argv) > 2 else "logs"

LOGS = [
    ("server1.user.profile.info", "profile viewed"),
    ("server1.user.login.error", "bad password"),
    ("server2.billing.charge.error", "card declined"),
    ("server2.user.profile.info", "profile edited"),
]


def listen(ch: warren.Channel, pattern: str) -> str:
    q = ch.queue_declare("", exclusive=True).queue
    ch.queue_bind(q, EXCHANGE, pattern)
    return q


def drain(ch: warren.Channel, queue: str) -> list[str]:
    keys = []
    for msg in ch.consume(queue, auto_ack=True, inactivity_timeout=0.5):
        if msg is None:
            break
        keys.append(msg.routing_key)
    return keys


def main() -> None:
    with warren.connect(URL) as conn:
        ch = conn.channel()
        ch.exchange_declare(EXCHANGE, "topic")
        server1 = listen(ch, "server1.#")
        errors = listen(ch, "#.error")
        for key, text in LOGS:
            ch.basic_publish(EXCHANGE, key, text)
        got_server1 = drain(conn.channel(), server1)
        got_errors = drain(conn.channel(), errors)
        print("server1.# got", got_server1)
        print("#.error got", got_errors)
        assert got_server1 == ["server1.user.profile.info", "server1.user.login.error"]
        assert got_errors == ["server1.user.login.error", "server2.billing.charge.error"]


if __name__ == "__main__":
    main()
