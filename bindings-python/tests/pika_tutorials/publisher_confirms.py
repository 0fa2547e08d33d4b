#!/usr/bin/env python
# Publisher confirms with the blocking adapter: each basic_publish waits for the broker; a
# mandatory message no queue takes raises UnroutableError, a nacked one NackError.
import os

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")

connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
channel = connection.channel()
channel.queue_declare(queue=PREFIX + "confirmed", durable=True)
channel.confirm_delivery()

for i in range(5):
    channel.basic_publish(exchange="",
                          routing_key=PREFIX + "confirmed",
                          body=f"message {i}",
                          properties=pika.BasicProperties(content_type="text/plain",
                                                          delivery_mode=pika.DeliveryMode.Persistent),
                          mandatory=True)
    print(f" [x] Message {i} was published and confirmed", flush=True)

try:
    channel.basic_publish(exchange="",
                          routing_key=PREFIX + "nobody-listens-here",
                          body="lost?",
                          mandatory=True)
    print(" [!] Unroutable message was confirmed", flush=True)
except pika.exceptions.UnroutableError as e:
    returned = e.messages[0]
    print(f" [x] Message could not be confirmed: {returned.method.reply_code} "
          f"{returned.method.reply_text} {returned.body!r}", flush=True)

ok = channel.queue_declare(queue=PREFIX + "confirmed", durable=True, passive=True)
print(f" [x] Queue holds {ok.method.message_count} messages", flush=True)
channel.queue_delete(queue=PREFIX + "confirmed")
connection.close()
