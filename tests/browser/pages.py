"""Every console page the browser gate opens, screenshots and checks with axe-core.

One line per page: who opens it (a key of ``conftest.LOGINS``, or None for a page
seen signed out), its path (or a function of the ``console`` fixture that finds
it in the demo data), and a text the page must show, so an error page never
passes for the page. Later domains add their console pages here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsolePage:
    name: str  # screenshot file name: artifacts/browser/page-<name>.png
    login: str | None
    path: str | Callable[[object], str]
    shows: str

    def path_in(self, console) -> str:
        return self.path if isinstance(self.path, str) else self.path(console)


def open_desk_session(library_code: str) -> Callable[[object], str]:
    """The open session of the demo desk 'Cassa 1' of a library."""

    def find(console) -> str:
        from sqlalchemy import select

        from backend.accounts.models import Library
        from backend.desk.models import CashSession, Desk

        return "/console/desk/sessions/" + console.read(
            lambda s: s.scalar(
                select(CashSession.public_id)
                .join(Desk, Desk.id == CashSession.desk_id)
                .join(Library, Library.id == Desk.library_id)
                .where(Library.code == library_code, Desk.name == "Cassa 1", CashSession.status == "open")
            )
        )

    return find


def demo_guide(title: str) -> Callable[[object], str]:
    """The console page of a demo guide."""

    def find(console) -> str:
        from sqlalchemy import select

        from backend.guides.models import Guide

        return "/console/guides/" + console.read(
            lambda s: s.scalar(select(Guide.public_id).where(Guide.title_it == title))
        )

    return find


def demo_kit(title: str) -> Callable[[object], str]:
    """The calendar page of a demo kit."""

    def find(console) -> str:
        from sqlalchemy import select

        from backend.guides.models import Kit

        return "/console/kits/" + console.read(lambda s: s.scalar(select(Kit.public_id).where(Kit.title == title)))

    return find


def demo_campaign(title: str) -> Callable[[object], str]:
    """The console page of a demo +Teca campaign."""

    def find(console) -> str:
        from sqlalchemy import select

        from backend.campaigns.models import Campaign

        return "/console/campaigns/" + console.read(
            lambda s: s.scalar(select(Campaign.public_id).where(Campaign.title == title))
        )

    return find


def demo_shop_catalogue(library_code: str) -> Callable[[object], str]:
    """The items-and-rooms page of a demo library's shop."""

    def find(console) -> str:
        from sqlalchemy import select

        from backend.accounts.models import Library

        public_id = console.read(lambda s: s.scalar(select(Library.public_id).where(Library.code == library_code)))
        return f"/console/shop/{public_id}/catalogue"

    return find


def demo_payout_run() -> Callable[[object], str]:
    """The reconciliation run of the demo's card payout."""

    def find(console) -> str:
        from sqlalchemy import select

        from backend.finance.reconciliation.demo import DEMO_PAYOUT
        from backend.finance.reconciliation.models import ReconciliationRun

        return "/console/reconciliation/" + console.read(
            lambda s: s.scalar(select(ReconciliationRun.public_id).where(ReconciliationRun.external_ref == DEMO_PAYOUT))
        )

    return find


CONSOLE_PAGES = [
    ConsolePage("login", None, "/console/login", "Accesso personale"),
    ConsolePage("dashboard-librarian", "librarian", "/console/", "Ciao, Sara Colombo"),
    ConsolePage("dashboard-partner", "partner", "/console/", "Sede convenzionata"),
    ConsolePage("dashboard-finance", "finance", "/console/", "Ciao, Elena Galli"),
    ConsolePage("dashboard-admin", "admin", "/console/", "Amministratore della rete"),
    ConsolePage("find-patron", "librarian", "/console/patrons/find", "Trova un utente"),
    ConsolePage("desk-index", "librarian", "/console/desk", "Casse"),
    ConsolePage("desk-session", "librarian", open_desk_session("RHO"), "Resoconto"),
    ConsolePage("forbidden", "partner", "/console/desk", "Non hai il permesso"),
    ConsolePage("guides-index", "librarian", "/console/guides", "Guide di lettura"),
    ConsolePage("guide", "librarian", demo_guide("Stop bullismo"), "Aggiungi per ISBN"),
    ConsolePage("kits-index", "librarian", "/console/kits", "Kit culturali"),
    ConsolePage("kit-calendar", "librarian", demo_kit("Valigia «Stop bullismo»"), "Calendario"),
    ConsolePage("partner-scan", "partner", "/console/partners/scan", "Convalida pass"),
    ConsolePage("partner-today", "partner", "/console/partners/today", "Utilizzi di oggi"),
    ConsolePage("partner-statement", "partner", "/console/partners/statement", "Estratto conto"),
    ConsolePage("campaigns-index", "librarian", "/console/campaigns", "Nuova campagna"),
    ConsolePage("campaign-detail", "librarian", demo_campaign("Un angolo morbido per i più piccoli"), "Donatori"),
    ConsolePage("campaigns-art-bonus", "librarian", "/console/campaigns/art-bonus-report", "Rapporto Art Bonus"),
    ConsolePage("shop", "librarian", "/console/shop", "Registra una vendita"),
    ConsolePage("shop-catalogue", "librarian", demo_shop_catalogue("RHO"), "Aggiungi un articolo"),
    ConsolePage("reconciliation-runs", "finance", "/console/reconciliation", "Riconciliazione dei versamenti carte"),
    ConsolePage("reconciliation-run", "admin", demo_payout_run(), "Eccezioni"),
    ConsolePage("finance-index", "finance", "/console/finance", "Chiusura del mese"),
    ConsolePage("finance-clearing", "finance", "/console/finance/clearing", "Compensazione tra reti"),
    ConsolePage("reconciliation-cash", "finance", "/console/reconciliation/cash", "Contanti per giorno"),
    ConsolePage("partner-settlements", "finance", "/console/partner-settlements", "Regolamenti partner"),
    ConsolePage("cash-deposits", "finance", "/console/reconciliation/deposits", "Versamenti in banca dei contanti"),
    ConsolePage("finance-audit", "admin", "/console/finance/audit", "Registro delle azioni del personale"),
]
