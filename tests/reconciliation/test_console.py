"""The reconciliation console pages: runs, their exceptions, a resolution with a note."""

from __future__ import annotations

import re

from tests.reconciliation.test_stripe_payouts import _month


def _sign_in(client, staff, password="staff-password"):
    page = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/console/login", data={"email": staff.email, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303)


def test_finance_reads_the_runs_and_resolves_an_exception_in_the_console(world):
    payout, _ = _month(world)
    world.deliver("payout.paid", {"id": payout["id"]})
    client = world.client
    _sign_in(client, world.finance)
    index = client.get("/console/reconciliation")
    html = index.get_data(as_text=True)
    assert index.status_code == 200 and payout["id"] in html and "61,92" in html
    run_id = re.search(r'/console/reconciliation/(rcn_[0-9a-f]+)"', html).group(1)
    page = client.get(f"/console/reconciliation/{run_id}").get_data(as_text=True)
    assert "Manca nell&#39;estratto" in page and "Non nostro" in page and "Eccezioni aperte" in page
    item_id = re.search(r"/items/(rci_[0-9a-f]+)/resolve", page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    blank = client.post(f"/console/reconciliation/{run_id}/items/{item_id}/resolve", data={"csrf_token": token})
    assert blank.status_code == 400 and "Scrivi una nota" in blank.get_data(as_text=True)
    done = client.post(
        f"/console/reconciliation/{run_id}/items/{item_id}/resolve",
        data={"csrf_token": token, "note": "Verificato con la banca"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Eccezione risolta" in done.get_data(as_text=True)
    assert "Verificato con la banca" in done.get_data(as_text=True)
    rerun = client.post(f"/console/reconciliation/{run_id}/rerun", data={"csrf_token": token}, follow_redirects=True)
    assert rerun.status_code == 200 and "Verificato con la banca" in rerun.get_data(as_text=True)


def test_another_network_and_a_librarian_cannot_open_the_runs(world):
    payout, _ = _month(world)
    world.deliver("payout.paid", {"id": payout["id"]})
    client = world.client
    _sign_in(client, world.finance)
    run_id = re.search(
        r"/console/reconciliation/(rcn_[0-9a-f]+)", client.get("/console/reconciliation").get_data(as_text=True)
    ).group(1)
    other = world.client.application.test_client()
    _sign_in(other, world.other_finance)
    assert payout["id"] not in other.get("/console/reconciliation").get_data(as_text=True)
    assert other.get(f"/console/reconciliation/{run_id}").status_code == 404
    librarian = world.client.application.test_client()
    _sign_in(librarian, world.librarian)
    assert librarian.get("/console/reconciliation").status_code == 403


def test_cash_by_day_and_partner_settlements_pages_open_for_finance(world):
    client = world.client
    _sign_in(client, world.finance)
    day = client.get("/console/reconciliation/cash")
    assert day.status_code == 200 and "Contanti per giorno" in day.get_data(as_text=True)
    assert world.library.name in day.get_data(as_text=True)
    assert client.get("/console/reconciliation/cash?day=ieri").status_code == 400
    page = client.get("/console/partner-settlements?month=2026-10")
    assert page.status_code == 200 and "Regolamenti partner" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    future = client.post("/console/partner-settlements/compute", data={"csrf_token": token, "month": "2999-01"})
    assert future.status_code == 422 and "non è ancora finito" in future.get_data(as_text=True)
    done = client.post(
        "/console/partner-settlements/compute", data={"csrf_token": token, "month": "2026-10"}, follow_redirects=True
    )
    assert done.status_code == 200 and "Regolamenti del mese calcolati" in done.get_data(as_text=True)
    librarian = client.application.test_client()
    _sign_in(librarian, world.librarian)
    assert librarian.get("/console/partner-settlements").status_code == 403
