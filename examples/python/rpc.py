"""RPC between teams: a server answers requests on `rpc-requests`; the client waits for the
reply over direct reply-to (`reply_to` and `correlation_id` are set for it).
Run: python rpc.py [AMQP_URL]
"""

from __future__ import annotations

import os
import sys
import threading

import warren

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@localhost:5672/%2f")


def serve(ready: threading.Event, stop: threading.Event) -> None:
    with warren.connect(URL) as conn:
        ch = conn.channel()
        ch.queue_declare("rpc-requests", exclusive=True)
        ready.set()
        for msg in ch.consume("rpc-requests", inactivity_timeout=0.2):
            if stop.is_set():
                return
            if msg is None:
                continue
            n = int(msg.body)
            reply = warren.BasicProperties(correlation_id=msg.properties.correlation_id)
            ch.basic_publish("", msg.properties.reply_to or "", str(n * n), reply)
            msg.ack()


def main() -> None:
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=serve, args=(ready, stop))
    server.start()
    try:
        if not ready.wait(10):
            raise SystemExit("the RPC server did not start")
        with warren.connect(URL) as conn:
            rpc = conn.rpc_client()
            for n in (2, 3, 12):
                reply = rpc.call("", "rpc-requests", str(n), timeout=10)
                print(f"{n}^2 = {reply.body.decode()}")
                assert int(reply.body) == n * n
    finally:
        stop.set()
        server.join()


if __name__ == "__main__":
    main()
