"""pagoPA through its debt-position service (GPD, *Gestione Posizioni Debitorie*).

A top-up becomes a debt position of the network (the creditor body) with one
payment option and one transfer to the network's IBAN. It is created as a
draft, published, read back (status, receipt) and invalidated when it expires
unpaid. The position's ``iupd`` is ours (derived from our top-up), so a retried
create meets GPD's duplicate check (409) and reads the position already there
instead of making a second debt.

The codes the citizen sees follow the pagoPA rules for auxiliary digit 3 (a
body with several IUV series told apart by a segregation code):

- IUV (17 digits) = segregation code (2) + reference (13) + check digits (2),
  the check digits being ``"3" + segregation code + reference`` modulo 93;
- notice number (*codice avviso*, 18 digits) = ``"3"`` + IUV;
- the notice's QR code carries ``PAGOPA|002|<notice number>|<creditor fiscal code>|<amount in cents>``.

Tests pass an ``httpx`` transport (the client's HTTP seam).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from payments.base import Creditor, Debtor, DebtPosition, PaidReceipt, PaymentError, PaymentRefused

AUX_DIGIT = "3"
CHECK_MODULUS = 93
ROME = ZoneInfo("Europe/Rome")
# The taxonomy code (tassonomia) of the transfer: a public library service's income.
DEFAULT_CATEGORY = "9/0101108TS/"


# --- codes -------------------------------------------------------------------


def _digits(value: str, length: int, what: str) -> str:
    if len(value) != length or not value.isdigit():
        raise ValueError(f"{what} must be {length} digits")
    return value


def check_digits(segregation_code: str, reference: str) -> str:
    """The two check digits of an IUV with auxiliary digit 3."""
    _digits(segregation_code, 2, "segregation code")
    _digits(reference, 13, "IUV reference")
    return f"{int(AUX_DIGIT + segregation_code + reference) % CHECK_MODULUS:02d}"


def make_iuv(segregation_code: str, reference: str) -> str:
    return segregation_code + reference + check_digits(segregation_code, reference)


def new_iuv(segregation_code: str) -> str:
    """A fresh IUV in the segregation code's series (13 random digits; the database keeps them unique)."""
    return make_iuv(segregation_code, f"{secrets.randbelow(10**13):013d}")


def notice_number(iuv: str) -> str:
    _digits(iuv, 17, "IUV")
    return AUX_DIGIT + iuv


def is_valid_notice_number(number: str) -> bool:
    """18 digits, auxiliary digit 3, check digits right."""
    if len(number) != 18 or not number.isdigit() or number[0] != AUX_DIGIT:
        return False
    return check_digits(number[1:3], number[3:16]) == number[16:]


def iuv_of_notice(number: str) -> str:
    if not is_valid_notice_number(number):
        raise ValueError("not a notice number with auxiliary digit 3")
    return number[1:]


def qr_payload(notice: str, creditor_fiscal_code: str, amount: int) -> str:
    """What the notice's QR code says (pagoPA's version 002 of the payload)."""
    _digits(notice, 18, "notice number")
    _digits(creditor_fiscal_code, 11, "creditor fiscal code")
    if amount <= 0:
        raise ValueError("amount must be positive")
    return f"PAGOPA|002|{notice}|{creditor_fiscal_code}|{amount}"


# --- times ----------------------------------------------------------------------


def _gpd_time(moment: datetime) -> str:
    # GPD's dates are local date-times without an offset, read as Italian time.
    return moment.astimezone(ROME).replace(tzinfo=None).isoformat(timespec="seconds")


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise PaymentError("pagoPA answered without a date")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ROME)


# --- the service --------------------------------------------------------------------


class GpdProvider:
    """The real debt-position service, reached with a subscription key."""

    name = "pagopa"

    def __init__(
        self,
        *,
        base_url: str,
        receipts_url: str,
        subscription_key: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        headers = {"Ocp-Apim-Subscription-Key": subscription_key, "Accept": "application/json"}
        self._positions = httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=timeout)
        self._receipts = httpx.Client(base_url=receipts_url, headers=headers, transport=transport, timeout=timeout)

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
        body = {
            "iupd": iupd,
            "type": debtor.kind,
            "fiscalCode": debtor.fiscal_code,
            "fullName": debtor.full_name[:70],
            "companyName": creditor.name[:140] or creditor.fiscal_code,
            "switchToExpired": True,
            "paymentOption": [
                {
                    "iuv": iuv,
                    "amount": amount,
                    "description": description[:140],
                    "isPartialPayment": False,
                    "dueDate": _gpd_time(due_at),
                    "fee": 0,
                    "transfer": [
                        {
                            "idTransfer": "1",
                            "amount": amount,
                            "organizationFiscalCode": creditor.fiscal_code,
                            "remittanceInformation": description[:140],
                            "category": DEFAULT_CATEGORY,
                            "iban": creditor.iban,
                        }
                    ],
                }
            ],
        }
        response = self._send(
            self._positions,
            "POST",
            f"/organizations/{creditor.fiscal_code}/debtpositions",
            json=body,
            params={"toPublish": "false"},
            accept=(201, 409),
        )
        if response.status_code == 409:
            # Created by an earlier attempt (our iupd is stable): the debt exists once.
            position = self.retrieve_position(creditor, iupd)
            if position.iuv != iuv or position.amount != amount:
                raise PaymentRefused(f"pagoPA already has {iupd} with another IUV or amount")
            return position
        return _position(response.json(), creditor)

    def publish(self, creditor: Creditor, iupd: str) -> DebtPosition:
        response = self._send(
            self._positions,
            "POST",
            f"/organizations/{creditor.fiscal_code}/debtpositions/{iupd}/publish",
            accept=(200, 409),
        )
        if response.status_code == 409:  # published already
            return self.retrieve_position(creditor, iupd)
        return _position(response.json(), creditor)

    def retrieve_position(self, creditor: Creditor, iupd: str) -> DebtPosition:
        response = self._send(
            self._positions, "GET", f"/organizations/{creditor.fiscal_code}/debtpositions/{iupd}", accept=(200,)
        )
        return _position(response.json(), creditor)

    def retrieve_receipt(self, creditor: Creditor, iuv: str) -> PaidReceipt | None:
        response = self._send(
            self._receipts, "GET", f"/payments/{creditor.fiscal_code}/receipts/{iuv}", accept=(200, 404)
        )
        if response.status_code == 404:
            return None
        return _receipt(response.json(), creditor)

    def invalidate(self, creditor: Creditor, iupd: str) -> DebtPosition:
        response = self._send(
            self._positions,
            "POST",
            f"/organizations/{creditor.fiscal_code}/debtpositions/{iupd}/invalidate",
            accept=(200, 409),
        )
        if response.status_code == 409:  # paid, expired or invalid already: say which
            return self.retrieve_position(creditor, iupd)
        return _position(response.json(), creditor)

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        accept: tuple[int, ...],
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = client.request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            raise PaymentError(f"pagoPA unreachable: {type(exc).__name__}") from exc
        if response.status_code in accept:
            return response
        detail = f"pagoPA {method} {path}: HTTP {response.status_code}"
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 429):
            raise PaymentRefused(detail)
        raise PaymentError(detail)


def _position(data: Any, creditor: Creditor) -> DebtPosition:
    try:
        [option] = data["paymentOption"]
        iuv = str(option["iuv"])
        return DebtPosition(
            iupd=str(data["iupd"]),
            iuv=iuv,
            notice_number=str(option.get("nav") or notice_number(iuv)),
            creditor_fiscal_code=str(data.get("organizationFiscalCode") or creditor.fiscal_code),
            amount=int(option["amount"]),
            status=str(data.get("status") or "DRAFT").lower(),
            due_at=_parse_time(option.get("dueDate")),
            option_status=str(option.get("status") or "PO_UNPAID").lower().removeprefix("po_"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PaymentError(f"pagoPA answered a position we cannot read: {exc!r}") from exc


def _receipt(data: Any, creditor: Creditor) -> PaidReceipt:
    try:
        return PaidReceipt(
            receipt_id=str(data["receiptId"]),
            iuv=str(data["creditorReferenceId"]),
            creditor_fiscal_code=str(data.get("fiscalCode") or creditor.fiscal_code),
            amount=_cents(data["paymentAmount"]),
            outcome=str(data.get("outcome") or "OK").upper(),
            paid_at=_parse_time(data.get("paymentDateTime")),
            notice_number=str(data.get("noticeNumber") or ""),
            psp=str(data.get("pspCompanyName") or data.get("idPSP") or ""),
            psp_id=str(data.get("idPSP") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PaymentError(f"pagoPA answered a receipt we cannot read: {exc!r}") from exc


def _cents(value: Any) -> int:
    """Receipts carry euros ("12.50", as in the RT); positions carry cents."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    text = str(value)
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or not (fraction.isdigit() or fraction == "") or len(fraction) > 2:
        raise ValueError(f"not an amount in euros: {text!r}")
    return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)


def receipt_from_notification(data: Any, creditor: Creditor) -> PaidReceipt:
    """The paid-receipt notification's body, read like GPD's own receipt (same fields)."""
    return _receipt(data, creditor)
