"""Secrets refuse to print themselves; settings that hold them print ``***`` instead."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from pathlib import Path

import pytest

from checkline.master.settings import settings_from
from checkline.resultsdb.config import load_settings as resultsdb_settings
from checkline.secrets import MASK, Secret, redact_url
from checkline.trigger.config import load_settings as trigger_settings

PASSWORD = "hunter2-s3cret"  # noqa: S105 - a test value


def test_secret_never_prints_its_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(PASSWORD)
    shown = [str(secret), repr(secret), f"{secret}", f"{secret!r}", f"{secret:>30}", "%s" % secret]  # noqa: UP031
    assert all(PASSWORD not in text for text in shown)
    assert str(secret) == MASK
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("settings %s %r", secret, [secret])
    assert PASSWORD not in caplog.text
    assert secret.reveal() == PASSWORD


def test_secret_is_not_serialised() -> None:
    secret = Secret(PASSWORD)
    with pytest.raises(TypeError):
        json.dumps({"token": secret})
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert copy.deepcopy(secret) is secret


def test_secret_compares_by_value_and_is_immutable() -> None:
    assert Secret(PASSWORD) == Secret(PASSWORD) and Secret("a") != Secret("b")
    assert Secret(PASSWORD) != PASSWORD  # never equal to the plain string (no oracle)
    assert hash(Secret(PASSWORD)) == hash(Secret(PASSWORD))
    assert Secret(PASSWORD).matches(PASSWORD) and not Secret(PASSWORD).matches("other")
    assert not Secret("") and Secret("x")
    with pytest.raises(AttributeError):
        Secret("x")._value = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://qa:pw@db.example:5432/x",
            "postgresql+psycopg://qa:***@db.example:5432/x",
        ),
        ("amqp://guest:guest@127.0.0.1:5672/%2F", "amqp://guest:***@127.0.0.1:5672/%2F"),
        ("http://u:p@[::1]/x", "http://u:***@[::1]/x"),
        ("sqlite:////tmp/ledger.sqlite", "sqlite:////tmp/ledger.sqlite"),
        ("http://127.0.0.1:8010/", "http://127.0.0.1:8010/"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_master_settings_repr_hides_every_secret() -> None:
    settings = settings_from(
        {
            "workers": [{"name": "w1", "password": PASSWORD + "-worker"}],
            "resultsdb_token": PASSWORD + "-token",
            "users": {"qa": PASSWORD + "-web"},
            "db_url": f"postgresql://bb:{PASSWORD}-db@127.0.0.1/bb",
        }
    )
    text = repr(settings)
    assert PASSWORD not in text
    assert "w1" in text and "qa" in text and "postgresql://bb:***@127.0.0.1/bb" in text
    assert settings.workers[0].password.reveal() == PASSWORD + "-worker"
    assert settings.users["qa"].reveal() == PASSWORD + "-web"


def test_trigger_settings_repr_hides_password_and_ledger_url(tmp_path: Path) -> None:
    config = tmp_path / "trigger.toml"
    config.write_text(
        "[consumer_config.checkline]\n"
        f'buildbot_user = "qa"\nbuildbot_password = "{PASSWORD}"\n'
        f'db = "postgresql+psycopg://t:{PASSWORD}@127.0.0.1/ledger"\n'
    )
    settings = trigger_settings(config, env={})
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert settings.buildbot_password.reveal() == PASSWORD


def test_resultsdb_settings_repr_hides_token_and_database_password() -> None:
    env = {
        "CHECKLINE_RESULTSDB_WRITE_TOKEN": PASSWORD,
        "CHECKLINE_RESULTSDB_DB": f"postgresql+psycopg://r:{PASSWORD}@127.0.0.1/rdb",
    }
    settings = resultsdb_settings(env=env)
    assert PASSWORD not in repr(settings)
    assert settings.write_token.matches(PASSWORD)
