"""What the shop tells patrons (registered with ``backend.notify.templates``)."""

from __future__ import annotations

from backend.i18n import Text
from backend.notify.models import TRANSACTIONAL
from backend.notify.templates import MONEY, TEMPLATES, TEXT, Template, register

_TEMPLATES = [
    Template(
        "shop_order_paid",
        TRANSACTIONAL,
        Text(it="Acquisto di {amount} – {library}", en="Purchase of {amount} – {library}"),
        Text(
            it="Hai pagato {amount} dal borsellino per: {description}. Saldo: {balance}.",
            en="You paid {amount} from your wallet for: {description}. Balance: {balance}.",
        ),
        {"amount": MONEY, "description": TEXT, "library": TEXT, "balance": MONEY},
    ),
    Template(
        "shop_order_ready",
        TRANSACTIONAL,
        Text(it="Il tuo ordine ti aspetta – {library}", en="Your order is ready – {library}"),
        Text(
            it="Puoi ritirare in biblioteca ({library}): {description}.",
            en="You can collect it at the library ({library}): {description}.",
        ),
        {"description": TEXT, "library": TEXT},
    ),
]

for _template in _TEMPLATES:
    if _template.kind not in TEMPLATES:  # importing twice (reloads in tests) registers once
        register(_template)
