"""An offline pagoPA for the demo: no network, no real money.

It keeps positions like GPD would and, when the demo "pays" a notice
(``pay``), returns the receipt a PSP's payment would produce, which the caller
hands to the same receipt handling as a real notification. Production
configuration refuses it (``Settings.check``).

State lives in the process: a position this process never saw is reported as
published and unpaid, which is what the settle job must assume anyway.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from payments.base import Creditor, Debtor, DebtPosition, PaidReceipt
from payments.pagopa import notice_number


class SandboxNoticeProvider:
    name = "pagopa"
    sandbox = True

    def __init__(self) -> None:
        self._positions: dict[str, DebtPosition] = {}
        self._receipts: dict[str, PaidReceipt] = {}
        self._lock = threading.Lock()

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
        with self._lock:
            position = self._positions.setdefault(
                iupd,
                DebtPosition(
                    iupd=iupd,
                    iuv=iuv,
                    notice_number=notice_number(iuv),
                    creditor_fiscal_code=creditor.fiscal_code,
                    amount=amount,
                    status="draft",
                    due_at=due_at,
                ),
            )
        return position

    def publish(self, creditor: Creditor, iupd: str) -> DebtPosition:
        return self._update(iupd, lambda p: replace(p, status="valid") if p.status == "draft" else p)

    def retrieve_position(self, creditor: Creditor, iupd: str) -> DebtPosition:
        with self._lock:
            known = self._positions.get(iupd)
        return known or _unknown(creditor, iupd, "valid")

    def retrieve_receipt(self, creditor: Creditor, iuv: str) -> PaidReceipt | None:
        with self._lock:
            return self._receipts.get(iuv)

    def invalidate(self, creditor: Creditor, iupd: str) -> DebtPosition:
        return self._update(iupd, lambda p: replace(p, status="invalid") if p.status in ("draft", "valid") else p)

    def _update(self, iupd: str, change: Callable[[DebtPosition], DebtPosition]) -> DebtPosition:
        with self._lock:
            position = self._positions.get(iupd)
            if position is None:
                # Created by another process (a second server worker): act as GPD would on it.
                return change(_unknown(Creditor("", "", ""), iupd, "valid"))
            position = self._positions[iupd] = change(position)
        return position

    # --- demo only -------------------------------------------------------

    def pay(self, creditor: Creditor, *, iuv: str, amount: int, paid_at: datetime | None = None) -> PaidReceipt:
        """What a PSP's payment of the notice would produce: the receipt (also for an expired notice)."""
        paid_at = paid_at or datetime.now(UTC)
        receipt = PaidReceipt(
            receipt_id=f"sbx{secrets.token_hex(8)}",
            iuv=iuv,
            creditor_fiscal_code=creditor.fiscal_code,
            amount=amount,
            outcome="OK",
            paid_at=paid_at,
            notice_number=notice_number(iuv),
            psp="Sandbox PSP",
            psp_id="SBXPSP01",
        )
        with self._lock:
            receipt = self._receipts.setdefault(iuv, receipt)
            for iupd, position in self._positions.items():
                if position.iuv == iuv:
                    self._positions[iupd] = replace(position, status="paid", option_status="paid")
        return receipt


def _unknown(creditor: Creditor, iupd: str, status: str) -> DebtPosition:
    """A position of another process: only its status is meaningful (no IUV, no amount)."""
    return DebtPosition(
        iupd=iupd,
        iuv="",
        notice_number="",
        creditor_fiscal_code=creditor.fiscal_code,
        amount=0,
        status=status,
        due_at=datetime.now(UTC),
    )
