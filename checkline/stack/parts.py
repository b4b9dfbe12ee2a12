"""The parts of the pipeline on one machine, each started, checked and stopped on its own.

Every part runs in its own session (so it is stopped whole, by pid) and logs to
``<state dir>/logs/<part>.log``. A part already running (a broker the machine runs, say) is
used, not started, and ``down`` leaves it alone: ``PartState.started`` says which is which.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .settings import PROJECT, StackSettings

__all__ = ["PARTS", "PartError", "PartState", "StackContext", "toml_value"]

BIN = Path(sys.executable).parent


class PartError(RuntimeError):
    """A part could not start; the message names it and where its log is."""


@dataclass
class PartState:
    url: str | None
    pid: int | None
    started: bool
    log: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StackContext:
    state_dir: Path
    settings: StackSettings

    def log(self, part: str) -> Path:
        folder = self.state_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{part}.log"

    def path(self, *parts: str) -> Path:
        return self.state_dir.joinpath(*parts)


# -- secrets ----------------------------------------------------------------------------

#: The stack's secrets (ResultsDB's write token, the Buildbot web user's and the workers'
#: passwords), made once per state dir; mode 600 like every file of the state dir.
SECRETS_FILE = "secrets.json"
#: Where worker passwords were kept before ``SECRETS_FILE`` held them: a state dir made then
#: keeps its workers' passwords (their ``buildbot.tac`` has them).
LEGACY_WORKER_PASSWORDS = ("buildbot", "worker-passwords.json")
#: The Buildbot web user the trigger logs in as to force builds (and a person, to stop or
#: rebuild one): its password is in ``SECRETS_FILE``.
WEB_USER = "checkline"
#: Files and folders ``up`` creates are for this user alone: logs, state and settings may
#: hold a password (a worker's ``buildbot.tac`` does), and the state dir is often in /tmp.
UMASK = 0o077


def make_private(folder: Path) -> None:
    """Take group and other permissions off ``folder`` and everything in it (a state dir
    brought up before ``up`` set its umask, or by hand). Links are left alone."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        try:
            mode = path.stat().st_mode & 0o7777
            if mode & 0o077:
                path.chmod(mode & ~0o077)
        except FileNotFoundError:  # a part removed it meanwhile
            continue


def stack_secret(ctx: StackContext, name: str, first: str | None = None) -> str:
    """The stack's secret ``name``, made the first time it is asked for (``first`` when
    given, else a fresh random one)."""
    path = ctx.path(SECRETS_FILE)
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if name not in known:
        known[name] = first or secrets.token_urlsafe(24)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(known, out)
    return known[name]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state != "Z"


def wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise PartError(f"{what} did not come up within {timeout:.0f} s; log {log}:\n{_tail(log)}")


def _tail(log: Path | None) -> str:
    """The end of a part's log, for the error that says it did not start."""
    return log.read_text(errors="replace")[-2000:] if log and log.exists() else ""


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    """Start ``argv`` in a session of its own, output to ``log``; its pid."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    return proc.pid


def stop_pid(pid: int | None, timeout: float = 20) -> None:
    """SIGTERM the process group of ``pid``, then SIGKILL it after ``timeout``."""
    if pid is None or not alive(pid):
        return
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    """Signal ``pid``'s whole group when it leads one (what ``spawn`` starts), else ``pid``
    alone (a daemon that forked twice, as twistd does, leads no group)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _free_or_fail(port: int, what: str) -> None:
    if port_open("127.0.0.1", port):
        raise PartError(
            f"{what}: port {port} on 127.0.0.1 is taken by another program; choose another "
            f"in the stack's --config"
        )


# -- rabbitmq ----------------------------------------------------------------------------


def rabbitmq_up(ctx: StackContext) -> PartState:
    url = urlsplit(ctx.settings.amqp_url)
    host, port = url.hostname or "127.0.0.1", url.port or 5672
    public = f"amqp://{host}:{port}/"
    if port_open(host, port):
        return PartState(public, None, started=False, note="already running: used, not managed")
    server = shutil.which("rabbitmq-server")
    if server is None:
        return PartState(
            None, None, started=False,
            note="RabbitMQ is not installed: feed messages with `checkline trigger replay`",
        )  # fmt: skip
    conf = ctx.path("rabbitmq")
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{port}\n")
    pidfile = conf / "rabbitmq.pid"
    env = {
        **os.environ,
        "RABBITMQ_CONFIG_FILE": str(conf / "rabbitmq.conf"),
        "RABBITMQ_PID_FILE": str(pidfile),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
    }
    log = ctx.log("rabbitmq")
    with open(log, "ab") as out:
        subprocess.run([server, "-detached"], env=env, stdout=out, stderr=out, check=False)
    wait_for(lambda: port_open(host, port), 60, "RabbitMQ", log)
    pid = int(pidfile.read_text().strip()) if pidfile.exists() else None
    return PartState(public, pid, started=True, log=str(log))


def rabbitmq_down(state: PartState, ctx: StackContext) -> None:
    ctl = shutil.which("rabbitmqctl")
    if ctl:
        subprocess.run([ctl, "stop"], capture_output=True, timeout=60, check=False)
    stop_pid(state.pid, timeout=30)


# -- resultsdb ---------------------------------------------------------------------------


def resultsdb_up(ctx: StackContext) -> PartState:
    port = ctx.settings.resultsdb_port
    _free_or_fail(port, "resultsdb")
    db = f"sqlite:///{ctx.path('resultsdb.sqlite')}"
    log = ctx.log("resultsdb")
    with open(log, "ab") as out:
        done = subprocess.run(
            [str(BIN / "checkline"), "resultsdb", "init-db", "--db", db],
            stdout=out, stderr=out, check=False, timeout=120,
        )  # fmt: skip
    if done.returncode != 0:
        raise PartError(f"resultsdb: init-db failed; see {log}")
    argv = [str(BIN / "checkline"), "resultsdb", "serve", "--db", db, "--host", "127.0.0.1",
            "--port", str(port), "--workers", "2"]  # fmt: skip
    # The token in the environment, not in argv: any user may read a process's argv.
    token = stack_secret(ctx, "resultsdb_token")
    pid = spawn(argv, log, env={**os.environ, "CHECKLINE_RESULTSDB_WRITE_TOKEN": token})
    url = ctx.settings.resultsdb_url
    wait_for(lambda: _http_ok(f"{url}/api/v2.0/healthcheck"), 60, "resultsdb", log)
    return PartState(url, pid, started=True, log=str(log))


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our http URL
            return bool(response.status < 400)
    except OSError:
        return False


def pid_down(state: PartState, ctx: StackContext) -> None:
    stop_pid(state.pid)


# -- artifacts ---------------------------------------------------------------------------


def artifacts_up(ctx: StackContext) -> PartState:
    port = ctx.settings.artifacts_port
    _free_or_fail(port, "artifacts")
    folder = ctx.path("artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    log = ctx.log("artifacts")
    argv = [sys.executable, "-m", "checkline.stack.artifacts_server", "--directory", str(folder),
            "--port", str(port)]  # fmt: skip
    pid = spawn(argv, log)
    url = ctx.settings.artifacts_url
    wait_for(lambda: _http_ok(f"{url}/"), 30, "artifacts server", log)
    return PartState(url, pid, started=True, log=str(log))


# -- buildbot ----------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` (str, int, bool, list, table) written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_toml(path: Path, values: dict[str, Any]) -> None:
    lines = [f"{key} = {toml_value(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # worker passwords


def _workers(ctx: StackContext) -> list[dict[str, Any]]:
    """``workers_per_arch`` local workers per arch; their passwords are stack secrets."""
    legacy = ctx.path(*LEGACY_WORKER_PASSWORDS)
    known: dict[str, str] = json.loads(legacy.read_text()) if legacy.exists() else {}
    workers = []
    for arch in ctx.settings.arches:
        for n in range(1, ctx.settings.workers_per_arch + 1):
            name = f"local-{arch}" if n == 1 else f"local-{arch}-{n}"
            password = stack_secret(ctx, f"worker {name}", first=known.get(name))
            workers.append({"name": name, "password": password, "arches": [arch]})
    legacy.unlink(missing_ok=True)  # its passwords are in SECRETS_FILE now
    return workers


def buildbot_up(ctx: StackContext) -> PartState:
    settings = ctx.settings
    _free_or_fail(settings.buildbot_port, "buildbot")
    _free_or_fail(settings.worker_port, "buildbot workers")
    root = ctx.path("buildbot")
    master = root / "master"
    root.mkdir(parents=True, exist_ok=True)
    log = ctx.log("buildbot")
    workers = _workers(ctx)
    write_toml(
        root / "master.toml",
        {
            "buildbot_url": settings.buildbot_url,
            "www_port": settings.buildbot_port,
            "pb_port": settings.worker_port,
            "db_url": f"sqlite:///{master / 'state.sqlite'}",
            "workers": workers,
            "checks_repo": settings.checks_repo,
            "checks_branch": settings.checks_branch,
            "resultsdb_url": settings.resultsdb_url,
            "resultsdb_token": stack_secret(ctx, "resultsdb_token"),
            "report_flush_interval": 15,  # spooled reports reach a ResultsDB back up soon
            "users": {WEB_USER: stack_secret(ctx, "buildbot_web_password")},
            "artifacts_root": str(ctx.path("artifacts")),
            "artifacts_url": settings.artifacts_url,
            "checkline": str(BIN / "checkline"),
            "task_env": dict(settings.task_env),
        },
    )
    env = {**os.environ, "CHECKLINE_MASTER_CONFIG": str(root / "master.toml")}
    run: dict[str, Any] = {"env": env, "check": False, "timeout": 180}
    with open(log, "ab") as out:
        run.update(stdout=out, stderr=out)
        if not (master / "buildbot.tac").exists():
            subprocess.run(
                [str(BIN / "buildbot"), "create-master", "-r", "--config",
                 str(PROJECT / "master.cfg"), str(master)],
                **run,
            )  # fmt: skip
        shutil.copy(root / "master.toml", master / "master.toml")
        started = subprocess.run([str(BIN / "buildbot"), "start", str(master)], **run)
    if started.returncode != 0:
        raise PartError(f"buildbot master did not start; see {master / 'twistd.log'}")
    pids = {}
    for worker in workers:
        folder = root / worker["name"]
        with open(log, "ab") as out:
            run.update(stdout=out, stderr=out)
            if not (folder / "buildbot.tac").exists():
                subprocess.run(
                    [str(BIN / "buildbot-worker"), "create-worker", "-r", "--umask=0o077",
                     str(folder),
                     f"127.0.0.1:{settings.worker_port}", worker["name"], worker["password"]],
                    **run,
                )  # fmt: skip
            subprocess.run([str(BIN / "buildbot-worker"), "start", str(folder)], **run)
        pids[worker["name"]] = _pidfile(folder)
    master_pid = _pidfile(master)
    wait_for(lambda: _workers_connected(settings.buildbot_url, len(workers)), 60,
             "buildbot workers", master / "twistd.log")  # fmt: skip
    return PartState(
        settings.buildbot_url,
        master_pid,
        started=True,
        log=str(master / "twistd.log"),
        extra={
            "workers": pids,
            "master_dir": str(master),
            "pidfile": str(master / "twistd.pid"),
            # Who may stop or rebuild in the web UI; the password is in the secrets file.
            "web_user": WEB_USER,
            "secrets_file": str(ctx.path(SECRETS_FILE)),
        },
    )


def _pidfile(folder: Path) -> int | None:
    try:
        return int((folder / "twistd.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _workers_connected(url: str, count: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}api/v2/workers", timeout=2) as response:  # noqa: S310
            workers = json.load(response)["workers"]
    except (OSError, ValueError, KeyError):
        return False
    return sum(1 for w in workers if w["connected_to"]) >= count


def buildbot_down(state: PartState, ctx: StackContext) -> None:
    # Daemons restarted by hand (`buildbot restart`) have new pids: read their pid files.
    root = ctx.path("buildbot")
    for name, pid in (state.extra.get("workers") or {}).items():
        stop_pid(_pidfile(root / name) or pid)
    stop_pid(current_pid(state), timeout=30)


def current_pid(state: PartState) -> int | None:
    """The part's pid now: from its pid file when it has one (a daemon restarted by hand)."""
    pidfile = state.extra.get("pidfile")
    if pidfile:
        return _pidfile(Path(pidfile).parent) or state.pid
    return state.pid


# -- trigger -----------------------------------------------------------------------------


def trigger_queue(ctx: StackContext) -> str:
    """One queue per state dir: two stacks on one broker must not share (and split) messages."""
    digest = hashlib.sha256(str(ctx.state_dir).encode()).hexdigest()[:10]
    return f"checkline-trigger-{digest}"


def trigger_config(ctx: StackContext) -> Path:
    """The trigger's settings (fedora-messaging's TOML, ours under consumer_config)."""
    settings = ctx.settings
    queue = trigger_queue(ctx)
    path = ctx.path("trigger.toml")
    lines = [
        f"amqp_url = {toml_value(settings.amqp_url)}",
        'topic_prefix = ""',
        'client_properties = {app = "checkline-trigger"}',
        "",
        "[consumer_config.checkline]",
        f"rules = {toml_value(settings.rules)}",
        f"checks_dir = {toml_value(settings.checks_dir)}",
        f"db = {toml_value('sqlite:///' + str(ctx.path('ledger.sqlite')))}",
        'backend = "buildbot"',
        f"buildbot_url = {toml_value(settings.buildbot_url)}",
        'buildbot_scheduler = "checkline"',
        f"buildbot_user = {toml_value(WEB_USER)}",
        f"buildbot_password = {toml_value(stack_secret(ctx, 'buildbot_web_password'))}",
        f"valid_arches = {toml_value(list(settings.valid_arches))}",
        f"queue = {toml_value(queue)}",
        "retry_interval = 2",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def _broker_channel(amqp_url: str) -> Iterator[Any]:
    """A channel on the broker (None when it does not answer), closed afterwards."""
    import pika

    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    except pika.exceptions.AMQPError:
        yield None
        return
    try:
        yield connection.channel()
    finally:
        if connection.is_open:
            connection.close()


def _queue_consumers(amqp_url: str, queue: str) -> int:
    """How many consumers ``queue`` has; 0 while the broker or the queue is not there.

    The queue existing says little: the consumer declares it before it consumes, and an
    earlier stack may have left it (it is durable).
    """
    import pika

    with _broker_channel(amqp_url) as channel:
        if channel is None:  # not up yet
            return 0
        try:
            frame = channel.queue_declare(queue, passive=True)
        except pika.exceptions.AMQPError:  # the broker closes the channel: no such queue yet
            return 0
        return int(frame.method.consumer_count)


def trigger_up(ctx: StackContext) -> PartState:
    config = trigger_config(ctx)
    broker = _read_broker(ctx)
    if broker is None:
        return PartState(
            None, None, started=False,
            note=f"no broker: feed messages with `checkline trigger replay --config {config}`",
        )  # fmt: skip
    log = ctx.log("trigger")
    pid = spawn([str(BIN / "checkline"), "trigger", "consume", "--config", str(config)], log)
    queue = trigger_queue(ctx)
    # Up once it consumes: its queue gets a consumer (the queue alone may be an old one).
    wait_for(lambda: not alive(pid) or _queue_consumers(ctx.settings.amqp_url, queue) > 0, 60,
             "the trigger consumer", log)  # fmt: skip
    if not alive(pid):
        raise PartError(f"the trigger consumer exited; log {log}:\n{_tail(log)}")
    return PartState(
        f"{broker}?queue={queue}", pid, started=True, log=str(log), extra={"config": str(config)}
    )


def trigger_down(state: PartState, ctx: StackContext, keep_queue: bool = False) -> None:
    """Stop the consumer, then delete the durable queue it declared, unless ``keep_queue``.

    Left on a shared broker, the queue stays bound and fills with every message the rules
    asked for, for no one. Kept, it holds them for the next ``up``.
    """
    stop_pid(state.pid)
    if keep_queue or not state.extra.get("config"):
        return
    import tomllib

    import pika

    try:  # the queue and broker `up` wrote for the consumer (`down` has no stack settings)
        config = tomllib.loads(Path(state.extra["config"]).read_text())
        amqp_url, queue = config["amqp_url"], config["consumer_config"]["checkline"]["queue"]
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        return
    with _broker_channel(amqp_url) as channel:
        if channel is None:  # the broker does not answer: nothing to delete now
            return
        try:
            channel.queue_delete(queue)
        except pika.exceptions.AMQPError:
            pass


def _read_broker(ctx: StackContext) -> str | None:
    """The broker's URL as the rabbitmq part found it (None: no broker)."""
    state = ctx.path("stack.json")
    if state.exists():
        rabbit = json.loads(state.read_text()).get("rabbitmq") or {}
        return rabbit.get("url")
    return None


PARTS: dict[str, tuple[Callable[[StackContext], PartState], Callable[..., None]]] = {
    "rabbitmq": (rabbitmq_up, rabbitmq_down),
    "resultsdb": (resultsdb_up, pid_down),
    "artifacts": (artifacts_up, pid_down),
    "buildbot": (buildbot_up, buildbot_down),
    "trigger": (trigger_up, trigger_down),
}
