"""Fixtures the +Teca card tests share: the Stripe provider over a fake Stripe."""

from __future__ import annotations

import pytest

from backend.topups.provider import EXTENSION
from payments.stripe_provider import StripeProvider
from tests.topups.fake_stripe import WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def stripe_fake(app):
    fake = FakeStripe()
    app.extensions[EXTENSION] = StripeProvider(
        secret_key="sk_test_123",
        publishable_key="pk_test_123",
        webhook_secret=WEBHOOK_SECRET,
        http_client=fake,
        max_network_retries=0,
    )
    yield fake
    app.extensions.pop(EXTENSION, None)
