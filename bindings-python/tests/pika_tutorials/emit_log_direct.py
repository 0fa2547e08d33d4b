#!/usr/bin/env python
import os
import sys

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.exchange_declare(exchange=PREFIX + "direct_logs", exchange_type="direct")

severity = sys.argv[1] if len(sys.argv) > 1 else "info"
message = " ".join(sys.argv[2:]) or "Hello World!"
channel.basic_publish(exchange=PREFIX + "direct_logs", routing_key=severity, body=message)
print(f" [x] Sent {severity}:{message}", flush=True)
connection.close()
