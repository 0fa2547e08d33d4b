#!/usr/bin/env python
import os
import sys

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.exchange_declare(exchange=PREFIX + "topic_logs", exchange_type="topic")

routing_key = sys.argv[1] if len(sys.argv) > 1 else "anonymous.info"
message = " ".join(sys.argv[2:]) or "Hello World!"
channel.basic_publish(exchange=PREFIX + "topic_logs", routing_key=routing_key, body=message)
print(f" [x] Sent {routing_key}:{message}", flush=True)
connection.close()
