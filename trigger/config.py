"""Trigger settings: defaults, then a fedora-messaging TOML file, then command-line overrides.

The trigger reads the same TOML file as fedora-messaging (``amqp_url``, ``qos``, ...); its own
options live in the ``[consumer_config.checkline]`` table, which fedora-messaging leaves to the
consumer. The file comes from ``--config`` (alias ``--conf``), else ``CHECKLINE_CONFIG``, else
``FEDORA_MESSAGING_CONF``; without one the defaults apply.

Options:

``rules``              the rules file (default ``rules.yml``).
``db``                 the ledger's database URL (default ``sqlite:///trigger.sqlite``;
                       ``postgresql+psycopg://...`` at scale).
``backend``            ``"none"`` (record jobs only), ``"local"`` (run them here with
                       ``checkline run``), ``"buildbot"`` (a Buildbot master's
                       ForceScheduler); default ``"none"``.
``checks_dir``         the checks repo: ``<dir>/<task>/runtask.yml`` (default: the project's
                       ``checks/``).
``valid_arches``       the arches a rule without ``arches`` runs on (default ``["x86_64"]``).
``dedup_window``       seconds during which the same (task, item, type, arch) is not scheduled
                       again (default 900, Taskotron's ``fuse_delay``); 0 turns it off.
``message_retention``  seconds a message id is remembered, so that its redelivery creates
                       nothing (default 604800, a week); the consumer prunes older ones.
``queue``              the durable queue the consumer reads (default ``checkline-trigger``).
``exchange``           the exchange it binds to (default ``amq.topic``).
``retry_interval``     seconds between two passes of the loop that submits jobs the backend
                       could not take (default 10).
``artifacts``          the local backend's artifacts folder (default ``artifacts``).
``local_max_running``  how many local runs at once (default 2); more jobs wait in the ledger.
``buildbot_url``       the Buildbot master (default ``http://127.0.0.1:8010/``).
``buildbot_scheduler`` its ForceScheduler taking the job's properties (default ``force``;
                       Checkline's ``master.cfg`` names it ``checkline``).
``buildbot_user``      with ``buildbot_password``: a user of the master's ``users``, for a
                       master that requires a login to force builds (one bound beyond
                       localhost); the password may also come from
                       ``CHECKLINE_BUILDBOT_PASSWORD``.
``local_command``      the command the local backend runs (default: the ``checkline`` script
                       installed beside this Python), as a list: ``["/opt/bin/checkline"]``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checkline.contracts import arch_problem
from checkline.secrets import NO_SECRET, Secret, redacted_repr

from .errors import ConfigError

__all__ = ["BACKENDS", "DEFAULT_CHECKS_DIR", "Settings", "load_settings", "settings_from_mapping"]

#: the project's own checks repo, the default ``checks_dir``.
DEFAULT_CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"
BACKENDS = ("none", "local", "buildbot")
SECTION = ("consumer_config", "checkline")


@dataclass(frozen=True)
class Settings:
    rules: Path = Path("rules.yml")
    db: str = "sqlite:///trigger.sqlite"
    backend: str = "none"
    checks_dir: Path = DEFAULT_CHECKS_DIR
    valid_arches: tuple[str, ...] = ("x86_64",)
    dedup_window: float = 900.0
    message_retention: float = 7 * 86400.0
    queue: str = "checkline-trigger"
    exchange: str = "amq.topic"
    retry_interval: float = 10.0
    artifacts: Path = Path("artifacts")
    local_max_running: int = 2
    local_command: tuple[str, ...] = ()
    buildbot_url: str = "http://127.0.0.1:8010/"
    buildbot_scheduler: str = "force"
    buildbot_user: str = ""
    buildbot_password: Secret = NO_SECRET  # prints as ***
    #: the whole fedora-messaging file, for ``amqp_url`` and friends (empty without a file).
    messaging: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        return redacted_repr(self)  # the ledger's URL may hold a password


_TYPES: dict[str, type | tuple[type, ...]] = {
    "rules": str,
    "db": str,
    "backend": str,
    "checks_dir": str,
    "valid_arches": list,
    "dedup_window": (int, float),
    "message_retention": (int, float),
    "queue": str,
    "exchange": str,
    "retry_interval": (int, float),
    "artifacts": str,
    "local_max_running": int,
    "local_command": list,
    "buildbot_url": str,
    "buildbot_scheduler": str,
    "buildbot_user": str,
    "buildbot_password": str,
}


def _kind(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def settings_from_mapping(
    values: Mapping[str, Any], source: str, base: Settings | None = None
) -> Settings:
    """Validate ``values`` (the ``consumer_config.checkline`` table) over ``base``.

    Raises:
        ConfigError: an unknown key (with the valid ones), a value of the wrong type.
    """
    unknown = sorted(set(values) - set(_TYPES))
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting(s) {', '.join(unknown)}; valid: {', '.join(_TYPES)}"
        )
    out: dict[str, Any] = {}
    for key, value in values.items():
        kind = _TYPES[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ConfigError(
                f"{source}: {key} must be {_kind(kind)}, got {type(value).__name__} {value!r}"
            )
        out[key] = value
    if "backend" in out and out["backend"] not in BACKENDS:
        raise ConfigError(
            f"{source}: backend must be one of {', '.join(BACKENDS)}, got {out['backend']!r}"
        )
    if "valid_arches" in out:
        arches = out["valid_arches"]
        if not arches or not all(isinstance(a, str) and a for a in arches):
            raise ConfigError(f"{source}: valid_arches must be a non-empty list of arch names")
        problems = [p for a in arches if (p := arch_problem(a))]
        if problems:
            raise ConfigError(f"{source}: valid_arches: {'; '.join(problems)}")
        out["valid_arches"] = tuple(arches)
    if "local_command" in out:
        command = out["local_command"]
        if not command or not all(isinstance(a, str) and a for a in command):
            raise ConfigError(f"{source}: local_command must be a non-empty list of strings")
        out["local_command"] = tuple(command)
    for key in ("dedup_window", "retry_interval", "message_retention"):
        if key in out and out[key] < 0:
            raise ConfigError(f"{source}: {key} must not be negative, got {out[key]!r}")
    if "local_max_running" in out and out["local_max_running"] < 1:
        raise ConfigError(f"{source}: local_max_running must be at least 1")
    for key in ("rules", "checks_dir", "artifacts"):
        if key in out:
            out[key] = Path(out[key])
    if "buildbot_password" in out:
        out["buildbot_password"] = Secret(out["buildbot_password"])
    return replace(base or Settings(), **out)


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the file's ``[consumer_config.checkline]``, then ``overrides`` (flags).

    Args:
        path: the fedora-messaging TOML file; else ``CHECKLINE_CONFIG``, else
            ``FEDORA_MESSAGING_CONF``; else none.
        env: the environment (``os.environ`` by default).
        overrides: ``rules``, ``db``, ``backend``...; ``None`` values are ignored.

    Raises:
        ConfigError: an unreadable file, an unknown key or a bad value.
    """
    env = os.environ if env is None else env
    path = path or env.get("CHECKLINE_CONFIG") or env.get("FEDORA_MESSAGING_CONF")
    settings = Settings()
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(f"cannot read {path}: {err}") from err
        section: Any = data
        for key in SECTION:
            section = section.get(key, {}) if isinstance(section, dict) else {}
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [consumer_config.checkline] must be a table")
        settings = settings_from_mapping(section, f"{path} [consumer_config.checkline]")
        settings = replace(settings, messaging=data)
    given = {key: str(value) for key, value in overrides.items() if value is not None}
    return settings_from_mapping(given, "options", settings)
