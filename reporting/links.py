"""Log URLs of a job's results: ``BASE/<uuid>/<artifact>``, else the run's main log.

The task author never computes a URL (a Taskotron wish; docs/architecture.md): a verdict names, at
most, a file of its run (``artifact``, relative to the run directory ``<artifacts root>/<uuid>``),
and reporting links it when the file is really there. The artifact path comes from TAP text,
which is untrusted: a path that leaves the run directory (``../``, absolute, a symlink out) is
refused, recorded as a problem, and the result links the main log instead.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from urllib.parse import quote

from checkline.contracts import RUNNER_LOG, Verdict

from .verdicts import Problem

__all__ = ["LogLinks"]


def _inside(path: Path, root: Path) -> bool:
    return root in path.parents


class LogLinks:
    """Log URLs for the results of the run in ``rundir`` (its artifacts under ``base_url``).

    Without ``base_url`` no result gets a URL (there is nowhere the logs are served).
    """

    def __init__(self, uuid: str, base_url: str | None, rundir: Path | None) -> None:
        self.uuid = uuid
        self.base_url = base_url.rstrip("/") if base_url else None
        self.rundir = rundir
        #: Artifacts refused, each naming the verdict and why; the caller reports them.
        self.refused: list[Problem] = []

    def url(self, relative: str) -> str | None:
        """The URL of ``relative`` (a path inside the run's directory; '' for the directory)."""
        if self.base_url is None:
            return None
        return f"{self.base_url}/{quote(self.uuid, safe='')}/{quote(relative, safe='/')}"

    @functools.cached_property
    def main_log(self) -> str | None:
        """The run's main log (its directory when the run never wrote one); looked up once,
        not once per verdict: a run may have 10,000."""
        if self.rundir is not None and not (self.rundir / RUNNER_LOG).is_file():
            return self.url("")  # no log (the run never started): the directory, whatever it has
        return self.url(RUNNER_LOG)

    def for_verdict(self, verdict: Verdict, where: str = "") -> str | None:
        """The artifact's URL when it exists inside the run's directory, else the main log."""
        relative = self.artifact(verdict.get("artifact"), where)
        return self.url(relative) if relative else self.main_log

    def artifact(self, artifact: object, where: str = "") -> str | None:
        """``artifact`` relative to the run's directory, if it is a file there; None if
        absent or missing. A path leaving the directory is refused (see ``refused``)."""
        if artifact is None or self.rundir is None:
            return None
        label = where or "a verdict"
        if not isinstance(artifact, str) or not artifact.strip():
            self.refused.append(Problem(label, f"artifact must be a path, {artifact!r} found"))
            return None
        if os.path.isabs(artifact):
            self.refused.append(
                Problem(label, f"artifact {artifact!r} is absolute; give a path inside the run")
            )
            return None
        root = Path(os.path.realpath(self.rundir))
        resolved = Path(os.path.realpath(root / artifact))
        if not _inside(resolved, root):
            self.refused.append(
                Problem(
                    label,
                    f"artifact {artifact!r} resolves to {str(resolved)!r}, outside the run's "
                    f"directory {str(root)!r}: not linked",
                )
            )
            return None
        if not resolved.is_file():
            return None
        return resolved.relative_to(root).as_posix()
