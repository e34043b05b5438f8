"""The configured payment providers of the app, one of each per process: cards and pagoPA notices."""

from __future__ import annotations

from typing import Any

from backend.config import Settings
from payments.base import NoticeProvider, PaymentProvider
from payments.pagopa import GpdProvider
from payments.pagopa_sandbox import SandboxNoticeProvider
from payments.sandbox import SandboxProvider
from payments.stripe_provider import StripeProvider

EXTENSION = "borsellino.payments"
NOTICE_EXTENSION = "borsellino.pagopa"


def build_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "stripe":
        return StripeProvider(
            secret_key=settings.stripe_secret_key,
            publishable_key=settings.stripe_publishable_key,
            webhook_secret=settings.stripe_webhook_secret,
        )
    if settings.payment_provider == "sandbox":
        if settings.is_production:
            raise RuntimeError("the sandbox payment provider is refused in production")
        return SandboxProvider()
    raise RuntimeError(f"unknown payment provider {settings.payment_provider!r}")


def get_provider(app: Any) -> PaymentProvider:
    """The Flask ``app``'s provider, built on first use; tests may put their own in ``app.extensions``."""
    provider = app.extensions.get(EXTENSION)
    if provider is None:
        provider = app.extensions[EXTENSION] = build_provider(app.config["SETTINGS"])
    return provider


def build_notice_provider(settings: Settings) -> NoticeProvider:
    if settings.pagopa_provider == "gpd":
        return GpdProvider(
            base_url=settings.pagopa_gpd_url,
            receipts_url=settings.pagopa_receipts_url,
            subscription_key=settings.pagopa_subscription_key,
        )
    if settings.pagopa_provider == "sandbox":
        if settings.is_production:
            raise RuntimeError("the pagoPA sandbox is refused in production")
        return SandboxNoticeProvider()
    raise RuntimeError(f"unknown pagoPA provider {settings.pagopa_provider!r}")


def get_notice_provider(app: Any) -> NoticeProvider:
    """The Flask ``app``'s pagoPA provider, built on first use; tests may put their own in ``app.extensions``."""
    provider = app.extensions.get(NOTICE_EXTENSION)
    if provider is None:
        provider = app.extensions[NOTICE_EXTENSION] = build_notice_provider(app.config["SETTINGS"])
    return provider
