"""The bank deposits console page: cash handed over (in transit), then a slip recorded for the sessions it carries."""

from __future__ import annotations

import re

import pytest

from tests.reconciliation.test_cash import Desks, _counts, _today

PAGE = "/console/reconciliation/deposits"


@pytest.fixture
def desks(client, db, app_ctx):
    return Desks(client, db)


def _sign_in(client, staff):
    page = client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        "/console/login", data={"email": staff.email, "password": "staff-password", "csrf_token": token}
    )
    assert response.status_code in (302, 303)


def _form(html):
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    key = re.search(r'name="form_key" value="([^"]+)"', html)
    return token, key.group(1) if key else None


def test_finance_hands_over_a_session_then_records_one_slip_for_two(desks):
    s1 = desks.session(desks.desks[0], 10_000, [2_000, 3_000], counted=15_000)  # 50,00 € for the bank
    s2 = desks.session(desks.desks[1], 5_000, [1_000], counted=5_950)  # 9,50 €
    client = desks.client
    _sign_in(client, desks.finance)
    url = f"{PAGE}?library_id={desks.rho.public_id}"
    html = client.get(url).get_data(as_text=True)
    assert "Versamenti in banca dei contanti" in html and desks.rho.name in html
    assert f'value="{s1}"' in html and f'value="{s2}"' in html and "50,00" in html and "9,50" in html
    assert "nel cassetto" in html
    token, _ = _form(html)

    handed = client.post(
        f"{PAGE}/handover",
        data={"csrf_token": token, "library_id": desks.rho.public_id, "session_ids": [s1]},
        follow_redirects=True,
    )
    page = handed.get_data(as_text=True)
    assert handed.status_code == 200 and "restano in viaggio" in page
    assert re.search(r'id="in-transit">50,00', page.replace("\xa0", " ")), page
    assert desks.balance("cash_in_transit", desks.rho) == 5_000

    token, key = _form(page)
    slip = {
        "csrf_token": token,
        "form_key": key,
        "library_id": desks.rho.public_id,
        "session_ids": [s1, s2],
        "amount": "59,50",
        "deposited_on": _today(),
        "slip_number": "BPM-000777",
    }
    done = client.post(PAGE, data=slip, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "Versamento registrato" in page
    assert "BPM-000777" in page and "Nessun contante in attesa di versamento" in page
    assert desks.balance("bank") == 5_950 and desks.balance("cash_in_transit", desks.rho) == 0
    # The same form sent again (a double click, a reload) records nothing more.
    again = client.post(PAGE, data=slip)
    assert again.status_code == 302 and _counts(desks) == (1, 2)

    english = desks.client.application.test_client()
    _sign_in(english, desks.finance)
    token = re.search(r'name="csrf_token" value="([^"]+)"', english.get(PAGE).get_data(as_text=True)).group(1)
    english.post("/console/language", data={"csrf_token": token, "lang": "en", "next": PAGE})
    page = english.get(url).get_data(as_text=True)
    assert "Bank deposits of cash" in page and "BPM-000777" in page and "59.50" in page


def test_refused_forms_say_why_and_change_nothing(desks):
    s1 = desks.session(desks.desks[0], 10_000, [4_000], counted=14_000)
    still_open = desks.session(desks.desks[1], 1_000, [500])
    other_library = desks.session(desks.desks[2], 1_000, [300], counted=1_300)
    client = desks.client
    _sign_in(client, desks.finance)
    url = f"{PAGE}?library_id={desks.rho.public_id}"
    html = client.get(url).get_data(as_text=True)
    assert still_open not in html and other_library not in html  # neither open nor another library's
    base = {"library_id": desks.rho.public_id, "amount": "40", "deposited_on": _today(), "slip_number": "X1"}

    def refused(data, status, says):
        token, key = _form(client.get(url).get_data(as_text=True))
        response = client.post(PAGE, data={"csrf_token": token, "form_key": key, **data})
        assert response.status_code == status, response.get_data(as_text=True)
        assert says in response.get_data(as_text=True)
        assert _counts(desks) == (0, 0) and desks.balance("bank") == 0

    refused(base, 400, "Scegli almeno una sessione")
    refused({**base, "session_ids": [s1], "slip_number": " "}, 400, "numero della distinta")
    refused({**base, "session_ids": [s1], "deposited_on": "2999-01-01"}, 400, "non nel futuro")
    refused({**base, "session_ids": [s1], "deposited_on": "ieri"}, 400, "non valida")
    refused({**base, "session_ids": [s1], "amount": "quaranta"}, 400, "")
    refused({**base, "session_ids": [s1, still_open]}, 409, "non è chiusa")
    refused({**base, "session_ids": [s1, other_library]}, 422, "un&#39;altra biblioteca")
    token, _ = _form(html)
    empty = client.post(f"{PAGE}/handover", data={"csrf_token": token, "library_id": desks.rho.public_id})
    assert empty.status_code == 400 and _counts(desks) == (0, 0)

    # Another network's finance: not the library, not the sessions; a librarian: not the page.
    other = desks.client.application.test_client()
    _sign_in(other, desks.other_finance)
    assert other.get(url).status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', other.get(PAGE).get_data(as_text=True)).group(1)
    stolen = other.post(f"{PAGE}/handover", data={"csrf_token": token, "session_ids": [s1]})
    assert stolen.status_code == 404 and _counts(desks) == (0, 0)
    librarian = desks.client.application.test_client()
    _sign_in(librarian, desks.librarian)
    assert librarian.get(PAGE).status_code == 403
