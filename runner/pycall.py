"""Child process of the ``python`` directive: import a check's file, call one callable.

``PYTHON .../runner/pycall.py REQUEST.json RESULT.json``: REQUEST holds ``file``,
``callable`` and ``kwargs``; RESULT receives ``{"value": <return value>}`` or
``{"error": "<Type>: <message>"}``.
The check's prints and tracebacks go to standard output/error, i.e. the action's log.
A separate process lets a timeout or a cancel kill the check however it is stuck.

PYTHON is the check's interpreter (``interpreter.py``), often the system's rather than
Checkline's: this file uses the standard library only, imports nothing of Checkline, and runs
on Python 3.7 or newer. It is run by path, which puts its own folder (the runner's modules)
first on ``sys.path``; it takes that entry out before anything else, so a check's ``import
errors`` or ``import results`` finds the check's own modules, and puts ``taskapi/``
(``libtaskotron``, ``checkb``) on the path after the check's folder.
"""

from __future__ import annotations

import os  # already loaded by the interpreter's startup, as sys is: found by no path search
import sys

_HERE = os.path.dirname(os.path.realpath(__file__))
if sys.path and os.path.realpath(sys.path[0] or ".") == _HERE:
    del sys.path[0]

import importlib.util  # noqa: E402 - after the path is fixed: nothing of runner/ may shadow it
import json  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

_TASKAPI = os.path.join(_HERE, "taskapi")


def _call(request: dict[str, Any]) -> object:
    path = Path(request["file"]).resolve()
    if _TASKAPI not in sys.path:  # PYTHONPATH has it, unless the interpreter ignores that
        sys.path.insert(0, _TASKAPI)
    sys.path.insert(0, str(path.parent))  # so a check can import its sibling modules
    spec = importlib.util.spec_from_file_location(f"checkline_check_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, request["callable"], None)
    if not callable(function):
        raise AttributeError(f"{path.name} has no callable {request['callable']!r}")
    return function(**request["kwargs"])


def main(argv: list[str]) -> int:
    request_path, result_path = argv
    print(f"[Python {sys.version.split()[0]}, {sys.executable}]", file=sys.stderr, flush=True)
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    try:
        value = _call(request)
        payload = json.dumps({"value": value})
    except Exception as err:  # the check's own failure, reported to the parent
        traceback.print_exc()
        payload = json.dumps({"error": f"{type(err).__name__}: {err}"})
        Path(result_path).write_text(payload, encoding="utf-8")
        return 1
    except BaseException as err:  # SystemExit and the like, from the check
        payload = json.dumps({"error": f"{type(err).__name__}: {err}"})
        Path(result_path).write_text(payload, encoding="utf-8")
        return 1
    Path(result_path).write_text(payload, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
