"""Sandbox backends: the argv they build, from plain values (no bubblewrap needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner import sandbox as sb
from runner.sandbox import (
    INSIDE_ENV,
    NoSandbox,
    SandboxError,
    bwrap_args,
    inside_environment,
    make_sandbox,
    memory_limit,
)


def _pairs(args: list[str], option: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == option]


def test_bwrap_args_bind_only_the_run() -> None:
    args = bwrap_args(
        Path("/t"),
        taskdir=Path("/tasks/dummy"),
        workdir=Path("/tmp/w"),
        artifactsdir=Path("/a/u/task_output"),
        extra_ro=(Path("/r/pycall.py"),),
    )
    assert ("/", "/") not in _pairs(args, "--ro-bind")
    binds = _pairs(args, "--bind")
    assert ("/t/usr/merged", "/usr") in binds
    assert ("/t/etc/merged", "/etc") in binds
    assert ("/t/var/merged", "/var") in binds
    assert ("/tmp/w", "/tmp/w") in binds
    assert ("/a/u/task_output", "/a/u/task_output") in binds
    assert ("/tasks/dummy", "/tasks/dummy") in _pairs(args, "--ro-bind")
    assert ("/r/pycall.py", "/r/pycall.py") in _pairs(args, "--ro-bind")
    # The private /tmp comes before the run's directories under it.
    assert args.index("/tmp") < args.index("/tmp/w")
    for flag in ("--unshare-pid", "--die-with-parent", "--unshare-user", "--new-session"):
        assert flag in args
    assert "--unshare-net" not in args


def test_no_network_unshares_the_network() -> None:
    args = bwrap_args(
        Path("/t"), taskdir=Path("/k"), workdir=Path("/w"), artifactsdir=Path("/a"), network=False
    )
    assert "--unshare-net" in args


def test_wrap_keeps_item_values_as_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sb, "probe_bwrap", lambda: ("/usr/bin/bwrap", "/usr/bin/unshare"))
    box = make_sandbox("bwrap", memory=1 << 30, nproc=64)
    box.prepare(taskdir=Path("/k"), workdir=Path("/run-wdir"), artifactsdir=Path("/a"))
    try:
        hostile = "x; rm -rf / $(reboot) `id`"
        wrapped = box.wrap(
            ["echo", hostile], env={"TOKEN": "s3cret", "PYTHONPATH": "/api"}, cwd=Path("/k")
        )
    finally:
        box.cleanup()
    argv = list(wrapped.argv)
    assert argv[-2:] == ["echo", hostile]  # the item's value is one argument, in no script
    script = argv[argv.index("-c") + 1]
    assert hostile not in script and "/run-wdir" not in script
    assert "s3cret" not in " ".join(argv)
    assert wrapped.env == {"PATH": sb.INSIDE_PATH}
    assert ["--setenv", "PYTHONPATH", "/api"] == argv[argv.index("PYTHONPATH") - 1 :][:3]
    assert "--clearenv" in argv
    if argv[0].endswith("prlimit"):
        assert "--as=1073741824" in argv


def test_inside_environment_keeps_only_documented_variables() -> None:
    env = inside_environment({"PATH": "/venv/bin", "PASSWORD": "x", "PYTHONPATH": "/api"})
    assert env == {**INSIDE_ENV, "PYTHONPATH": "/api"}


def test_no_sandbox_passes_the_command_through() -> None:
    box = NoSandbox()
    wrapped = box.wrap(["true"], env=None, cwd=Path("/k"))
    assert wrapped.argv == ("true",) and wrapped.env is None and wrapped.cwd == Path("/k")
    assert "not isolated" in box.describe()


def test_probe_names_a_missing_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="'bwrap' is not installed"):
        make_sandbox("bwrap")


def test_unknown_backend() -> None:
    with pytest.raises(SandboxError, match="unknown sandbox 'podman'"):
        make_sandbox("podman")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("0", None), ("64", 64), ("2K", 2048), ("1g", 1 << 30)],
)
def test_memory_limit(value: str | None, expected: int | None) -> None:
    assert memory_limit(value) == expected


def test_memory_limit_rejects_junk() -> None:
    with pytest.raises(SandboxError, match="not a number"):
        memory_limit("lots")


def test_probe_names_a_refused_user_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sb.shutil, "which", lambda name: f"/usr/bin/{name}")

    def refused(argv: list[str], **kwargs: object) -> sb.subprocess.CompletedProcess[str]:
        return sb.subprocess.CompletedProcess(
            argv, 1, "", "unshare: unshare failed: Operation not permitted\n"
        )

    monkeypatch.setattr(sb.subprocess, "run", refused)
    monkeypatch.setattr(
        sb, "_sysctl", lambda path: "0" if path.endswith("max_user_namespaces") else None
    )
    with pytest.raises(SandboxError) as raised:
        sb.probe_bwrap()
    message = str(raised.value)
    assert "cannot create a user namespace" in message
    assert "Operation not permitted" in message
    assert "user.max_user_namespaces = 0" in message
