"""``checkline trigger`` and ``checkline jobs``: consume, explain, replay, schedule; list jobs.

Every command takes ``--config FILE`` (alias ``--conf``; env ``CHECKLINE_TRIGGER_CONFIG``,
else ``FEDORA_MESSAGING_CONF``): the fedora-messaging TOML file whose
``[consumer_config.checkline]`` table holds the trigger's settings, and the overrides
``--rules FILE``, ``--db URL`` and ``--backend buildbot|local|none``.

Exit codes: 0 done; 1 a usable command that failed (unusable rules, an unknown job, a ledger
that cannot be reached); 2 bad usage or configuration.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from checkline.contracts import JobRequest
from checkline.retry import TransientError
from checkline.settings import SettingsError

from .adapters import ADAPTERS, message_from_dict
from .config import BACKENDS, TriggerSettings, load_settings, trigger_config_file
from .errors import MalformedMessage, TriggerError, UnknownJob
from .ledger import JobStatus, public
from .logsafe import escape

__all__ = ["jobs_group", "trigger_group"]


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--config",
            "--conf",
            "config",
            type=click.Path(dir_okay=False),
            help="fedora-messaging TOML file; the trigger's settings are its "
            "[consumer_config.checkline] table. Env: CHECKLINE_TRIGGER_CONFIG, else "
            "FEDORA_MESSAGING_CONF.",
        ),
        click.option("--rules", type=click.Path(dir_okay=False), help="Rules file (YAML)."),
        click.option("--db", help="Ledger database URL (sqlite:///..., postgresql+psycopg://...)."),
        click.option("--backend", type=click.Choice(BACKENDS), help="Where jobs are submitted."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(
    config: str | Path | None, rules: str | None, db: str | None, backend: str | None
) -> TriggerSettings:
    try:
        return load_settings(config, rules=rules, db=db, backend=backend)
    except SettingsError as err:
        raise click.UsageError(str(err)) from err


def _trigger(settings: TriggerSettings, with_rules: bool = False) -> Any:
    from .service import Trigger

    try:
        trigger = Trigger(settings)
        if with_rules:
            trigger.rules  # noqa: B018 - load now, so a bad file fails before any work
    except (TriggerError, SettingsError) as err:
        raise click.ClickException(str(err)) from err
    return trigger


def _fail(err: Exception) -> click.ClickException:
    return click.ClickException(str(err))


@click.group("trigger")
def trigger_group() -> None:
    """From bus messages to recorded, deduplicated, scheduled jobs."""


@trigger_group.command("consume")
@_common
def consume(config: str | None, rules: str | None, db: str | None, backend: str | None) -> None:
    """Consume the bus: a durable queue bound to the topics the rules need."""
    from fedora_messaging import api
    from fedora_messaging import config as fm_config
    from fedora_messaging.exceptions import HaltConsumer

    from .consumer import Consumer, harden

    path = trigger_config_file(config)  # once: a deprecated variable warns once
    settings = _settings(path, rules, db, backend)
    fm_config.conf.load_config(str(path) if path else None)
    fm_config.conf.setup_logging()
    harden()  # undecodable messages dropped, not fatal; log lines escaped; our INFO shown
    trigger = _trigger(settings, with_rules=True)
    queues, bindings = queue_settings(settings, trigger.rules.item_types())
    click.echo(
        f"trigger: consuming {settings.queue} ({len(bindings[0]['routing_keys'])} topics), "
        f"ledger {settings.db}, backend {settings.backend}",
        err=True,
    )
    try:
        api.consume(Consumer(trigger=trigger), bindings=bindings, queues=queues)  # type: ignore[arg-type]
    except HaltConsumer as err:
        sys.exit(err.exit_code)
    finally:
        trigger.close()


def queue_settings(
    settings: TriggerSettings, item_types: frozenset[str] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The durable queue and its bindings: the topics of the adapters the rules can use.

    ``#.`` before a topic matches it with any prefix (``org.fedoraproject.prod.``) or none.
    """
    topics = sorted(
        topic
        for topic, adapter in ADAPTERS.items()
        if item_types is None or adapter.item_type in item_types
    )
    queues = {
        settings.queue: {"durable": True, "auto_delete": False, "exclusive": False, "arguments": {}}
    }
    bindings = [
        {
            "queue": settings.queue,
            "exchange": settings.exchange,
            "routing_keys": [f"#.{topic}" for topic in topics],
        }
    ]
    return queues, bindings


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise click.ClickException(f"{path}: not readable JSON: {err}") from err


@trigger_group.command("explain")
@_common
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.argument("message_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def explain(
    config: str | None,
    rules: str | None,
    db: str | None,
    backend: str | None,
    as_json: bool,
    message_file: Path,
) -> None:
    """Show what MESSAGE_FILE would do: its Event, each rule and why, the jobs. Touches nothing.

    MESSAGE_FILE holds one message: {"topic", "body"[, "id"]} (as `fedora-messaging record`
    writes them).
    """
    from .adapters import adapt
    from .rules import load_rules

    settings = _settings(config, rules, db, backend)
    try:
        ruleset = load_rules(settings.rules, settings.checks_dir, settings.valid_arches)
        event = adapt(message_from_dict(_read_json(message_file)))
    except TriggerError as err:
        raise _fail(err) from err
    explained = ruleset.explain(event) if event is not None else []
    jobs: dict[tuple[str, str], JobRequest] = {}
    for item in explained:
        for job in item.jobs:
            jobs.setdefault((job["taskname"], job["arch"]), job)
    if as_json:
        doc = {
            "event": event,
            "rules": [
                {"rule": e.rule.index, "when": e.rule.when, "matched": e.matched, "why": e.reason}
                for e in explained
            ],
            "jobs": list(jobs.values()),
        }
        click.echo(json.dumps(doc, indent=2, sort_keys=True, default=str))
        return
    if event is None:
        click.echo("event: none (a valid message that schedules nothing)")
        return
    click.echo("event:")
    for key, value in event.items():
        click.echo(f"  {key}: {value!r}")
    click.echo(f"rules ({settings.rules}):")
    for e in explained:
        mark = "MATCH" if e.matched else "no   "
        click.echo(f"  {mark} rule {e.rule.index}: {e.reason}")
    click.echo(f"jobs ({len(jobs)}):" if jobs else "jobs: none")
    for job in jobs.values():
        click.echo(f"  {job['taskname']} {job['item_type']} {job['item']} {job['arch']}")


def _replay_records(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        return [whole]
    if isinstance(whole, list):
        return whole
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError as err:
                records.append(MalformedMessage(f"line {number}: not JSON: {err}"))
    return records


def _replay_id(record: dict[str, Any]) -> str:
    """A stable id for a message saved without one, so replaying it twice records it once."""
    canonical = json.dumps(
        {"topic": record.get("topic"), "body": record.get("body")}, sort_keys=True, default=str
    )
    return "replay-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


@trigger_group.command("replay")
@_common
@click.option("--force", is_flag=True, help="Create jobs even if seen before or within the window.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay(
    config: str | None,
    rules: str | None,
    db: str | None,
    backend: str | None,
    force: bool,
    file: Path,
) -> None:
    """Feed FILE's messages through the trigger, as the consumer would.

    FILE: messages as `fedora-messaging record` writes them (one JSON object per line), or one
    {"topic", "body"} object. A message without an id gets one from its content, so a second
    replay of the same file creates nothing (unless --force).
    """
    from .service import handle

    settings = _settings(config, rules, db, backend)
    trigger = _trigger(settings, with_rules=True)
    records = _replay_records(file)
    counts = {"messages": 0, "jobs": 0, "duplicates": 0, "seen before": 0, "dropped": 0}
    try:
        with click.progressbar(
            records, label="replaying", file=sys.stderr, show_pos=True
        ) as bar:  # hidden when stderr is not a terminal
            for number, record in enumerate(bar, 1):
                counts["messages"] += 1
                try:
                    if isinstance(record, Exception):
                        raise record
                    if not isinstance(record, dict):
                        raise MalformedMessage(f"message {number} is not a JSON object")
                    record = {**record, "id": record.get("id") or _replay_id(record)}
                    message = message_from_dict(record)
                    handled = handle(message, trigger.rules, trigger.ledger, force=force)
                except MalformedMessage as err:
                    counts["dropped"] += 1
                    click.echo(f"dropped message {number}: {escape(err)}", err=True)
                    continue
                except TransientError as err:
                    raise _fail(err) from err
                counts["jobs"] += len(handled.outcome.created)
                counts["duplicates"] += len(handled.outcome.duplicates)
                counts["seen before"] += int(handled.outcome.redelivered)
        if trigger.backend.submits:
            trigger.dispatcher.submit_pending()
    finally:
        trigger.close()
    click.echo(", ".join(f"{value} {key}" for key, value in counts.items()))


@trigger_group.command("schedule")
@_common
@click.option("-i", "--item", required=True, help="The item, e.g. xchat-0.5-1.fc20.")
@click.option("-t", "--type", "item_type", required=True, help="Its type, e.g. koji_build.")
@click.option(
    "--check",
    "--task",
    "checks",
    required=True,
    multiple=True,
    help="The check to run: a folder of the checks repository (repeatable; --task is its "
    "older name).",
)
@click.option(
    "-a", "--arch", "arches", multiple=True, help="Arch (repeatable; default: valid_arches)."
)
@click.option("--force", is_flag=True, help="Schedule even within the dedup window.")
def schedule(
    config: str | None,
    rules: str | None,
    db: str | None,
    backend: str | None,
    item: str,
    item_type: str,
    checks: tuple[str, ...],
    arches: tuple[str, ...],
    force: bool,
) -> None:
    """Record (and submit) jobs by hand, without a message."""
    from checkline.contracts import arch_problem, item_problem, item_type_problem

    from .rules import check_problem, job_arches

    settings = _settings(config, rules, db, backend)
    problems = [p for check in checks if (p := check_problem(check, settings.checks_dir))]
    # The names the master and the runner check: a job they would refuse is never recorded.
    problems += [p for arch in arches if (p := arch_problem(arch))]
    problems += [p for p in (item_problem(item), item_type_problem(item_type)) if p]
    if problems:
        raise click.UsageError("; ".join(problems))
    wanted = job_arches(arches or settings.valid_arches)
    trigger = _trigger(settings)
    try:
        jobs = [
            {"item": item, "item_type": item_type, "taskname": check, "arch": arch}
            for check in checks
            for arch in wanted
        ]
        outcome = trigger.ledger.record(None, jobs, force=force)
        if trigger.backend.submits:
            trigger.dispatcher.submit_pending()
        for job in outcome.created:
            click.echo(f"scheduled {job['uuid']} {job['taskname']} {job['item']} {job['arch']}")
        for job in outcome.duplicates:
            click.echo(
                f"not scheduled (within the dedup window; --force to insist): "
                f"{job['taskname']} {job['item']} {job['arch']}"
            )
    except TriggerError as err:
        raise _fail(err) from err
    finally:
        trigger.close()


@trigger_group.command("dispatch")
@_common
@click.option("--once", is_flag=True, help="One pass (submit, then reconcile), then exit.")
def dispatch(
    config: str | None, rules: str | None, db: str | None, backend: str | None, once: bool
) -> None:
    """Submit waiting jobs in order and update statuses from the backend."""
    settings = _settings(config, rules, db, backend)
    trigger = _trigger(settings)
    if not trigger.backend.submits:
        raise click.UsageError(f"backend {settings.backend!r} submits nothing")
    try:
        while True:
            submitted = trigger.dispatcher.submit_pending()
            changed = trigger.dispatcher.reconcile()
            click.echo(f"submitted {submitted}, status changed {changed}", err=True)
            if once:
                return
            time.sleep(settings.retry_interval)
    finally:
        trigger.close()


@click.group("jobs")
def jobs_group() -> None:
    """The ledger's jobs: list, show, rerun."""


def _iso(job: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in job.items()}


@jobs_group.command("list")
@_common
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), help="Only these.")
@click.option("--limit", type=click.IntRange(1), help="At most this many (oldest first).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of jobs.")
def list_jobs(
    config: str | None,
    rules: str | None,
    db: str | None,
    backend: str | None,
    status: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Jobs in the order they were created."""
    trigger = _trigger(_settings(config, rules, db, backend))
    try:
        jobs = trigger.ledger.list(status=status, limit=limit)
    except TriggerError as err:
        raise _fail(err) from err
    finally:
        trigger.close()
    if as_json:
        click.echo(json.dumps([_iso(job) for job in jobs], indent=2))
        return
    for job in jobs:
        click.echo(
            f"{job['uuid']}  {job['status']:<16} {job['taskname']:<16} {job['arch']:<8} "
            f"{job['item_type']:<14} {job['item']}"
        )


@jobs_group.command("show")
@_common
@click.argument("job_uuid")
def show_job(
    config: str | None, rules: str | None, db: str | None, backend: str | None, job_uuid: str
) -> None:
    """Every field of one job, as JSON."""
    trigger = _trigger(_settings(config, rules, db, backend))
    try:
        job = trigger.ledger.get(job_uuid)
    except (UnknownJob, TriggerError) as err:
        raise _fail(err) from err
    finally:
        trigger.close()
    click.echo(json.dumps(_iso(job), indent=2))


@jobs_group.command("rerun")
@_common
@click.argument("job_uuid")
def rerun_job(
    config: str | None, rules: str | None, db: str | None, backend: str | None, job_uuid: str
) -> None:
    """A new job with the same item, type, check and arch (a fresh uuid), whatever the window."""
    trigger = _trigger(_settings(config, rules, db, backend))
    try:
        old = trigger.ledger.get(job_uuid)
        outcome = trigger.ledger.record(None, [public(old)], force=True, rerun_of=job_uuid)
        if trigger.backend.submits:
            trigger.dispatcher.submit_pending()
    except TriggerError as err:
        raise _fail(err) from err
    finally:
        trigger.close()
    new = outcome.created[0]
    click.echo(f"rerun of {job_uuid}: {new['uuid']} {new['taskname']} {new['item']} {new['arch']}")
