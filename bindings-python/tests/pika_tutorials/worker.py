#!/usr/bin/env python
import os
import time

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.queue_declare(queue=PREFIX + "task_queue", durable=True)
print(" [*] Waiting for messages. To exit press CTRL+C", flush=True)


def callback(ch, method, properties, body):
    print(f" [x] Received {body.decode()}", flush=True)
    time.sleep(body.count(b".") / 10)
    print(" [x] Done", flush=True)
    ch.basic_ack(delivery_tag=method.delivery_tag)


channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue=PREFIX + "task_queue", on_message_callback=callback)

try:
    channel.start_consuming()
except KeyboardInterrupt:
    print("Interrupted", flush=True)
    connection.close()
