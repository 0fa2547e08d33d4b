#!/usr/bin/env python
import os

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.exchange_declare(exchange=PREFIX + "logs", exchange_type="fanout")

result = channel.queue_declare(queue="", exclusive=True)
queue_name = result.method.queue

channel.queue_bind(exchange=PREFIX + "logs", queue=queue_name)

print(" [*] Waiting for logs. To exit press CTRL+C", flush=True)


def callback(ch, method, properties, body):
    print(f" [x] {body}", flush=True)


channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)

try:
    channel.start_consuming()
except KeyboardInterrupt:
    print("Interrupted", flush=True)
