"""Image upload (the talk's second pattern): one upload, three independent reactions.

The fanout exchange `upload-pictures` copies every upload (JSON: image_id, user_id,
image_path) to the queues `resize-picture`, `reward-user` and `notify-friends`; each consumer
acknowledges by hand. One `start_consuming` loop serves all three consumers here.
Run: python image_upload.py [AMQP_URL]
"""

from __future__ import annotations

import json
import os
import sys
from typing import Callable

import warren

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@localhost:5672/%2f")
QUEUES = ("resize-picture", "reward-user", "notify-friends")
UPLOADS = 5


def main() -> None:
    with warren.connect(URL) as conn:
        ch = conn.channel()
        ch.exchange_declare("upload-pictures", "fanout", durable=True)
        for q in QUEUES:
            ch.queue_declare(q, durable=True)
            ch.queue_bind(q, "upload-pictures")
            ch.queue_purge(q)

        for i in range(UPLOADS):
            upload = {"image_id": i, "user_id": 100 + i, "image_path": f"/uploads/{i}.jpg"}
            ch.basic_publish(
                "upload-pictures", "", json.dumps(upload).encode(),
                warren.BasicProperties(content_type="application/json", delivery_mode=warren.PERSISTENT),
            )

        handled: dict[str, list[int]] = {q: [] for q in QUEUES}

        def handler(queue: str) -> Callable[[warren.Message], None]:
            def on_message(msg: warren.Message) -> None:
                event = msg.json()
                handled[queue].append(int(event["image_id"]))
                msg.ack()
                if all(len(v) == UPLOADS for v in handled.values()):
                    ch.stop_consuming()

            return on_message

        for q in QUEUES:
            ch.basic_consume(q, handler(q))
        ch.start_consuming()
        for q, ids in handled.items():
            print(f"{q}: handled uploads {sorted(ids)}")
            assert sorted(ids) == list(range(UPLOADS))
        # The queues and the exchange exist only for this demo.
        for q in QUEUES:
            ch.queue_delete(q)
        ch.exchange_delete("upload-pictures")


if __name__ == "__main__":
    main()
