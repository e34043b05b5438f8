"""The staff console in a real browser: Playwright driving Debian's Chromium, with axe-core on every page.

Run it with one command (it installs Chromium, Playwright and axe-core when missing)::

    bash scripts/browser.sh            # extra arguments go to pytest, e.g. -k journey

The main suite skips this folder (it needs a browser); ``scripts/browser.sh`` sets
``BORSELLINO_BROWSER_TESTS=1`` and then a missing Chromium or axe-core is an error, never a skip.

What a test gets here:

- ``console`` (session): the app served by a thread on a free 127.0.0.1 port, over a fresh
  SQLite database seeded with the demo data (``backend.demo.seed``: every domain's
  ``demo.py``) plus ``seed_harness`` below (a desk with no open session, a librarian of
  another library). ``console.url(path)``; ``console.read(fn)`` runs ``fn(session)`` in a
  transaction and returns its result (ids for paths, or checks after a journey).
- ``staff_page(login)``: a new browser context signed in as ``login`` (a key of ``LOGINS``),
  and its page at the dashboard. Each login signs in through the form once per run; later
  contexts reuse its cookie.
- ``check_page(page, name)``: saves ``<ARTIFACTS>/<name>.png`` (full page) and runs axe-core
  on the page: any serious or critical violation fails the test, listed with its elements.
- ``sign_in(page, login)``: the sign-in form, filled and sent as staff do.

A new console page: add one ``ConsolePage`` line to ``tests/browser/pages.py``; the page
is then opened, screenshotted and axe-checked by ``test_console_pages.py``. A journey
through several pages (as ``test_desk_journey.py``) calls ``check_page`` on each page.

Screenshots go to ``artifacts/browser/`` (``BORSELLINO_BROWSER_ARTIFACTS`` to move it);
CI keeps that folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("BORSELLINO_BROWSER_ARTIFACTS", REPO / "artifacts" / "browser"))
AXE_JS = Path(os.environ.get("BORSELLINO_AXE_JS", Path(__file__).parent / "node_modules/axe-core/axe.min.js"))
BLOCKING_IMPACTS = ("serious", "critical")

STAFF_PASSWORD = "demo-password"
# Who signs in: the demo's staff (README, "Demo logins") and the harness's own additions.
LOGINS = {
    "librarian": "bibliotecaria@rho.demo",
    "partner": "cassa@cinemaroma.demo",
    "finance": "finanza@csbno.demo",
    "admin": "admin@csbno.demo",
    "other_librarian": "bibliotecaria@legnano.demo",  # Biblioteca Civica di Legnano, same network
    "other_finance": "finanza@sbm.demo",  # the other network (SBM), from backend.finance.demo
}
SPARE_DESK = "Cassa 2"  # at Rho, no session open: the journey opens one


def chromium_path() -> str:
    found = os.environ.get("BORSELLINO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Chromium not found: install it with `apt-get install chromium` (scripts/browser.sh does)", pytrace=False
        )
    return found


# --- the app under test -------------------------------------------------------------------------


def seed_harness(session, ctx) -> None:
    """What the browser tests need beyond the demo: a desk to open, and a librarian of another library."""
    from backend.accounts.models import StaffUser
    from backend.auth.passwords import hash_secret
    from backend.desk.models import Desk

    rho, legnano = ctx.libraries[0], ctx.libraries[1]
    session.add(Desk(library=rho, name=SPARE_DESK))
    session.add(
        StaffUser(
            email=LOGINS["other_librarian"],
            name="Chiara Brambilla",
            role="librarian",
            network=ctx.network,
            libraries=[legnano],
            password_hash=hash_secret(STAFF_PASSWORD),
        )
    )
    session.flush()


@dataclass
class Console:
    base_url: str
    app: object

    def url(self, path: str) -> str:
        return self.base_url + path

    def read(self, fn):
        from backend.web.database import db

        with self.app.app_context():
            return db.run_in_transaction(fn)


def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # the app logs what matters; one line per request is noise
            pass

    return Quiet


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def console():
    from werkzeug.serving import make_server

    from backend import create_app
    from backend.config import Settings
    from backend.demo import seed
    from backend.migrations_support import upgrade
    from backend.web.database import db

    folder = Path(tempfile.mkdtemp(prefix="borsellino-browser-"))
    url = f"sqlite:///{folder / 'console.sqlite'}"
    upgrade(url)
    port = _free_port()
    app = create_app(
        Settings(
            database_url=url,
            secret_key="browser-secret-0123456789abcdef0123456789",
            jwt_keys="browser:browser-jwt-key-0123456789abcdef0123456789",
            password_hash_fast=True,
            log_level="WARNING",
            public_base_url=f"http://127.0.0.1:{port}",
        )
    )
    with app.app_context():
        db.run_in_transaction(lambda session: seed_harness(session, seed(session, app.config["SETTINGS"])))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_quiet_handler())
    thread = threading.Thread(target=server.serve_forever, name="console-server", daemon=True)
    thread.start()
    yield Console(f"http://127.0.0.1:{port}", app)
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["borsellino.db"].dispose()
    shutil.rmtree(folder, ignore_errors=True)


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def base_url(console) -> str:
    return console.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # An English-speaking browser, on purpose: the console must still speak Italian until asked.
    return {
        **browser_context_args,
        "locale": "en-US",
        "timezone_id": "Europe/Rome",
        "viewport": {"width": 1280, "height": 900},
        # axe-core is injected as an inline script, which the console's CSP rightly refuses.
        "bypass_csp": True,
    }


def sign_in(page, login: str) -> None:
    page.goto("/console/login")
    page.locator('input[name="email"]').fill(LOGINS[login])
    page.locator('input[name="password"]').fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/console/")


@pytest.fixture(scope="session")
def _signed_in_states(browser, browser_context_args):
    """One sign-in per login per run (the sign-in rate limit allows 10 a minute per email)."""
    states: dict[str, dict] = {}

    def state_of(login: str) -> dict:
        if login not in states:
            context = browser.new_context(**browser_context_args)
            sign_in(context.new_page(), login)
            states[login] = context.storage_state()
            context.close()
        return states[login]

    return state_of


@pytest.fixture
def staff_page(new_context, _signed_in_states):
    def open_as(login: str):
        page = new_context(storage_state=_signed_in_states(login)).new_page()
        page.goto("/console/")
        return page

    return open_as


# --- screenshots and accessibility ------------------------------------------------------------


def axe_violations(page) -> list[dict]:
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core not found at {AXE_JS}: run `npm ci --prefix tests/browser` (scripts/browser.sh does)",
            pytrace=False,
        )
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        lines.extend(
            f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}" for node in v["nodes"][:5]
        )
    return "\n".join(lines)


@pytest.fixture
def check_page():
    def check(page, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        violations = axe_violations(page)
        (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(violations, indent=1), encoding="utf-8")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe-core on {name} ({page.url}):\n{describe(blocking)}"

    return check
