"""Trigger settings: defaults, the fedora-messaging TOML file, ``CHECKLINE_TRIGGER_<KEY>``, flags.

The trigger reads the same TOML file as fedora-messaging (``amqp_url``, ``qos``, ...); its own
settings live in the ``[consumer_config.checkline]`` table, which fedora-messaging leaves to
the consumer. The file comes from ``--config`` (alias ``--conf``), else
``CHECKLINE_TRIGGER_CONFIG``, else ``FEDORA_MESSAGING_CONF`` (``CHECKLINE_CONFIG`` is its
deprecated name); without one the defaults apply. Loaded by :mod:`checkline.settings`; every
key, its default and its variable: ``docs/settings.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from checkline.secrets import NO_SECRET, Secret, redacted_repr
from checkline.settings import (
    Origin,
    Part,
    arch_names,
    build,
    config_file,
    file_layers,
    from_env,
    from_flags,
    from_mapping,
    setting,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_CHECKS_DIR",
    "PART",
    "TriggerSettings",
    "load_settings",
    "settings_from_mapping",
    "trigger_config_file",
]

#: the project's own checks repo, the default ``checks_dir``.
DEFAULT_CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"
BACKENDS = ("none", "local", "buildbot")
Backend = Literal["none", "local", "buildbot"]


def _not_negative(value: float) -> str | None:
    return f"must not be negative, got {value:g}" if value < 0 else None


def _command(command: tuple[str, ...]) -> str | None:
    return None if command and all(command) else "must be a non-empty list of strings"


@dataclass(frozen=True)
class TriggerSettings:
    rules: Path = setting(Path("rules.yml"), doc="the rules file")
    db: str = setting(
        "sqlite:///trigger.sqlite",
        doc="the ledger's database URL (`postgresql+psycopg://...` at scale)",
    )
    backend: Backend = setting(
        "none",
        doc='where jobs go: `"none"` (record only), `"local"` (`checkline run` here), '
        '`"buildbot"` (a Buildbot master\'s ForceScheduler)',
    )
    checks_dir: Path = setting(
        DEFAULT_CHECKS_DIR,
        doc="the checks repo: `<dir>/<task>/runtask.yml`",
        shown="the project's `checks/`",
    )
    valid_arches: tuple[str, ...] = setting(
        ("x86_64",),
        doc="the arches a rule without `arches` runs on",
        kind="a non-empty list of arch names",
        check=arch_names(),
    )
    dedup_window: float = setting(
        900.0,
        doc="seconds during which the same (task, item, type, arch) is not scheduled again "
        "(Taskotron's `fuse_delay`); 0 turns it off",
        check=_not_negative,
    )
    message_retention: float = setting(
        7 * 86400.0,
        doc="seconds a message id is remembered, so that its redelivery creates nothing; the "
        "consumer prunes older ones",
        check=_not_negative,
    )
    queue: str = setting("checkline-trigger", doc="the durable queue the consumer reads")
    exchange: str = setting("amq.topic", doc="the exchange it binds to")
    retry_interval: float = setting(
        10.0,
        doc="seconds between two passes of the loop that submits jobs the backend could not take",
        check=_not_negative,
    )
    artifacts_root: Path = setting(
        Path("artifacts"),
        doc="the local backend's artifacts root: a run writes `<root>/<uuid>/` "
        "(formerly `artifacts`)",
    )
    local_max_running: int = setting(
        2,
        doc="how many local runs at once; more jobs wait in the ledger",
        check=lambda n: None if n >= 1 else "must be at least 1",
    )
    local_command: tuple[str, ...] = setting(
        (),
        doc='the command the local backend runs, as a list (`["/opt/bin/checkline"]`)',
        kind="a non-empty list of strings",
        check=_command,
        shown="the `checkline` script installed beside this Python",
    )
    buildbot_url: str = setting("http://127.0.0.1:8010/", doc="the Buildbot master")
    buildbot_scheduler: str = setting(
        "force",
        doc="its ForceScheduler taking the job's properties (Checkline's `master.cfg` names it "
        "`checkline`)",
    )
    buildbot_user: str = setting(
        "",
        doc="with `buildbot_password`: a user of the master's `users`, for a master that "
        "requires a login to force builds",
    )
    buildbot_password: Secret = setting(
        NO_SECRET,
        doc="that user's password (prints as `***`; formerly also `CHECKLINE_BUILDBOT_PASSWORD`)",
    )
    #: the whole fedora-messaging file, for ``amqp_url`` and friends (empty without a file).
    messaging: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        return redacted_repr(self)  # the ledger's URL may hold a password


PART = Part(
    "trigger",
    TriggerSettings,
    table=("consumer_config", "checkline"),
    old_config_variables=("CHECKLINE_CONFIG",),
    # fedora-messaging's own variable: the trigger reads fedora-messaging's file.
    more_config_variables=("FEDORA_MESSAGING_CONF",),
    old_variables={"CHECKLINE_BUILDBOT_PASSWORD": "buildbot_password"},
    renamed={"artifacts": "artifacts_root"},
)


def settings_from_mapping(
    values: Mapping[str, Any],
    source: str,
    base: TriggerSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> TriggerSettings:
    """``values`` (a ``consumer_config.checkline`` table), over ``base``; then ``env``'s
    ``CHECKLINE_TRIGGER_<KEY>`` when given.

    Raises:
        SettingsError: an unknown key (with the valid ones), a value of the wrong type.
    """
    layers = [from_mapping(PART, values, Origin(source))]
    if env is not None:
        layers.append(from_env(PART, env))
    return build(PART, *layers, base=base)


def trigger_config_file(
    given: str | Path | None, env: Mapping[str, str] | None = None
) -> Path | None:
    """The fedora-messaging TOML file: ``given``, else ``CHECKLINE_TRIGGER_CONFIG``, else
    ``FEDORA_MESSAGING_CONF`` (``CHECKLINE_CONFIG`` with a deprecation warning); None."""
    return config_file(PART, os.environ if env is None else env, given)


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> TriggerSettings:
    """Defaults, then the file's ``[consumer_config.checkline]``, then ``CHECKLINE_TRIGGER_<KEY>``,
    then ``overrides`` (flags: ``rules``, ``db``, ``backend``...; ``None`` values are ignored).

    Args:
        path: the fedora-messaging TOML file, else found by :func:`trigger_config_file`.
        env: the environment (``os.environ`` by default).

    Raises:
        SettingsError: an unreadable file, an unknown key or a bad value.
    """
    env = os.environ if env is None else env
    layers, data = file_layers(PART, env, path)
    settings = build(PART, *layers, from_env(PART, env), from_flags(PART, overrides))
    return replace(settings, messaging=data)
