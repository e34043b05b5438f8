"""The app factory: settings, database, middleware and every domain's blueprints, once."""

from __future__ import annotations

from flask import g
from flask_swagger_ui import get_swaggerui_blueprint
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.accounts import api as accounts_api
from backend.auth.passwords import use_fast_hashing
from backend.campaigns import api as campaigns_api
from backend.config import Settings
from backend.confirmations import api as confirmations_api
from backend.console import pages as console_pages
from backend.db import Database
from backend.desk import api as desk_api
from backend.events import api as events_api
from backend.fees import api as fees_api
from backend.finance import api as finance_api
from backend.finance.reconciliation import api as reconciliation_api
from backend.guides import api as guides_api
from backend.ledger.services import CARD_NETWORK_INFO
from backend.notify import api as notify_api
from backend.notify.services import CHANNELS_INFO, configured_channels
from backend.partners import api as partners_api
from backend.shop import api as shop_api
from backend.topups import api as topups_api
from backend.wallet import api as wallet_api
from backend.web import ops
from backend.web.api import Api
from backend.web.database import EXTENSION as DATABASE
from backend.web.database import db
from backend.web.error_responses import register_error_handlers
from backend.web.idempotency import record_failure
from backend.web.logging_setup import configure_logging, install_request_logging
from backend.web.rate_limit import init_limiter
from backend.web.request_guard import guard_request
from backend.web.security_headers import add_security_headers
from backend.web.unit_of_work import BorsellinoFlask

API_TITLE = "Borsellino API"
API_VERSION = "v1"


def create_app(config: Settings | dict | None = None) -> BorsellinoFlask:
    """Build the app. ``config``: a ``Settings``, a dict of overrides, or None (environment)."""
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_env().with_overrides(**(config or {}))
    settings.check()
    configure_logging(settings.log_level)
    use_fast_hashing(settings.password_hash_fast)

    app = BorsellinoFlask("backend")
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        **_openapi_settings(settings),
    )
    database = app.extensions[DATABASE] = Database(
        settings.database_url, settings.database_pool_size, pool_recycle=settings.database_pool_recycle_seconds
    )
    configure_database(database, settings)

    register_error_handlers(app)
    install_request_logging(app)
    # Before every other hook (the rate limiter's keys read the body too).
    app.before_request(guard_request)
    app.after_request(record_failure)
    app.after_request(add_security_headers)
    if settings.trusted_proxies:
        # The client address (rate limits, logs) and scheme come from the last
        # ``trusted_proxies`` hops of X-Forwarded-For / -Proto, never from the client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    # Per-request state lives on ``g``; a request may share an outer app context
    # (tests, CLI), so start and end every request with a clean slate.
    app.before_request(_reset_request_state)
    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)
    init_limiter(app)

    api = app.extensions["borsellino.api"] = Api(app)
    _register_blueprints(api)
    app.register_blueprint(
        get_swaggerui_blueprint("/docs", "/openapi.json", config={"app_name": API_TITLE}),
        url_prefix="/docs",
    )
    return app


def configure_database(database: Database, settings: Settings) -> None:
    """What services read from their session's ``info``: the configured notification channels, and
    the network holding the card processor's account (whose books card money goes through).

    One set, updated in place, shared by every session of ``database`` (even one
    already open), so that the settings of a running app can be changed (tests).
    """
    channels = database.session_info.setdefault(CHANNELS_INFO, set())
    channels.clear()
    channels.update(configured_channels(settings))
    database.session_info[CARD_NETWORK_INFO] = settings.card_account_network


def _reset_request_state() -> None:
    for name in ("_principal", "idempotency_claim", "idempotency_recorded", "idempotency_commit_refusal"):
        g.pop(name, None)
    _close_session()


def _close_session(_exc=None) -> None:
    db.discard_session()


def _register_blueprints(api: Api) -> None:
    api.register_blueprint(ops.blp)
    for module in (
        accounts_api,
        topups_api,
        desk_api,
        wallet_api,
        fees_api,
        finance_api,
        partners_api,
        confirmations_api,
        campaigns_api,
        reconciliation_api,
        shop_api,
    ):
        for blueprint in module.blueprints:
            api.register_blueprint(blueprint)
    api.register_blueprint(notify_api.blp)
    api.register_blueprint(events_api.blp)
    api.register_blueprint(guides_api.blp)
    # The staff console is server-rendered HTML, outside the OpenAPI contract.
    api._app.register_blueprint(console_pages.bp)


PRODUCTION_URL = "https://api.retedellereti.example"


def _servers(settings: Settings) -> list[dict]:
    """This server first (BORSELLINO_PUBLIC_BASE_URL: the demo's port), so Swagger UI tries it
    out against itself, then production."""
    here = settings.public_base_url.rstrip("/")
    if here == PRODUCTION_URL:
        return [{"url": PRODUCTION_URL, "description": "Production"}]
    return [
        {"url": here, "description": "This server (BORSELLINO_PUBLIC_BASE_URL; the demo's by default)"},
        {"url": PRODUCTION_URL, "description": "Production"},
    ]


def _openapi_settings(settings: Settings) -> dict:
    return {
        "API_TITLE": API_TITLE,
        "API_VERSION": API_VERSION,
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    "The API of the Rete delle Reti patron app: one account and one wallet for "
                    "every citizen in every library of every member network. See "
                    "mobile_api_spec/README.md for auth, errors, pagination, idempotency and money."
                ),
                "contact": {"name": "Rete delle Reti", "email": "api@retedellereti.example"},
            },
            "servers": _servers(settings),
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        },
    }
