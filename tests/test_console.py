"""Staff console: cookie sign-in with CSRF, dashboard per role, finding a patron."""

from __future__ import annotations

import re

import pytest

from backend.accounts import membership
from tests.support.factories import make_library, make_network, make_patron, make_staff, make_venue


@pytest.fixture
def people(db):
    network = make_network(db)
    library = make_library(db, network)
    librarian = make_staff(db, "librarian", network, libraries=[library], password="librarian pass")
    partner = make_staff(db, "partner", network, venue=make_venue(db, network), password="partner pass")
    patron = make_patron(db, network, library, card="CONS0001")
    db.commit()
    return {"librarian": librarian, "partner": partner, "patron": patron}


def _csrf(client, path="/console/login"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client, email, password):
    return client.post("/console/login", data={"email": email, "password": password, "csrf_token": _csrf(client)})


def test_pages_need_a_signed_in_staff_user(client, people):
    response = client.get("/console/patrons/find")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_login_needs_the_csrf_token(client, people):
    response = client.post("/console/login", data={"email": people["librarian"].email, "password": "librarian pass"})
    assert response.status_code == 400
    assert client.get("/console/").status_code == 302


def _switch(client, lang, page="/console/login"):
    return client.post("/console/language", data={"lang": lang, "next": page, "csrf_token": _csrf(client, page)})


def test_wrong_password_shows_an_error_in_the_language_chosen(client, people):
    _switch(client, "en")
    response = client.post(
        "/console/login", data={"email": people["librarian"].email, "password": "nope", "csrf_token": _csrf(client)}
    )
    assert response.status_code == 401 and "Invalid email or password" in response.get_data(as_text=True)


def test_the_sign_in_page_speaks_the_language_of_the_pages_after_it(client, db, people):
    """An English browser used to get an English sign-in page, then Italian pages for an Italian user."""
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    login = client.get("/console/login", headers=english_browser).get_data(as_text=True)
    assert '<html lang="it">' in login and "Accesso personale" in login and "Staff sign-in" not in login
    _login(client, people["librarian"].email, "librarian pass")
    dashboard = client.get("/console/", headers=english_browser).get_data(as_text=True)
    assert '<html lang="it">' in dashboard and "Ciao, " in dashboard


def test_the_language_switch_holds_across_sign_in_pages_and_sign_out(client, db, people):
    moved = _switch(client, "en")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/console/login")
    assert "Staff sign-in" in client.get("/console/login").get_data(as_text=True)
    _login(client, people["librarian"].email, "librarian pass")
    dashboard = client.get("/console/").get_data(as_text=True)
    assert '<html lang="en">' in dashboard and "Hello, " in dashboard and '<dd id="role">Librarian</dd>' in dashboard
    db.refresh(people["librarian"])
    assert people["librarian"].language == "en"  # the user's own language from now on, in any browser

    back = _switch(client, "it", page="/console/patrons/find")
    assert back.headers["Location"].endswith("/console/patrons/find")
    assert "Trova un utente" in client.get("/console/patrons/find").get_data(as_text=True)
    db.refresh(people["librarian"])
    assert people["librarian"].language == "it"
    client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    assert "Accesso personale" in client.get("/console/login").get_data(as_text=True)


def test_the_switch_ignores_unknown_languages_and_foreign_redirects(client, db, people):
    response = client.post(
        "/console/language", data={"lang": "xx", "next": "https://evil.example/", "csrf_token": _csrf(client)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    assert '<html lang="it">' in client.get("/console/login").get_data(as_text=True)
    assert client.post("/console/language", data={"lang": "en"}).status_code == 400  # CSRF checked


def test_roles_and_statuses_are_shown_in_words_not_codes(client, app_ctx, people):
    from backend.auth.principal import ROLES
    from backend.console.labels import has_label

    assert all(has_label("role", role) for role in ROLES)
    assert all(has_label("patron_status", status) for status in ("pending", "active", "deleted"))
    _login(client, people["partner"].email, "partner pass")
    assert '<dd id="role">Sede convenzionata</dd>' in client.get("/console/").get_data(as_text=True)


def test_librarian_sees_role_and_scope_and_finds_a_patron_by_card_or_code(client, app_ctx, people):
    assert _login(client, people["librarian"].email, "librarian pass").status_code == 302
    dashboard = client.get("/console/").get_data(as_text=True)
    assert '<dd id="role">Bibliotecario</dd>' in dashboard and "/console/patrons/find" in dashboard
    token = _csrf(client, "/console/patrons/find")
    by_card = client.post("/console/patrons/find", data={"card_number": "cons0001", "csrf_token": token})
    assert people["patron"].display_name in by_card.get_data(as_text=True)
    assert "· Attivo</p>" in by_card.get_data(as_text=True) and "active" not in by_card.get_data(as_text=True)
    code, _ = membership.issue(people["patron"], app_ctx.config["SETTINGS"])
    by_code = client.post("/console/patrons/find", data={"membership_code": code, "csrf_token": token})
    assert people["patron"].display_name in by_code.get_data(as_text=True)


def test_a_partner_cannot_open_the_librarian_pages(client, people):
    _login(client, people["partner"].email, "partner pass")
    assert client.get("/console/").status_code == 200
    assert client.get("/console/patrons/find").status_code == 403


def test_logout_ends_the_console_session(client, people):
    _login(client, people["librarian"].email, "librarian pass")
    response = client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
