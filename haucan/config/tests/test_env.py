from __future__ import annotations

import pytest

from haucan.config.env import ConfigError, database_from_url, env_bool, env_int, env_secret


def test_env_bool_accepts_common_spellings_and_refuses_others(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_env_int_checks_minimum(monkeypatch):
    monkeypatch.setenv("X_N", "3")
    with pytest.raises(ConfigError, match="at least 10"):
        env_int("X_N", 20, minimum=10)
    monkeypatch.setenv("X_N", "ten")
    with pytest.raises(ConfigError, match="not an integer"):
        env_int("X_N", 20)


def test_env_secret_reads_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_secret("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot be read"):
        env_secret("X_SECRET")


def test_database_url_parsing():
    db = database_from_url("postgresql://hc:p%40ss@db.local:5433/haucan?sslmode=require")
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "haucan",
        "hc",
        "p@ss",
        "db.local",
        "5433",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ConfigError, match="mysql"):
        database_from_url("mysql://x/y")


def test_production_hasher_is_argon2():
    from haucan.config import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
