"""Settings of ``checkline stack``: what runs where, on one machine.

A TOML file (``--config``), every key optional:

``resultsdb_port`` (5001), ``buildbot_port`` (8010), ``worker_port`` (9989, where workers
connect), ``artifacts_port`` (8011): all bound to 127.0.0.1.
``arches`` (["noarch", "x86_64"]): one builder per arch, served by local workers.
``workers_per_arch`` (1): local workers for each arch (each runs up to 2 builds at once).
``amqp_url`` ("amqp://guest:guest@127.0.0.1:5672/%2F"): the broker the trigger consumes.
``checks_repo``: the git URL workers clone (default: this project's own repository).
``checks_branch``: its branch (default: the branch checked out there, else ``main``).
``rules``: the trigger's rules file (default: the demo rules, ``rules.yml`` in the project).
``valid_arches``: arches a rule without ``arches`` runs on (default: ``arches`` minus noarch).
``task_env``: ``{NAME = "value"}`` for every task the workers run (``CHECKLINE_KOJI_HUB``...).
``checks_dir``: a local copy of the checks repo, where the trigger checks that every task its
rules name exists (default: this project's ``checks/``).
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["PROJECT", "StackSettings", "StackSettingsError", "load_stack_settings"]

#: The project's own tree (checks/, master.cfg), when Checkline runs from its repository.
PROJECT = Path(__file__).resolve().parents[2]
DEMO_RULES = PROJECT / "rules.yml"


class StackSettingsError(ValueError):
    """A bad stack setting; the message names it."""


def _project_branch() -> str:
    done = subprocess.run(
        ["git", "-C", str(PROJECT), "rev-parse", "--abbrev-ref", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    branch = done.stdout.strip()
    return branch if done.returncode == 0 and branch and branch != "HEAD" else "main"


@dataclass(frozen=True)
class StackSettings:
    resultsdb_port: int = 5001
    buildbot_port: int = 8010
    worker_port: int = 9989
    artifacts_port: int = 8011
    arches: tuple[str, ...] = ("noarch", "x86_64")
    workers_per_arch: int = 1
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    checks_repo: str = ""
    checks_branch: str = ""
    rules: str = str(DEMO_RULES)
    valid_arches: tuple[str, ...] = field(default=())
    task_env: dict[str, str] = field(default_factory=dict)
    checks_dir: str = str(PROJECT / "checks")

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
                raise StackSettingsError(
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


_PORTS = {"resultsdb_port", "buildbot_port", "worker_port", "artifacts_port"}
_INTS = _PORTS | {"workers_per_arch"}
_LISTS = {"arches", "valid_arches"}


def load_stack_settings(path: Path | None) -> StackSettings:
    values: dict[str, Any] = {}
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise StackSettingsError(f"{path}: cannot be read: {err}") from err
        except tomllib.TOMLDecodeError as err:
            raise StackSettingsError(f"{path}: not valid TOML: {err}") from err
    known = {f.name for f in fields(StackSettings)}
    unknown = set(values) - known
    if unknown:
        raise StackSettingsError(
            f"{path}: unknown settings {sorted(unknown)}; valid: {', '.join(sorted(known))}"
        )
    for name, value in values.items():
        if name in _PORTS and not (isinstance(value, int) and 0 < value < 65536):
            raise StackSettingsError(f"{path}: {name} must be a port number")
        if name == "workers_per_arch" and not (isinstance(value, int) and 1 <= value <= 16):
            raise StackSettingsError(f"{path}: workers_per_arch must be 1 to 16")
        if name in _LISTS:
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.isidentifier() for v in value
            ):
                raise StackSettingsError(f"{path}: {name} must be a list of arch names")
            values[name] = tuple(value)
        elif name == "task_env":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise StackSettingsError(f'{path}: task_env must be a table of NAME = "value"')
        elif name not in _INTS and not isinstance(value, str):
            raise StackSettingsError(f"{path}: {name} must be a string")
    for name in ("rules", "checks_dir"):
        if name in values and path is not None:
            values[name] = str((path.parent / values[name]).resolve())
    return StackSettings(**values).resolved()
