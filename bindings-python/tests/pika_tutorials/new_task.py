#!/usr/bin/env python
import os
import sys

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.queue_declare(queue=PREFIX + "task_queue", durable=True)

message = " ".join(sys.argv[1:]) or "Hello World!"
channel.basic_publish(
    exchange="",
    routing_key=PREFIX + "task_queue",
    body=message,
    properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
)
print(f" [x] Sent {message}", flush=True)
connection.close()
