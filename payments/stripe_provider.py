"""Stripe through the official library's ``StripeClient``.

Every creating call carries an idempotency key derived from our own record, so
a retried request can never open a second PaymentIntent or refund twice.
Tests pass their own ``stripe.HTTPClient`` (the library's HTTP seam).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import stripe
from stripe.params import BalanceTransactionListParams, PayoutListParams

from payments.base import (
    BalanceTransaction,
    Intent,
    PaymentError,
    PaymentRefused,
    Payout,
    Refund,
    WalletSheet,
    WebhookEvent,
)
from payments.signing import verify


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ) -> None:
        self.publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(secret_key, http_client=http_client, max_network_retries=max_network_retries)

    def ensure_customer(self, reference: str, *, email: str | None = None) -> str:
        params: dict[str, Any] = {"metadata": {"patron_id": reference}}
        if email:
            params["email"] = email
        customer = self._call(self._client.v1.customers.create, params, {"idempotency_key": f"customer-{reference}"})
        return str(customer.id)

    def create_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str,
        metadata: dict[str, str],
        idempotency_key: str,
        description: str = "",
    ) -> Intent:
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer_id,
            "metadata": metadata,
            "automatic_payment_methods": {"enabled": True},
            "description": description,
        }
        intent = self._call(self._client.v1.payment_intents.create, params, {"idempotency_key": idempotency_key})
        return _intent(intent)

    def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            return _intent(self._client.v1.payment_intents.retrieve(intent_id))
        except stripe.StripeError as exc:
            raise PaymentError(_message(exc)) from exc

    def wallet_sheet(self, customer_id: str) -> WalletSheet:
        session = self._call(
            self._client.v1.customer_sessions.create,
            {"customer": customer_id, "components": {"mobile_payment_element": {"enabled": True}}},
            None,
        )
        return WalletSheet(customer_id=customer_id, customer_session_client_secret=session.client_secret)

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]) -> Refund:
        refund = self._call(
            self._client.v1.refunds.create,
            {"payment_intent": intent_id, "amount": amount, "metadata": metadata},
            {"idempotency_key": idempotency_key},
        )
        return Refund(id=refund.id, status=refund.status, amount=refund.amount, payment_intent_id=intent_id)

    def parse_webhook(self, payload: bytes | str, signature_header: str | None) -> WebhookEvent:
        verify(payload, signature_header, self._webhook_secret)
        return parse_event(payload)

    def retrieve_payout(self, payout_id: str) -> Payout:
        try:
            return _payout(self._client.v1.payouts.retrieve(payout_id))
        except stripe.StripeError as exc:
            raise PaymentError(_message(exc)) from exc

    def recent_payouts(self, *, arrived_after: int, limit: int = 100) -> list[Payout]:
        params: PayoutListParams = {"status": "paid", "arrival_date": {"gt": arrived_after}, "limit": min(limit, 100)}
        try:
            page = self._client.v1.payouts.list(params)
            payouts = [_payout(p) for p in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise PaymentError(_message(exc)) from exc
        return sorted(payouts, key=lambda p: (p.arrival_date, p.id))[:limit]

    def payout_transactions(self, payout_id: str) -> list[BalanceTransaction]:
        # The source is expanded so each line names the payment it is about.
        params: BalanceTransactionListParams = {"payout": payout_id, "limit": 100, "expand": ["data.source"]}
        try:
            page = self._client.v1.balance_transactions.list(params)
            lines = [_balance_transaction(t) for t in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise PaymentError(_message(exc)) from exc
        return [line for line in lines if line.type != "payout"]

    @staticmethod
    def _call(method: Callable[..., Any], params: dict[str, Any], options: dict[str, Any] | None) -> Any:
        try:
            return method(params, options) if options else method(params)
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            raise PaymentRefused(_message(exc)) from exc
        except stripe.StripeError as exc:
            raise PaymentError(_message(exc)) from exc


def parse_event(payload: bytes | str) -> WebhookEvent:
    from payments.base import InvalidWebhook

    try:
        body = json.loads(payload)
        return WebhookEvent(
            id=str(body["id"]),
            type=str(body["type"]),
            created=int(body.get("created", 0)),
            object=dict(body["data"]["object"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidWebhook("malformed event body") from exc


def _intent(obj: Any) -> Intent:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    error = obj.get("last_payment_error") or {}
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        amount_received=int(obj.get("amount_received") or 0),
        metadata=dict(obj.get("metadata") or {}),
        client_secret=obj.get("client_secret"),
        last_error=(error.get("code") or error.get("message")),
    )


def _payout(obj: Any) -> Payout:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return Payout(
        id=str(obj["id"]),
        status=str(obj["status"]),
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        arrival_date=int(obj.get("arrival_date") or 0),
        created=int(obj.get("created") or 0),
    )


def _balance_transaction(obj: Any) -> BalanceTransaction:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj
    source = obj.get("source")
    source_id, intent_id = None, None
    if isinstance(source, dict):
        source_id = source.get("id")
        intent_id = source.get("payment_intent")
        if isinstance(intent_id, dict):
            intent_id = intent_id.get("id")
    elif isinstance(source, str):
        source_id = source
    return BalanceTransaction(
        id=str(obj["id"]),
        type=str(obj["type"]),
        reporting_category=str(obj.get("reporting_category") or ""),
        amount=int(obj["amount"]),
        fee=int(obj.get("fee") or 0),
        net=int(obj["net"]) if obj.get("net") is not None else int(obj["amount"]) - int(obj.get("fee") or 0),
        currency=str(obj["currency"]).upper(),
        created=int(obj.get("created") or 0),
        source_id=str(source_id) if source_id else None,
        payment_intent_id=str(intent_id) if intent_id else None,
        description=str(obj.get("description") or "")[:300],
    )


def _message(exc: stripe.StripeError) -> str:
    return f"stripe: {type(exc).__name__}: {getattr(exc, 'user_message', None) or exc}"
