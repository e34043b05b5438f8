"""pagoPA reporting flows (flussi di rendicontazione), read from their XML.

A PSP sends one flow per bank transfer to the creditor's treasury: which
payments (IUV, the PSP's collection id IUR, amount, outcome) that transfer
settled. The flow's id carries the settlement date and the PSP's id
(``<YYYY-MM-DD><idPSP>-<n>``). Amounts are euros with two decimals in the XML,
cents here. The totals the flow declares must add up, or the flow is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from payments.pagopa import ROME

PAID = ("0", "9")  # paid; paid without a payment request (as from a printed notice)
REVOKED = "3"


class InvalidFlow(ValueError):
    """Not a reporting flow we can read, or one whose totals don't add up."""


@dataclass(frozen=True)
class ReportedPayment:
    iuv: str
    receipt_id: str  # identificativoUnivocoRiscossione (IUR)
    index: int
    amount: int  # cents
    outcome: str  # codiceEsitoSingoloPagamento
    paid_on: date


@dataclass(frozen=True)
class ReportingFlow:
    flow_id: str
    flow_at: datetime
    psp_id: str
    settlement_ref: str  # identificativoUnivocoRegolamento: the bank transfer
    settlement_date: date
    creditor_fiscal_code: str
    total_amount: int
    payments: tuple[ReportedPayment, ...]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: Element, name: str) -> Element:
    for child in node:
        if _local(child.tag) == name:
            return child
    raise InvalidFlow(f"missing {name}")


def _text(node: Element, *path: str) -> str:
    for name in path:
        node = _child(node, name)
    text = (node.text or "").strip()
    if not text:
        raise InvalidFlow(f"empty {path[-1]}")
    return text


def _cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or len(fraction) > 2 or (fraction and not fraction.isdigit()):
        raise InvalidFlow(f"not an amount: {text!r}")
    return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidFlow(f"not a date: {text!r}") from None


def _moment(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFlow(f"not a date-time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ROME)


def parse_reporting_flow(document: bytes | str) -> ReportingFlow:
    try:
        root: Any = ElementTree.fromstring(document)
    except Exception as exc:  # defusedxml raises several kinds, all meaning "not for us"
        raise InvalidFlow(f"not XML we accept: {type(exc).__name__}") from None
    if _local(root.tag) != "FlussoRiversamento":
        raise InvalidFlow("not a FlussoRiversamento")
    payments = []
    for node in root:
        if _local(node.tag) != "datiSingoliPagamenti":
            continue
        try:
            index = int(_text(node, "indiceDatiSingoloPagamento"))
        except ValueError:
            raise InvalidFlow("indiceDatiSingoloPagamento is not a number") from None
        payments.append(
            ReportedPayment(
                iuv=_text(node, "identificativoUnivocoVersamento")[:35],
                receipt_id=_text(node, "identificativoUnivocoRiscossione")[:35],
                index=index,
                amount=_cents(_text(node, "singoloImportoPagato")),
                outcome=_text(node, "codiceEsitoSingoloPagamento")[:2],
                paid_on=_date(_text(node, "dataEsitoSingoloPagamento")),
            )
        )
    total = _cents(_text(root, "importoTotalePagamenti"))
    try:
        declared_count = int(_text(root, "numeroTotalePagamenti"))
    except ValueError:
        raise InvalidFlow("numeroTotalePagamenti is not a number") from None
    if declared_count != len(payments) or total != sum(p.amount for p in payments):
        raise InvalidFlow("the flow's totals do not add up to its payments")
    flow_id = _text(root, "identificativoFlusso")
    if len(flow_id) > 64:
        raise InvalidFlow("identificativoFlusso is too long")
    return ReportingFlow(
        flow_id=flow_id,
        flow_at=_moment(_text(root, "dataOraFlusso")),
        psp_id=_text(root, "istitutoMittente", "identificativoUnivocoMittente", "codiceIdentificativoUnivoco")[:35],
        settlement_ref=_text(root, "identificativoUnivocoRegolamento")[:64],
        settlement_date=_date(_text(root, "dataRegolamento")),
        creditor_fiscal_code=_text(
            root, "istitutoRicevente", "identificativoUnivocoRicevente", "codiceIdentificativoUnivoco"
        )[:11],
        total_amount=total,
        payments=tuple(payments),
    )


def build_reporting_flow(flow: ReportingFlow, *, psp_name: str = "", creditor_name: str = "") -> bytes:
    """The XML of a flow (the demo's sandbox PSP, and tests), as a PSP would send it."""
    from xml.etree.ElementTree import SubElement, tostring

    ns = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"

    def euros(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    root = Element("FlussoRiversamento", xmlns=ns)

    def add(parent: Element, tag: str, text: str | None = None) -> Element:
        node = SubElement(parent, tag)
        if text is not None:
            node.text = text
        return node

    add(root, "versioneOggetto", "1.0")
    add(root, "identificativoFlusso", flow.flow_id)
    add(root, "dataOraFlusso", flow.flow_at.astimezone(ROME).replace(tzinfo=None).isoformat(timespec="seconds"))
    add(root, "identificativoUnivocoRegolamento", flow.settlement_ref)
    add(root, "dataRegolamento", flow.settlement_date.isoformat())
    sender = add(add(root, "istitutoMittente"), "identificativoUnivocoMittente")
    add(sender, "tipoIdentificativoUnivoco", "B")
    add(sender, "codiceIdentificativoUnivoco", flow.psp_id)
    receiver = add(add(root, "istitutoRicevente"), "identificativoUnivocoRicevente")
    add(receiver, "tipoIdentificativoUnivoco", "G")
    add(receiver, "codiceIdentificativoUnivoco", flow.creditor_fiscal_code)
    add(root, "numeroTotalePagamenti", str(len(flow.payments)))
    add(root, "importoTotalePagamenti", euros(flow.total_amount))
    for payment in flow.payments:
        node = add(root, "datiSingoliPagamenti")
        add(node, "identificativoUnivocoVersamento", payment.iuv)
        add(node, "identificativoUnivocoRiscossione", payment.receipt_id)
        add(node, "indiceDatiSingoloPagamento", str(payment.index))
        add(node, "singoloImportoPagato", euros(payment.amount))
        add(node, "codiceEsitoSingoloPagamento", payment.outcome)
        add(node, "dataEsitoSingoloPagamento", payment.paid_on.isoformat())
    return bytes(tostring(root, encoding="utf-8", xml_declaration=True))
