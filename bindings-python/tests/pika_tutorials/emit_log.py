#!/usr/bin/env python
import os
import sys

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.exchange_declare(exchange=PREFIX + "logs", exchange_type="fanout")

message = " ".join(sys.argv[1:]) or "info: Hello World!"
channel.basic_publish(exchange=PREFIX + "logs", routing_key="", body=message)
print(f" [x] Sent {message}", flush=True)
connection.close()
