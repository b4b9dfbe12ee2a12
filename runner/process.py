"""Run one command for a directive: argv only (never a shell), logged, killable.

The command gets its own process group, so a timeout or a cancel kills everything it
started. Output goes to the action's log as it arrives; standard output is also kept, since
it is what a shell action exports.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import ActionTimeout, DirectiveError, RunCancelled

__all__ = ["CancelToken", "ProcessResult", "cancel_on_signals", "run_process"]

#: Seconds between SIGTERM and SIGKILL for a process group being stopped.
KILL_GRACE = 5.0
_POLL = 0.05


class CancelToken:
    """Set once, from a signal handler or another thread, to stop the run."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile."""
        return self._event.wait(seconds)

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``, raising :class:`RunCancelled` at once if cancelled: the
        sleep of a retry loop (``checkline.retry.retry_call``) that a cancel cuts short."""
        if self.wait(seconds):
            self.raise_if_cancelled()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise RunCancelled(f"cancelled by {self.reason}")


@dataclass(frozen=True)
class ProcessResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str


def _pump(stream: IO[bytes], log: IO[str], lock: threading.Lock, keep: list[bytes] | None) -> None:
    for chunk in iter(stream.readline, b""):
        if keep is not None:
            keep.append(chunk)
        with lock:
            log.write(chunk.decode("utf-8", "replace"))
            log.flush()
    stream.close()


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``KILL_GRACE``."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, KILL_GRACE)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            # The leader is gone; make sure no child of it survives either.
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
        return


def _end_leftovers(proc: subprocess.Popen[bytes], pumps: list[threading.Thread]) -> bool:
    """Kill what the command left running in its group; True if there was something.

    An action's processes end with the action: a background child would otherwise outlive
    it and keep its output pipe (and so this call) open.
    """
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + KILL_GRACE
    for pump in pumps:
        pump.join(max(0.0, deadline - time.monotonic()))
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def run_process(
    argv: Sequence[str],
    *,
    log_path: Path,
    cancel: CancelToken,
    timeout: float | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ProcessResult:
    """Run ``argv`` to its end and return its exit status and standard output.

    Raises:
        DirectiveError: the command cannot be started.
        ActionTimeout: it ran past ``timeout`` seconds (its group was killed).
        RunCancelled: ``cancel`` was set while it ran (its group was killed).
    """
    argv = tuple(argv)
    deadline = time.monotonic() + timeout if timeout else None
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ {shlex.join(argv)}\n")
        log.flush()
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, no shell: arguments stay data
                argv,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as err:
            raise DirectiveError(f"cannot run {argv[0]!r}: {err.strerror or err}") from err
        lock = threading.Lock()
        kept: list[bytes] = []
        assert proc.stdout is not None and proc.stderr is not None  # noqa: S101 - set by PIPE
        pumps = [
            threading.Thread(target=_pump, args=(proc.stdout, log, lock, kept), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, log, lock, None), daemon=True),
        ]
        for pump in pumps:
            pump.start()
        try:
            while True:
                try:
                    proc.wait(timeout=_POLL)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if cancel.cancelled:
                    _stop_group(proc)
                    raise RunCancelled(f"cancelled by {cancel.reason} while running {argv[0]!r}")
                if deadline is not None and time.monotonic() > deadline:
                    _stop_group(proc)
                    raise ActionTimeout(f"{argv[0]!r} timed out after {timeout:g} s; killed")
            if _end_leftovers(proc, pumps):
                with lock:
                    log.write("[background processes left by the command were killed]\n")
        finally:
            for pump in pumps:
                pump.join(timeout=KILL_GRACE)
        with lock:
            log.write(f"[exit status {proc.returncode}]\n")
    return ProcessResult(argv, proc.returncode, b"".join(kept).decode("utf-8", "replace"))


@contextmanager
def cancel_on_signals(token: CancelToken) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT cancel ``token`` instead of killing the runner."""

    def handler(signum: int, frame: object) -> None:
        token.cancel(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
