"""Stripe's payouts and balance transactions at the library's HTTP seam (extends the top-ups' fake).

Tests describe a payout as Stripe would list it (``add_payout``), then deliver
a signed ``payout.paid``; the real ``StripeClient`` fetches the payout and pages
through ``GET /v1/balance_transactions?payout=…&expand[]=data.source``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from urllib.parse import parse_qsl, urlsplit

from tests.topups.fake_stripe import FakeStripe


class FakeStripePayouts(FakeStripe):
    PAGE = 3  # small pages, so the client's paging is exercised

    def __init__(self):
        super().__init__()
        self.payouts: dict[str, dict] = {}
        self.payout_lines: dict[str, list[dict]] = {}
        # Per thread: the race tests call the seam from two threads at once.
        self._local = threading.local()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self._local.query = dict(parse_qsl(urlsplit(url).query))
        return super().request(method, url, headers, post_data, _usage=_usage)

    def _route(self, method, path, params):
        query = getattr(self._local, "query", {})
        if method == "get" and path.startswith("/v1/payouts/"):
            payout = self.payouts.get(path.rsplit("/", 1)[1])
            if payout is None:
                return json.dumps({"error": {"type": "invalid_request_error", "code": "resource_missing"}}), 404
            return json.dumps(payout), 200
        if method == "get" and path == "/v1/payouts":
            after = int(query.get("arrival_date[gt]", 0))
            data = [p for p in self.payouts.values() if p["status"] == "paid" and p["arrival_date"] > after]
            return json.dumps({"object": "list", "url": "/v1/payouts", "has_more": False, "data": data}), 200
        if method == "get" and path == "/v1/balance_transactions":
            lines = self.payout_lines.get(query.get("payout", ""), [])
            start = 0
            if "starting_after" in query:
                start = next(i for i, t in enumerate(lines) if t["id"] == query["starting_after"]) + 1
            page = lines[start : start + self.PAGE]
            expanded = query.get("expand[0]") == "data.source"
            body = {
                "object": "list",
                "url": "/v1/balance_transactions",
                "has_more": start + self.PAGE < len(lines),
                "data": [t if expanded else {**t, "source": t["source"]["id"]} for t in page],
            }
            return json.dumps(body), 200
        return super()._route(method, path, params)

    # --- what Stripe does -------------------------------------------------------

    def add_payout(self, lines: list[dict], *, status="paid", payout_id=None) -> dict:
        payout_id = payout_id or "po_" + secrets.token_hex(8)
        net = sum(t["net"] for t in lines)
        now = int(time.time())
        self.payouts[payout_id] = {
            "id": payout_id,
            "object": "payout",
            "amount": net,
            "currency": "eur",
            "status": status,
            "arrival_date": now,
            "created": now - 60,
        }
        self.payout_lines[payout_id] = [
            *lines,
            # Stripe lists the payout's own transaction too; it is not a line to reconcile.
            _txn("payout", -net, 0, {"id": payout_id, "object": "payout"}, category="payout"),
        ]
        return self.payouts[payout_id]


def _txn(type_, amount, fee, source, *, category=None, created=None):
    return {
        "id": "txn_" + secrets.token_hex(8),
        "object": "balance_transaction",
        "type": type_,
        "reporting_category": category or type_,
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": "eur",
        # After the bookings it stands for (a payout carries lines up to some hours before it).
        "created": created or int(time.time()) + 3600,
        "description": f"{type_} test",
        "source": source,
    }


def charge(intent_id, amount, fee):
    return _txn("charge", amount, fee, {"id": "ch_" + intent_id[3:], "object": "charge", "payment_intent": intent_id})


def refund(intent_id, amount, refund_id=None):
    source = {"id": refund_id or "re_" + secrets.token_hex(6), "object": "refund", "payment_intent": intent_id}
    return _txn("refund", -amount, 0, source, category="refund")


def dispute(intent_id, amount, fee=1500):
    source = {"id": "dp_" + secrets.token_hex(6), "object": "dispute", "payment_intent": intent_id}
    return _txn("adjustment", -amount, fee, source, category="dispute")


def stripe_fee(amount):
    return _txn("stripe_fee", -amount, 0, {"id": "fee_" + secrets.token_hex(6), "object": "fee"}, category="fee")


def adjustment(amount, description="adjustment test"):
    """Stripe's own correction of the balance (not a dispute's): > 0 it gives, < 0 it takes."""
    line = _txn(
        "adjustment",
        amount,
        0,
        {"id": "adj_" + secrets.token_hex(6), "object": "adjustment"},
        category="other_adjustment",
    )
    return {**line, "description": description}
