"""Production mode refuses unsafe settings and says which."""

import pytest

from backend import create_app
from backend.config import ENV_VARS, ConfigError, Settings, fields

SAFE = dict(
    env="production",
    secret_key="s" * 40,
    jwt_keys="k1:" + "x" * 40,
    database_url="postgresql+psycopg://u@127.0.0.1/borsellino",
    payment_provider="stripe",
    topup_channels="*=stripe",
)


@pytest.mark.parametrize(
    "unsafe, words",
    [
        ({"secret_key": Settings().secret_key}, "BORSELLINO_SECRET_KEY"),
        ({"database_url": "sqlite:///x.sqlite"}, "SQLite"),
        ({"payment_provider": "sandbox"}, "sandbox"),
        ({"jwt_keys": ""}, "BORSELLINO_JWT_KEYS"),
        ({"password_hash_fast": True}, "BORSELLINO_PASSWORD_HASH_FAST"),
        ({"topup_channels": "*=stripe+pagopa"}, "BORSELLINO_PAGOPA_PROVIDER is 'sandbox'"),
        ({"topup_channels": "*=pagopa", "pagopa_provider": "gpd"}, "BORSELLINO_PAGOPA_CREDITORS"),
        ({"topup_channels": "*=pagopa", "pagopa_creditors": ""}, "BORSELLINO_PAGOPA_CREDITORS"),
    ],
)
def test_production_refuses_unsafe_settings(unsafe, words):
    with pytest.raises(ConfigError) as refused:
        create_app(Settings(**{**SAFE, **unsafe}))
    assert words in str(refused.value)


def test_production_accepts_safe_settings():
    Settings(**SAFE).check()


def test_environment_variables_are_read_and_typed():
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://x/y",
            "BORSELLINO_TOPUP_MIN_AMOUNT": "700",
            "BORSELLINO_SMTP_STARTTLS": "true",
        }
    )
    assert settings.database_url == "postgresql+psycopg://x/y"
    assert settings.topup_min_amount == 700
    assert settings.smtp_starttls is True


def test_every_setting_is_documented():
    for f in fields(Settings):
        if f.name in ("extra", "database_url"):
            continue
        assert "BORSELLINO_" + f.name.upper() in ENV_VARS


def test_production_accepts_pagopa_with_gpd_keys_and_creditors():
    Settings(
        **{**SAFE, "topup_channels": "CSBNO=stripe+pagopa;*=stripe"},
        pagopa_provider="gpd",
        pagopa_subscription_key="k",
        pagopa_notification_key="n",
        pagopa_creditors="CSBNO=80012345676:01:IT60X0542811101000000123456",
    ).check()


def test_channels_and_creditors_per_network_and_bad_ones_are_named():
    settings = Settings(
        topup_channels="CSBNO=stripe+pagopa;SBM=pagopa;*=stripe",
        pagopa_creditors="CSBNO=80012345676:01:IT60 X054 2811 1010 0000 0123 456;SBM=80012345677:02:IT60X0542811101000000123456",
    )
    assert settings.channels_of("CSBNO") == ("stripe", "pagopa")
    assert settings.channels_of("SBM") == ("pagopa",)
    assert settings.channels_of("OTHER") == ("stripe",)
    creditor = settings.pagopa_creditor("CSBNO")
    assert (creditor.fiscal_code, creditor.segregation_code, creditor.iban) == (
        "80012345676",
        "01",
        "IT60X0542811101000000123456",
    )
    assert settings.pagopa_creditor("OTHER") is None
    with pytest.raises(ConfigError, match="fiscal code"):
        settings.pagopa_creditor("SBM")  # check digit wrong
    with pytest.raises(ConfigError, match="IBAN"):
        Settings(pagopa_creditors="X=80012345676:01:IT61X0542811101000000123456").pagopa_creditor("X")
    with pytest.raises(ConfigError, match="unknown methods"):
        Settings(topup_channels="*=stripe+paypal").channels_of("X")
