"""Pure functions over the verdicts of one run: defaults, artifact paths, crashed runs."""

from __future__ import annotations

import os
from pathlib import Path

from checkline.contracts import Verdict
from checkline.outcomes import Outcome

__all__ = ["ArtifactPathError", "complete_verdict", "failed_run_verdicts"]


class ArtifactPathError(ValueError):
    """An ``artifact`` that points outside the run's directory."""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def complete_verdict(
    verdict: Verdict, *, checkname: str, arch: str, rundir: Path, artifactsdir: Path
) -> Verdict:
    """The verdict as recorded: ``checkname`` and ``arch`` defaulted, ``artifact`` relative.

    ``artifact`` may be relative to ``artifactsdir`` or absolute; it is stored relative to
    ``rundir`` (where the log URL base points) after resolving symlinks.

    Raises:
        ArtifactPathError: the artifact resolves outside ``rundir`` (``../``, a symlink out).
    """
    completed = verdict.copy()
    completed.setdefault("checkname", checkname)
    completed.setdefault("arch", arch)
    artifact = completed.get("artifact")
    if artifact is not None:
        if not isinstance(artifact, str) or not artifact:
            raise ArtifactPathError(f"artifact must be a path, {artifact!r} found")
        root = Path(os.path.realpath(rundir))
        resolved = Path(os.path.realpath(artifactsdir / artifact))
        if not _inside(resolved, root) or resolved == root:
            raise ArtifactPathError(
                f"artifact {artifact!r} resolves to {str(resolved)!r}, outside the run's "
                f"directory {str(root)!r}; write artifacts under ${{artifactsdir}}"
            )
        completed["artifact"] = resolved.relative_to(root).as_posix()
    return completed


def failed_run_verdicts(
    recorded: list[Verdict],
    outcome: Outcome,
    *,
    item: str,
    item_type: str,
    arch: str,
    checkname: str,
    message: str,
    output: str = "",
) -> list[Verdict]:
    """The verdicts of a run that did not finish (``outcome`` is CRASHED or ABORTED).

    Every recorded verdict takes ``outcome`` (its own is kept as ``original_outcome``), so a
    sub-check recorded PASSED before the crash cannot read as passed; one more verdict for the
    run itself carries the error message and the end of the failing action's log.
    """
    verdicts = []
    for verdict in recorded:
        changed = verdict.copy()
        changed["original_outcome"] = verdict["outcome"]
        changed["outcome"] = outcome.value
        verdicts.append(changed)
    run_verdict: Verdict = {
        "item": item,
        "type": item_type,
        "checkname": checkname,
        "outcome": outcome.value,
        "summary": message,
        "arch": arch,
    }
    if output:
        run_verdict["details"] = {"output": output}
    verdicts.append(run_verdict)
    return verdicts
