"""ResultsDB settings: defaults, TOML, environment and options, and their error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkline.resultsdb.config import load_settings
from checkline.settings import SettingsError


def test_defaults() -> None:
    """Assert the defaults: SQLite, our additional outcomes, no token."""
    settings = load_settings(env={})
    assert settings.db == "sqlite:///resultsdb.sqlite"
    assert settings.outcomes == (
        "PASSED",
        "INFO",
        "FAILED",
        "NEEDS_INSPECTION",
        "ABORTED",
        "CRASHED",
        "QUEUED",
        "RUNNING",
        "ERROR",
    )
    assert settings.write_token.reveal() == ""


def test_file_then_env_then_options(tmp_path: Path) -> None:
    """Assert the TOML file is overridden by the environment, and both by options."""
    conf = tmp_path / "rdb.toml"
    conf.write_text(
        '[resultsdb]\ndb = "sqlite:///from-file"\nwrite_token = "file"\nmax_limit = 50\n'
    )
    env = {"CHECKLINE_RESULTSDB_CONFIG": str(conf), "CHECKLINE_RESULTSDB_WRITE_TOKEN": "env"}
    settings = load_settings(env=env, db="sqlite:///from-option")
    assert (settings.db, settings.write_token.reveal(), settings.max_limit) == (
        "sqlite:///from-option",
        "env",
        50,
    )


def test_additional_outcomes_replace_the_list() -> None:
    """Assert CHECKLINE_RESULTSDB_ADDITIONAL_OUTCOMES replaces (not extends) the extra list."""
    settings = load_settings(env={"CHECKLINE_RESULTSDB_ADDITIONAL_OUTCOMES": "crashed, waived"})
    assert settings.outcomes == (
        "PASSED",
        "INFO",
        "FAILED",
        "NEEDS_INSPECTION",
        "CRASHED",
        "WAIVED",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "dbb = 'x'\n",
            "unknown setting 'dbb'; valid: db, additional_outcomes, publish, "
            "publish_changed_only, write_token, max_limit",
        ),
        ("max_limit = 'many'\n", "max_limit must be an integer, got 'many'"),
        ("max_limit = 0\n", "max_limit must be at least 1"),
        ("additional_outcomes = 'X'\n", "additional_outcomes must be a list of outcome names"),
        ("db = [\n", "cannot read"),
    ],
)
def test_bad_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    """Assert each bad setting is reported with the file and the key."""
    conf = tmp_path / "rdb.toml"
    conf.write_text(text)
    with pytest.raises(SettingsError) as raised:
        load_settings(conf, env={})
    assert message in str(raised.value)
    assert str(conf) in str(raised.value)


def test_bad_env_value() -> None:
    """Assert a non-integer max limit in the environment is a SettingsError naming the variable."""
    with pytest.raises(
        SettingsError,
        match=r"^environment CHECKLINE_RESULTSDB_MAX_LIMIT: must be an integer, got 'lots'$",
    ):
        load_settings(env={"CHECKLINE_RESULTSDB_MAX_LIMIT": "lots"})
