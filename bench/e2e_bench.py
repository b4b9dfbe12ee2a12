"""The whole pipeline against Buildbot alone: latency and throughput, measured in one run.

Targets (issue: Buildbot and the whole pipeline): from publishing a Koji build message to its
dummy-check result being queryable in ResultsDB, median under 3 s; the pipeline's overhead
over a bare Buildbot build running `true` under 1 s per job; throughput within 70 % of bare
Buildbot's, with one worker and with two.

* **Pipeline**: `checkline stack up` in a temporary state dir on free ports (the machine's
  RabbitMQ, ResultsDB on SQLite, a Buildbot master from master.cfg, the trigger consumer, the
  artifacts server), rules running the dummy check on x86_64 for every completed Koji build.
  Latency: LATENCY messages one at a time, each timed from just before `api.publish` (the real
  fedora-messaging API, confirmed by the broker) until `GET /results?item=NVR` returns it.
  Throughput: THROUGHPUT messages published at once, timed until all their results are in.
* **Bare Buildbot**: a master of its own (plain master.cfg: a ForceScheduler and a builder
  running `true`, `collapseRequests=False`, SQLite) with the same number of workers and
  `max_builds`; latency from the JSON-RPC force call until the build is complete, throughput of
  THROUGHPUT forced builds.

    python bench/e2e_bench.py [--latency 50] [--throughput 500] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "tests" / "support"))

from publish import koji_build  # noqa: E402
from rdb_server import free_port  # noqa: E402

RULES = "- when: {item_type: koji_build}\n  do: [{tasks: [dummy], arches: [x86_64]}]\n"


def cpu_seconds() -> float:
    """CPU time the whole machine has spent working (user + nice + system + irq + softirq)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def tree_cpu(parts: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each part: its processes and all their descendants, alive
    (their own time) or ended (in their parent's children time). Unlike the machine's counters,
    other work on the machine does not count."""
    table: dict[int, tuple[int, int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        fields = text[text.rindex(")") + 2 :].split()  # from field 3 (state) on
        # ppid is field 4; utime, stime, cutime, cstime are fields 14-17.
        table[int(stat.parent.name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
    children: dict[int, list[int]] = {}
    for pid, (ppid, _ticks) in table.items():
        children.setdefault(ppid, []).append(pid)
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for part, roots in parts.items():
        seen: set[int] = set()
        todo = [pid for pid in roots if pid in table]
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.add(pid)
                todo.extend(children.get(pid, []))
        out[part] = sum(table[pid][1] for pid in seen) / ticks
    return out


def cpu_by_part(before: dict[str, float], after: dict[str, float], jobs: int) -> dict[str, float]:
    return {part: (after[part] - before.get(part, 0.0)) / jobs for part in after}


def pids_in(pidfile: Path) -> list[int]:
    try:
        return [int(pidfile.read_text().split()[0])]
    except (OSError, ValueError, IndexError):
        return []


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered) + 0.5) - 1)]


def wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


# -- the pipeline ---------------------------------------------------------------------------


class Pipeline:
    def __init__(self, folder: Path, workers: int) -> None:
        self.state = folder / f"stack-{workers}"
        (folder / "rules.yml").write_text(RULES)
        ports = {n: free_port() for n in ("resultsdb", "buildbot", "worker", "artifacts")}
        self.config = folder / f"stack-{workers}.toml"
        self.config.write_text(
            "".join(f"{name}_port = {port}\n" for name, port in ports.items())
            + f'arches = ["x86_64"]\nworkers_per_arch = {workers}\n'
            + f'rules = "{folder / "rules.yml"}"\n'
        )
        self.resultsdb = f"http://127.0.0.1:{ports['resultsdb']}"
        self.buildbot = f"http://127.0.0.1:{ports['buildbot']}/api/v2"
        self.session = requests.Session()

    def up(self) -> None:
        done = subprocess.run(
            [str(BIN / "checkline"), "stack", "up", "--state-dir", str(self.state),
             "--config", str(self.config)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"stack up failed:\n{done.stdout}{done.stderr}")
        status = subprocess.run(
            [str(BIN / "checkline"), "stack", "status", "--state-dir", str(self.state), "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        if not json.loads(status.stdout)["trigger"]["running"]:
            raise SystemExit("no RabbitMQ: the pipeline benchmark needs one (make services)")
        stack = json.loads((self.state / "stack.json").read_text())
        self.parts = {
            "buildbot master": [stack["buildbot"]["pid"]],
            "workers (runner, git)": list(stack["buildbot"]["extra"]["workers"].values()),
            "trigger": [stack["trigger"]["pid"]],
            "resultsdb": [stack["resultsdb"]["pid"]],
            "artifacts server": [stack["artifacts"]["pid"]],
            "rabbitmq (shared)": rabbitmq_pids(),
            "benchmark client": [os.getpid()],
        }
        os.environ["FEDORA_MESSAGING_CONF"] = str(self.state / "trigger.toml")

    def down(self) -> None:
        subprocess.run(
            [str(BIN / "checkline"), "stack", "down", "--state-dir", str(self.state)],
            capture_output=True, check=False,
        )  # fmt: skip

    def has_result(self, item: str) -> bool:
        response = self.session.get(
            f"{self.resultsdb}/api/v2.0/results", params={"item": item, "limit": 1}, timeout=10
        )
        return bool(response.json()["data"])

    def idle(self) -> bool:
        """No build running: the last job's steps after its report (cleanup) are done too."""
        answer = self.session.get(f"{self.buildbot}/builds", params={"complete": "false"})
        return not answer.json()["builds"]

    def latency(self, count: int) -> list[float]:
        from fedora_messaging import api

        times = []
        for n in range(count + 2):  # two warm-up jobs
            # One job at a time, as bare Buildbot's builds are forced one at a time: the next
            # message once the last job's build has completed (its cleanup follows the report).
            wait(self.idle, 60, "the last build to complete")
            item = f"bench-{uuid.uuid4().hex[:10]}-1.0-1.fc40"
            started = time.perf_counter()
            api.publish(koji_build(item, n))
            wait(lambda item=item: self.has_result(item), 120, f"the result of {item}")
            if n >= 2:
                times.append(time.perf_counter() - started)
        return times

    def throughput(self, count: int) -> float:
        from fedora_messaging import api

        tag = uuid.uuid4().hex[:8]
        items = [f"tput{tag}-{n}-1.0-1.fc40" for n in range(count)]
        started = time.perf_counter()
        for n, item in enumerate(items):
            api.publish(koji_build(item, n))

        def all_in() -> bool:
            # One cheap request every half second: the benchmark must not load what it times.
            time.sleep(0.5)
            params = {"item:like": f"tput{tag}-*", "limit": count}
            answer = self.session.get(f"{self.resultsdb}/api/v2.0/results", params=params)
            return len(answer.json()["data"]) >= count

        wait(all_in, 3600, f"{count} results")
        return count / (time.perf_counter() - started)


def rabbitmq_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split()]


# -- bare Buildbot --------------------------------------------------------------------------

BARE_CFG = """
from buildbot.plugins import schedulers, steps, util, worker
WORKERS = {workers!r}
c = BuildmasterConfig = {{}}
c["buildbotURL"] = "http://127.0.0.1:{www}/"
c["buildbotNetUsageData"] = None
c["db"] = {{"db_url": "sqlite:///state.sqlite"}}
c["protocols"] = {{"pb": {{"port": "tcp:{pb}:interface=127.0.0.1"}}}}
c["workers"] = [worker.Worker(name, "pw", max_builds=2) for name in WORKERS]
c["collapseRequests"] = False
c["schedulers"] = [schedulers.ForceScheduler(name="force", builderNames=["x86_64"])]
factory = util.BuildFactory([steps.ShellCommand(command=["true"], logEnviron=False)])
c["builders"] = [util.BuilderConfig(name="x86_64", workernames=WORKERS, factory=factory,
                                    collapseRequests=False)]
c["www"] = {{"port": "tcp:{www}:interface=127.0.0.1", "plugins": {{}}}}
"""


class BareBuildbot:
    def __init__(self, folder: Path, workers: int) -> None:
        self.folder = folder / f"bare-{workers}"
        self.www, self.pb = free_port(), free_port()
        self.names = [f"w{n}" for n in range(1, workers + 1)]
        self.url = f"http://127.0.0.1:{self.www}/"
        self.session = requests.Session()

    def up(self) -> None:
        master = self.folder / "master"
        self.folder.mkdir(parents=True)
        subprocess.run([str(BIN / "buildbot"), "create-master", "-r", str(master)],
                       capture_output=True, check=True)  # fmt: skip
        (master / "master.cfg").write_text(
            textwrap.dedent(BARE_CFG.format(workers=self.names, www=self.www, pb=self.pb))
        )
        subprocess.run([str(BIN / "buildbot"), "start", str(master)], capture_output=True,
                       check=True)  # fmt: skip
        for name in self.names:
            folder = self.folder / name
            subprocess.run(
                [str(BIN / "buildbot-worker"), "create-worker", "-r", str(folder),
                 f"127.0.0.1:{self.pb}", name, "pw"], capture_output=True, check=True,
            )  # fmt: skip
            subprocess.run([str(BIN / "buildbot-worker"), "start", str(folder)],
                           capture_output=True, check=True)  # fmt: skip

        def connected() -> bool:
            workers = self.session.get(f"{self.url}api/v2/workers", timeout=5).json()["workers"]
            return sum(1 for w in workers if w["connected_to"]) == len(self.names)

        wait(connected, 60, "the bare workers")
        self.parts = {
            "buildbot master": pids_in(master / "twistd.pid"),
            "workers (runner, git)": [
                pid for name in self.names for pid in pids_in(self.folder / name / "twistd.pid")
            ],
            "benchmark client": [os.getpid()],
        }

    def down(self) -> None:
        for name in self.names:
            subprocess.run([str(BIN / "buildbot-worker"), "stop", str(self.folder / name)],
                           capture_output=True, check=False)  # fmt: skip
        subprocess.run([str(BIN / "buildbot"), "stop", str(self.folder / "master")],
                       capture_output=True, check=False)  # fmt: skip

    def force(self) -> int:
        body = {"jsonrpc": "2.0", "method": "force", "id": 1,
                "params": {"builderNames": ["x86_64"]}}  # fmt: skip
        answer = self.session.post(f"{self.url}api/v2/forceschedulers/force", json=body, timeout=30)
        return int(next(iter(answer.json()["result"][1].values())))

    def complete(self, brid: int) -> bool:
        builds = self.session.get(f"{self.url}api/v2/buildrequests/{brid}/builds", timeout=10)
        data = builds.json()["builds"]
        return bool(data) and bool(data[-1]["complete"])

    def latency(self, count: int) -> list[float]:
        times = []
        for n in range(count + 2):
            started = time.perf_counter()
            brid = self.force()
            wait(lambda brid=brid: self.complete(brid), 120, "a bare build")
            if n >= 2:
                times.append(time.perf_counter() - started)
        return times

    def throughput(self, count: int) -> float:
        started = time.perf_counter()
        brids = [self.force() for _ in range(count)]

        def all_done() -> bool:
            time.sleep(0.5)  # as for the pipeline: one request every half second
            params = {"buildrequestid__ge": min(brids), "complete": "true"}
            answer = self.session.get(f"{self.url}api/v2/buildrequests", params=params)
            return len(answer.json()["buildrequests"]) >= count

        wait(all_done, 3600, f"{count} bare builds")
        return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=50, help="messages timed one by one")
    parser.add_argument("--throughput", type=int, default=500, help="messages published at once")
    parser.add_argument("--workers", default="1,2", help="worker counts for the throughput")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="checkline-e2e-bench-") as tmp:
        folder = Path(tmp)
        for workers in counts:
            for kind, system in (("bare", BareBuildbot(folder, workers)),
                                 ("pipeline", Pipeline(folder, workers))):  # fmt: skip
                system.up()
                try:
                    if workers == counts[0]:
                        figures[f"{kind} latency"] = system.latency(args.latency)
                    cpu, parts = cpu_seconds(), tree_cpu(system.parts)
                    figures[f"{kind} throughput {workers}"] = system.throughput(args.throughput)
                    figures[f"{kind} cpu {workers}"] = (cpu_seconds() - cpu) / args.throughput
                    figures[f"{kind} parts {workers}"] = cpu_by_part(
                        parts, tree_cpu(system.parts), args.throughput
                    )
                finally:
                    system.down()
    pipe, bare = figures["pipeline latency"], figures["bare latency"]
    med, bare_med = statistics.median(pipe), statistics.median(bare)
    overhead = med - bare_med
    print(f"latency over {args.latency} jobs (s)          median    p95")
    print(f"  pipeline: publish -> result queryable   {med:6.2f} {p95(pipe):6.2f}"
          f"   (target median < 3 s: {'met' if med < 3 else 'MISSED'})")  # fmt: skip
    print(f"  bare Buildbot: force -> build complete  {bare_med:6.2f} {p95(bare):6.2f}")
    print(f"  pipeline overhead per job               {overhead:6.2f}"
          f"          (target < 1 s: {'met' if overhead < 1 else 'MISSED'})")  # fmt: skip
    print(f"throughput over {args.throughput} jobs (jobs/s)   pipeline   bare   ratio")
    for workers in counts:
        ours, theirs = (
            figures[f"pipeline throughput {workers}"],
            figures[f"bare throughput {workers}"],
        )
        ratio = ours / theirs
        verdict = "met" if ratio >= 0.7 else "MISSED"
        print(f"  {workers} worker(s)                         {ours:7.2f} {theirs:7.2f}  "
              f"{ratio:5.0%}  (target >= 70%: {verdict})")  # fmt: skip
    print(f"machine CPU per job (s, all processes; {os.cpu_count()} cores)   pipeline   bare")
    for workers in counts:
        ours, theirs = figures[f"pipeline cpu {workers}"], figures[f"bare cpu {workers}"]
        print(f"  {workers} worker(s)                         {ours:7.2f} {theirs:7.2f}")
    print("CPU per job by part (s; each part's processes and their children only)")
    for workers in counts:
        ours, theirs = figures[f"pipeline parts {workers}"], figures[f"bare parts {workers}"]
        print(f"  {workers} worker(s)                          pipeline   bare")
        for part, seconds in ours.items():
            bare = f"{theirs[part]:7.3f}" if part in theirs else "      -"
            print(f"    {part:<32} {seconds:7.3f} {bare}")
        print(f"    {'all of them':<32} {sum(ours.values()):7.3f} {sum(theirs.values()):7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
