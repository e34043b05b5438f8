"""A shop receipt shows what was sold, line by line, with each line's VAT treatment."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.i18n import Text
from backend.money import Money
from backend.receipts.models import Receipt
from backend.receipts.render import LABELS, html_page, pdf_document, receipt_rows
from backend.shop.models import ShopOrder

VAT = {
    "vat_22": Text(it="IVA 22% inclusa", en="incl. 22% VAT"),
    "vat_10": Text(it="IVA 10% inclusa", en="incl. 10% VAT"),
    "vat_5": Text(it="IVA 5% inclusa", en="incl. 5% VAT"),
    "vat_4": Text(it="IVA 4% inclusa", en="incl. 4% VAT"),
    "exempt": Text(it="esente IVA", en="VAT exempt"),
    "out_of_scope": Text(it="fuori campo IVA", en="outside the scope of VAT"),
}


def vat_label(vat: str, language: str) -> str:
    return VAT[vat].render(language)


def order_of_receipt(session: Session, receipt: Receipt) -> ShopOrder:
    return session.scalars(select(ShopOrder).where(ShopOrder.public_id == receipt.reference)).one()


class ShopReceipt:
    """What the shared receipt views render: the receipt's rows, then the order's lines."""

    def __init__(self, receipt: Receipt, order: ShopOrder) -> None:
        self.receipt, self.order = receipt, order
        self.number = receipt.number

    def rows(self, language: str) -> tuple[str, list[tuple[str, str]]]:
        title, rows = receipt_rows(self.receipt, language)
        lines = [
            (
                f"{line.quantity} × {line.description} ({vat_label(line.vat, language)})",
                Money(line.amount, line.currency).format(language),
            )
            for line in self.order.lines
        ]
        # The lines go right after the date and issuer, before the total.
        return title, rows[:4] + lines + rows[4:]


def render_html(receipt: ShopReceipt, language: str) -> str:
    title, rows = receipt.rows(language)
    return html_page(title, rows, receipt.number, language, LABELS["footer"].render(language))


def render_pdf(receipt: ShopReceipt, language: str) -> bytes:
    title, rows = receipt.rows(language)
    return pdf_document(title, rows, receipt.number, LABELS["footer"].render(language))
