"""Sandboxes for a run's check code: where ``shell`` and ``python`` children run.

A :class:`Sandbox` backend prepares once per run (:meth:`Sandbox.prepare`), turns one
command (argv, environment, working directory) into the command that runs it inside
(:meth:`Sandbox.wrap`), and removes what it made when the run ends (:meth:`Sandbox.cleanup`,
called in a ``finally``, so after a crash, a timeout or a cancel too). Checkline's own
network directives (``koji``, ``bodhi``, ``distgit``) never go through it: they run in the
runner.

Backends: ``none`` (today's behaviour, not isolated) and ``bwrap`` (bubblewrap in a user
namespace, with throwaway overlays over ``/usr``, ``/etc`` and ``/var``). Another kind of
disposable environment (podman, a libvirt/testcloud VM) is a class with the same four
methods; see the README's "Sandboxes".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = [
    "BACKENDS",
    "BwrapSandbox",
    "NoSandbox",
    "Sandbox",
    "SandboxError",
    "Wrapped",
    "inside_environment",
    "make_sandbox",
    "probe_bwrap",
]

BACKENDS = ("none", "bwrap")

#: The process-count limit of a non-root runner (``CHECKLINE_SANDBOX_NPROC``).
DEFAULT_NPROC = 1024

#: The PATH inside a sandbox.
INSIDE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: The only variables check code sees inside a sandbox (plus PYTHONPATH for ``python``).
INSIDE_ENV = {"PATH": INSIDE_PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root"}

#: The system directories given a throwaway, writable overlay inside ``bwrap``.
OVERLAID = ("usr", "etc", "var")

#: Mounts the overlays in a user namespace, then execs bwrap. Every path is an argument
#: ($1 the per-run overlay directory, the rest bwrap's argv); nothing is interpolated.
_OVERLAY_SCRIPT = r"""set -eu
top=$1; shift
for d in usr etc var; do
  mkdir -p "$top/$d/up" "$top/$d/work" "$top/$d/merged"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$top/$d/up,workdir=$top/$d/work" \
    "$top/$d/merged"
done
exec "$@"
"""


class SandboxError(Exception):
    """The sandbox cannot be made on this machine (a worker problem: exit 2, no fallback)."""


@dataclass(frozen=True)
class Wrapped:
    """One command as the sandbox runs it."""

    argv: tuple[str, ...]
    env: dict[str, str] | None
    cwd: Path | None


class Sandbox(Protocol):
    """What a backend does for a run."""

    name: str

    def prepare(self, *, taskdir: Path, workdir: Path, artifactsdir: Path) -> None:
        """Make the per-run state (e.g. the throwaway overlays)."""

    def wrap(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, cwd: Path | None
    ) -> Wrapped:
        """The command that runs ``argv`` inside, with ``env`` and ``cwd``."""

    def cleanup(self) -> None:
        """Remove the per-run state; safe to call twice, or without ``prepare``."""

    def describe(self) -> str:
        """One line for the run log: what is isolated, which limits are in force."""


def inside_environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """The environment check code gets inside a sandbox: :data:`INSIDE_ENV`, and of ``env``
    (what the directive asked for) only ``PYTHONPATH`` (the check API of ``python``)."""
    inside = dict(INSIDE_ENV)
    if env is not None and env.get("PYTHONPATH"):
        inside["PYTHONPATH"] = env["PYTHONPATH"]
    return inside


class NoSandbox:
    """Today's behaviour: the child runs on the worker, as the runner, with its environment."""

    name = "none"

    def prepare(self, *, taskdir: Path, workdir: Path, artifactsdir: Path) -> None:
        pass

    def wrap(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, cwd: Path | None
    ) -> Wrapped:
        return Wrapped(tuple(argv), dict(env) if env is not None else None, cwd)

    def cleanup(self) -> None:
        pass

    def describe(self) -> str:
        return (
            "sandbox none: the run is not isolated (check code runs on the worker as the "
            "runner's user, with its environment)"
        )


def _host_path(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SandboxError(f"sandbox bwrap: {name!r} is not installed (not found on PATH)")
    return found


def _sysctl(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except OSError:
        return None


def probe_bwrap() -> tuple[str, str]:
    """Check that bubblewrap and a user namespace can be used here; return the paths of
    ``bwrap`` and ``unshare``. Raises :class:`SandboxError` naming the cause."""
    bwrap = _host_path("bwrap")
    unshare = _host_path("unshare")
    proc = subprocess.run(  # noqa: S603 - fixed argv
        [unshare, "--user", "--map-root-user", "--mount", "true"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if proc.returncode != 0:
        causes = [proc.stderr.strip() or f"unshare exited with status {proc.returncode}"]
        for path, bad in (
            ("/proc/sys/kernel/unprivileged_userns_clone", "0"),
            ("/proc/sys/user/max_user_namespaces", "0"),
        ):
            if _sysctl(path) == bad:
                causes.append(f"{path[len('/proc/sys/') :].replace('/', '.')} = {bad}")
        raise SandboxError("sandbox bwrap: cannot create a user namespace: " + "; ".join(causes))
    return bwrap, unshare


class BwrapSandbox:
    """bubblewrap in a user namespace: root inside, the runner's uid outside.

    Inside: ``/usr``, ``/etc``, ``/var`` of the host under a writable overlay thrown away with
    the run; private ``/tmp``, ``/var/tmp``, ``/run``, ``/dev/shm``, empty ``/root`` and
    ``/home``; the task directory read-only; the run's ``workdir`` and ``artifactsdir``
    read-write at their own paths; the check API's files read-only; own PID, IPC, UTS
    namespaces (and network namespace with ``network=False``); a clean environment.
    """

    name = "bwrap"

    def __init__(
        self,
        *,
        network: bool = True,
        memory: int | None = None,
        nproc: int | None = DEFAULT_NPROC,
        extra_ro: Sequence[Path] = (),
    ) -> None:
        self.network = network
        self.memory = memory
        # RLIMIT_NPROC counts the processes of the runner's real uid, and the kernel does not
        # enforce it on a user namespace made by root: no limit is claimed for a root runner.
        self.nproc = nproc if os.getuid() != 0 else None
        self.extra_ro = tuple(extra_ro)
        self._bwrap, self._unshare = probe_bwrap()
        self._prlimit = shutil.which("prlimit")
        self._top: Path | None = None
        self._binds: list[str] = []

    def prepare(self, *, taskdir: Path, workdir: Path, artifactsdir: Path) -> None:
        self._top = Path(tempfile.mkdtemp(prefix="checkline-sandbox-"))
        self._binds = bwrap_args(
            self._top,
            taskdir=taskdir,
            workdir=workdir,
            artifactsdir=artifactsdir,
            extra_ro=self.extra_ro,
            network=self.network,
        )

    def wrap(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, cwd: Path | None
    ) -> Wrapped:
        if self._top is None:
            raise RuntimeError("BwrapSandbox.wrap before prepare")
        inner = [self._bwrap, *self._binds, "--clearenv"]
        for key, value in sorted(inside_environment(env).items()):
            inner += ["--setenv", key, value]
        if cwd is not None:
            inner += ["--chdir", str(cwd)]
        inner += ["--", *argv]
        outer = [
            self._unshare,
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            _OVERLAY_SCRIPT,
            "sh",
            str(self._top),
            *inner,
        ]
        limits = [f"--as={self.memory}"] if self.memory else []
        limits += [f"--nproc={self.nproc}"] if self.nproc else []
        if limits and self._prlimit:
            outer = [self._prlimit, *limits, "--", *outer]
        # Outside, only what unshare, sh and bwrap need to be found.
        return Wrapped(tuple(outer), {"PATH": INSIDE_PATH}, None)

    def cleanup(self) -> None:
        if self._top is not None:
            shutil.rmtree(self._top, ignore_errors=True)
            self._top = None

    def limits(self) -> str:
        memory = (
            f"memory (address space) {self.memory} bytes (RLIMIT_AS)"
            if self.memory and self._prlimit
            else "memory NOT limited (none asked, or no prlimit)"
        )
        if self.nproc and self._prlimit:
            nproc = f"process count {self.nproc} for the runner's uid (RLIMIT_NPROC)"
        elif os.getuid() == 0:
            nproc = (
                "process count NOT limited (the runner runs as root: RLIMIT_NPROC is not "
                "enforced on its user namespace, and no delegated cgroup v2 is used)"
            )
        else:
            nproc = "process count NOT limited (none asked, or no prlimit)"
        return f"{memory}; {nproc}"

    def describe(self) -> str:
        net = "network on" if self.network else "no network"
        return (
            f"sandbox bwrap: user namespace (root inside), own PID namespace, throwaway "
            f"overlays over /usr /etc /var, {net}; limits: the action timeout, {self.limits()}"
        )


def bwrap_args(
    top: Path,
    *,
    taskdir: Path,
    workdir: Path,
    artifactsdir: Path,
    extra_ro: Sequence[Path] = (),
    network: bool = True,
) -> list[str]:
    """bwrap's options (without the command) for a run whose overlays are under ``top``."""
    args = [
        "--unshare-user",
        "--uid",
        "0",
        "--gid",
        "0",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
    ]
    if not network:
        args.append("--unshare-net")
    for name in OVERLAID:
        args += ["--bind", str(top / name / "merged"), f"/{name}"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for name in ("/tmp", "/var/tmp", "/run", "/dev/shm", "/root", "/home"):  # noqa: S108
        args += ["--tmpfs", name]
    # Files the host may mount over /etc (containers do), which an overlay of /etc misses,
    # and a resolv.conf pointing into /run: DNS keeps working when the network is on.
    for name in ("/etc/resolv.conf", "/etc/hosts"):
        real = os.path.realpath(name)
        if os.path.isfile(real):
            target = real if real.startswith("/run/") else name
            args += ["--ro-bind", real, target]
    for path in (taskdir, *extra_ro):
        args += ["--ro-bind", str(path), str(path)]
    for path in (workdir, artifactsdir):
        args += ["--bind", str(path), str(path)]
    return args


def memory_limit(value: str | None) -> int | None:
    """``CHECKLINE_SANDBOX_MEMORY`` (or ``..._NPROC``) as a number, a K, M or G suffix
    allowed (powers of 1024); None for none (unset, empty or 0)."""
    if not value:
        return None
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    number, unit = (
        (value[:-1], units[value[-1].upper()])
        if value[-1].upper() in units
        else (
            value,
            1,
        )
    )
    try:
        return int(number) * unit or None
    except ValueError as err:
        raise SandboxError(f"sandbox limit {value!r}: not a number") from err


def make_sandbox(
    name: str,
    *,
    network: bool = True,
    memory: int | None = None,
    nproc: int | None = DEFAULT_NPROC,
    extra_ro: Sequence[Path] = (),
) -> Sandbox:
    """The backend called ``name``; raises :class:`SandboxError` if it cannot run here."""
    if name == "none":
        return NoSandbox()
    if name == "bwrap":
        return BwrapSandbox(network=network, memory=memory, nproc=nproc, extra_ro=extra_ro)
    raise SandboxError(f"unknown sandbox {name!r} (known: {', '.join(BACKENDS)})")
