"""ResultsDB settings: defaults, a TOML file, ``CHECKLINE_RESULTSDB_<KEY>`` variables, flags.

The file comes from ``--config`` (alias ``--conf``), else ``CHECKLINE_RESULTSDB_CONFIG``
(``CHECKLINE_RESULTSDB_CONF`` is its deprecated name); its keys sit at the top or in a
``[resultsdb]`` table. Loaded by :mod:`checkline.settings`; every key, its default and its
variable: ``docs/settings.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from checkline.secrets import NO_SECRET, Secret, redacted_repr
from checkline.settings import Part, load, setting

__all__ = ["BASE_OUTCOMES", "PART", "ResultsDBSettings", "load_settings"]

BASE_OUTCOMES = ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION")

#: Variables under CHECKLINE_RESULTSDB_ that are not the server's: ``checkline report`` (the
#: client) reads its server's URL and write token from them.
CLIENT_VARIABLES = frozenset({"CHECKLINE_RESULTSDB_URL", "CHECKLINE_RESULTSDB_TOKEN"})


def _outcome_names(outcomes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(o.strip().upper() for o in outcomes)


@dataclass(frozen=True)
class ResultsDBSettings:
    db: str = setting(
        "sqlite:///resultsdb.sqlite",
        doc="the database URL (`postgresql+psycopg://...` at scale)",
    )
    additional_outcomes: tuple[str, ...] = setting(
        ("ABORTED", "CRASHED", "QUEUED", "RUNNING", "ERROR"),
        doc="outcomes accepted beside PASSED, INFO, FAILED, NEEDS_INSPECTION; it *replaces* "
        "the default list (upstream's `ADDITIONAL_RESULT_OUTCOMES`)",
        kind="a list of outcome names",
        check=lambda names: None if all(names) else "must be a list of outcome names",
        tidy=_outcome_names,
    )
    publish: Literal[False, "fedora-messaging"] = setting(
        False,
        doc='`"fedora-messaging"`: announce every new result as `resultsdb.result.new` (its '
        "v2.0 JSON); fedora-messaging reads its own settings from `FEDORA_MESSAGING_CONF`",
        kind='false or "fedora-messaging"',
    )
    publish_changed_only: bool = setting(
        False,
        doc="announce a result only when its outcome differs from the previous result of the "
        "same testcase + item + type + arch",
    )
    write_token: Secret = setting(
        NO_SECRET,
        doc="when set, POSTs need `Authorization: Bearer <token>` (or the body's "
        "`_auth_token`); reads stay open",
    )
    max_limit: int = setting(
        10000,
        doc="the largest `limit` a list request may ask for (400 above)",
        check=lambda n: None if n >= 1 else "must be at least 1",
    )

    def __repr__(self) -> str:
        return redacted_repr(self)  # the database URL may hold a password

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every accepted outcome: the base four, then the additional ones."""
        extra = [o for o in self.additional_outcomes if o not in BASE_OUTCOMES]
        return (*BASE_OUTCOMES, *extra)


PART = Part(
    "resultsdb",
    ResultsDBSettings,
    table=("resultsdb",),
    table_optional=True,
    old_config_variables=("CHECKLINE_RESULTSDB_CONF",),
    foreign=CLIENT_VARIABLES,
)


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ResultsDBSettings:
    """Defaults, then the TOML file, then the environment, then ``overrides`` (flags).

    Raises:
        SettingsError: an unreadable file, an unknown key or a bad value.
    """
    return load(PART, path, env, overrides)
