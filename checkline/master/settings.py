"""Settings of Checkline's Buildbot master, from a TOML file and ``CHECKLINE_MASTER_*``.

The file is ``$CHECKLINE_MASTER_CONFIG`` when set, else ``master.toml`` in the master's
basedir (the current folder when Buildbot reads ``master.cfg``); every key may also come from the
environment, ``CHECKLINE_MASTER_<KEY>`` (upper case; lists comma-separated; ``workers`` and
``users`` as JSON), which wins over the file. Unknown keys are refused with the valid list.

``buildbot_url``     the master's public URL, ending in ``/`` (build and request pages)
``www_bind``         address of the web UI and REST API (127.0.0.1: only this machine)
``www_port``         its port
``pb_bind``          address workers connect to
``pb_port``          its port
``db_url``           Buildbot's database (SQLite file by default; PostgreSQL at scale)
``workers``          ``[{name, password, arches, max_builds}]``; each arch gets a builder
``checks_repo``      git URL of the checks repo (``checks/<task>/runtask.yml`` inside)
``checks_branch``    its branch
``resultsdb_url``    where results are reported
``resultsdb_token``  ResultsDB's write token (used by the report step, on the master only)
``report_spool``     where reports that cannot be posted wait (master's folder ``report-spool``)
``report_flush_interval``  seconds between two flushes of that spool
``artifacts_dir``    the master's artifacts directory (``<dir>/<uuid>/``)
``artifacts_url``    where that directory is served; log URLs are ``<url>/<uuid>/<file>``
``checkline``        the ``checkline`` command on workers
``users``            ``{name: password}`` for the web UI and the force endpoint; required
                     when ``www_bind`` is not a loopback address
``task_timeout``     seconds a task may run silent before Buildbot kills it
``task_env``         ``{NAME: value}`` set for every task (``CHECKLINE_KOJI_HUB`` to point the
                     checks at another Koji, say)

Worker passwords, ``resultsdb_token`` and the users' passwords are held as
:class:`~checkline.secrets.Secret`: the settings' repr (which Buildbot logs with every build's
report step) shows ``***`` for them and hides the password of ``db_url``. The file holding them
must not be readable by others; ``checkline stack up`` writes it with mode 600.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkline.contracts import arch_problem
from checkline.secrets import NO_SECRET, Secret, redacted_repr

__all__ = ["ENV_PREFIX", "MasterSettings", "SettingsError", "Worker", "load_settings"]

ENV_PREFIX = "CHECKLINE_MASTER_"
CONFIG_ENV = "CHECKLINE_MASTER_CONFIG"
#: The settings file Buildbot finds in the master's basedir without any environment (so that
#: ``buildbot restart`` by hand reads the same settings).
BASEDIR_FILE = "master.toml"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class SettingsError(ValueError):
    """A setting that is missing, unknown or of the wrong type; the message names it."""


@dataclass(frozen=True)
class Worker:
    name: str
    password: Secret
    arches: tuple[str, ...] = ("noarch", "x86_64")
    max_builds: int = 2


@dataclass(frozen=True)
class MasterSettings:
    buildbot_url: str = "http://127.0.0.1:8010/"
    www_bind: str = "127.0.0.1"
    www_port: int = 8010
    pb_bind: str = "127.0.0.1"
    pb_port: int = 9989
    db_url: str = "sqlite:///state.sqlite"
    workers: tuple[Worker, ...] = (Worker("local-worker", Secret("local-worker-pass")),)
    checks_repo: str = ""
    checks_branch: str = "main"
    resultsdb_url: str = "http://127.0.0.1:5001"
    resultsdb_token: Secret = NO_SECRET
    report_spool: str = "report-spool"
    report_flush_interval: int = 60
    artifacts_dir: str = "artifacts"
    artifacts_url: str = "http://127.0.0.1:8011"
    checkline: str = "checkline"
    users: dict[str, Secret] = field(default_factory=dict)
    task_timeout: int = 1200
    task_env: dict[str, str] = field(default_factory=dict)

    @property
    def arches(self) -> list[str]:
        """Every arch some worker serves, in a stable order (one builder each)."""
        seen: dict[str, None] = {}
        for worker in self.workers:
            seen.update(dict.fromkeys(worker.arches))
        return list(seen)

    @property
    def public(self) -> bool:
        return self.www_bind not in LOOPBACK

    def __repr__(self) -> str:
        return redacted_repr(self)


_FIELDS = {name for name in MasterSettings.__dataclass_fields__}
_INTS = {"www_port", "pb_port", "task_timeout", "report_flush_interval"}


def _worker(raw: Any, where: str) -> Worker:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: must be a table {{name, password, arches}}")
    unknown = set(raw) - {"name", "password", "arches", "max_builds"}
    if unknown:
        raise SettingsError(f"{where}: unknown keys {sorted(unknown)}")
    name, password = raw.get("name"), raw.get("password")
    if not isinstance(name, str) or not name or not isinstance(password, str) or not password:
        raise SettingsError(f"{where}: 'name' and 'password' must be non-empty strings")
    arches = raw.get("arches", ["noarch", "x86_64"])
    if (
        not isinstance(arches, list)
        or not arches
        or not all(isinstance(a, str) and not arch_problem(a) for a in arches)
    ):
        raise SettingsError(f"{where}.arches: must be a non-empty list of arch names")
    max_builds = raw.get("max_builds", 2)
    if not isinstance(max_builds, int) or max_builds < 1:
        raise SettingsError(f"{where}.max_builds: must be a positive integer")
    return Worker(name, Secret(password), tuple(arches), max_builds)


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV:
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        if name not in _FIELDS:
            raise SettingsError(f"{key}: unknown setting; valid: {', '.join(sorted(_FIELDS))}")
        if name in ("workers", "users", "task_env"):
            try:
                values[name] = json.loads(raw)
            except ValueError as err:
                raise SettingsError(f"{key}: not valid JSON: {err}") from err
        elif name in _INTS:
            try:
                values[name] = int(raw)
            except ValueError:
                raise SettingsError(f"{key}: must be an integer, got {raw!r}") from None
        else:
            values[name] = raw
    return values


def settings_from(values: dict[str, Any], source: str = "settings") -> MasterSettings:
    """Check ``values`` (as TOML gives them) and build the settings."""
    unknown = set(values) - _FIELDS
    if unknown:
        raise SettingsError(
            f"{source}: unknown settings {sorted(unknown)}; valid: {', '.join(sorted(_FIELDS))}"
        )
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name == "workers":
            if not isinstance(value, list) or not value:
                raise SettingsError(f"{source}: workers must be a non-empty list")
            checked[name] = tuple(_worker(w, f"workers[{i}]") for i, w in enumerate(value))
        elif name == "users":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
            ):
                raise SettingsError(f"{source}: users must be a table of name = password")
            checked[name] = {user: Secret(password) for user, password in value.items()}
        elif name == "task_env":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                for k, v in value.items()
            ):
                raise SettingsError(f'{source}: task_env must be a table of NAME = "value"')
            checked[name] = dict(value)
        elif name in _INTS:
            if not isinstance(value, int):
                raise SettingsError(f"{source}: {name} must be an integer")
            checked[name] = value
        elif not isinstance(value, str):
            raise SettingsError(f"{source}: {name} must be a string")
        elif name == "resultsdb_token":
            checked[name] = Secret(value)
        else:
            checked[name] = value
    settings = MasterSettings(**checked)
    if not settings.buildbot_url.endswith("/"):
        raise SettingsError(f"{source}: buildbot_url must end with '/'")
    if settings.public and not settings.users:
        raise SettingsError(
            f"{source}: www_bind is {settings.www_bind!r}, reachable from other machines: set "
            "users (name = password) so that only they may force, stop or rebuild"
        )
    return settings


def load_settings(
    path: Path | None = None, environ: dict[str, str] | None = None
) -> MasterSettings:
    """Settings from ``path`` (else ``$CHECKLINE_MASTER_CONFIG``, else ``master.toml`` in the
    current folder, the master's basedir when Buildbot reads ``master.cfg``, else none) and
    the environment, which wins."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    source = "environment"
    path = path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if path is None and Path(BASEDIR_FILE).is_file():
        path = Path(BASEDIR_FILE)
    if path is not None:
        source = str(path)
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise SettingsError(f"{path}: cannot be read: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise SettingsError(f"{path}: not valid TOML: {err}") from err
    values.update(_from_env(env))
    return settings_from(values, source)
