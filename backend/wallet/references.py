"""What a wallet transaction paid for: each domain explains its own references.

A journal entry's ``reference`` is the public id of a business object (a fee
payment, an order, a top-up…). The wallet does not know those domains; each
registers a resolver for its id prefix, which returns the items the patron
sees under the transaction (kind, public id, description), or an empty list
for an object that is not the patron's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.accounts.models import Patron
from backend.i18n import Text


@dataclass(frozen=True)
class PaidItem:
    kind: str
    id: str
    description: str


Resolver = Callable[[Session, Patron, str, str], list[PaidItem]]
_RESOLVERS: dict[str, Resolver] = {}


def register(prefix: str, resolver: Resolver) -> None:
    """``register("fpay", explain_fee_payment)``: resolver(session, patron, public_id, language)."""
    _RESOLVERS[prefix] = resolver


def explain(session: Session, patron: Patron, reference: str | None, language: str) -> list[PaidItem]:
    if not reference:
        return []
    resolver = _RESOLVERS.get(reference.split("_", 1)[0])
    return resolver(session, patron, reference, language) if resolver else []


# --- how each kind of transaction is named in the app and on statements -------

_TITLES: dict[str, Text] = {
    "topup_card": Text(it="Ricarica con carta", en="Card top-up"),
    "topup_cash": Text(it="Ricarica in contanti", en="Cash top-up"),
    "topup_adjustment": Text(it="Accredito", en="Credit"),
    "fee_payment": Text(it="Pagamento tariffe", en="Fee payment"),
    "fee_refund": Text(it="Rimborso tariffa annullata", en="Refund of a waived fee"),
    "reversal": Text(it="Storno", en="Reversal"),
}
_DEFAULT_TITLE = Text(it="Movimento", en="Transaction")


def register_title(kind: str, title: Text) -> None:
    """Name a journal entry kind for patrons, e.g. ``register_title("ticket_purchase", Text(...))``."""
    _TITLES[kind] = title


def title_of(kind: str, language: str) -> str:
    return _TITLES.get(kind, _DEFAULT_TITLE).render(language)
