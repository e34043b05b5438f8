"""Every route of the app × every kind of caller, checked against its declared policy.

Routes are read from ``app.url_map``, so endpoints added later are covered
without touching this file. For each route and method:

* no ``@allow``/``@public``/console policy → the test fails;
* API routes (``@allow(roles)``): anonymous → 401; a caller whose role is not
  allowed → 403; an allowed caller → neither 401 nor 403 (with made-up ids and
  an empty body the answer is typically 404 or 400: the point is that the
  policy let them through);
* console pages (``@staff_page(roles)``): anonymous and patrons → redirect to
  the sign-in page; staff of a role not allowed → 403; allowed staff → neither.

Callers: anonymous, a patron, another patron, a librarian of another library,
a partner, finance and an admin. Each route gets fresh people, so a route that
deletes or signs out its caller cannot disturb the next one.
"""

from __future__ import annotations

import uuid

from werkzeug.routing import IntegerConverter, UUIDConverter

from backend.web.policy import policy_of
from backend.web.rate_limit import limiter
from tests.support.factories import bearer, make_library, make_network, make_patron, make_staff, make_venue
from tests.test_route_policies import NOT_OURS

CALLERS = ("anonymous", "patron", "other_patron", "librarian_elsewhere", "partner", "finance", "admin")
ROLE = {
    "patron": "patron",
    "other_patron": "patron",
    "librarian_elsewhere": "librarian",
    "partner": "partner",
    "finance": "finance",
    "admin": "admin",
}


def _path(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 987654321
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.UUID(int=1)
        else:
            values[name] = "zz_not_a_real_id"
    return rule.build(values, append_unknown=False)[1]


def _people(db):
    network = make_network(db)
    home, elsewhere = make_library(db, network), make_library(db, network)
    people = {
        "patron": make_patron(db, network, home),
        "other_patron": make_patron(db, network, home),
        "librarian_elsewhere": make_staff(db, "librarian", network, libraries=[elsewhere]),
        "partner": make_staff(db, "partner", network, venue=make_venue(db, network)),
        "finance": make_staff(db, "finance", network),
        "admin": make_staff(db, "admin", network),
    }
    db.commit()
    return people


def _call(client, method, path, headers=None, data=None, json=None):
    return client.open(path, method=method, headers=headers or {}, data=data, json=json)


def _api_status(app, person, method, path):
    client = app.test_client()
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if person is not None:
        headers.update(bearer(person))
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return _call(client, method, path, headers, json=body).status_code


def _console_status(app, db, person, method, path):
    from backend.accounts import sessions

    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["csrf"] = "matrix-csrf"  # as after loading any console form
    if person is not None and ROLE.get(_name(person)) != "patron":
        with app.test_request_context():
            auth_session = sessions.start_session(db, app.config["SETTINGS"], person, channel="console").session
            db.commit()
        with client.session_transaction() as cookie:
            cookie["sid"] = auth_session.public_id
    data = {"csrf_token": "matrix-csrf"} if method in ("POST", "PUT", "PATCH", "DELETE") else None
    response = _call(client, method, path, data=data)
    if response.status_code == 302 and "/console/login?next=" in response.headers.get("Location", ""):
        return "sign-in"
    return response.status_code


def _name(person):
    return person._matrix_name


def test_every_route_against_every_caller(app, db):
    problems = []
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in NOT_OURS]
    assert any(r.rule.startswith("/v1/me") for r in rules)  # the walk sees the real app
    for rule in sorted(rules, key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            label = f"{method} {rule.rule}"
            policy = policy_of(view, method)
            if policy is None:
                problems.append(f"{label}: no declared policy")
                continue
            if policy.is_public:
                continue
            with app.app_context():
                limiter.reset()
                people = _people(db)
                for name, person in people.items():
                    person._matrix_name = name
                path = _path(rule)
                for caller in CALLERS:
                    person = people.get(caller)
                    allowed = caller != "anonymous" and ROLE[caller] in policy.roles
                    if policy.channel == "console":
                        status = _console_status(app, db, person, method, path)
                        signed_in = person is not None and ROLE[caller] != "patron"
                        expected = "page" if allowed else 403 if signed_in else "sign-in"
                        ok = (status not in ("sign-in", 403)) if allowed else status == expected
                    else:
                        status = _api_status(app, person, method, path)
                        expected = "not 401/403" if allowed else "401" if person is None else "403"
                        ok = (status not in (401, 403)) if allowed else status == int(expected)
                    if not ok:
                        problems.append(f"{label} as {caller}: got {status}, expected {expected}")
    assert problems == [], "\n" + "\n".join(problems)


def test_patron_a_never_reaches_patron_b_through_account_endpoints(client, db, app_ctx):
    """Ownership on the accounts endpoints that take an id: someone else's is a 404."""
    from tests.accounts_helpers import card_sign_in

    network = make_network(db)
    a, b = make_patron(db, network, pin="1111"), make_patron(db, network, pin="2222")
    admin_a, admin_b = make_staff(db, "admin", network), make_staff(db, "admin", make_network(db))
    db.commit()
    b_session = card_sign_in(client, b.card_number, "2222").get_json()["session_id"]
    assert client.delete(f"/v1/auth/sessions/{b_session}", headers=bearer(a)).status_code == 404
    assert client.get("/v1/me", headers=bearer(a)).get_json()["id"] == a.public_id
    # Admins act only in their own network.
    assert client.post(f"/v1/admin/staff/{admin_a.public_id}/deactivate", headers=bearer(admin_b)).status_code == 404
