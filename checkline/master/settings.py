"""Settings of Checkline's Buildbot master: defaults, a TOML file, ``CHECKLINE_MASTER_<KEY>``.

The file is ``$CHECKLINE_MASTER_CONFIG`` when set, else ``master.toml`` in the master's
basedir (the current folder when Buildbot reads ``master.cfg``); every key may also come from
the environment, ``CHECKLINE_MASTER_<KEY>`` (``workers``, ``users`` and ``task_env`` as JSON),
which wins over the file. Loaded by :mod:`checkline.settings`; every key, its default and its
variable: ``docs/settings.md``.

Worker passwords, ``resultsdb_token`` and the users' passwords are held as
:class:`~checkline.secrets.Secret`: the settings' repr (which Buildbot logs with every build's
report step) shows ``***`` for them and hides the password of ``db_url``. The file holding them
must not be readable by others; ``checkline stack up`` writes it with mode 600.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkline.secrets import NO_SECRET, Secret, redacted_repr
from checkline.settings import (
    Origin,
    Part,
    arch_names,
    build,
    from_mapping,
    load,
    setting,
)

__all__ = ["PART", "MasterSettings", "Worker", "load_settings", "settings_from"]

#: The settings file Buildbot finds in the master's basedir without any environment (so that
#: ``buildbot restart`` by hand reads the same settings).
BASEDIR_FILE = "master.toml"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _at_least(low: int) -> Any:
    return lambda n: None if n >= low else f"must be at least {low}"


def _interpreter(python: str) -> str | None:
    if python and "/" in python and not python.startswith("/"):
        return "must be an absolute path or a command name (python3.12)"
    return None


@dataclass(frozen=True)
class Worker:
    name: str = setting(doc="the worker's name", check=lambda s: None if s else "must not be empty")
    password: Secret = setting(
        doc="its password", check=lambda s: None if s else "must not be empty"
    )
    arches: tuple[str, ...] = setting(
        ("noarch", "x86_64"),
        doc="the arches it serves",
        kind="a non-empty list of arch names",
        check=arch_names(),
    )
    max_builds: int = setting(2, doc="builds it runs at once", check=_at_least(1))
    python: str = setting(
        "",
        doc="the interpreter of check code on it (`checkline run --python`)",
        check=_interpreter,
    )
    sandbox: str = setting(
        "",
        doc="where check code runs on it (`checkline run --sandbox`): `bwrap` or `none`; "
        "empty: the runner's default (`CHECKLINE_SANDBOX`, else `none`)",
        check=lambda s: None if s in ("", "none", "bwrap") else "must be bwrap, none or empty",
    )
    network: bool = setting(
        True, doc="with a sandbox, whether check code has network (false: `--no-network`)"
    )


def _users(users: dict[str, Secret]) -> str | None:
    return None if all(users.values()) else "must be a table of name = password (one is empty)"


def _task_env(env: dict[str, str]) -> str | None:
    bad = [name for name in env if not name.isidentifier()]
    return f'must be a table of NAME = "value", got names {bad}' if bad else None


@dataclass(frozen=True)
class MasterSettings:
    buildbot_url: str = setting(
        "http://127.0.0.1:8010/",
        doc="the master's public URL, ending in `/` (build and request pages)",
        check=lambda url: None if url.endswith("/") else "must end with '/'",
    )
    www_bind: str = setting(
        "127.0.0.1", doc="address of the web UI and REST API (127.0.0.1: only this machine)"
    )
    www_port: int = setting(8010, doc="its port")
    pb_bind: str = setting("127.0.0.1", doc="address workers connect to")
    pb_port: int = setting(9989, doc="its port")
    db_url: str = setting("sqlite:///state.sqlite", doc="Buildbot's database (PostgreSQL at scale)")
    workers: tuple[Worker, ...] = setting(
        (Worker("local-worker", Secret("local-worker-pass")),),
        doc="the workers, `[{name, password, arches, max_builds, python, sandbox, network}]` "
        '(`arches` default `["noarch", "x86_64"]`, `max_builds` 2); each arch gets a builder. '
        "`python`: the interpreter of check code on that worker, passed as `checkline run "
        "--python` (default none: the runner's `CHECKLINE_PYTHON`, else `/usr/bin/python3`). "
        "`sandbox`: `bwrap` or `none`, passed as `--sandbox` (default none given: the runner's "
        "`CHECKLINE_SANDBOX`, else `none`); `network = false`: `--no-network`",
        kind="a non-empty list of tables {name, password, arches, max_builds, python, sandbox, "
        "network}",
        check=lambda workers: None if workers else "must be a non-empty list",
        shown="`local-worker` (noarch, x86_64)",
    )
    checks_repo: str = setting("", doc="git URL of the checks repo (`checks/<task>/runtask.yml`)")
    checks_branch: str = setting("main", doc="its branch")
    resultsdb_url: str = setting("http://127.0.0.1:5001", doc="where results are reported")
    resultsdb_token: Secret = setting(
        NO_SECRET, doc="ResultsDB's write token (used by the report step, on the master only)"
    )
    report_spool: str = setting(
        "report-spool",
        kind="a path",
        doc="where reports that cannot be posted wait (in the master's folder)",
    )
    report_flush_interval: int = setting(60, doc="seconds between two flushes of that spool")
    artifacts_root: str = setting(
        "artifacts",
        kind="a path",
        doc="the master's artifacts root: a run's directory is `<root>/<uuid>/` (formerly "
        "`artifacts_dir`)",
    )
    artifacts_url: str = setting(
        "http://127.0.0.1:8011", doc="where that root is served: log URLs are `<url>/<uuid>/<file>`"
    )
    checkline: str = setting("checkline", doc="the `checkline` command on workers")
    users: dict[str, Secret] = setting(
        factory=dict,
        doc="`{name = password}` for the web UI and the force endpoint; required when "
        "`www_bind` is not a loopback address",
        kind="a table of name = password",
        check=_users,
    )
    task_timeout: int = setting(1200, doc="seconds a task may run silent before Buildbot kills it")
    task_env: dict[str, str] = setting(
        factory=dict,
        doc='`{NAME = "value"}` set for every task (`CHECKLINE_KOJI_HUB` to point the checks '
        "at another Koji, say)",
        kind='a table of NAME = "value"',
        check=_task_env,
    )

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


def _rules(settings: MasterSettings) -> Iterator[tuple[str, str]]:
    if settings.public and not settings.users:
        yield (
            "www_bind",
            f"is {settings.www_bind!r}, reachable from other machines: set users "
            "(name = password) so that only they may force, stop or rebuild",
        )


PART = Part(
    "master",
    MasterSettings,
    renamed={"artifacts_dir": "artifacts_root"},
    rules=_rules,
)


def settings_from(values: Mapping[str, Any], source: str = "settings") -> MasterSettings:
    """Check ``values`` (as TOML gives them) and build the settings."""
    return build(PART, from_mapping(PART, values, Origin(source)))


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> MasterSettings:
    """Settings from ``path`` (else ``$CHECKLINE_MASTER_CONFIG``, else ``master.toml`` in the
    current folder, the master's basedir when Buildbot reads ``master.cfg``, else none) and
    the environment, which wins."""
    return load(PART, path, environ, fallback=Path(BASEDIR_FILE))
