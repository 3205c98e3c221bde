"""A stand-in for Twilio's REST API on 127.0.0.1: takes the real request format, records it.

It answers `POST /2010-04-01/Accounts/{sid}/Messages.json` as Twilio does, and can be told
to fail the next few requests (500, 429 or a permanent error) to exercise retries.
"""

import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.fakes import reply_json


@dataclass
class FakeTwilio:
    sent: list[dict[str, str]] = field(default_factory=list)
    failures: list[tuple[int, int | None]] = field(default_factory=list)  # (HTTP status, Twilio code)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *failures: tuple[int, int | None]) -> None:
        with self.lock:
            self.failures.extend(failures)

    def to(self, number: str) -> list[str]:
        with self.lock:
            return [m.get("Body", "") for m in self.sent if m["To"] == number]

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.attempts += 1
                    failure = fake.failures.pop(0) if fake.failures else None
                    if failure is None:
                        sid = "SM" + uuid.uuid4().hex
                        fake.sent.append(form | {"sid": sid})
                if failure is not None:
                    status, code = failure
                    body = {"code": code, "message": "fake failure", "more_info": "", "status": status}
                    return self._reply(status, body)
                return self._reply(
                    201,
                    {
                        "sid": sid,
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "account_sid": self.path.split("/")[3],
                        "api_version": "2010-04-01",
                    },
                )

            def _reply(self, status: int, body: dict) -> None:
                reply_json(self, status, body)

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"
