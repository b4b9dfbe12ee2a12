"""ResultsDB benchmark: the v2.0 API over HTTP at 100,000 and 1,000,000 results.

Generates a deterministic, realistic data set (5,000 koji builds and 500 Bodhi updates as
items, 20 testcases of which 9 are ``dist.*``, outcomes 70/15/10/5 % PASSED/FAILED/INFO/
NEEDS_INSPECTION, data item/type/arch, 1-20 results per group, submit times over 90 days),
loads it straight into the database (SQLAlchemy Core executemany on the tables of
``resultsdb/schema.py``: data generation, not what is timed), starts
``checkline resultsdb serve --workers 2`` and times requests from this, a second, process:
nine reads (median and p95 of --repeat runs, interleaved with the healthcheck and with an
empty WSGI app served the same way, ``plumbing_app.py``: HTTP's own cost), single POSTs
with 1 and 4 clients, bulk POSTs (``POST /api/v2.0/results/bulk``, when the server has it)
and a 4-client read mix. Then it grows the data set to the next size and does it again.

Figures are compared with upstream ResultsDB 2.2.0 measured on this machine (100,000
results, SQLite, gunicorn 2 workers) and with the healthcheck of the same server, and every
target of the issue is reported as met or MISSED. SQL statements per page cannot be seen
over HTTP: tests/unit/resultsdb/test_rdb_statements.py covers them.

    python bench/resultsdb_bench.py [--backend sqlite|postgresql|both] [--sizes 100000,1000000]
                                    [--repeat 30] [--quick] [--json FILE]

PostgreSQL: a fresh database ``checkline_bench_<random>`` is created through
postgresql://checkline:checkline@127.0.0.1:5432/postgres (env CHECKLINE_BENCH_PG) and
dropped at the end.
"""

# ruff: noqa: S311  (seeded random.Random is the point: a reproducible data set)
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, create_engine, func, insert, select, text

from checkline.resultsdb.schema import group, groups_to_results, result, result_data, testcase

CHECKLINE = str(Path(sys.executable).parent / "checkline")
PG_ADMIN = os.environ.get(
    "CHECKLINE_BENCH_PG", "postgresql://checkline:checkline@127.0.0.1:5432/postgres"
)
API = "/api/v2.0"
SEED = 20250601
#: The data set's 90 days end here (fixed, so that runs are comparable).
END = dt.datetime(2025, 6, 1, 0, 0, 0)
DAYS = 90
LOAD_BATCH = 20_000
WORKERS = 2
SECONDS = 5.0
BULK_BATCH = 1000
BULK_BATCHES = 10

# Upstream ResultsDB 2.2.0 on this machine: 100,000 results, SQLite, gunicorn 2 workers.
UPSTREAM_MS = {
    "results?item=X": 16.2,
    "results?testcases=T&since=S": 22.9,
    "results/latest?item=X&type=koji_build": 15.9,
    "results/latest?item=X&testcases:like=dist.*": 9.3,
    "results/latest?testcases:like=dist.*": 105.0,
    "groups/<uuid>/results?testcases:like=dist.*": 78.0,
    "results?page=200&limit=20": 16.8,
    "results (first page)": 16.4,
    "groups (first page)": 9.1,
}
UPSTREAM_WRITES = {1: 128.0, 4: 197.0}
UPSTREAM_MIX = 91.0
# Targets of the issue.
READ_SPEEDUP = 5.0
GROWTH = 1.5
WRITE_SPEEDUP = 3.0
BULK_PER_S = 5000.0
VS_HEALTH = 2.0

DIST_TESTCASES = [
    "dist.rpmlint",
    "dist.depcheck",
    "dist.upgradepath",
    "dist.abicheck",
    "dist.rpmgrill",
    "dist.python-versions",
    "dist.rpmdeplint",
    "dist.nvr-sanity",
    "dist.installability",
]
BUILD_TESTCASES = [
    "fedora-ci.koji-build.tier0.functional",
    "fedora-ci.koji-build.rpminspect.static-analysis",
    "fedora-ci.koji-build.rpminspect.dynamic-analysis",
    "fedora-ci.koji-build.installability.functional",
    "org.centos.prod.ci.pipeline.allpackages-build.package.test.functional.complete",
]
UPDATE_TESTCASES = [
    "update.install_default_update_netinst",
    "update.base_selinux",
    "update.base_services_start",
    "update.desktop_login",
    "update.desktop_terminal",
    "update.base_update_cli",
]
TESTCASES = DIST_TESTCASES + BUILD_TESTCASES + UPDATE_TESTCASES
OUTCOMES = ["PASSED", "FAILED", "INFO", "NEEDS_INSPECTION"]
OUTCOME_WEIGHTS = [70, 15, 10, 5]
BUILD_ARCHES = ["x86_64", "aarch64", "noarch", "ppc64le", "s390x"]
BUILD_ARCH_WEIGHTS = [60, 15, 15, 5, 5]
PACKAGES = (
    "python kernel glibc gcc firefox xchat gnome-shell systemd bash coreutils openssl curl "
    "vim emacs rust golang nodejs perl ruby httpd nginx postgresql sqlite mariadb libreoffice "
    "inkscape gimp qt5 gtk3 mesa llvm clang cmake meson ninja git tar gzip xz zstd dnf rpm "
    "podman buildah skopeo cockpit anaconda pungi koji bodhi mock fedpkg"
).split()


# -- the data set ------------------------------------------------------------------------


def _make_items(rng: random.Random) -> tuple[list[str], list[str]]:
    builds: set[str] = set()
    while len(builds) < 5000:
        name = rng.choice(PACKAGES)
        if rng.random() < 0.7:
            suffix = rng.choice(["libs", "devel", "utils", "plugin", "doc"])
            name = f"{name}-{suffix}{rng.randint(0, 99)}"
        version = f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        builds.add(f"{name}-{version}-{rng.randint(1, 9)}.fc{rng.choice([40, 41, 42])}")
    updates = {f"FEDORA-2025-{rng.getrandbits(40):010x}" for _ in range(500)}
    while len(updates) < 500:
        updates.add(f"FEDORA-2025-{rng.getrandbits(40):010x}")
    return sorted(builds), sorted(updates)


@dataclass
class DataSet:
    """Deterministic results in groups; ``batches`` goes on where the last call stopped."""

    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    builds: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    results: int = 0
    #: The last ids used; ``load`` moves them past rows the benchmark's POSTs added.
    last_result_id: int = 0
    last_group_id: int = 0
    used_builds: set[str] = field(default_factory=set)
    used_updates: set[str] = field(default_factory=set)
    group_uuids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.builds, self.updates = _make_items(self.rng)

    def testcase_rows(self) -> list[dict[str, Any]]:
        return [
            {"id": i + 1, "name": name, "ref_url": f"https://pagure.io/taskotron/{name}"}
            for i, name in enumerate(TESTCASES)
        ]

    def batches(self, count: int, size: int = LOAD_BATCH) -> Iterator[dict[str, list[Any]]]:
        """``count`` more results, as rows for each table, about ``size`` results a batch."""
        rng = self.rng
        target = self.results + count
        window = DAYS * 86400.0
        start = END - dt.timedelta(days=DAYS)
        batch: dict[str, list[Any]] = {"group": [], "result": [], "data": [], "link": []}
        while self.results < target:
            is_update = rng.random() < 500 / 5500
            if is_update:
                item, item_type, pool = rng.choice(self.updates), "bodhi_update", UPDATE_TESTCASES
                self.used_updates.add(item)
            else:
                item, item_type, pool = rng.choice(self.builds), "koji_build", BUILD_TESTCASES
                self.used_builds.add(item)
            size_of_group = min(rng.randint(1, 20), target - self.results)
            self.last_group_id += 1
            group_id = self.last_group_id
            group_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            self.group_uuids.append(group_uuid)
            batch["group"].append(
                {
                    "id": group_id,
                    "uuid": group_uuid,
                    "description": f"{item} ({item_type})",
                    "ref_url": f"https://taskotron.example.org/execdb/jobs/{group_uuid}",
                }
            )
            moment = start + dt.timedelta(seconds=rng.random() * window)
            for _ in range(size_of_group):
                self.results += 1
                self.last_result_id += 1
                result_id = self.last_result_id
                moment += dt.timedelta(
                    seconds=rng.randint(1, 60), microseconds=rng.randint(0, 999999)
                )
                name = rng.choice(DIST_TESTCASES) if rng.random() < 0.55 else rng.choice(pool)
                outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
                if is_update:
                    arch = "x86_64" if rng.random() < 0.8 else "aarch64"
                else:
                    arch = rng.choices(BUILD_ARCHES, BUILD_ARCH_WEIGHTS)[0]
                batch["result"].append(
                    {
                        "id": result_id,
                        "testcase_name": name,
                        "submit_time": moment,
                        "outcome": outcome,
                        "note": None if outcome == "PASSED" else f"{outcome.lower()}: see log",
                        "ref_url": (
                            f"https://taskotron.example.org/artifacts/{group_uuid}/{name}.log"
                        ),
                    }
                )
                copies = {"result_id": result_id, "testcase_name": name, "submit_time": moment}
                batch["data"].extend(
                    (
                        {**copies, "key": "item", "value": item},
                        {**copies, "key": "type", "value": item_type},
                        {**copies, "key": "arch", "value": arch},
                    )
                )
                batch["link"].append({"group_id": group_id, "result_id": result_id})
            if len(batch["result"]) >= size:
                yield batch
                batch = {"group": [], "result": [], "data": [], "link": []}
        if batch["result"]:
            yield batch


def load_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        def pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

        event.listen(engine, "connect", pragmas)
    return engine


def load(url: str, data: DataSet, count: int) -> float:
    """Insert ``count`` more results (with groups, data, links); return the seconds taken."""
    started = time.perf_counter()
    engine = load_engine(url)
    try:
        with engine.begin() as conn:
            if conn.execute(select(func.count()).select_from(testcase)).scalar_one() == 0:
                conn.execute(insert(testcase), data.testcase_rows())
            data.last_result_id = conn.execute(select(func.max(result.c.id))).scalar() or 0
            data.last_group_id = conn.execute(select(func.max(group.c.id))).scalar() or 0
        done, report = 0, 100_000
        for batch in data.batches(count):
            with engine.begin() as conn:
                conn.execute(insert(group), batch["group"])
                conn.execute(insert(result), batch["result"])
                conn.execute(insert(result_data), batch["data"])
                conn.execute(insert(groups_to_results), batch["link"])
            done += len(batch["result"])
            if done >= report or done == count:
                report += 100_000
                rate = done / (time.perf_counter() - started)
                print(f"  loaded {done:,} / {count:,} ({rate:,.0f} results/s)", flush=True)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                # Explicit ids do not move the sequences: the server's POSTs must not collide.
                for table in ("testcase", "group", "result", "result_data", "groups_to_results"):
                    setval = (
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                    conn.execute(text(setval))
            # What autovacuum would do after such a load: statistics and the visibility map.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - started


def count_results(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(result)).scalar_one())
    finally:
        engine.dispose()


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``checkline resultsdb serve`` in its own process group, stopped by its pid."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{API}"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            *(CHECKLINE, "resultsdb", "serve", "--db", self.url),
            *("--host", "127.0.0.1", "--port", str(self.port)),
            *("--workers", str(WORKERS)),
        ]

    def __enter__(self) -> Server:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}); see {self.log}")
            try:
                if requests.get(f"{self.base}/healthcheck", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"server did not answer within 60 s; see {self.log}")

    def __exit__(self, *_exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Plumbing(Server):
    """``plumbing_app.py`` served as ``checkline resultsdb serve`` serves the service (gunicorn,
    gthread, ``WORKERS`` processes x 4 threads): HTTP's cost before any application code."""

    def __init__(self, log: Path) -> None:
        super().__init__("", log)
        self.base = f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "gunicorn", "--chdir", str(Path(__file__).parent)),
            *("--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS), "--threads", "4"),
            *("--worker-class", "gthread", "--no-control-socket", "plumbing_app:app"),
        ]


def init_db(url: str) -> None:
    subprocess.run(
        [CHECKLINE, "resultsdb", "init-db", "--db", url], check=True, stdout=subprocess.DEVNULL
    )


@contextmanager
def backend_database(backend: str, workdir: Path, keep: bool) -> Iterator[str]:
    """A fresh, empty database URL for ``backend``; a PostgreSQL one is dropped at the end
    unless ``keep``."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'resultsdb.sqlite'}"
        return
    import psycopg

    name = f"checkline_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        if keep:
            print(f"kept: {base}/{name}")
        else:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the requests --------------------------------------------------------------------------


def _since(rng: random.Random) -> str:
    moment = END - dt.timedelta(days=rng.uniform(1, 30))
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def read_paths(data: DataSet) -> dict[str, Callable[[random.Random], str]]:
    """Each read of the issue: a function from a Random to a path with varying parameters."""
    builds = sorted(data.used_builds)
    items = sorted(data.used_builds | data.used_updates)
    uuids = data.group_uuids
    return {
        "results?item=X": lambda r: f"/results?item={r.choice(items)}",
        "results?testcases=T&since=S": (
            lambda r: f"/results?testcases={r.choice(TESTCASES)}&since={_since(r)}"
        ),
        "results/latest?item=X&type=koji_build": (
            lambda r: f"/results/latest?item={r.choice(builds)}&type=koji_build"
        ),
        "results/latest?item=X&testcases:like=dist.*": (
            lambda r: f"/results/latest?item={r.choice(items)}&testcases:like=dist.*"
        ),
        "results/latest?testcases:like=dist.*": lambda r: "/results/latest?testcases:like=dist.*",
        "groups/<uuid>/results?testcases:like=dist.*": (
            lambda r: f"/groups/{r.choice(uuids)}/results?testcases:like=dist.*"
        ),
        "results?page=200&limit=20": lambda r: "/results?page=200&limit=20",
        "results (first page)": lambda r: "/results",
        "groups (first page)": lambda r: "/groups",
    }


def _under(base: str, path: Callable[[random.Random], str]) -> Callable[[random.Random], str]:
    return lambda rng: base + path(rng)


def get_ms(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


#: The row of ``Plumbing``: timed in the same rounds, not a read of the service.
PLUMBING = "plumbing (empty WSGI app)"


def time_reads(base: str, data: DataSet, repeat: int, plumbing: str) -> dict[str, dict[str, float]]:
    """Median and p95 ms of each read, of the healthcheck and of ``plumbing`` (the base URL
    of a ``Plumbing`` server), interleaved round-robin."""
    paths: dict[str, Callable[[random.Random], str]] = {
        PLUMBING: lambda r: plumbing + "/healthcheck",
        "healthcheck": lambda r: base + "/healthcheck",
    }
    paths.update({name: _under(base, path) for name, path in read_paths(data).items()})
    rng = random.Random(SEED + 1)
    samples: dict[str, list[float]] = {name: [] for name in paths}
    with requests.Session() as session:
        for run in range(repeat + 3):  # three warm-up rounds
            for name, path in paths.items():
                elapsed = get_ms(session, path(rng))
                if run >= 3:
                    samples[name].append(elapsed)
    return {
        name: {"median": statistics.median(values), "p95": p95(values)}
        for name, values in samples.items()
    }


def run_clients(clients: int, work: Callable[[requests.Session, random.Random], None]) -> float:
    """Run ``work`` in a loop in ``clients`` threads for SECONDS; return calls per second."""
    counts = [0] * clients
    errors: list[BaseException] = []
    stop = threading.Event()

    def loop(index: int) -> None:
        rng = random.Random(SEED + 100 + index)
        with requests.Session() as session:
            try:
                while not stop.is_set():
                    work(session, rng)
                    counts[index] += 1
            except BaseException as err:
                errors.append(err)
                stop.set()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]}") from errors[0]
    return sum(counts) / elapsed


def read_mix(base: str, data: DataSet, clients: int = 4) -> float:
    paths = list(read_paths(data).values())

    def work(session: requests.Session, rng: random.Random) -> None:
        get_ms(session, base + rng.choice(paths)(rng))

    return run_clients(clients, work)


def result_body(rng: random.Random, item: str, group_uuid: str) -> dict[str, Any]:
    name = rng.choice(DIST_TESTCASES)
    return {
        "outcome": rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0],
        "testcase": {"name": name, "ref_url": f"https://pagure.io/taskotron/{name}"},
        "groups": [group_uuid],
        "note": "",
        "ref_url": f"https://taskotron.example.org/artifacts/{group_uuid}/{name}.log",
        "data": {"item": item, "type": "koji_build", "arch": rng.choice(BUILD_ARCHES)},
    }


def _bench_item(rng: random.Random) -> str:
    return f"bench-{rng.getrandbits(32):08x}-1.0-1.fc42"


def single_posts(base: str, clients: int) -> float:
    """POST /results, one result a request, from ``clients`` threads: results per second."""

    def work(session: requests.Session, rng: random.Random) -> None:
        # A job: a new group and item every 10 results or so, as the runner reports them.
        if not hasattr(session, "bench_group") or rng.random() < 0.1:
            session.bench_group = str(uuid.UUID(int=rng.getrandbits(128), version=4))  # type: ignore[attr-defined]
            session.bench_item = _bench_item(rng)  # type: ignore[attr-defined]
        body = result_body(rng, session.bench_item, session.bench_group)  # type: ignore[attr-defined]
        response = session.post(f"{base}/results", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"POST /results: {response.status_code} {response.text[:300]}")

    return run_clients(clients, work)


def bulk_posts(base: str) -> tuple[float, int] | None:
    """BULK_BATCHES batches of BULK_BATCH results to POST /results/bulk, after one warm-up
    batch: (results per second, batches), or None when the server has no such endpoint."""
    probe = requests.post(f"{base}/results/bulk", json={"results": []}, timeout=30)
    if probe.status_code in (404, 405):
        return None
    rng = random.Random(SEED + 7)
    sent = batches = 0
    elapsed = 0.0
    with requests.Session() as session:
        for batch in range(BULK_BATCHES + 1):
            bodies = []
            for _ in range(BULK_BATCH // 10):
                item, group_uuid = _bench_item(rng), str(uuid.UUID(int=rng.getrandbits(128)))
                bodies.extend(result_body(rng, item, group_uuid) for _ in range(10))
            payload = json.dumps({"results": bodies})
            started = time.perf_counter()
            response = session.post(
                f"{base}/results/bulk",
                data=payload,
                headers={"Content-Type": "application/json"},
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(
                    f"POST /results/bulk: {response.status_code} {response.text[:300]}"
                )
            if batch > 0:
                elapsed += time.perf_counter() - started
                sent += len(bodies)
                batches += 1
    return sent / elapsed, batches


# -- one backend ---------------------------------------------------------------------------


@dataclass
class Measurement:
    backend: str
    size: int
    results_in_db: int
    load_seconds: float
    reads: dict[str, dict[str, float]]
    mix: float
    writes: dict[int, float]
    bulk: tuple[float, int] | None


def measure(
    backend: str, url: str, data: DataSet, size: int, repeat: int, log: Path
) -> Measurement:
    print(f"\n== {backend}: loading up to {size:,} results ==", flush=True)
    seconds = load(url, data, size - data.results)
    in_db = count_results(url)
    print(f"  {in_db:,} results in the database (load took {seconds:.0f} s)", flush=True)
    load1, load5, _ = os.getloadavg()
    print(f"  load average before timing: {load1:.2f} (1 min), {load5:.2f} (5 min)", flush=True)
    with Server(url, log) as server, Plumbing(log) as plumbing:
        reads = time_reads(server.base, data, repeat, plumbing.base)
        mix = read_mix(server.base, data)
        # Writes last: the reads see exactly the generated data set.
        writes = {clients: single_posts(server.base, clients) for clients in (1, 4)}
        bulk = bulk_posts(server.base)
    measurement = Measurement(backend, size, in_db, seconds, reads, mix, writes, bulk)
    print_measurement(measurement, repeat)
    return measurement


def run_backend(backend: str, sizes: list[int], repeat: int, keep: bool) -> list[Measurement]:
    workdir = Path(tempfile.mkdtemp(prefix="resultsdb-bench-"))
    log = workdir / "server.log"
    try:
        with backend_database(backend, workdir, keep) as url:
            if keep and backend == "sqlite":
                print(f"kept: {url}")
            init_db(url)
            data = DataSet()
            try:
                return [measure(backend, url, data, size, repeat, log) for size in sizes]
            except BaseException:
                if log.exists():
                    tail = log.read_text()[-3000:]
                    print(f"--- server log ({log}) ---\n{tail}", file=sys.stderr)
                raise
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


# -- printing ------------------------------------------------------------------------------


def print_measurement(m: Measurement, repeat: int) -> None:
    health = m.reads["healthcheck"]["median"]
    print(
        f"\n{m.backend}, {m.size:,} results ({m.results_in_db:,} in the database), "
        f"gunicorn {WORKERS} workers; median/p95 of {repeat} runs, ms"
    )
    print(
        f"  {'request':46} {'median':>7} {'p95':>7} {'upstream':>9} {'speed-up':>9} {'/health':>8}"
    )
    for name, figures in m.reads.items():
        up = UPSTREAM_MS.get(name)
        up_text = f"{up:9.1f}" if up else f"{'-':>9}"
        speed = f"{up / figures['median']:8.1f}x" if up else f"{'-':>9}"
        ratio = f"{figures['median'] / health:7.2f}x"
        print(
            f"  {name:46} {figures['median']:7.2f} {figures['p95']:7.2f} {up_text} {speed} {ratio}"
        )
    for clients, rate in m.writes.items():
        up = UPSTREAM_WRITES[clients]
        label = f"single POSTs, {clients} client{'s' if clients > 1 else ''}"
        print(f"  {label:46} {rate:7.0f}/s  (upstream {up:.0f}/s: {rate / up:.1f}x)")
    if m.bulk is None:
        print(f"  {'bulk POSTs':46} bulk: endpoint not available")
    else:
        rate, batches = m.bulk
        print(f"  {'bulk POSTs':46} {rate:7.0f} results/s  ({batches} batches of {BULK_BATCH})")
    print(
        f"  {'read mix, 4 clients':46} {m.mix:7.0f}/s  (upstream {UPSTREAM_MIX:.0f}/s: "
        f"{m.mix / UPSTREAM_MIX:.1f}x)"
    )


def _verdict(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def summarize(measurements: list[Measurement]) -> list[str]:
    """One line per target and backend, met or MISSED, with the numbers."""
    lines: list[str] = []
    by_backend: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_backend.setdefault(m.backend, []).append(m)
    for backend, ms in by_backend.items():
        first, last = ms[0], ms[-1]
        reads = [name for name in first.reads if name in UPSTREAM_MS]
        # Reads 5x faster than upstream at the first size (upstream was measured at 100,000).
        slow = [
            f"{name} {UPSTREAM_MS[name] / first.reads[name]['median']:.1f}x "
            f"({first.reads[name]['median']:.2f} vs {UPSTREAM_MS[name]} ms)"
            for name in reads
            if UPSTREAM_MS[name] / first.reads[name]["median"] < READ_SPEEDUP
        ]
        worst = min(reads, key=lambda n: UPSTREAM_MS[n] / first.reads[n]["median"])
        detail = "; ".join(slow) or (
            f"smallest speed-up {UPSTREAM_MS[worst] / first.reads[worst]['median']:.1f}x ({worst})"
        )
        lines.append(
            f"[{_verdict(not slow)}] {backend}: every read >= {READ_SPEEDUP:.0f}x faster than "
            f"upstream at {first.size:,}: {detail}"
        )
        mix_ok = first.mix / UPSTREAM_MIX >= READ_SPEEDUP
        lines.append(
            f"[{_verdict(mix_ok)}] {backend}: 4-client read mix >= {READ_SPEEDUP:.0f}x upstream "
            f"(implied by the above) at {first.size:,}: {first.mix:.0f}/s vs "
            f"{UPSTREAM_MIX:.0f}/s = {first.mix / UPSTREAM_MIX:.1f}x"
        )
        if len(ms) > 1:
            growth = {n: last.reads[n]["median"] / first.reads[n]["median"] for n in reads}
            grown = [f"{n} {g:.2f}x" for n, g in growth.items() if g > GROWTH]
            top = max(growth, key=lambda n: growth[n])
            lines.append(
                f"[{_verdict(not grown)}] {backend}: no read slower at {last.size:,} than at "
                f"{first.size:,} by more than {GROWTH}x: "
                + ("; ".join(grown) or f"largest {growth[top]:.2f}x ({top})")
            )
            # The sizes are timed minutes apart, and the VM's speed drifts meanwhile: each
            # read's growth against the healthcheck's (timed in the same rounds) leaves it out.
            health = last.reads["healthcheck"]["median"] / first.reads["healthcheck"]["median"]
            relative = {n: g / health for n, g in growth.items()}
            top = max(relative, key=lambda n: relative[n])
            lines.append(
                f"[info  ] {backend}: the healthcheck itself {health:.2f}x at {last.size:,}; "
                f"reads relative to it: largest {relative[top]:.2f}x ({top})"
            )
        for m in ms:
            parts = [
                f"{c} client{'s' if c > 1 else ''} {m.writes[c]:.0f}/s = "
                f"{m.writes[c] / UPSTREAM_WRITES[c]:.1f}x"
                for c in (1, 4)
            ]
            ok = all(m.writes[c] / UPSTREAM_WRITES[c] >= WRITE_SPEEDUP for c in (1, 4))
            lines.append(
                f"[{_verdict(ok)}] {backend} {m.size:,}: single POSTs >= {WRITE_SPEEDUP:.0f}x "
                f"upstream (128/s, 197/s): " + ", ".join(parts)
            )
            if m.bulk is None:
                lines.append(
                    f"[MISSED] {backend} {m.size:,}: bulk >= {BULK_PER_S:,.0f} results/s: "
                    "bulk: endpoint not available"
                )
            else:
                lines.append(
                    f"[{_verdict(m.bulk[0] >= BULK_PER_S)}] {backend} {m.size:,}: bulk >= "
                    f"{BULK_PER_S:,.0f} results/s: {m.bulk[0]:,.0f} results/s"
                )
            health = m.reads["healthcheck"]["median"]
            far = [
                f"{n} {m.reads[n]['median'] / health:.2f}x ({m.reads[n]['median']:.2f} ms)"
                for n in reads
                if m.reads[n]["median"] / health > VS_HEALTH
            ]
            lines.append(
                f"[{_verdict(not far)}] {backend} {m.size:,}: every read within {VS_HEALTH:.0f}x "
                f"of the healthcheck ({health:.2f} ms): " + ("; ".join(far) or "all within")
            )
            if PLUMBING in m.reads:
                budget = min(UPSTREAM_MS.values()) / READ_SPEEDUP
                lines.append(
                    f"[info  ] {backend} {m.size:,}: HTTP alone (gunicorn and this client, no "
                    f"application) {m.reads[PLUMBING]['median']:.2f} ms of the tightest "
                    f"{READ_SPEEDUP:.0f}x budget ({budget:.2f} ms)"
                )
    lines.append(
        "[n/a   ] SQL statements per page: not visible over HTTP; "
        "tests/unit/resultsdb/test_rdb_statements.py asserts them"
    )
    return lines


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{dt.date.today().isoformat()}, {platform.node()}, {os.cpu_count()} cores ({model}), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return f"PostgreSQL {row[0] if row else '?'}"
    except Exception as err:
        return f"PostgreSQL unavailable ({err})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated, growing")
    parser.add_argument("--repeat", type=int, default=30, help="runs per read")
    parser.add_argument("--quick", action="store_true", help="sizes 10,000 and 50,000")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases (to EXPLAIN their queries)"
    )
    args = parser.parse_args()
    sizes = [10_000, 50_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(sizes) or len(set(sizes)) != len(sizes) or sizes[0] <= 0:
        parser.error("--sizes must be positive and growing")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"machine: {machine()}")
    if "postgresql" in backends:
        print(f"         {pg_version()}")
    started = time.perf_counter()
    measurements: list[Measurement] = []
    for backend in backends:
        measurements.extend(run_backend(backend, sizes, args.repeat, args.keep))
    print("\n== targets ==")
    if sizes[0] != 100_000:
        print("(upstream's figures are at 100,000 results; these sizes only indicate)")
    for line in summarize(measurements):
        print(line)
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps([m.__dict__ for m in measurements], indent=2, default=str) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
