"""Batch processing (the talk's first pattern): a web app hands slow work to workers.

A direct exchange `video-desc-ex` routes persistent jobs to the durable queue
`video-desc-queue`; any number of workers share it, one job at a time each (prefetch 1), and
acknowledge a job only when it is done. Run: python batch_processing.py [AMQP_URL]
"""

from __future__ import annotations

import os
import sys
import threading

import warren

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WARREN_TEST_URI", "amqp://guest:guest@localhost:5672/%2f")
JOBS = 20
WORKERS = 3


def setup(ch: warren.Channel) -> None:
    ch.exchange_declare("video-desc-ex", "direct", durable=True)
    ch.queue_declare("video-desc-queue", durable=True)
    ch.queue_bind("video-desc-queue", "video-desc-ex", "video-desc")


def worker(name: str, done: list[str], lock: threading.Lock, finished: threading.Event) -> None:
    with warren.connect(URL) as conn:
        ch = conn.channel()
        ch.basic_qos(prefetch_count=1)
        for msg in ch.consume("video-desc-queue", inactivity_timeout=0.2):
            if msg is None:
                if finished.is_set():
                    return
                continue
            description = msg.body.decode()  # the slow work would happen here
            msg.ack()
            with lock:
                done.append(f"{name}: {description}")
                if len(done) == JOBS:
                    finished.set()


def main() -> None:
    with warren.connect(URL) as conn:
        ch = conn.channel()
        setup(ch)
        ch.queue_purge("video-desc-queue")
        done: list[str] = []
        lock = threading.Lock()
        finished = threading.Event()
        workers = [threading.Thread(target=worker, args=(f"worker-{i}", done, lock, finished)) for i in range(WORKERS)]
        for w in workers:
            w.start()
        ch.confirm_select()
        persistent = warren.BasicProperties(delivery_mode=warren.PERSISTENT, content_type="text/plain")
        for i in range(JOBS):
            ch.basic_publish("video-desc-ex", "video-desc", f"describe video {i}", persistent)
        assert ch.wait_for_confirms(timeout=30), "the broker nacked a job"
        if not finished.wait(60):
            raise SystemExit(f"only {len(done)} of {JOBS} jobs were done")
        for w in workers:
            w.join()
        print(f"{len(done)} jobs done by {len({d.split(':')[0] for d in done})} workers")


if __name__ == "__main__":
    main()
