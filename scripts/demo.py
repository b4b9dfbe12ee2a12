"""``make demo``: the whole pipeline on this machine, from bus messages to browsable results.

1. Starts the offline Koji and Bodhi stand-ins (test tools from ``tests/standins``: real RPMs
   built with rpmbuild, served in Koji's layout) on fixed local ports, so that the checks'
   ``koji`` and ``bodhi`` directives work without the network.
2. Brings the stack up (``checkline stack up``: RabbitMQ, ResultsDB, artifacts, Buildbot
   master and workers, the trigger consumer), its tasks pointed at the stand-ins.
3. Publishes real-shaped messages built with the schema classes: a Koji build that passes its
   checks, one that fails rpmlint, one that fails python-versions, and a Bodhi update. Without
   a broker, it says so and feeds the same messages to ``checkline trigger replay``.
4. Waits, with a progress line, until their results are in ResultsDB; prints them as a table
   with the URLs to browse (ResultsDB pages, Buildbot UI), and leaves everything running.

    python scripts/demo.py [--state-dir .checkline] [--timeout 600]
    python scripts/demo.py --down        # stop the stack and the stand-ins
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from checkline.stack.parts import alive

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KOJI_PORT, BODHI_PORT = 8081, 8082
BODHI_UPDATE = "FEDORA-2040-d3m0c4f3e1"
#: item -> what the demo rules run on it, and what they should say.
BUILDS = {
    "python-checkline-modern-1.2-1.fc40": "passes rpmlint and python-versions",
    "checkline-broken-2.1-3.fc40": "fails rpmlint",
    "python-checkline-dual-0.3-1.fc40": "fails python-versions (needs Python 2 and 3)",
}
UPDATE_BUILDS = ["checkline-clean-1.0-1.fc40"]
#: testcases the demo rules (rules.yml) produce per item type.
EXPECTED = {
    "koji_build": ["scratch.dummy", "dist.rpmlint", "dist.python-versions"],
    "bodhi_update": ["scratch.dummy"],
}


def say(text: str) -> None:
    print(f"== {text}", flush=True)


def run(*argv: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if check and done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


# -- stand-ins ----------------------------------------------------------------------------


def standins_file(state: Path) -> Path:
    return state / "demo-standins.json"


def start_standins(state: Path) -> dict[str, str]:
    """The Koji and Bodhi stand-ins, started once (their pids kept for --down)."""
    known = json.loads(standins_file(state).read_text()) if standins_file(state).exists() else {}
    if known and all(alive(p) for p in known.get("pids", [])):
        return dict(known["env"])
    logs = state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    koji_root = state / "koji"
    say(f"building the stand-in RPMs and starting the Koji stand-in on :{KOJI_PORT}")
    koji = _spawn(
        [sys.executable, "-m", "tests.standins.koji", "--root", str(koji_root), "--build-rpms",
         "--port", str(KOJI_PORT)],
        logs / "koji-standin.log",
    )  # fmt: skip
    bodhi = _spawn(
        [sys.executable, "-m", "tests.standins.bodhi", "--port", str(BODHI_PORT),
         "--update", f"{BODHI_UPDATE}={','.join(UPDATE_BUILDS)}"],
        logs / "bodhi-standin.log",
    )  # fmt: skip
    koji_says = _wait_line(logs / "koji-standin.log", "hub=", 600)
    bodhi_says = _wait_line(logs / "bodhi-standin.log", "bodhi=", 60)
    env = {
        "CHECKLINE_KOJI_HUB": koji_says["hub"],
        "CHECKLINE_KOJI_TOPURL": koji_says["topurl"],
        "CHECKLINE_BODHI_URL": bodhi_says["bodhi"],
    }
    standins_file(state).write_text(json.dumps({"pids": [koji, bodhi], "env": env}))
    return env


def _spawn(argv: list[str], log: Path) -> int:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return proc.pid


def _wait_line(log: Path, prefix: str, timeout: float) -> dict[str, str]:
    """The ``key=value`` pairs of the first line of ``log`` starting with ``prefix``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        for line in lines:
            if line.startswith(prefix):
                return dict(part.split("=", 1) for part in line.split())
        time.sleep(0.3)
    raise SystemExit(f"a stand-in did not start; see {log}:\n{log.read_text()[-2000:]}")


# -- messages -----------------------------------------------------------------------------


def messages() -> list[Any]:
    """Real-shaped messages, built and validated by the schema classes (the test tool
    ``tests/support/publish.py`` builds them as Fedora's Koji and Bodhi would send them)."""
    sys.path.insert(0, str(REPO / "tests" / "support"))
    from publish import bodhi_update, koji_build

    out = [koji_build(nvr, 4000 + n) for n, nvr in enumerate(BUILDS, start=1)]
    out.append(bodhi_update(BODHI_UPDATE, UPDATE_BUILDS))
    for message in out:
        message.validate()
    return out


def publish(state: Path, stack: dict[str, Any]) -> None:
    msgs = messages()
    config = Path(stack["trigger"].get("config") or state / "trigger.toml")
    if stack["rabbitmq"]["url"] and stack["trigger"]["running"]:
        say(f"publishing {len(msgs)} messages on {stack['rabbitmq']['url']}")
        os.environ["FEDORA_MESSAGING_CONF"] = str(config)
        from fedora_messaging import api

        for message in msgs:
            api.publish(message)
        return
    say("no RabbitMQ could be installed or started: feeding the same messages to "
        "`checkline trigger replay` instead")  # fmt: skip
    replay = state / "demo-messages.jsonl"
    replay.write_text("".join(json.dumps({"topic": m.topic, "body": m.body}) + "\n" for m in msgs))
    print(run(str(BIN / "checkline"), "trigger", "replay", str(replay), "--config", str(config)))


# -- results ------------------------------------------------------------------------------


def items() -> dict[str, str]:
    return {**{nvr: "koji_build" for nvr in BUILDS}, BODHI_UPDATE: "bodhi_update"}


def latest(resultsdb: str, item: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"item": item})
    with urllib.request.urlopen(f"{resultsdb}/api/v2.0/results/latest?{query}", timeout=10) as r:  # noqa: S310
        return list(json.load(r)["data"])


EARLY = ("QUEUED", "RUNNING")


def wait_results(resultsdb: str, timeout: float) -> dict[str, list[dict[str, Any]]]:
    wanted = {item: EXPECTED[kind] for item, kind in items().items()}
    total = sum(len(v) for v in wanted.values())
    deadline = time.monotonic() + timeout
    found: dict[str, list[dict[str, Any]]] = {}
    shown = -1
    while True:
        found = {item: latest(resultsdb, item) for item in wanted}
        done = sum(
            1
            for item, names in wanted.items()
            for result in found[item]
            if result["testcase"]["name"] in names
            and result["outcome"] not in ("QUEUED", "RUNNING")
        )
        if done != shown:
            # On a terminal the line is rewritten; in a log, one line per change.
            end = "" if sys.stdout.isatty() else "\n"
            print(f"\r   results in ResultsDB: {done}/{total}", end=end, flush=True)
            shown = done
        if done >= total:
            print() if sys.stdout.isatty() else None
            return found
        if time.monotonic() > deadline:
            print()
            say(f"timed out after {timeout:.0f} s; what is there so far:")
            return found
        time.sleep(1)


def summary(found: dict[str, list[dict[str, Any]]], stack: dict[str, Any]) -> None:
    rows = [("item", "testcase", "outcome", "note")]
    for item, results in found.items():
        for result in sorted(results, key=lambda r: r["testcase"]["name"]):
            rows.append((item, result["testcase"]["name"], result["outcome"], result["note"] or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  "
            + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3]))
            + "  "
            + row[3][:60]
        )
    resultsdb, buildbot = stack["resultsdb"]["url"], stack["buildbot"]["url"]
    print()
    print(f"  ResultsDB pages   {resultsdb}/results")
    for item in found:
        print(f"                    {resultsdb}/items/{urllib.parse.quote(item)}")
    print(f"  ResultsDB API     {resultsdb}/api/v2.0/results")
    print(f"  Buildbot UI       {buildbot}")
    web_user, secrets_file = (
        stack["buildbot"].get("web_user"),
        stack["buildbot"].get("secrets_file"),
    )
    if web_user:
        print(f"    to stop/rebuild: log in as {web_user!r}, password `buildbot_web_password`")
        print(f"    in {secrets_file} (mode 600)")
    print(f"  logs (artifacts)  {stack['artifacts']['url']}/<uuid>/  (one run's; no root listing)")
    print(
        "  the stack keeps running: `make demo-down` (or `python scripts/demo.py --down`) stops it"
    )


def stack_status(state: Path) -> dict[str, Any]:
    out = run(str(BIN / "checkline"), "stack", "status", "--state-dir", str(state), "--json")
    return dict(json.loads(out))


def down(state: Path) -> None:
    print(run(str(BIN / "checkline"), "stack", "down", "--state-dir", str(state), check=False))
    if standins_file(state).exists():
        for pid in json.loads(standins_file(state).read_text()).get("pids", []):
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        standins_file(state).unlink()
        print("stand-ins stopped")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=REPO / ".checkline")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--down", action="store_true")
    args = parser.parse_args()
    state = args.state_dir.resolve()
    if args.down:
        down(state)
        return 0
    state.mkdir(parents=True, exist_ok=True)
    env = start_standins(state)
    config = state / "demo-stack.toml"
    config.write_text(
        "task_env = {" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in env.items()) + "}\n"
        'arches = ["noarch", "x86_64"]\n'
    )
    say("bringing the stack up (checkline stack up)")
    print(run(str(BIN / "checkline"), "stack", "up", "--state-dir", str(state), "--config",
              str(config), "--rules", str(REPO / "rules.yml")), end="")  # fmt: skip
    stack = stack_status(state)
    publish(state, stack)
    say("waiting for the results (Ctrl-C stops waiting; the stack keeps running)")
    found = wait_results(stack["resultsdb"]["url"], args.timeout)
    say("results (latest per testcase)")
    summary(found, stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
