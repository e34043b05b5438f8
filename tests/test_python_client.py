"""The app's main journey through a Python client generated from the committed contract
(openapi-python-client), against a live server: sign in, balance, pay a fee, buy a ticket,
list notifications. A response the generated models cannot parse fails here."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from backend.cli import SPEC_PATH
from tests.events.helpers import make_world
from tests.support.factories import bearer

PACKAGE = "borsellino_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    """Generate the client once for this module and import it."""
    root = tmp_path_factory.mktemp("pyclient")
    venv_bin = Path(sys.executable).parent
    subprocess.run(
        [
            str(venv_bin / "openapi-python-client"),
            "generate",
            "--path",
            str(SPEC_PATH),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--overwrite",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def live_server(app, db):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _api(package, module: str):
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def _charge_fee(client, world, patron, amount: int) -> str:
    """The librarian charges a fee at the desk (through the API, as staff do)."""
    response = client.post(
        "/v1/fees",
        json={
            "patron_id": patron.public_id,
            "library_id": world.library.public_id,
            "type": "overdue",
            "amount": {"amount": amount, "currency": "EUR"},
        },
        headers={**bearer(world.librarian), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_the_main_journey_through_the_generated_python_client(client_package, live_server, client, db):
    world = make_world(db, patrons=1, funds=5_000)
    patron = world.patrons[0]
    fee_id = _charge_fee(client, world, patron, 300)
    models = importlib.import_module(f"{PACKAGE}.models")
    Client, AuthenticatedClient = client_package.Client, client_package.AuthenticatedClient

    # Sign in with card and PIN.
    signed_in = _api(client_package, "auth.auth_card_sign_in_post").sync(
        client=Client(base_url=live_server),
        body=models.CardSignIn(card_number=patron.card_number, pin="1234", device_name="journey"),
    )
    assert isinstance(signed_in, models.TokenPair), signed_in
    me = AuthenticatedClient(base_url=live_server, token=signed_in.access_token)

    # The balance.
    balance = _api(client_package, "wallet.wallet_balance_get").sync(client=me)
    assert isinstance(balance, models.Balance)
    assert (balance.balance.amount, balance.balance.currency) == (5_000, "EUR")

    # Pay the outstanding fee.
    fees = _api(client_package, "fees.fees_fees_get").sync(client=me, status=models.FeesFeesGetStatus("outstanding"))
    assert [f.id for f in fees.data] == [fee_id]
    paid = _api(client_package, "fees.fees_fee_payments_post").sync(
        client=me, body=models.FeePay(fee_ids=[fee_id]), idempotency_key=str(uuid.uuid4())
    )
    assert isinstance(paid, models.FeePayment), paid
    assert paid.amount.amount == 300 and paid.balance.amount == 4_700

    # Buy a ticket for the first date on sale.
    dates = _api(client_package, "events.events_occurrences_get").sync(client=me, available_only=True)
    date = next(d for d in dates.data if d.id == world.occurrence.public_id)
    event = _api(client_package, "events.events_event_detail_get").sync(date.event.id, client=me)
    full = next(t for t in event.ticket_types if t.id == world.full.public_id)
    bought = _api(client_package, "events.events_orders_post").sync(
        date.id,
        client=me,
        idempotency_key=str(uuid.uuid4()),
        body=models.Purchase(items=[models.Item(ticket_type=full.id, quantity=1)]),
    )
    assert isinstance(bought, models.PurchaseResult), bought
    order = bought.order
    assert order.status == models.OrderStatus("completed") and order.total.amount == full.price.amount
    assert order.tickets[0].qr_code and order.created_at.tzinfo is not None

    # The notifications: the fee payment and the ticket are both in the inbox.
    inbox = _api(client_package, "notifications.notifications_inbox_get").sync(client=me)
    assert isinstance(inbox, models.NotificationPage)
    kinds = {note.kind for note in inbox.data}
    assert "fee_paid" in kinds and all(note.created_at.tzinfo is not None for note in inbox.data)
    after = _api(client_package, "wallet.wallet_balance_get").sync(client=me)
    assert after.balance.amount == 4_700 - full.price.amount
