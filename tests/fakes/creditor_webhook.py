"""The creditor's webhook endpoint on 127.0.0.1: records every delivery with its headers and
can be told to answer the next few with an error, to exercise retries."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    body: bytes
    signature: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class CreditorWebhook:
    received: list[Delivery] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # HTTP statuses for the next requests
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.failures.extend(statuses)

    def events(self, kind: str | None = None) -> list[dict]:
        with self.lock:
            return [d.event for d in self.received if kind is None or d.event["type"] == kind]

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake.lock:
                    fake.attempts += 1
                    status = fake.failures.pop(0) if fake.failures else 204
                    if status < 300:
                        fake.received.append(Delivery(body, self.headers.get("Concord-Signature", "")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}/concord-events"
