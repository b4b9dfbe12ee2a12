"""The trigger's throughput through RabbitMQ, side by side with an empty fedora-messaging consumer.

1. **Consumer rate.** 5,000 real-shaped Koji build messages are published (persistent) into a
   durable queue on the machine's RabbitMQ (127.0.0.1:5672; its own exchange and queue, deleted
   afterwards). ``fedora-messaging consume`` then drains them, once with an empty callback
   (the baseline) and once with the trigger's consumer (100 rules, a SQLite ledger, backend
   ``none``: the jobs are recorded, none submitted) and once more with a no-op backend that
   takes every job (the dispatcher thread claims and marks each one SUBMITTED in the same
   ledger), alternating for ``--rounds`` rounds. Each callback times its first message to its
   last. Target: the trigger at least 80 % of the
   baseline's rate.
2. **Rules alone.** ``RuleSet.jobs_for`` over 50,000 Events (Koji builds, tags, Bodhi updates)
   with the same 100 rules. Target: over 20,000 events/s.

Run: ``make bench-trigger`` or ``.venv/bin/python bench/trigger_bench.py [--messages N]
[--rounds R] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pika

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

import publish  # noqa: E402  (real-shaped messages, built by the schema classes)

from checkline.trigger.config import DEFAULT_CHECKS_DIR  # noqa: E402
from checkline.trigger.rules import parse_rules  # noqa: E402

ARCHES = ["x86_64", "aarch64", "ppc64le", "s390x", "i686"]


def make_rules(count: int = 100) -> list[dict[str, Any]]:
    """100 rules shaped like Taskotron's: by type, tag regexes, package lists, blacklists."""
    rng = random.Random(5)  # noqa: S311 - a fixed data set, not secrets
    rules: list[dict[str, Any]] = []
    for n in range(count):
        kind = n % 5
        arch = ARCHES[n % len(ARCHES)]
        task = "dummy" if n % 2 else "nvr-sanity"
        if kind == 0:
            when: dict[str, Any] = {"item_type": "koji_build", "name": {"$regex": f"^pkg{n % 10}"}}
        elif kind == 1:
            names = [f"pkg{rng.randrange(5000)}" for _ in range(20)]
            when = {"item_type": "koji_build", "name": {"$in": names}}
        elif kind == 2:
            when = {
                "item_type": "koji_tag",
                "tag": {"$regex": f"^f{30 + n % 12}-updates(-testing)?-pending$"},
            }
        elif kind == 3:
            when = {
                "item_type": "bodhi_update",
                "release": {"$in": [f"F{30 + n % 12}"]},
                "owner": {"$nin": ["bot", "releng"]},
            }
        else:
            when = {
                "item_type": "koji_build",
                "$or": [{"target": f"f{30 + n % 12}"}, {"owner": {"$regex": f"^user{n}$"}}],
                "instance": {"$exists": True},
            }
        rules.append({"when": when, "do": [{"tasks": [task], "arches": [arch]}]})
    return rules


def koji_build(n: int) -> Any:
    """Build ``pkg<n>``, its owner and target varied so that the rules match some of them."""
    return publish.koji_build(
        f"pkg{n}-1.0-1.fc42",
        n,
        prefix="",
        owner=f"user{n % 97}",
        request=["git+https://src.example/rpms/pkg.git#abc", f"f{30 + n % 12}", {}],
    )


def events(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)  # noqa: S311 - a fixed data set, not secrets
    out: list[dict[str, Any]] = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            out.append(
                {
                    "item": f"pkg{n}-1.0-1.fc42",
                    "item_type": "koji_build",
                    "name": f"pkg{rng.randrange(5000)}",
                    "owner": f"user{n % 97}",
                    "target": f"f{30 + n % 12}",
                    "instance": "primary",
                }
            )
        elif kind == 1:
            tag = f"f{30 + n % 14}-updates-testing-pending"
            out.append({"item": tag, "item_type": "koji_tag", "tag": tag, "name": f"pkg{n}"})
        else:
            out.append(
                {
                    "item": f"FEDORA-2026-{n:010x}",
                    "item_type": "bodhi_update",
                    "release": f"F{30 + n % 14}",
                    "owner": "pkgr" if n % 5 else "bot",
                    "builds": [f"pkg{n}-1.0-1.fc42"],
                }
            )
    return out


def bench_rules(rules: list[dict[str, Any]], count: int) -> dict[str, float]:
    ruleset = parse_rules(rules, "bench", DEFAULT_CHECKS_DIR, ("x86_64",))
    sample = events(count)
    for event in sample[:2000]:  # warm-up
        ruleset.jobs_for(event)
    best = 0.0
    jobs = 0
    for _ in range(3):
        started = time.perf_counter()
        jobs = sum(len(ruleset.jobs_for(event)) for event in sample)
        best = max(best, count / (time.perf_counter() - started))
    return {"events_per_s": best, "jobs_per_event": jobs / count}


def bench_callback(rules: list[dict[str, Any]], count: int, workdir: Path) -> float:
    """The consumer callback alone, in this process: adapt, match, record in SQLite."""
    from checkline.trigger.config import TriggerSettings
    from checkline.trigger.consumer import Consumer
    from checkline.trigger.ledger import Ledger
    from checkline.trigger.service import Trigger

    settings = TriggerSettings(db=f"sqlite:///{workdir / 'callback.sqlite'}", backend="none")
    ruleset = parse_rules(rules, "bench", DEFAULT_CHECKS_DIR, ("x86_64",))
    trigger = Trigger(settings, rules=ruleset, ledger=Ledger(settings.db))
    consumer = Consumer(trigger=trigger)
    messages = [koji_build(1_000_000 + n) for n in range(count)]
    started = time.perf_counter()
    for message in messages:
        consumer(message)
    rate = count / (time.perf_counter() - started)
    trigger.close()
    return rate


class Broker:
    def __init__(self, port: int) -> None:
        params = pika.ConnectionParameters(
            "127.0.0.1", port, credentials=pika.PlainCredentials("guest", "guest")
        )
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        suffix = uuid.uuid4().hex[:10]
        self.exchange = f"checkline-bench-{suffix}"
        self.queue = f"checkline-bench-{suffix}"
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self.channel.queue_declare(self.queue, durable=True, auto_delete=False, exclusive=False)
        self.channel.queue_bind(self.queue, self.exchange, "#.buildsys.build.state.change")

    def fill(self, start: int, count: int) -> None:
        for n in range(start, start + count):
            msg = koji_build(n)
            self.channel.basic_publish(
                self.exchange,
                "org.fedoraproject.prod." + msg.topic,
                msg._encoded_body,
                msg._properties,
            )

    def depth(self) -> int:
        return int(self.channel.queue_declare(self.queue, passive=True).method.message_count)

    def close(self) -> None:
        self.channel.queue_delete(self.queue)
        self.channel.exchange_delete(self.exchange)
        self.connection.close()


def write_conf(workdir: Path, port: int, broker: Broker, db: Path, rules: Path) -> Path:
    conf = workdir / "fedora-messaging.toml"
    conf.write_text(
        f'amqp_url = "amqp://guest:guest@127.0.0.1:{port}/%2F"\n'
        "[qos]\nprefetch_size = 0\nprefetch_count = 25\n"
        '[client_properties]\napp = "checkline-trigger-bench"\n'
        f'[queues."{broker.queue}"]\ndurable = true\nauto_delete = false\n'
        "exclusive = false\narguments = {}\n"
        f'[[bindings]]\nqueue = "{broker.queue}"\nexchange = "{broker.exchange}"\n'
        'routing_keys = ["#.buildsys.build.state.change"]\n'
        "[consumer_config.checkline]\n"
        f'db = "sqlite:///{db}"\nrules = "{rules}"\nbackend = "none"\n'
    )
    return conf


def ledger_counts(db: Path) -> tuple[int, int, int]:
    """(jobs, message ids, SUBMITTED jobs) in a ledger."""
    with sqlite3.connect(db) as conn:
        jobs = conn.execute("SELECT count(*) FROM jobs").fetchone()[0]
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        submitted = conn.execute("SELECT count(*) FROM jobs WHERE status = 'SUBMITTED'")
        return int(jobs), int(messages), int(submitted.fetchone()[0])


def drain(conf: Path, callback: str, count: int, workdir: Path) -> float:
    """Run fedora-messaging consume with ``callback`` until it has seen ``count`` messages."""
    result = workdir / "result.json"
    result.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BENCH_COUNT": str(count),
        "BENCH_RESULT": str(result),
        "PYTHONPATH": str(REPO),
    }
    fm = Path(sys.executable).parent / "fedora-messaging"
    log = workdir / "consumer.log"
    with log.open("ab") as out:
        proc = subprocess.run(
            [str(fm), "--conf", str(conf), "consume", "--callback-file", callback],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
    if proc.returncode != 0 or not result.exists():
        raise SystemExit(f"consumer {callback} failed ({proc.returncode}); see {log}")
    data = json.loads(result.read_text())
    return float(data["messages"] / data["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=5672)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-broker", action="store_true", help="Rules and callback only.")
    args = parser.parse_args()

    rules = make_rules(100)
    rules_figures = bench_rules(rules, 50000)
    print(
        f"rules alone: {rules_figures['events_per_s']:,.0f} events/s over 100 rules "
        f"({rules_figures['jobs_per_event']:.2f} jobs per event; target > 20,000)"
    )

    workdir = Path(tempfile.mkdtemp(prefix="checkline-trigger-bench-"))
    callback_rate = bench_callback(rules, args.messages, workdir)
    print(
        f"trigger callback alone (no broker, no schema validation): {callback_rate:,.0f} msg/s "
        f"({1000 / callback_rate:.2f} ms per message)"
    )
    if args.no_broker:
        return
    rules_file = workdir / "rules.yml"
    rules_file.write_text(json.dumps(rules))  # JSON is YAML
    broker = Broker(args.port)
    baseline: list[float] = []
    trigger: list[float] = []
    noop: list[float] = []
    jobs_recorded = 0
    try:
        start = 0
        for round_ in range(args.rounds):
            for variant, (name, callback, rates) in enumerate(
                (
                    ("empty callback", "trigger_callbacks.py:EmptyCallback", baseline),
                    ("trigger, backend none", "trigger_callbacks.py:TimedTrigger", trigger),
                    ("trigger, no-op backend", "trigger_callbacks.py:TimedTriggerNoop", noop),
                )
            ):
                db = workdir / f"ledger-{round_}-{variant}.sqlite"  # a fresh ledger each run
                conf = write_conf(workdir, args.port, broker, db, rules_file)
                broker.fill(start, args.messages)
                start += args.messages
                if broker.depth() != args.messages:
                    raise SystemExit(f"the queue holds {broker.depth()}, not {args.messages}")
                rate = drain(conf, str(REPO / "bench" / callback), args.messages, workdir)
                rates.append(rate)
                note = ""
                if variant:
                    jobs_recorded, messages, submitted = ledger_counts(db)
                    if messages != args.messages:
                        raise SystemExit(f"the ledger recorded {messages} of {args.messages}")
                    note = f" ({jobs_recorded:,} jobs recorded, {submitted:,} submitted)"
                print(f"round {round_ + 1}: {name}: {rate:,.0f} msg/s{note}")
    finally:
        broker.close()
    base, ours = statistics.median(baseline), statistics.median(trigger)
    ours_noop = statistics.median(noop)
    ratio, ratio_noop = ours / base, ours_noop / base
    print(
        f"median: empty callback {base:,.0f} msg/s; trigger {ours:,.0f} msg/s (backend none), "
        f"ratio {ratio:.0%}; {ours_noop:,.0f} msg/s (no-op backend), ratio {ratio_noop:.0%} "
        "(target >= 80%)"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rules": rules_figures,
                    "callback_alone_msg_per_s": callback_rate,
                    "baseline_msg_per_s": baseline,
                    "trigger_msg_per_s": trigger,
                    "ratio": ratio,
                    "trigger_noop_msg_per_s": noop,
                    "ratio_noop": ratio_noop,
                    "jobs_per_run": jobs_recorded,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
