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
)


@pytest.mark.parametrize(
    "unsafe, words",
    [
        ({"secret_key": Settings().secret_key}, "BORSELLINO_SECRET_KEY"),
        ({"database_url": "sqlite:///x.sqlite"}, "SQLite"),
        ({"payment_provider": "sandbox"}, "sandbox"),
        ({"jwt_keys": ""}, "BORSELLINO_JWT_KEYS"),
        ({"password_hash_fast": True}, "BORSELLINO_PASSWORD_HASH_FAST"),
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
