"""The provider interfaces the top-ups domain talks to: cards, and pagoPA notices.

Plain data in and out (no Stripe objects, no HTTP, no Flask), so the domain code
reads the same for the real services and for the offline sandboxes, and tests
can swap providers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class PaymentError(Exception):
    """The provider could not do what was asked (network, refusal, bad state)."""


class PaymentRefused(PaymentError):
    """The provider answered and said no (e.g. nothing left to refund): retrying won't help."""


class InvalidWebhook(PaymentError):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class Intent:
    """A payment intent as the provider sees it now."""

    id: str
    status: str  # requires_payment_method | requires_confirmation | requires_action | processing | succeeded | canceled
    amount: int
    currency: str  # upper case, as in our Money
    amount_received: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    client_secret: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class WalletSheet:
    """What the mobile PaymentSheet needs besides the intent's client secret."""

    customer_id: str
    customer_session_client_secret: str


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # pending | succeeded | failed | canceled | requires_action
    amount: int
    payment_intent_id: str


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: ``object`` is the event's ``data.object`` as a dict."""

    id: str
    type: str
    created: int
    object: dict[str, Any]


@dataclass(frozen=True)
class Payout:
    """Money the provider sent to the bank account: one sum for many balance transactions."""

    id: str
    status: str  # pending | in_transit | paid | failed | canceled
    amount: int
    currency: str  # upper case
    arrival_date: int  # unix seconds
    created: int


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement of the provider's balance for us (a charge, refund, dispute, fee…).

    ``payment_intent_id`` is the payment it is about (from the charge, refund or
    dispute behind it), ``None`` for the provider's own fees and adjustments.
    """

    id: str
    type: str  # charge | payment | refund | payment_refund | adjustment | stripe_fee | payout | …
    reporting_category: str
    amount: int  # gross, signed: > 0 into the balance
    fee: int  # what the provider kept on it (>= 0, or < 0 for a fee given back)
    net: int
    currency: str  # upper case
    created: int
    source_id: str | None = None
    payment_intent_id: str | None = None
    description: str = ""


class PaymentProvider(Protocol):
    name: str
    publishable_key: str

    def ensure_customer(self, reference: str, *, email: str | None = None) -> str:
        """The provider's customer for one of our patrons (created once, by idempotency key)."""

    def create_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str,
        metadata: dict[str, str],
        idempotency_key: str,
        description: str = "",
    ) -> Intent: ...

    def retrieve_intent(self, intent_id: str) -> Intent: ...

    def wallet_sheet(self, customer_id: str) -> WalletSheet: ...

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]) -> Refund: ...

    def parse_webhook(self, payload: bytes | str, signature_header: str | None) -> WebhookEvent: ...

    def retrieve_payout(self, payout_id: str) -> Payout: ...

    def recent_payouts(self, *, arrived_after: int, limit: int = 100) -> list[Payout]:
        """Paid payouts that arrived after ``arrived_after`` (unix seconds), oldest first."""

    def payout_transactions(self, payout_id: str) -> list[BalanceTransaction]:
        """Every balance transaction the payout carries (not the payout's own)."""


# --- payment notices (pagoPA) ----------------------------------------------------
#
# A card payment is an intent the app confirms; a pagoPA payment is a debt the
# public body publishes and the citizen pays at any PSP. Both providers share
# the error classes above and a ``name``; the notice provider's calls follow
# the life of a debt position instead of an intent.


@dataclass(frozen=True)
class Creditor:
    """The public body the money is owed to: one per network."""

    fiscal_code: str  # 11 digits (codice fiscale dell'ente creditore)
    segregation_code: str  # 2 digits: which of the body's IUV series is ours
    iban: str  # the treasury account the transfer goes to
    name: str = ""


@dataclass(frozen=True)
class Debtor:
    """Who the notice is addressed to. ``ANONIMO`` when we hold no codice fiscale."""

    full_name: str
    fiscal_code: str = "ANONIMO"
    kind: str = "F"  # F natural person, G legal person


@dataclass(frozen=True)
class DebtPosition:
    """A debt position as the debt-position service sees it now."""

    iupd: str
    iuv: str
    notice_number: str
    creditor_fiscal_code: str
    amount: int  # cents
    # draft | published | valid | invalid | expired | partially_paid | paid | reported
    status: str
    due_at: datetime
    option_status: str = "unpaid"  # unpaid | paid | partially_reported | reported


@dataclass(frozen=True)
class PaidReceipt:
    """The receipt (RT) of a paid notice: the platform's word that the money was taken."""

    receipt_id: str
    iuv: str
    creditor_fiscal_code: str
    amount: int  # cents
    outcome: str  # OK or KO
    paid_at: datetime
    notice_number: str = ""
    psp: str = ""
    psp_id: str = ""


class NoticeProvider(Protocol):
    name: str

    def create_position(
        self,
        creditor: Creditor,
        *,
        iupd: str,
        iuv: str,
        amount: int,
        description: str,
        debtor: Debtor,
        due_at: datetime,
    ) -> DebtPosition:
        """A draft position with one payment option and one transfer to the creditor's IBAN.

        Creating the same ``iupd`` again answers the position already there, so a
        retry never makes a second debt.
        """

    def publish(self, creditor: Creditor, iupd: str) -> DebtPosition:
        """Make a draft payable (already published: answered as it is)."""

    def retrieve_position(self, creditor: Creditor, iupd: str) -> DebtPosition: ...

    def retrieve_receipt(self, creditor: Creditor, iuv: str) -> PaidReceipt | None:
        """The receipt of a paid notice, or None while nothing was paid."""

    def invalidate(self, creditor: Creditor, iupd: str) -> DebtPosition:
        """Nobody can pay the notice any more (already invalid or expired: answered as it is)."""
