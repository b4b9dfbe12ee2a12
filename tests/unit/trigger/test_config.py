"""Settings: defaults, the [consumer_config.checkline] table of a fedora-messaging file, flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkline.settings import SettingsError
from checkline.trigger.config import DEFAULT_CHECKS_DIR, TriggerSettings, load_settings


def test_defaults_without_a_file() -> None:
    """Assert no file and no environment give the defaults (the project's checks/)."""
    settings = load_settings(env={})
    assert settings == TriggerSettings()
    assert settings.checks_dir == DEFAULT_CHECKS_DIR
    assert (DEFAULT_CHECKS_DIR / "dummy" / "runtask.yml").is_file()


def test_file_then_flags(tmp_path: Path) -> None:
    """Assert the file's section applies, then flags override it; env names the file."""
    conf = tmp_path / "fm.toml"
    conf.write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2F"\n'
        "[consumer_config.checkline]\n"
        'db = "sqlite:///from-file.sqlite"\nbackend = "local"\nvalid_arches = ["x86_64", "s390x"]\n'
        'dedup_window = 60\nbuildbot_url = "http://bb.example:8010"\n'
    )
    settings = load_settings(
        env={"CHECKLINE_TRIGGER_CONFIG": str(conf)}, db="sqlite:///flag.sqlite"
    )
    assert settings.db == "sqlite:///flag.sqlite"
    assert settings.backend == "local"
    assert settings.valid_arches == ("x86_64", "s390x")
    assert settings.dedup_window == 60
    assert settings.buildbot_url == "http://bb.example:8010"
    assert settings.messaging["amqp_url"].startswith("amqp://")


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('dbb = "x"', r"unknown setting 'dbb'; valid: rules, db, backend"),
        ("dedup_window = true", "dedup_window must be a number, got True"),
        ('backend = "jenkins"', "backend must be one of none, local, buildbot, got 'jenkins'"),
        ("valid_arches = []", "valid_arches must be a non-empty list of arch names"),
        ("retry_interval = -1", "retry_interval must not be negative"),
        ("local_max_running = 0", "local_max_running must be at least 1"),
    ],
)
def test_bad_settings_named(tmp_path: Path, table: str, error: str) -> None:
    """Assert a bad key or value is refused with the file, the key and what was expected."""
    conf = tmp_path / "fm.toml"
    conf.write_text(f"[consumer_config.checkline]\n{table}\n")
    with pytest.raises(SettingsError, match=rf"^{conf} \[consumer_config.checkline\]: {error}"):
        load_settings(conf, env={})


def test_unreadable_file(tmp_path: Path) -> None:
    """Assert a TOML syntax error names the file."""
    conf = tmp_path / "fm.toml"
    conf.write_text("[consumer_config\n")
    with pytest.raises(SettingsError, match=f"cannot read {conf}"):
        load_settings(conf, env={})
