"""A stand-in for Telegram's Bot API on 127.0.0.1: the real request and reply formats, recorded.

Answers `/bot<token>/<method>` for getMe, sendMessage, answerCallbackQuery and setWebhook,
and can be told to answer the next sendMessage calls with 429 (retry_after) or 403 (blocked).
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.fakes import reply_json


@dataclass
class FakeTelegram:
    sent: list[dict] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *failures: dict) -> None:
        with self.lock:
            self.failures.extend(failures)

    def to(self, chat_id: int) -> list[dict]:
        with self.lock:
            return [m for m in self.sent if int(m["chat_id"]) == chat_id]

    def start(self, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
        """Serve on `port` (any free one by default); a Telegram that comes back late, at the
        address it had, starts on that address."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(body or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(body).items()}
                with fake.lock:
                    fake.calls.append(method)
                    failure = fake.failures.pop(0) if method == "sendMessage" and fake.failures else None
                    if method == "sendMessage" and failure is None:
                        markup = params.get("reply_markup")
                        params["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
                        fake.sent.append(params)
                        message_id = len(fake.sent)
                if failure is not None:
                    return self._reply(failure["error_code"], {"ok": False, **failure})
                if method == "getMe":
                    result = {
                        "id": 777,
                        "is_bot": True,
                        "first_name": "Concord",
                        "username": "concord_test_bot",
                    }
                elif method == "sendMessage":
                    result = {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "text": params.get("text"),
                        "chat": {"id": int(params["chat_id"]), "type": "private"},
                    }
                else:
                    result = True
                self._reply(200, {"ok": True, "result": result})

            def _reply(self, status: int, body: dict) -> None:
                reply_json(self, status, body)

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"
