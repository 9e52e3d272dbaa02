"""A local SMTP sink: accepts every message on 127.0.0.1 and appends its Message-ID to a
file, one a line. Runs until terminated.

    python -m bench.sink --port 2525 --out .var/bench/sink.txt
"""

from __future__ import annotations

import argparse
import signal
import threading
from email import message_from_bytes

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: str):
        self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.file.write(f"{message.get('Message-ID', '').strip()}\n")
        return "250 OK"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    controller = Controller(Recorder(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait(timeout=3600)
    controller.stop()
