#!/usr/bin/env python
import os
import sys

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()

channel.exchange_declare(exchange=PREFIX + "direct_logs", exchange_type="direct")

result = channel.queue_declare(queue="", exclusive=True)
queue_name = result.method.queue

severities = sys.argv[1:]
if not severities:
    sys.stderr.write("Usage: %s [info] [warning] [error]\n" % sys.argv[0])
    sys.exit(1)

for severity in severities:
    channel.queue_bind(exchange=PREFIX + "direct_logs", queue=queue_name, routing_key=severity)

print(" [*] Waiting for logs. To exit press CTRL+C", flush=True)


def callback(ch, method, properties, body):
    print(f" [x] {method.routing_key}:{body}", flush=True)


channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)

try:
    channel.start_consuming()
except KeyboardInterrupt:
    print("Interrupted", flush=True)
