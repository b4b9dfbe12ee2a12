"""Child process of the ``python`` directive: import a check's file, call one callable.

``python -m checkline.runner.pycall REQUEST.json RESULT.json``: REQUEST holds ``file``,
``callable`` and ``kwargs``; RESULT receives ``{"value": <return value>}`` or
``{"error": "<Type>: <message>"}``.
The check's prints and tracebacks go to standard output/error, i.e. the action's log.
A separate process lets a timeout or a cancel kill the check however it is stuck.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from typing import Any


def _call(request: dict[str, Any]) -> object:
    path = Path(request["file"]).resolve()
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
