"""A patron with a wallet and one library's fee income, for the ledger's service-level tests."""

import pytest

from backend.ledger.services import house_account
from tests.support.factories import make_library, make_network, make_patron


@pytest.fixture
def world(db, app_ctx):
    network = make_network(db)
    library = make_library(db, network)
    patron = make_patron(db, network, library)
    income = house_account(db, "fee_income", library.public_id, library=library)
    return db, patron, income
