"""The cash desk in the staff console: form posts with CSRF, as a librarian would use it."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from sqlalchemy import func, select

from backend.accounts import membership
from backend.desk.models import CashSession, Desk, DeskOperation
from backend.ledger.audit import run_audit
from backend.ledger.services import wallet_of
from tests.support.factories import make_library, make_network, make_patron, make_staff
from tests.support.ledger import fund_wallet


@pytest.fixture
def world(db):
    network = make_network(db)
    library, other_library = make_library(db, network), make_library(db, network)
    librarian = make_staff(db, "librarian", network, libraries=[library], password="desk pass")
    stranger = make_staff(db, "librarian", network, libraries=[other_library], password="other pass")
    stranger.language = "en"
    patron = make_patron(db, network, library, card="DESK0001")
    desk = Desk(library=library, name="Cassa 1")
    db.add(desk)
    db.commit()
    return {"library": library, "librarian": librarian, "stranger": stranger, "patron": patron, "desk": desk}


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    return text, dict(re.findall(r'name="(csrf_token|form_key)" value="([^"]+)"', text))


def _login(client, who, password):
    _, fields = _page(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": who.email, "password": password, "csrf_token": fields["csrf_token"]}
    )
    assert response.status_code == 302


def _form_fields(client, path, form_id):
    text = client.get(path).get_data(as_text=True)
    form = text.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="(csrf_token|form_key)" value="([^"]+)"', form))


def _balance(db, patron):
    db.rollback()
    wallet = wallet_of(db, patron)
    db.refresh(wallet)
    balance = wallet.balance
    db.rollback()
    return balance


def _open(client, world, amount="100,00"):
    _, fields = _page(client, "/console/desk")
    return client.post(f"/console/desk/{world['desk'].public_id}/open", data={**fields, "opening_float": amount})


def test_a_librarian_runs_a_day_at_the_desk_from_the_console(client, db, app_ctx, world):
    patron = world["patron"]
    fund_wallet(db, patron, 1000, source="card")  # card money: not payable in cash
    db.commit()
    _login(client, world["librarian"], "desk pass")
    assert "/console/desk" in client.get("/console/").get_data(as_text=True)

    opened = _open(client, world)
    assert opened.status_code == 302
    session_url = opened.headers["Location"].split("?")[0]
    text, _ = _page(client, opened.headers["Location"])
    assert "Sessione aperta." in text and "100,00" in text

    # Cash top-up by card number, then by the app's membership QR code.
    fields = _form_fields(client, session_url, "form-topup")
    done = client.post(f"{session_url}/topup", data={**fields, "card_number": "desk0001", "amount": "20,00"})
    assert done.status_code == 302
    assert "Ricarica di 20,00\xa0€ registrata" in client.get(done.headers["Location"]).get_data(as_text=True)
    code, _ = membership.issue(patron, app_ctx.config["SETTINGS"])
    fields = _form_fields(client, session_url, "form-topup")
    assert (
        client.post(f"{session_url}/topup", data={**fields, "membership_code": code, "amount": "5"}).status_code == 302
    )
    assert _balance(db, patron) == 3500

    # The same form sent twice (double click): booked once.
    fields = _form_fields(client, session_url, "form-payout")
    first = client.post(f"{session_url}/payout", data={**fields, "card_number": "DESK0001", "amount": "7,50"})
    second = client.post(f"{session_url}/payout", data={**fields, "card_number": "DESK0001", "amount": "7,50"})
    assert first.status_code == second.status_code == 302
    assert "notice=replayed" in second.headers["Location"]
    assert _balance(db, patron) == 2750

    # Card-funded money is refused in cash, with the reason, and nothing moves.
    fields = _form_fields(client, session_url, "form-payout")
    refused = client.post(f"{session_url}/payout", data={**fields, "card_number": "DESK0001", "amount": "20,00"})
    assert refused.status_code == 422
    assert "In contanti si può restituire al più 17,50\xa0€" in refused.get_data(as_text=True)
    assert _balance(db, patron) == 2750

    # Receipts print as HTML and PDF.
    report, _ = _page(client, session_url)
    receipt_path = re.search(r'href="(/console/desk/receipts/rcp_[0-9a-f]+)"', report).group(1)
    printed = client.get(receipt_path)
    assert printed.status_code == 200 and world["librarian"].name in printed.get_data(as_text=True)
    assert client.get(receipt_path + "?format=pdf").data.startswith(b"%PDF")

    # Close with the counted cash: 100 + 25 - 7,50 expected, 1 € short.
    fields = _form_fields(client, session_url, "form-close")
    closed = client.post(f"{session_url}/close", data={**fields, "counted": "116,50", "note": "manca 1 euro"})
    assert closed.status_code == 302
    final = client.get(closed.headers["Location"]).get_data(as_text=True)
    assert 'id="expected">117,50\xa0€' in final and 'id="difference">-1,00\xa0€' in final and "manca 1 euro" in final
    assert 'id="form-topup"' not in final
    db.rollback()
    cash_session = db.scalar(select(CashSession))
    assert (cash_session.status, cash_session.counted_amount, cash_session.difference) == ("closed", 11650, -100)
    assert db.scalar(select(func.count()).select_from(DeskOperation)) == 3
    assert run_audit(db).clean
    db.rollback()


def test_bad_amounts_and_missing_csrf_change_nothing(client, db, app_ctx, world):
    _login(client, world["librarian"], "desk pass")
    assert _open(client, world, amount="dieci").status_code == 400
    _, fields = _page(client, "/console/desk")
    no_csrf = client.post(
        f"/console/desk/{world['desk'].public_id}/open", data={"form_key": fields["form_key"], "opening_float": "100"}
    )
    assert no_csrf.status_code == 400
    db.rollback()
    assert db.scalar(select(func.count()).select_from(CashSession)) == 0
    db.rollback()
    session_url = _open(client, world).headers["Location"].split("?")[0]
    for amount in ("-5", "0", "12,345", "1e3", ""):
        fields = _form_fields(client, session_url, "form-topup")
        response = client.post(f"{session_url}/topup", data={**fields, "card_number": "DESK0001", "amount": amount})
        assert response.status_code == 400, amount
    assert _balance(db, world["patron"]) == 0


def test_a_librarian_of_another_library_is_refused_and_nothing_changes(client, db, app_ctx, world):
    _login(client, world["librarian"], "desk pass")
    session_url = _open(client, world).headers["Location"].split("?")[0]
    fields = _form_fields(client, session_url, "form-topup")
    client.post("/console/logout", data={"csrf_token": fields["csrf_token"]})

    _login(client, world["stranger"], "other pass")
    desks, page_fields = _page(client, "/console/desk")
    assert world["desk"].public_id not in desks and "No desk in your libraries." in desks
    assert client.get(session_url).status_code == 404
    data = {**page_fields, "card_number": "DESK0001", "amount": "50"}
    assert client.post(f"{session_url}/topup", data=data).status_code == 404
    assert client.post(f"{session_url}/close", data={**page_fields, "counted": "0"}).status_code == 404
    assert (
        client.post(
            f"/console/desk/{world['desk'].public_id}/open", data={**page_fields, "opening_float": "10"}
        ).status_code
        == 404
    )
    assert _balance(db, world["patron"]) == 0
    db.rollback()
    assert db.scalar(select(CashSession.status)) == "open"
    assert db.scalar(select(func.count()).select_from(DeskOperation)) == 0
    db.rollback()


def test_a_partner_cannot_open_the_desk_pages(client, db, world):
    from tests.support.factories import make_venue

    partner = make_staff(
        db, "partner", world["library"].network, venue=make_venue(db, world["library"].network), password="partner pass"
    )
    db.commit()
    _login(client, partner, "partner pass")
    assert client.get("/console/desk").status_code == 403


def test_the_session_page_shows_rome_time_and_operations_in_words(client, db, app_ctx, world):
    """Staff read local time and words: never UTC, never ``cash_topup``."""
    from datetime import datetime

    from backend.console.labels import has_label

    fund_wallet(db, world["patron"], 1000, source="cash")
    db.commit()
    _login(client, world["librarian"], "desk pass")
    session_url = _open(client, world).headers["Location"].split("?")[0]
    fields = _form_fields(client, session_url, "form-topup")
    client.post(f"{session_url}/topup", data={**fields, "card_number": "DESK0001", "amount": "5,00"})
    db.rollback()
    cash_session = db.scalar(select(CashSession))
    cash_session.created_at = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)  # summer: Rome is UTC+2
    db.commit()

    page, _ = _page(client, session_url)
    assert "Sessione aperta dal" in page and ">01/07/2026 10:05</time>" in page and "UTC" not in page
    assert "Ricarica in contanti" in page and "Contanti" in page
    assert "cash_topup" not in page and ">cash<" not in page

    fields = _form_fields(client, session_url, "form-close")
    client.post(f"{session_url}/close", data={**fields, "counted": "105,00"})
    db.rollback()
    cash_session = db.scalar(select(CashSession))
    cash_session.closed_at = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # winter: UTC+1
    db.commit()
    closed, _ = _page(client, session_url)
    assert "Sessione chiusa il" in closed and ">01/12/2026 18:30</time>" in closed and "UTC" not in closed
    assert all(has_label("desk_operation", kind) for kind in ("cash_topup", "cash_payout"))
    db.rollback()
