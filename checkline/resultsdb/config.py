"""ResultsDB settings: defaults, a TOML file, then ``CHECKLINE_RESULTSDB_*`` variables.

Options (TOML keys at the top level of the file, or in a ``[resultsdb]`` table):

``db``                   database URL; SQLite by default, ``postgresql+psycopg://...`` at scale.
                         Env ``CHECKLINE_RESULTSDB_DB``.
``additional_outcomes``  outcomes accepted beside PASSED, INFO, FAILED, NEEDS_INSPECTION; it
                         *replaces* the default list (upstream's ADDITIONAL_RESULT_OUTCOMES).
                         Env: comma-separated.
``publish``              ``false`` (default) or ``"fedora-messaging"``: announce every new result
                         as ``resultsdb.result.new`` (its v2.0 JSON). fedora-messaging reads its
                         own settings (broker URL, exchange) from ``FEDORA_MESSAGING_CONF``.
``publish_changed_only`` announce a result only when its outcome differs from the previous
                         result of the same testcase + item + type + arch (the low-noise variant).
``write_token``          when set, POSTs need ``Authorization: Bearer <token>`` (or the body's
                         ``_auth_token``, which resultsdb-api sends); reads stay open.
``max_limit``            the largest ``limit`` a list request may ask for (400 above).

The file comes from ``--conf`` or ``CHECKLINE_RESULTSDB_CONF``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkline.secrets import NO_SECRET, Secret, redacted_repr

__all__ = ["BASE_OUTCOMES", "ConfigError", "Settings", "load_settings"]

BASE_OUTCOMES = ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION")
ENV_PREFIX = "CHECKLINE_RESULTSDB_"

DEFAULTS: dict[str, Any] = {
    "db": "sqlite:///resultsdb.sqlite",
    "additional_outcomes": ["ABORTED", "CRASHED", "QUEUED", "RUNNING", "ERROR"],
    "publish": False,
    "publish_changed_only": False,
    "write_token": "",
    "max_limit": 10000,
}


class ConfigError(ValueError):
    """A setting that is unknown or of the wrong type; the message names it."""


@dataclass(frozen=True)
class Settings:
    db: str = DEFAULTS["db"]
    additional_outcomes: tuple[str, ...] = tuple(DEFAULTS["additional_outcomes"])
    publish: str | bool = False
    publish_changed_only: bool = False
    write_token: Secret = NO_SECRET  # prints as ***
    max_limit: int = DEFAULTS["max_limit"]

    def __repr__(self) -> str:
        return redacted_repr(self)  # the database URL may hold a password

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every accepted outcome: the base four, then the additional ones."""
        extra = [o for o in self.additional_outcomes if o not in BASE_OUTCOMES]
        return (*BASE_OUTCOMES, *extra)


def _from_env(key: str, raw: str) -> Any:
    if key == "additional_outcomes":
        return [item.strip().upper() for item in raw.split(",") if item.strip()]
    if key == "publish_changed_only":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if key == "publish":
        off = raw.strip().lower() in ("", "0", "false", "no", "off")
        return False if off else raw.strip()
    if key == "max_limit":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}MAX_LIMIT must be an integer, got {raw!r}") from None
    return raw


def validate(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Check keys and types; return the values normalised.

    Raises:
        ConfigError: naming the key, the source and what was expected.
    """
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting(s) {', '.join(unknown)}; valid: {', '.join(DEFAULTS)}"
        )
    out = dict(values)
    expect = {
        "db": str,
        "write_token": str,
        "publish_changed_only": bool,
        "max_limit": int,
    }
    for key, kind in expect.items():
        value = out.get(key)
        if key in out and (
            not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)
        ):
            raise ConfigError(f"{source}: {key} must be {kind.__name__}, got {out[key]!r}")
    if "additional_outcomes" in out:
        outcomes = out["additional_outcomes"]
        if not isinstance(outcomes, list) or not all(isinstance(o, str) and o for o in outcomes):
            raise ConfigError(f"{source}: additional_outcomes must be a list of outcome names")
        out["additional_outcomes"] = tuple(o.strip().upper() for o in outcomes)
    if "publish" in out and out["publish"] not in (False, "fedora-messaging"):
        raise ConfigError(
            f'{source}: publish must be false or "fedora-messaging", got {out["publish"]!r}'
        )
    if "max_limit" in out and out["max_limit"] < 1:
        raise ConfigError(f"{source}: max_limit must be at least 1")
    return out


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file, then the environment, then ``overrides`` (CLI flags).

    Raises:
        ConfigError: an unreadable file, an unknown key or a bad value.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = path or env.get(f"{ENV_PREFIX}CONF")
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read {path}: {err}") from err
        data = data.get("resultsdb", data)
        values.update(validate(data, str(path)))
    from_env = {
        key: _from_env(key, env[ENV_PREFIX + key.upper()])
        for key in DEFAULTS
        if ENV_PREFIX + key.upper() in env
    }
    values.update(validate(from_env, "environment"))
    values.update(validate({k: v for k, v in overrides.items() if v is not None}, "options"))
    if "write_token" in values:
        values["write_token"] = Secret(values["write_token"])
    return Settings(**values)
