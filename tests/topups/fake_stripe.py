"""A stand-in for Stripe's servers at the library's HTTP seam (``stripe.HTTPClient``).

The real ``StripeClient`` builds and sends real requests (form-encoded, with
the ``Idempotency-Key`` header); this answers them like Stripe would, honours
idempotency keys, and records every call, so tests see exactly what was sent.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import stripe

from payments.signing import sign

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


class FakeStripe(stripe.HTTPClient):
    name = "fake"

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, str, dict]] = []
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self._by_key: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self.fail_next: int | None = None  # HTTP status to answer the next call with
        self.refuse_refunds = False

    # --- the seam -------------------------------------------------------
    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        params = dict(parse_qsl(post_data or ""))
        with self._lock:
            self.calls.append((method.upper(), path, params))
            if self.fail_next:
                status, self.fail_next = self.fail_next, None
                return json.dumps({"error": {"type": "api_error", "message": "boom"}}), status, {}
            key = (headers or {}).get("Idempotency-Key")
            if method.lower() == "post" and key and key in self._by_key:
                body, status = self._by_key[key]
                return body, status, {"Idempotent-Replayed": "true"}
            body, status = self._route(method.lower(), path, params)
            if method.lower() == "post" and key:
                self._by_key[key] = (body, status)
            return body, status, {"Request-Id": "req_" + secrets.token_hex(6)}

    def request_stream(self, *args, **kwargs):
        raise NotImplementedError

    def close(self):
        pass

    def _route(self, method, path, params):
        if method == "post" and path == "/v1/customers":
            return json.dumps({"id": "cus_" + secrets.token_hex(6), "object": "customer"}), 200
        if method == "post" and path == "/v1/customer_sessions":
            return json.dumps(
                {
                    "object": "customer_session",
                    "customer": params["customer"],
                    "client_secret": "cuss_secret_" + secrets.token_hex(6),
                }
            ), 200
        if method == "post" and path == "/v1/payment_intents":
            pi_id = "pi_" + secrets.token_hex(8)
            intent = {
                "id": pi_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": 0,
                "currency": params["currency"],
                "status": "requires_payment_method",
                "client_secret": f"{pi_id}_secret_{secrets.token_hex(4)}",
                "customer": params.get("customer"),
                "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
                "last_payment_error": None,
            }
            self.intents[pi_id] = intent
            return json.dumps(intent), 200
        if method == "get" and path.startswith("/v1/payment_intents/"):
            intent = self.intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                return json.dumps(
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": "No such payment_intent",
                        }
                    }
                ), 404
            return json.dumps(intent), 200
        if method == "post" and path == "/v1/refunds":
            if self.refuse_refunds:
                return json.dumps(
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "charge_disputed",
                            "message": "Charge has been disputed",
                        }
                    }
                ), 400
            refund = {
                "id": "re_" + secrets.token_hex(6),
                "object": "refund",
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
            return json.dumps(refund), 200
        return json.dumps({"error": {"type": "invalid_request_error", "message": f"no route {path}"}}), 404

    # --- what the card holder and Stripe do ------------------------------
    def calls_to(self, method: str, path: str) -> list[dict]:
        return [p for m, pa, p in self.calls if m == method and pa == path]

    def pay(self, intent_id: str, *, amount: int | None = None) -> dict:
        intent = self.intents[intent_id]
        intent.update(status="succeeded", amount_received=amount if amount is not None else intent["amount"])
        if amount is not None:
            intent["amount"] = amount
        return dict(intent)

    def decline(self, intent_id: str) -> dict:
        self.intents[intent_id].update(status="requires_payment_method", last_payment_error={"code": "card_declined"})
        return dict(self.intents[intent_id])

    def cancel(self, intent_id: str) -> dict:
        self.intents[intent_id].update(status="canceled")
        return dict(self.intents[intent_id])


def event(type_: str, obj: dict, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or "evt_" + secrets.token_hex(8),
            "object": "event",
            "type": type_,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def signed(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict:
    return {"Stripe-Signature": sign(payload, secret, timestamp), "Content-Type": "application/json"}
