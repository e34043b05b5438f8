"""A stand-in for pagoPA's debt-position service at the HTTP client's seam (``httpx.MockTransport``).

The real ``GpdProvider`` builds and sends real requests (JSON, the subscription
key header); this answers them the way GPD does (409 for a duplicate iupd,
publish and invalidate only from the right status, 404 for a receipt not
there), and records every call so tests see exactly what was sent.
"""

from __future__ import annotations

import json
import re
import threading

import httpx

SUBSCRIPTION_KEY = "gpd-test-key"
BASE_URL = "https://gpd.test/debt-positions-service/v1"
RECEIPTS_URL = "https://gpd.test/payments-receipts-service/v1"


class FakeGpd:
    def __init__(self):
        self.positions: dict[tuple[str, str], dict] = {}
        self.receipts: dict[tuple[str, str], dict] = {}
        self.calls: list[tuple[str, str, dict | None]] = []
        self.fail_next: int | None = None
        self._lock = threading.Lock()

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls_to(self, method, pattern):
        return [body for m, path, body in self.calls if m == method and re.fullmatch(pattern, path)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        with self._lock:
            self.calls.append((request.method, request.url.path, body))
            if request.headers.get("Ocp-Apim-Subscription-Key") != SUBSCRIPTION_KEY:
                return httpx.Response(401, json={"title": "Unauthorized"})
            if self.fail_next:
                status, self.fail_next = self.fail_next, None
                return httpx.Response(status, json={"title": "boom"})
            return self._route(request.method, request.url.path, request.url.params, body)

    def _route(self, method, path, params, body):
        if m := re.fullmatch(r".*/organizations/(\d+)/debtpositions", path):
            if method != "POST":
                return httpx.Response(405)
            key = (m[1], body["iupd"])
            if key in self.positions or any(
                o["iuv"] == body["paymentOption"][0]["iuv"]
                for (fc, _), p in self.positions.items()
                if fc == m[1]
                for o in p["paymentOption"]
            ):
                return httpx.Response(409, json={"title": "Conflict", "detail": "already exists"})
            position = {
                **body,
                "organizationFiscalCode": m[1],
                "status": "VALID" if params.get("toPublish") == "true" else "DRAFT",
                "paymentOption": [{**o, "status": "PO_UNPAID"} for o in body["paymentOption"]],
            }
            self.positions[key] = position
            return httpx.Response(201, json=position)
        if m := re.fullmatch(r".*/organizations/(\d+)/debtpositions/([^/]+)(/publish|/invalidate)?", path):
            position = self.positions.get((m[1], m[2]))
            if position is None:
                return httpx.Response(404, json={"title": "Not found"})
            action = m[3]
            if action == "/publish":
                if position["status"] != "DRAFT":
                    return httpx.Response(409, json={"title": "Conflict"})
                position["status"] = "VALID"
            elif action == "/invalidate":
                if position["status"] not in ("VALID", "PUBLISHED"):
                    return httpx.Response(409, json={"title": "Conflict"})
                position["status"] = "INVALID"
            elif method != "GET":
                return httpx.Response(405)
            return httpx.Response(200, json=position)
        if m := re.fullmatch(r".*/payments/(\d+)/receipts/(\d+)", path):
            receipt = self.receipts.get((m[1], m[2]))
            if receipt is None:
                return httpx.Response(404, json={"title": "Not found"})
            return httpx.Response(200, json=receipt)
        return httpx.Response(404, json={"title": "no route"})

    # --- what a PSP's payment does at pagoPA ------------------------------

    def pay(self, fiscal_code, iuv, *, amount_euros=None, paid_at="2026-12-02T10:15:00", receipt_id=None):
        """The notice is paid at a PSP: GPD marks the position paid and keeps the receipt."""
        with self._lock:
            position = next(
                p for (fc, _), p in self.positions.items() if fc == fiscal_code and p["paymentOption"][0]["iuv"] == iuv
            )
            option = position["paymentOption"][0]
            position["status"] = "PAID"
            option["status"] = "PO_PAID"
            receipt = {
                "receiptId": receipt_id or f"rcp{iuv}",
                "noticeNumber": "3" + iuv,
                "fiscalCode": fiscal_code,
                "outcome": "OK",
                "creditorReferenceId": iuv,
                "paymentAmount": amount_euros or f"{option['amount'] // 100}.{option['amount'] % 100:02d}",
                "description": option["description"],
                "companyName": position["companyName"],
                "idPSP": "BCITITMM",
                "pspCompanyName": "Intesa Sanpaolo",
                "paymentDateTime": paid_at,
            }
            self.receipts[(fiscal_code, iuv)] = receipt
            return receipt
