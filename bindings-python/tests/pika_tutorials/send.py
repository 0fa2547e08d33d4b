#!/usr/bin/env python
import os

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.queue_declare(queue=PREFIX + "hello")

channel.basic_publish(exchange="", routing_key=PREFIX + "hello", body="Hello World!")
print(" [x] Sent 'Hello World!'", flush=True)
connection.close()
