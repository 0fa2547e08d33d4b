#!/usr/bin/env python
import os
import sys

from warren.compat import pika

PREFIX = os.environ.get("PREFIX", "")


def main():
    connection = pika.BlockingConnection(pika.URLParameters(os.environ["PIKA_URL"]))
    channel = connection.channel()

    channel.queue_declare(queue=PREFIX + "hello")

    def callback(ch, method, properties, body):
        print(f" [x] Received {body}", flush=True)

    channel.basic_consume(queue=PREFIX + "hello", on_message_callback=callback, auto_ack=True)

    print(" [*] Waiting for messages. To exit press CTRL+C", flush=True)
    channel.start_consuming()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("Interrupted", flush=True)
        try:
            sys.exit(0)
        except SystemExit:
            os._exit(0)
