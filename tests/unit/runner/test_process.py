"""``run_process``: logged, captured, killable commands, and the signal-to-cancel bridge."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from checkline.runner import process
from checkline.runner.errors import ActionTimeout, DirectiveError, RunCancelled
from checkline.runner.process import CancelToken, ProcessResult, cancel_on_signals, run_process


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "action.log"
    path.touch()
    return path


@pytest.fixture
def spawned(tmp_path: Path) -> Iterator[Path]:
    """A file the command under test appends its background children's pids to.

    Whatever is still alive at the end of the test is killed, so a failing test leaves no
    stray ``sleep`` behind.
    """
    pidfile = tmp_path / "pids"
    yield pidfile
    for pid in _pids(pidfile):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _pids(pidfile: Path) -> list[int]:
    return [int(pid) for pid in pidfile.read_text().split()] if pidfile.exists() else []


def _wait_for_pids(pidfile: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 2
    while len(_pids(pidfile)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return _pids(pidfile)


def _background(pidfile: Path, count: int = 2) -> str:
    """Shell text starting ``count`` long sleeps in the background, then waiting for them."""
    starts = "".join(f"sleep 30 & echo $! >> {pidfile}; " for _ in range(count))
    return f"{starts}echo started; wait"


class TestOutput:
    def test_stdout_is_captured_and_logged(self, log_path: Path) -> None:
        """Assert stdout is returned and logged; stderr is logged but not returned."""
        result = run_process(
            ["sh", "-c", "echo out; echo err >&2; echo more"],
            log_path=log_path,
            cancel=CancelToken(),
        )
        assert result == ProcessResult(
            ("sh", "-c", "echo out; echo err >&2; echo more"), 0, "out\nmore\n"
        )
        log = log_path.read_text()
        assert log.startswith("$ sh -c 'echo out; echo err >&2; echo more'\n")
        assert log.endswith("[exit status 0]\n")
        for line in ("out\n", "err\n", "more\n"):
            assert line in log

    def test_log_is_appended(self, log_path: Path) -> None:
        """Assert each call appends to the action's log."""
        log_path.write_text("earlier\n")
        run_process(["echo", "later"], log_path=log_path, cancel=CancelToken())
        assert log_path.read_text() == "earlier\n$ echo later\nlater\n[exit status 0]\n"

    def test_nonzero_status_is_returned(self, log_path: Path) -> None:
        """Assert a failing command is a result, not an exception."""
        result = run_process(["sh", "-c", "exit 5"], log_path=log_path, cancel=CancelToken())
        assert result.returncode == 5
        assert log_path.read_text().endswith("[exit status 5]\n")

    def test_undecodable_output_is_replaced(self, log_path: Path) -> None:
        """Assert bytes that are not UTF-8 neither crash the run nor vanish."""
        result = run_process(["printf", r"ok\377\n"], log_path=log_path, cancel=CancelToken())
        assert result.stdout == "ok\ufffd\n"

    def test_cwd_and_env(self, log_path: Path, tmp_path: Path) -> None:
        """Assert the command runs in cwd with exactly the given environment."""
        result = run_process(
            ["sh", "-c", 'pwd -P; echo "$ONLY"; echo "${HOME:-unset}"'],
            log_path=log_path,
            cancel=CancelToken(),
            cwd=tmp_path,
            env={"ONLY": "this", "PATH": os.environ["PATH"]},
        )
        assert result.stdout.splitlines() == [str(tmp_path.resolve()), "this", "unset"]

    def test_stdin_is_closed(self, log_path: Path) -> None:
        """Assert a command reading stdin gets end-of-file instead of hanging."""
        result = run_process(["cat"], log_path=log_path, cancel=CancelToken(), timeout=5)
        assert result.stdout == ""

    def test_cannot_start(self, log_path: Path) -> None:
        """Assert a command that cannot be started is a DirectiveError with the reason."""
        with pytest.raises(DirectiveError) as caught:
            run_process(["no-such-command-checkline"], log_path=log_path, cancel=CancelToken())
        assert str(caught.value) == (
            "cannot run 'no-such-command-checkline': No such file or directory"
        )
        assert caught.value.transient is False

    def test_not_executable(self, log_path: Path, tmp_path: Path) -> None:
        """Assert a file without execute permission cannot run, with the reason."""
        script = tmp_path / "script.sh"
        script.write_text("#!/bin/sh\necho hi\n")
        with pytest.raises(DirectiveError) as caught:
            run_process([str(script)], log_path=log_path, cancel=CancelToken())
        assert str(caught.value) == f"cannot run {str(script)!r}: Permission denied"


class TestTimeout:
    def test_timeout_kills_the_process_group(
        self, log_path: Path, spawned: Path, process_gone: Callable[..., bool]
    ) -> None:
        """Assert a timeout raises ActionTimeout fast and kills the command's children too."""
        started = time.monotonic()
        with pytest.raises(ActionTimeout) as caught:
            run_process(
                ["sh", "-c", _background(spawned)],
                log_path=log_path,
                cancel=CancelToken(),
                timeout=0.5,
            )
        assert time.monotonic() - started < 3
        assert str(caught.value) == "'sh' timed out after 0.5 s; killed"
        assert caught.value.transient is True
        pids = _wait_for_pids(spawned, 2)
        assert len(pids) == 2
        assert all(process_gone(pid) for pid in pids)
        assert "started\n" in log_path.read_text()

    def test_term_ignoring_group_is_killed(
        self,
        log_path: Path,
        spawned: Path,
        monkeypatch: pytest.MonkeyPatch,
        process_gone: Callable[..., bool],
    ) -> None:
        """Assert processes that ignore SIGTERM get SIGKILL after the grace period."""
        monkeypatch.setattr(process, "KILL_GRACE", 0.3)
        started = time.monotonic()
        with pytest.raises(ActionTimeout):
            run_process(
                ["sh", "-c", f"trap '' TERM; {_background(spawned)}"],
                log_path=log_path,
                cancel=CancelToken(),
                timeout=0.3,
            )
        assert time.monotonic() - started < 3
        pids = _wait_for_pids(spawned, 2)
        assert len(pids) == 2
        assert all(process_gone(pid) for pid in pids)

    def test_fast_command_is_not_timed_out(self, log_path: Path) -> None:
        """Assert a command ending within its timeout returns normally."""
        result = run_process(["echo", "quick"], log_path=log_path, cancel=CancelToken(), timeout=5)
        assert result.stdout == "quick\n"

    def test_background_child_does_not_outlive_the_command(
        self,
        log_path: Path,
        spawned: Path,
        monkeypatch: pytest.MonkeyPatch,
        process_gone: Callable[..., bool],
    ) -> None:
        """Assert a child left running by a command that exited is stopped with it."""
        monkeypatch.setattr(process, "KILL_GRACE", 0.3)
        run_process(
            ["sh", "-c", f"sleep 30 & echo $! >> {spawned}; echo started"],
            log_path=log_path,
            cancel=CancelToken(),
            timeout=10,
        )
        pids = _wait_for_pids(spawned, 1)
        assert pids
        assert all(process_gone(pid, within=0.5) for pid in pids)


class TestCancel:
    def test_cancel_from_another_thread(
        self, log_path: Path, spawned: Path, process_gone: Callable[..., bool]
    ) -> None:
        """Assert a cancel while running raises RunCancelled with the reason and kills all."""
        token = CancelToken()
        timer = threading.Timer(0.3, token.cancel, args=("SIGTERM",))
        started = time.monotonic()
        timer.start()
        try:
            with pytest.raises(RunCancelled) as caught:
                run_process(["sh", "-c", _background(spawned)], log_path=log_path, cancel=token)
        finally:
            timer.cancel()
        assert time.monotonic() - started < 3
        assert str(caught.value) == "cancelled by SIGTERM while running 'sh'"
        pids = _wait_for_pids(spawned, 2)
        assert len(pids) == 2
        assert all(process_gone(pid) for pid in pids)

    def test_first_reason_wins(self) -> None:
        """Assert a token keeps the reason of its first cancel."""
        token = CancelToken()
        assert not token.cancelled
        token.cancel("SIGINT")
        token.cancel("SIGTERM")
        assert token.cancelled
        with pytest.raises(RunCancelled, match=r"^cancelled by SIGINT$"):
            token.raise_if_cancelled()

    def test_uncancelled_token(self) -> None:
        """Assert an uncancelled token neither raises nor reports a cancel after waiting."""
        token = CancelToken()
        token.raise_if_cancelled()
        assert token.wait(0.01) is False

    def test_wait_returns_on_cancel(self) -> None:
        """Assert wait() returns True as soon as another thread cancels."""
        token = CancelToken()
        timer = threading.Timer(0.1, token.cancel, args=("SIGTERM",))
        started = time.monotonic()
        timer.start()
        try:
            assert token.wait(30) is True
        finally:
            timer.cancel()
        assert time.monotonic() - started < 2


def _sentinel_handler(signum: int, frame: object) -> None:
    raise AssertionError("the previous handler must not run inside the block")


@pytest.fixture
def sentinel_handlers() -> Iterator[None]:
    """Install a known handler for SIGTERM and SIGINT; restore pytest's afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in saved:
        signal.signal(sig, _sentinel_handler)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("sentinel_handlers")
class TestCancelOnSignals:
    @pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
    def test_signal_cancels_the_token(self, sig: signal.Signals) -> None:
        """Assert SIGTERM/SIGINT inside the block set the token instead of stopping pytest."""
        token = CancelToken()
        with cancel_on_signals(token):
            os.kill(os.getpid(), sig)
            deadline = time.monotonic() + 2
            while not token.cancelled and time.monotonic() < deadline:
                time.sleep(0.01)
        assert token.cancelled
        with pytest.raises(RunCancelled, match=rf"^cancelled by {sig.name}$"):
            token.raise_if_cancelled()

    def test_previous_handlers_are_restored(self) -> None:
        """Assert the handlers in place before the block are back after it."""
        with cancel_on_signals(CancelToken()):
            assert signal.getsignal(signal.SIGTERM) is not _sentinel_handler
            assert signal.getsignal(signal.SIGINT) is not _sentinel_handler
        assert signal.getsignal(signal.SIGTERM) is _sentinel_handler
        assert signal.getsignal(signal.SIGINT) is _sentinel_handler

    def test_handlers_restored_after_an_exception(self) -> None:
        """Assert the previous handlers are restored when the block raises."""
        with pytest.raises(RuntimeError), cancel_on_signals(CancelToken()):
            raise RuntimeError("inside")
        assert signal.getsignal(signal.SIGTERM) is _sentinel_handler
        assert signal.getsignal(signal.SIGINT) is _sentinel_handler

    def test_signal_stops_a_running_command(self, log_path: Path) -> None:
        """Assert a SIGTERM to the runner during a command cancels it (the real wiring)."""
        token = CancelToken()
        timer = threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGTERM))
        started = time.monotonic()
        with cancel_on_signals(token):
            timer.start()
            try:
                with pytest.raises(RunCancelled, match=r"^cancelled by SIGTERM while running"):
                    run_process(["sleep", "30"], log_path=log_path, cancel=token)
            finally:
                timer.cancel()
        assert time.monotonic() - started < 3
