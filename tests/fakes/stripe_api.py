"""A stand-in for Stripe's API on 127.0.0.1: the real request and reply formats, recorded.

It answers `POST /v1/checkout/sessions` as Stripe does: a form-encoded body in Stripe's bracket
notation (`line_items[0][price_data][unit_amount]=8000`) and a Checkout Session object back. It
can be told to refuse the next few requests with Stripe's error body. Beside it, what Stripe
sends to a webhook endpoint: an event and its `Stripe-Signature` header, signed as Stripe
documents (docs.stripe.com/webhooks#verify-manually): `t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<payload>" under the endpoint's secret>`.
"""

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes import reply_json

API_VERSION = "2026-10-28.endive"


@dataclass
class CheckoutRequest:
    """One `POST /v1/checkout/sessions` as it arrived: the form read back into Stripe's nesting."""

    params: dict[str, Any]
    authorization: str
    idempotency_key: str | None


@dataclass
class FakeStripe:
    requests: list[CheckoutRequest] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (HTTP status, error)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_next(self, status: int, error: dict[str, str]) -> None:
        """Refuse the next session with Stripe's error body, e.g. (400, {"type": "invalid_request_error",
        "code": "amount_too_large", "message": "..."})."""
        with self.lock:
            self.failures.append((status, error))

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def last(self) -> CheckoutRequest:
        with self.lock:
            return self.requests[-1]

    def session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.sessions[session_id])

    def start(self, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.path != "/v1/checkout/sessions":
                    return self._reply(
                        404, _error("invalid_request_error", f"Unrecognized request URL ({self.path}).")
                    )
                params = bracket_form(body)
                with fake.lock:
                    fake.requests.append(
                        CheckoutRequest(
                            params, self.headers.get("Authorization", ""), self.headers.get("Idempotency-Key")
                        )
                    )
                    failure = fake.failures.pop(0) if fake.failures else None
                    if failure is None:
                        created = checkout_session(params, fake.url)
                        fake.sessions[created["id"]] = created
                if failure is not None:
                    status, error = failure
                    return self._reply(status, {"error": error})
                return self._reply(200, created)

            def _reply(self, status: int, body: dict) -> None:
                reply_json(self, status, body)

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return server, self.url


def bracket_form(body: str) -> dict[str, Any]:
    """`a[b][0][c]=1&a[d]=2` → {"a": {"b": [{"c": "1"}], "d": "2"}}: how Stripe reads a request
    body. Values stay strings, as on the wire."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head, *(part.rstrip("]") for part in rest.split("[") if part)] if rest else [head]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Objects whose keys are 0, 1, 2… are arrays."""
    if not isinstance(node, dict):
        return node
    node = {key: _lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def checkout_session(params: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The Checkout Session Stripe answers a create request with: open and unpaid."""
    now = int(time.time())
    session_id = "cs_test_" + uuid.uuid4().hex + uuid.uuid4().hex[:24]
    items = params.get("line_items", [])
    total = sum(int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)) for item in items)
    currency = items[0]["price_data"]["currency"] if items else None
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "created": now,
        "currency": currency,
        "customer": None,
        "customer_details": None,
        "expires_at": int(params.get("expires_at") or now + 86_400),
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": params.get("metadata", {}),
        "mode": params.get("mode"),
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": params.get("success_url"),
        "url": f"{base_url}/c/pay/{session_id}",
    }


def paid(session: dict[str, Any], payment_intent: str | None = None) -> dict[str, Any]:
    """The same session once the customer has paid: what `checkout.session.completed` carries."""
    return session | {
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": payment_intent or "pi_" + uuid.uuid4().hex[:24],
    }


def refunded_charge(session: dict[str, Any], amount_refunded: int | None = None) -> dict[str, Any]:
    """The charge behind a paid session after a refund (all of it unless `amount_refunded`):
    what `charge.refunded` carries."""
    amount = session["amount_total"]
    refunded = amount if amount_refunded is None else amount_refunded
    return {
        "id": "ch_" + uuid.uuid4().hex[:24],
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "currency": session["currency"],
        "captured": True,
        "paid": True,
        "payment_intent": session["payment_intent"],
        "refunded": refunded == amount,
        "status": "succeeded",
        "livemode": False,
        "metadata": {},
    }


def event(event_type: str, data_object: dict[str, Any], created: int | None = None) -> dict[str, Any]:
    """A snapshot event as Stripe posts it to an endpoint."""
    return {
        "id": "evt_" + uuid.uuid4().hex[:24],
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def signed(body: dict[str, Any], secret: str, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The payload and headers of one delivery: Stripe signs every attempt afresh, so a retry of the
    same event carries a new timestamp and signature."""
    payload = json.dumps(body).encode()
    timestamp = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": f"t={timestamp},v1={mac}",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}
