"""What the console shows people instead of the codes stored in the database.

A page never prints a role, status or operation code (``librarian``,
``cash_topup``): it prints ``t(label(...))``. Domains with console pages add
their codes with ``register_labels`` next to their pages.
"""

from __future__ import annotations

from backend.i18n import Text

_LABELS: dict[str, dict[str, Text]] = {}


def register_labels(group: str, labels: dict[str, Text]) -> None:
    _LABELS.setdefault(group, {}).update(labels)


def label(group: str, code: str | None) -> Text:
    """The label of ``code`` in ``group``; a code nobody labelled is shown as it is (and a test fails)."""
    found = _LABELS.get(group, {}).get(code or "")
    return found if found is not None else Text(it=str(code or ""), en=str(code or ""))


def has_label(group: str, code: str) -> bool:
    return code in _LABELS.get(group, {})


register_labels(
    "role",
    {
        "patron": Text(it="Utente", en="Patron"),
        "librarian": Text(it="Bibliotecario", en="Librarian"),
        "partner": Text(it="Sede convenzionata", en="Partner venue"),
        "finance": Text(it="Amministrazione e contabilità", en="Finance"),
        "admin": Text(it="Amministratore della rete", en="Network administrator"),
    },
)
register_labels(
    "patron_status",
    {
        "pending": Text(it="Da attivare", en="Not yet activated"),
        "active": Text(it="Attivo", en="Active"),
        "deleted": Text(it="Cancellato", en="Deleted"),
    },
)
