"""Settings of ``checkline stack``: what runs where, on one machine.

Defaults, then a TOML file (``--config``, else ``CHECKLINE_STACK_CONFIG``; paths in it are
relative to its folder), then ``CHECKLINE_STACK_<KEY>`` variables. Every port is bound to
127.0.0.1. Loaded by :mod:`checkline.settings`; every key, its default and its variable:
``docs/settings.md``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from checkline.settings import Part, SettingsError, arch_names, load, setting

__all__ = ["PART", "PROJECT", "StackSettings", "load_stack_settings"]

#: The project's own tree (checks/, master.cfg), when Checkline runs from its repository.
PROJECT = Path(__file__).resolve().parents[2]
DEMO_RULES = PROJECT / "rules.yml"


def _project_branch() -> str:
    done = subprocess.run(
        ["git", "-C", str(PROJECT), "rev-parse", "--abbrev-ref", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    branch = done.stdout.strip()
    return branch if done.returncode == 0 and branch and branch != "HEAD" else "main"


def _port(port: int) -> str | None:
    return None if 0 < port < 65536 else "must be a port number"


def _task_env(env: dict[str, str]) -> str | None:
    bad = [name for name in env if not name.isidentifier()]
    return f'must be a table of NAME = "value", got names {bad}' if bad else None


@dataclass(frozen=True)
class StackSettings:
    resultsdb_port: int = setting(5001, doc="the ResultsDB service's port", check=_port)
    buildbot_port: int = setting(8010, doc="the Buildbot master's web port", check=_port)
    worker_port: int = setting(9989, doc="where the workers connect", check=_port)
    artifacts_port: int = setting(8011, doc="the artifacts server's port", check=_port)
    arches: tuple[str, ...] = setting(
        ("noarch", "x86_64"),
        doc="one builder per arch, served by local workers",
        kind="a non-empty list of arch names",
        check=arch_names(),
    )
    workers_per_arch: int = setting(
        1,
        doc="local workers for each arch (each runs up to 2 builds at once)",
        check=lambda n: None if 1 <= n <= 16 else "must be 1 to 16",
    )
    amqp_url: str = setting(
        "amqp://guest:guest@127.0.0.1:5672/%2F", doc="the broker the trigger consumes"
    )
    checks_repo: str = setting(
        "", doc="the git URL workers clone", shown="this project's own repository"
    )
    checks_branch: str = setting(
        "", doc="its branch", shown="the branch checked out there, else `main`"
    )
    rules: str = setting(
        str(DEMO_RULES),
        kind="a path",
        doc="the trigger's rules file",
        shown="the demo rules, the project's `rules.yml`",
        relative=True,
    )
    valid_arches: tuple[str, ...] = setting(
        (),
        doc="arches a rule without `arches` runs on",
        kind="a list of arch names",
        check=arch_names(allow_empty=True),
        shown="`arches` minus noarch",
    )
    task_env: dict[str, str] = setting(
        factory=dict,
        doc='`{NAME = "value"}` for every task the workers run (`CHECKLINE_KOJI_HUB`...)',
        kind='a table of NAME = "value"',
        check=_task_env,
    )
    checks_dir: str = setting(
        str(PROJECT / "checks"),
        kind="a path",
        doc="a local copy of the checks repo, where the trigger checks that every task its "
        "rules name exists",
        shown="the project's `checks/`",
        relative=True,
    )

    @property
    def resultsdb_url(self) -> str:
        return f"http://127.0.0.1:{self.resultsdb_port}"

    @property
    def buildbot_url(self) -> str:
        return f"http://127.0.0.1:{self.buildbot_port}/"

    @property
    def artifacts_url(self) -> str:
        return f"http://127.0.0.1:{self.artifacts_port}"

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackSettings:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {
            k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known
        }
        return cls(**values)

    def resolved(self) -> StackSettings:
        """With the defaults that depend on the machine filled in."""
        repo = self.checks_repo
        if not repo:
            if not (PROJECT / ".git").exists():
                raise SettingsError(
                    f"checks_repo is not set and {PROJECT} is not a git repository: set "
                    "checks_repo to the git URL of a repository holding checks/<task>/"
                )
            repo = f"file://{PROJECT}"
        valid = self.valid_arches or tuple(a for a in self.arches if a != "noarch")
        return StackSettings(
            **{
                **{f.name: getattr(self, f.name) for f in fields(self)},
                "checks_repo": repo,
                "checks_branch": self.checks_branch or _project_branch(),
                "valid_arches": valid or ("noarch",),
            }
        )


PART = Part("stack", StackSettings)


def load_stack_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> StackSettings:
    """Defaults, then ``path`` (else ``CHECKLINE_STACK_CONFIG``), then ``CHECKLINE_STACK_<KEY>``,
    with the machine's defaults filled in (:meth:`StackSettings.resolved`).

    Raises:
        SettingsError: an unreadable file, an unknown key or a bad value.
    """
    return load(PART, path, env).resolved()
