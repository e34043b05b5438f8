"""An offline provider for the demo: no network, no real money.

It answers like Stripe would and, when the demo "pays", produces the same
``payment_intent.succeeded`` event Stripe would send, signed the same way with
its own webhook secret, which the caller feeds to the normal webhook handler.
Production configuration refuses it (``Settings.check``).

State (which intents were paid) lives in the process; an intent this process
never saw is reported as still waiting for payment, which is what the settle
job must assume anyway.
"""

from __future__ import annotations

import json
import secrets
import threading
import time

from payments.base import BalanceTransaction, Intent, PaymentError, Payout, Refund, WalletSheet, WebhookEvent
from payments.signing import sign, verify
from payments.stripe_provider import parse_event

SANDBOX_WEBHOOK_SECRET = "whsec_sandbox_demo_only"


class SandboxProvider:
    name = "sandbox"
    publishable_key = "pk_sandbox_demo"

    def __init__(self, webhook_secret: str = SANDBOX_WEBHOOK_SECRET) -> None:
        self.webhook_secret = webhook_secret
        self._intents: dict[str, Intent] = {}
        self._lock = threading.Lock()

    def ensure_customer(self, reference: str, *, email: str | None = None) -> str:
        return f"cus_sbx_{reference}"

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
        intent_id = f"pi_sbx_{amount}_{currency.lower()}_{_digest(idempotency_key)}"
        with self._lock:
            intent = self._intents.get(intent_id) or Intent(
                id=intent_id,
                status="requires_payment_method",
                amount=amount,
                currency=currency.upper(),
                metadata=dict(metadata),
                client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
            )
            self._intents[intent_id] = intent
        return intent

    def retrieve_intent(self, intent_id: str) -> Intent:
        with self._lock:
            known = self._intents.get(intent_id)
        if known:
            return known
        try:
            _, _, amount, currency, _ = intent_id.split("_", 4)
            return Intent(id=intent_id, status="requires_payment_method", amount=int(amount), currency=currency.upper())
        except ValueError:
            raise PaymentError(f"sandbox: no such intent {intent_id}") from None

    def wallet_sheet(self, customer_id: str) -> WalletSheet:
        return WalletSheet(customer_id=customer_id, customer_session_client_secret=f"cuss_sbx_{secrets.token_hex(8)}")

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]) -> Refund:
        return Refund(
            id=f"re_sbx_{_digest(idempotency_key)}", status="succeeded", amount=amount, payment_intent_id=intent_id
        )

    def parse_webhook(self, payload: bytes | str, signature_header: str | None) -> WebhookEvent:
        verify(payload, signature_header, self.webhook_secret)
        return parse_event(payload)

    # The sandbox moves no real money, so it never pays out: there is nothing to reconcile.
    def retrieve_payout(self, payout_id: str) -> Payout:
        raise PaymentError(f"sandbox: no such payout {payout_id}")

    def recent_payouts(self, *, arrived_after: int, limit: int = 100) -> list[Payout]:
        return []

    def payout_transactions(self, payout_id: str) -> list[BalanceTransaction]:
        raise PaymentError(f"sandbox: no such payout {payout_id}")

    # --- demo only -------------------------------------------------------

    def pay(self, intent: Intent, *, succeed: bool = True) -> tuple[bytes, str]:
        """What the PaymentSheet would do: settle the intent; returns the signed webhook (body, header)."""
        status = "succeeded" if succeed else "requires_payment_method"
        paid = Intent(
            id=intent.id,
            status=status,
            amount=intent.amount,
            currency=intent.currency,
            amount_received=intent.amount if succeed else 0,
            metadata=dict(intent.metadata),
            client_secret=intent.client_secret,
            last_error=None if succeed else "card_declined",
        )
        with self._lock:
            self._intents[intent.id] = paid
        event = {
            "id": f"evt_sbx_{secrets.token_hex(10)}",
            "object": "event",
            "type": "payment_intent.succeeded" if succeed else "payment_intent.payment_failed",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": paid.id,
                    "object": "payment_intent",
                    "status": paid.status,
                    "amount": paid.amount,
                    "amount_received": paid.amount_received,
                    "currency": paid.currency.lower(),
                    "metadata": paid.metadata,
                    "last_payment_error": None if succeed else {"code": "card_declined"},
                }
            },
        }
        body = json.dumps(event)
        return body.encode(), sign(body, self.webhook_secret)


def _digest(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:20]


__all__ = ["SandboxProvider", "SANDBOX_WEBHOOK_SECRET", "WebhookEvent"]
