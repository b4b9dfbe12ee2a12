"""``checkline stack up|status|down``: the whole pipeline on one machine.

``up`` starts, in the state directory, every part that is not already running: RabbitMQ
(when installed and not running), the ResultsDB service (SQLite), the artifacts server, a
Buildbot master from ``master.cfg`` with one local worker per arch, and the trigger consumer.
It records each part in ``<state dir>/stack.json``; ``down`` stops, by pid, what ``up``
started and nothing else, and deletes the trigger's durable queue (``--keep-queue`` keeps
it); ``status`` shows each part with its URL and pid.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from checkline.settings import SettingsError

from .parts import (
    PARTS,
    UMASK,
    PartError,
    PartState,
    StackContext,
    alive,
    current_pid,
    make_private,
)
from .settings import PART, StackSettings, load_stack_settings

__all__ = ["stack_group"]

STATE_FILE = "stack.json"
SETTINGS_FILE = "settings.json"


def _read_state(state_dir: Path) -> dict[str, PartState]:
    path = state_dir / STATE_FILE
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    return {name: PartState(**value) for name, value in raw.items()}


def _write_state(state_dir: Path, state: dict[str, PartState]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps({name: part.to_json() for name, part in state.items()}, indent=2))
    tmp.replace(state_dir / STATE_FILE)


def _running(part: PartState) -> bool:
    return alive(current_pid(part)) if part.started else part.url is not None


_state_dir = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".checkline"),
    show_default=True,
    help="Where the parts keep their data, logs and pids.",
)


@click.group("stack")
def stack_group() -> None:
    """The whole pipeline on this machine: up, status, down."""


@stack_group.command("up")
@_state_dir
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Stack settings (TOML): ports, arches, checks repo (docs/settings.md). Env: "
    "CHECKLINE_STACK_CONFIG, and CHECKLINE_STACK_<KEY> for one key. Later `up`s without "
    "either reuse the settings this state dir was brought up with.",
)
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The trigger's rules (default: the demo rules, rules.yml).",
)
def stack_up(state_dir: Path, config: Path | None, rules: Path | None) -> None:
    """Start every part that is not running yet."""
    state_dir = state_dir.resolve()
    saved = state_dir / SETTINGS_FILE
    given = any(name.startswith(PART.prefix) for name in os.environ)
    try:
        if config is None and not given and saved.exists():
            # The settings this stack was first brought up with: `up` again restarts the
            # parts that are down on the same ports.
            settings = StackSettings.from_json(json.loads(saved.read_text()))
        else:
            settings = load_stack_settings(config)
    except SettingsError as err:
        raise click.UsageError(str(err)) from err
    if rules is not None:
        settings = replace(settings, rules=str(rules.resolve()))
    os.umask(UMASK)  # for what this process and the parts it starts create
    state_dir.mkdir(parents=True, exist_ok=True)
    make_private(state_dir)
    saved.write_text(json.dumps(settings.to_json(), indent=2))
    ctx = StackContext(state_dir, settings)
    state = _read_state(state_dir)
    for name, (up, _down) in PARTS.items():
        if name in state and _running(state[name]):
            click.echo(f"{name:10} already up    {state[name].url or ''}")
            continue
        try:
            state[name] = up(ctx)
        except PartError as err:
            _write_state(state_dir, state)
            click.echo(f"ERROR {name}: {err}", err=True)
            click.echo("the parts above are up; `checkline stack down` stops them", err=True)
            sys.exit(1)
        _write_state(state_dir, state)
        part = state[name]
        click.echo(f"{name:10} {'started' if part.started else 'found':13} {part.url or '-'}"
                   + (f"  ({part.note})" if part.note else ""))  # fmt: skip
    click.echo(f"state in {state_dir}; `checkline stack status`, `checkline stack down`")


def _status(state_dir: Path) -> dict[str, Any]:
    state = _read_state(state_dir.resolve())
    report: dict[str, Any] = {}
    for name in PARTS:
        part = state.get(name)
        if part is None:
            report[name] = {"url": None, "pid": None, "running": False, "managed": False}
            continue
        report[name] = {
            "url": part.url,
            "pid": current_pid(part),
            "running": _running(part),
            "managed": part.started,
            "log": part.log,
            **({"note": part.note} if part.note else {}),
            **part.extra,
        }
    return report


@stack_group.command("status")
@_state_dir
@click.option("--json", "as_json", is_flag=True, help="One JSON object keyed by part.")
def stack_status(state_dir: Path, as_json: bool) -> None:
    """Each part with its URL, pid and whether it runs."""
    report = _status(state_dir)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for name, part in report.items():
        running = "up" if part["running"] else "down"
        pid = part["pid"] if part["pid"] else "-"
        managed = "" if part["managed"] or not part["running"] else " (not ours)"
        click.echo(f"{name:10} {running:5} pid {pid!s:8} {part['url'] or '-'}{managed}")


@stack_group.command("down")
@_state_dir
@click.option(
    "--keep-queue",
    is_flag=True,
    help="Keep the trigger's durable queue on the broker (bound: it gathers the messages "
    "published until the next `up`). Without it, the queue is deleted.",
)
def stack_down(state_dir: Path, keep_queue: bool) -> None:
    """Stop what `up` started (by pid), nothing else, and delete the trigger's queue."""
    state_dir = state_dir.resolve()
    state = _read_state(state_dir)
    ctx = StackContext(state_dir, StackSettings())
    options: dict[str, dict[str, Any]] = {"trigger": {"keep_queue": keep_queue}}
    for name in reversed(list(PARTS)):
        part = state.get(name)
        if part is None:
            continue
        if part.started:
            # Even when its main pid is gone: a part's other processes (workers) may live on.
            PARTS[name][1](part, ctx, **options.get(name, {}))
            click.echo(f"{name:10} stopped")
        del state[name]
        _write_state(state_dir, state)
