"""Self-check of the check API under the interpreter that runs it, for both its names.

``PYTHONPATH=runner/taskapi python3 -m _checkline_taskapi``: exercises ``libtaskotron.check``
and ``checkb.check`` (outcomes, errors, export and import) and prints one line per name, then
``ok``; exits 1 naming the first thing that is wrong. Without PyYAML it checks that everything
but YAML works and that the YAML functions say what they need.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


class SelfCheckFailed(Exception):
    pass


def _expect(condition: object, what: str) -> None:
    if not condition:
        raise SelfCheckFailed(what)


def _raises(error: type[BaseException], call: Any, *args: Any) -> BaseException:
    try:
        call(*args)
    except error as err:
        return err
    raise SelfCheckFailed(f"{call!r}{args!r} did not raise {error.__name__}")


def _check_name(package: str, error_name: str, have_yaml: bool) -> str:
    check = importlib.import_module(f"{package}.check")
    exceptions = importlib.import_module(f"{package}.exceptions")
    error = getattr(exceptions, error_name)
    _expect(issubclass(error, ValueError), f"{error_name} is a ValueError")

    detail = check.CheckDetail("xchat-0.5-1.fc20")
    _expect(detail.outcome == "NEEDS_INSPECTION", "the default outcome is NEEDS_INSPECTION")
    err = _raises(error, setattr, detail, "outcome", "WRONG")
    _expect(type(err) is error, f"an unknown outcome raises {package}'s {error_name}")
    detail.update_outcome("FAILED")
    detail.update_outcome("PASSED")
    _expect(detail.outcome == "FAILED", "update_outcome keeps the worse outcome")
    _expect(not detail.broken(), "FAILED is not broken")
    _expect(check.CheckDetail.cmp_outcome("CRASHED", None) == 1, "cmp_outcome")
    summary = check.CheckDetail.create_multi_item_summary(["PASSED", "FAILED", "PASSED"])
    _expect(summary == "2 PASSED, 1 FAILED", f"create_multi_item_summary gave {summary!r}")
    _raises(error, check.CheckDetail, "x", None, None, "", "not a list")
    detail.store("line one", printout=False)
    detail.keyvals["arch"] = "x86_64"
    detail.report_type = check.ReportType.KOJI_BUILD

    if not have_yaml:
        err = _raises(ModuleNotFoundError, check.export_YAML, detail)
        _expect("needs PyYAML" in str(err), "export_YAML says it needs PyYAML")
        return f"{package}.check: ok (no PyYAML: export_YAML, import_YAML, export_TAP say so)"

    text = check.export_YAML([detail])
    [back] = check.import_YAML(text)
    _expect(isinstance(back, check.CheckDetail), "import_YAML gives the module's CheckDetail")
    _expect(
        (back.item, back.outcome, back.report_type, back.keyvals, back.output)
        == ("xchat-0.5-1.fc20", "FAILED", "koji_build", {"arch": "x86_64"}, ["line one"]),
        f"export_YAML then import_YAML gave {back}",
    )
    tap = check.export_TAP(detail).splitlines()
    _expect(tap[:3] == ["TAP version 13", "1..1", "not ok 1 - xchat-0.5-1.fc20"], f"TAP: {tap}")
    _raises(error, check.import_YAML, "")
    return f"{package}.check: ok"


def main() -> int:
    try:
        import yaml  # noqa: F401 - only whether it imports
    except ImportError:
        have_yaml = False
    else:
        have_yaml = True
    print(f"Python {sys.version.split()[0]} at {sys.executable}")
    try:
        for package, error_name in (
            ("libtaskotron", "TaskotronValueError"),
            ("checkb", "CheckbValueError"),
        ):
            print(_check_name(package, error_name, have_yaml))
    except SelfCheckFailed as failed:
        print(f"FAILED: {failed}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
