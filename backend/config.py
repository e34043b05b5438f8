"""Settings from environment variables, with safe defaults for the demo.

Every setting has one name, read in one place. ``Settings.from_env()`` is the
only reader of ``os.environ`` for the app; tests build ``Settings`` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace  # noqa: F401 (fields: tests)
from pathlib import Path
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum import luhn

from payments.base import Creditor

DEMO_SECRET = "demo-secret-change-me-0000000000000000"
# Made-up creditor bodies of the demo networks (valid check digits, no real account).
DEMO_PAGOPA_CREDITORS = (
    "CSBNO=80012345676:01:IT60X0542811101000000123456;SBM=80098765433:02:IT07X0542811101000000654321"
)
DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("demo-data") / "borsellino.sqlite")


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the message says why."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # name -> (env var, description) lives in ENV_VARS below, for the README table.
    env: str = "development"
    secret_key: str = DEMO_SECRET
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 10
    log_level: str = "INFO"
    public_base_url: str = "http://127.0.0.1:8000"
    ratelimit_storage_uri: str = "memory://"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none).
    trusted_proxies: int = 0
    # JWT: "kid:secret" pairs separated by commas; the first signs, all verify.
    jwt_keys: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    payment_provider: str = "sandbox"
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    # Which top-up channels each network's patrons get: "CODE=stripe+pagopa;CODE2=pagopa", "*" for the rest.
    # The default is the demo's networks; production sets its own (``check`` refuses the sandbox).
    topup_channels: str = "CSBNO=stripe+pagopa;SBM=pagopa;*=stripe"
    # pagoPA: `sandbox` (demo only) or `gpd` (the debt-position service).
    pagopa_provider: str = "sandbox"
    pagopa_gpd_url: str = "https://api.uat.platform.pagopa.it/gpd/debt-positions-service/v1"
    pagopa_receipts_url: str = "https://api.uat.platform.pagopa.it/gpd/payments-receipts-service/v1"
    pagopa_subscription_key: str = ""
    # The key the paid-receipt notifier presents (header `Ocp-Apim-Subscription-Key`).
    pagopa_notification_key: str = ""
    # Each network's creditor body: "CODE=fiscal code:segregation code:IBAN;CODE2=…" (default: the demo's).
    pagopa_creditors: str = DEMO_PAGOPA_CREDITORS
    # How long a pagoPA notice can be paid.
    pagopa_notice_days: int = 30
    topup_min_amount: int = 500
    topup_max_amount: int = 50_000
    wallet_max_balance: int = 100_000
    # Code of the network that holds the card processor account: its finance reconciles the payouts.
    card_account_network: str = ""
    # Cents a statement line and our booking may differ by and still match.
    reconciliation_tolerance: int = 0
    # The network's commission on wallet payments at partners' tills, in basis points (100 = 1 %).
    partner_commission_bp: int = 0
    donation_min_amount: int = 100
    donation_max_amount: int = 500_000
    currency: str = "EUR"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Borsellino <noreply@retedellereti.example>"
    fcm_credentials_file: str = ""
    webpush_vapid_private_key: str = ""
    webpush_vapid_subject: str = "mailto:noreply@retedellereti.example"
    idempotency_ttl_hours: int = 48
    # How long a duplicate request waits for the first one with its key (PostgreSQL), then 409.
    idempotency_wait_ms: int = 5000
    # Connections older than this are replaced at checkout (instead of pinging every checkout).
    database_pool_recycle_seconds: int = 1800
    # Partner passes: "kid:seed" pairs; the first signs, all are published in the JWKS.
    pass_keys: str = ""
    # Cheap hashing is for the test suite only; production refuses it.
    password_hash_fast: bool = False
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def channels_of(self, network_code: str) -> tuple[str, ...]:
        """The top-up methods a network offers (``stripe``, ``pagopa``), in the configured order."""
        table = _pairs(self.topup_channels, "BORSELLINO_TOPUP_CHANNELS")
        chosen = table.get(network_code, table.get("*", ""))
        methods = tuple(m for m in chosen.replace(",", "+").split("+") if m)
        unknown = set(methods) - set(TOPUP_METHODS)
        if unknown:
            raise ConfigError(f"BORSELLINO_TOPUP_CHANNELS names unknown methods {sorted(unknown)}")
        return methods

    def pagopa_creditor(self, network_code: str) -> Creditor | None:
        """The network's creditor body for pagoPA, or None when it has none configured."""
        raw = _pairs(self.pagopa_creditors, "BORSELLINO_PAGOPA_CREDITORS").get(network_code)
        if raw is None:
            return None
        parts = raw.split(":")
        if len(parts) != 3:
            raise ConfigError(
                f"BORSELLINO_PAGOPA_CREDITORS for {network_code}: expected fiscal code:segregation code:IBAN"
            )
        fiscal_code, segregation_code, iban = (p.strip() for p in parts)
        if not (len(fiscal_code) == 11 and fiscal_code.isdigit() and luhn.is_valid(fiscal_code)):
            raise ConfigError(f"BORSELLINO_PAGOPA_CREDITORS for {network_code}: the fiscal code is not valid")
        if not (len(segregation_code) == 2 and segregation_code.isdigit()):
            raise ConfigError(f"BORSELLINO_PAGOPA_CREDITORS for {network_code}: the segregation code is 2 digits")
        if not stdnum_iban.is_valid(iban):
            raise ConfigError(f"BORSELLINO_PAGOPA_CREDITORS for {network_code}: the IBAN is not valid")
        return Creditor(fiscal_code, segregation_code, stdnum_iban.compact(iban))

    def offers_pagopa(self) -> bool:
        table = _pairs(self.topup_channels, "BORSELLINO_TOPUP_CHANNELS")
        return any("pagopa" in value for value in table.values())

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if f.name == "database_url":
                raw = environ.get("DATABASE_URL", raw)
            if raw is None:
                continue
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("bool", bool):
                values[f.name] = _bool(raw)
            else:
                values[f.name] = raw
        return cls(**values)

    def check(self) -> None:
        """Refuse unsafe production settings, saying exactly which and why."""
        if not self.is_production:
            return
        problems = []
        if self.secret_key == DEMO_SECRET or len(self.secret_key) < 32:
            problems.append("BORSELLINO_SECRET_KEY is the demo default or shorter than 32 characters")
        if not self.jwt_keys:
            problems.append("BORSELLINO_JWT_KEYS is not set (signing keys for access tokens)")
        if self.is_sqlite:
            problems.append("DATABASE_URL points to SQLite; production needs PostgreSQL")
        if self.payment_provider == "sandbox":
            problems.append("BORSELLINO_PAYMENT_PROVIDER is 'sandbox', which takes no real money")
        if self.offers_pagopa():
            if self.pagopa_provider == "sandbox":
                problems.append("BORSELLINO_PAGOPA_PROVIDER is 'sandbox', which takes no real money")
            if not self.pagopa_subscription_key or not self.pagopa_notification_key:
                problems.append("BORSELLINO_PAGOPA_SUBSCRIPTION_KEY or BORSELLINO_PAGOPA_NOTIFICATION_KEY is not set")
            if not self.pagopa_creditors or self.pagopa_creditors == DEMO_PAGOPA_CREDITORS:
                problems.append("BORSELLINO_PAGOPA_CREDITORS is empty or the demo's while a network offers pagoPA")
        if self.password_hash_fast:
            problems.append("BORSELLINO_PASSWORD_HASH_FAST weakens password hashing")
        if problems:
            raise ConfigError("Refusing to start in production mode: " + "; ".join(problems) + ".")


ENV_PREFIX = "BORSELLINO_"
TOPUP_METHODS = ("stripe", "pagopa")


def _pairs(raw: str, name: str) -> dict[str, str]:
    """``"A=x;B=y"`` as a dict (``;`` between pairs, ``=`` inside)."""
    table = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{name}: expected CODE=value pairs separated by ';', got {item!r}")
        table[key.strip()] = value.strip()
    return table


# Documented in the README; a test checks every Settings field appears here.
ENV_VARS = {
    "BORSELLINO_ENV": "`development` (default) or `production` (refuses unsafe settings)",
    "DATABASE_URL": "SQLAlchemy URL; `sqlite:///demo-data/borsellino.sqlite` by default, "
    "`postgresql+psycopg://user@host/db` in production",
    "BORSELLINO_DATABASE_POOL_SIZE": "connections per process (PostgreSQL)",
    "BORSELLINO_DATABASE_POOL_RECYCLE_SECONDS": "connections older than this are replaced (1800); "
    "no ping per checkout, a dead connection is retried",
    "BORSELLINO_SECRET_KEY": "secret for signing (≥ 32 characters in production)",
    "BORSELLINO_JWT_KEYS": "`kid:secret,kid2:secret2`: the first key signs access tokens, all verify",
    "BORSELLINO_ACCESS_TOKEN_MINUTES": "lifetime of access tokens (15)",
    "BORSELLINO_REFRESH_TOKEN_DAYS": "lifetime of refresh tokens (30)",
    "BORSELLINO_LOG_LEVEL": "`INFO` by default",
    "BORSELLINO_PUBLIC_BASE_URL": "URL the API is reached at (OpenAPI `servers`, links in emails)",
    "BORSELLINO_RATELIMIT_STORAGE_URI": "`memory://` (default) or `redis://127.0.0.1:6379/0`",
    "BORSELLINO_TRUSTED_PROXIES": "how many reverse proxies in front of the app set `X-Forwarded-For` / "
    "`X-Forwarded-Proto` (0, the default: the headers are ignored and the peer address is the client's); "
    "behind one nginx, 1. Rate limits per address need it: otherwise every client shares the proxy's bucket",
    "BORSELLINO_PAYMENT_PROVIDER": "`sandbox` (demo only) or `stripe`",
    "BORSELLINO_STRIPE_SECRET_KEY": "Stripe secret key",
    "BORSELLINO_STRIPE_PUBLISHABLE_KEY": "Stripe publishable key, handed to the app",
    "BORSELLINO_STRIPE_WEBHOOK_SECRET": "Stripe webhook signing secret",
    "BORSELLINO_CARD_ACCOUNT_NETWORK": "code of the network holding the Stripe account: card clearing is in its "
    "books (other networks' card money is a position it owes them) and its finance staff reconcile the payouts "
    "(empty with a single network: that one). Set it before the first card payment, and for the migration "
    "f03_card_accounts_card_network",
    "BORSELLINO_RECONCILIATION_TOLERANCE": "cents a statement line may differ from our booking and still match (0)",
    "BORSELLINO_PARTNER_COMMISSION_BP": "the network's commission on partners' till payments, in basis points "
    "(0; 150 = 1.5 %), kept in the monthly partner settlement",
    "BORSELLINO_TOPUP_CHANNELS": "top-up methods per network code, `CSBNO=stripe+pagopa;SBM=pagopa`, `*` for "
    "every other network (default: the demo's networks, `CSBNO=stripe+pagopa;SBM=pagopa;*=stripe`)",
    "BORSELLINO_PAGOPA_PROVIDER": "`sandbox` (demo only) or `gpd` (pagoPA's debt-position service)",
    "BORSELLINO_PAGOPA_GPD_URL": "base URL of GPD's debt-position service",
    "BORSELLINO_PAGOPA_RECEIPTS_URL": "base URL of GPD's payment-receipts service",
    "BORSELLINO_PAGOPA_SUBSCRIPTION_KEY": "subscription key for the GPD services",
    "BORSELLINO_PAGOPA_NOTIFICATION_KEY": "key the paid-receipt notifier sends in `Ocp-Apim-Subscription-Key`",
    "BORSELLINO_PAGOPA_CREDITORS": "each network's creditor body, `CSBNO=<fiscal code>:<segregation code>:<IBAN>;…` "
    "(default: made-up ones for the demo networks, refused in production)",
    "BORSELLINO_PAGOPA_NOTICE_DAYS": "days a pagoPA notice can be paid (30)",
    "BORSELLINO_TOPUP_MIN_AMOUNT": "smallest card top-up in cents (500)",
    "BORSELLINO_TOPUP_MAX_AMOUNT": "largest card top-up in cents (50000)",
    "BORSELLINO_WALLET_MAX_BALANCE": "largest wallet balance in cents (100000)",
    "BORSELLINO_DONATION_MIN_AMOUNT": "smallest +Teca donation in cents (100)",
    "BORSELLINO_DONATION_MAX_AMOUNT": "largest single +Teca donation in cents (500000)",
    "BORSELLINO_CURRENCY": "`EUR`",
    "BORSELLINO_SMTP_HOST": "SMTP server for email; empty disables email",
    "BORSELLINO_SMTP_PORT": "SMTP port (25)",
    "BORSELLINO_SMTP_USERNAME": "SMTP user",
    "BORSELLINO_SMTP_PASSWORD": "SMTP password",
    "BORSELLINO_SMTP_STARTTLS": "`true` to use STARTTLS",
    "BORSELLINO_MAIL_FROM": "sender of emails",
    "BORSELLINO_FCM_CREDENTIALS_FILE": "Firebase service-account JSON; empty disables FCM push",
    "BORSELLINO_WEBPUSH_VAPID_PRIVATE_KEY": "VAPID private key; empty disables Web Push",
    "BORSELLINO_WEBPUSH_VAPID_SUBJECT": "VAPID subject (`mailto:` address)",
    "BORSELLINO_IDEMPOTENCY_TTL_HOURS": "how long idempotent responses are replayed (48)",
    "BORSELLINO_IDEMPOTENCY_WAIT_MS": "how long a duplicate waits for the first request with its key, "
    "then 409 (PostgreSQL `lock_timeout`, 5000)",
    "BORSELLINO_PASS_KEYS": "`kid:seed,kid2:seed2`: Ed25519 keys of partner passes (from each seed); the first "
    "signs, all are published at `/v1/partners/keys`; empty: one key derived from the secret key",
    "BORSELLINO_PASSWORD_HASH_FAST": "test suite only: cheap password hashing",
    "BORSELLINO_TESTING": "test suite only",
}
