"""``distgit``: fetch files (the spec, patches, ``gating.yaml``) of a package from dist-git."""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

import requests
from pydantic import Field, model_validator

from ..errors import DirectiveError, ItemNotFound
from .base import Directive, DirectiveParams, directive
from .download import HTTPStatusError, download
from .koji import action_deadline
from .kojihub import service_config
from .rpmfiles import split_nvr

if TYPE_CHECKING:
    from ..context import RunContext

__all__ = ["DEFAULT_DISTGIT", "Distgit", "DistgitParams", "raw_url"]

#: Fedora's dist-git (Pagure); ``CHECKLINE_DISTGIT_URL`` overrides it, ``baseurl`` too.
DEFAULT_DISTGIT = "https://src.fedoraproject.org"

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_+][A-Za-z0-9._+-]*$")]
#: A git ref: no spaces or control characters, not starting with "-" or "/" (and no "..",
#: checked below: pydantic's patterns have no look-ahead).
Ref = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._/+-]*$")]


def _relative(value: str) -> str:
    """A relative path of plain components (no '', '.', '..', no absolute path)."""
    parts = PurePosixPath(value).parts
    if not parts or value.startswith("/") or any(p in {".", ".."} for p in parts):
        raise ValueError(f"{value!r} must be a relative path without '.' or '..' components")
    if "\\" in value or "\x00" in value:
        raise ValueError(f"{value!r} must be a relative path without '\\' or NUL")
    return value


class DistgitParams(DirectiveParams):
    #: The package (its dist-git repository); or give ``nvr`` and its name is used.
    package: Name | None = None
    nvr: str | None = None
    #: Branch, tag or commit.
    gitref: Ref = "rawhide"
    namespace: Name = "rpms"
    #: Files in the repository (default: ``<package>.spec``).
    path: list[str] | None = None
    #: Where each file goes inside ``target_dir`` (default: its base name).
    localpath: list[str] | None = None
    target_dir: str | None = None
    #: The dist-git web server (default: ``CHECKLINE_DISTGIT_URL``, else Fedora's).
    baseurl: str | None = None
    #: A missing file is left out instead of being a job error.
    ignore_missing: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> DistgitParams:
        if (self.package is None) == (self.nvr is None):
            raise ValueError("give exactly one of 'package' and 'nvr'")
        if self.nvr is not None:
            split_nvr(self.nvr)  # ValueError: not name-version-release
        if ".." in self.gitref:
            raise ValueError(f"gitref {self.gitref!r} must not contain '..'")
        for value in (*(self.path or ()), *(self.localpath or ())):
            _relative(value)
        if self.localpath is not None and len(self.localpath) != len(self.path or [None]):
            raise ValueError("'localpath' needs one entry per 'path'")
        return self

    def package_name(self) -> str:
        return self.package if self.package is not None else split_nvr(self.nvr or "")[0]


def raw_url(baseurl: str, namespace: str, package: str, gitref: str, path: str) -> str:
    """Pagure's raw file URL: ``<base>/<namespace>/<package>/raw/<gitref>/f/<path>``."""
    quoted_path = "/".join(quote(part, safe="") for part in PurePosixPath(path).parts)
    return (
        f"{baseurl.rstrip('/')}/{quote(namespace, safe='')}/{quote(package, safe='')}"
        f"/raw/{quote(gitref, safe='/')}/f/{quoted_path}"
    )


@directive("distgit")
class Distgit(Directive[DistgitParams]):
    """Download files of a package's dist-git repository at a git ref.

    .. code-block:: yaml

        - name: fetch the spec
          distgit:
            nvr: ${koji_build}          # or package: xchat
            gitref: f40                 # default rawhide
            path: [xchat.spec, gating.yaml]   # default [<package>.spec]
            localpath: [xchat.spec, gating.yaml]
            target_dir: ${workdir}/distgit
            ignore_missing: true
          export: distgit_files

    Files come from Pagure's raw URLs (``<baseurl>/<namespace>/<package>/raw/<gitref>/f/
    <path>``) under ``baseurl``, ``CHECKLINE_DISTGIT_URL`` or ``https://src.fedoraproject.org``.

    Returns: ``{downloaded_files: [paths]}``. A file dist-git does not have (404) is a job
    error unless ``ignore_missing``; a network failure an execution error.
    """

    Params = DistgitParams

    def run(self, params: DistgitParams, ctx: RunContext) -> dict[str, list[str]]:
        config = service_config(os.environ)
        base = params.baseurl or os.environ.get("CHECKLINE_DISTGIT_URL") or DEFAULT_DISTGIT
        package = params.package_name()
        paths = params.path or [f"{package}.spec"]
        locals_ = params.localpath or [PurePosixPath(p).name for p in paths]
        target = ctx.workdir / params.target_dir if params.target_dir else ctx.workdir
        target = target.resolve()
        deadline = action_deadline(ctx)
        downloaded: list[str] = []
        with requests.Session() as http:
            for path, local in zip(paths, locals_, strict=True):
                dest = (target / local).resolve()
                if target not in dest.parents:  # _relative() makes this impossible; be sure
                    raise DirectiveError(f"localpath {local!r} leaves target_dir")
                dest.parent.mkdir(parents=True, exist_ok=True)
                url = raw_url(base, params.namespace, package, params.gitref, path)
                try:
                    download(
                        http,
                        url,
                        dest,
                        policy=config.retry,
                        cancel=ctx.cancel,
                        deadline=deadline,
                        log=ctx.log,
                    )
                except HTTPStatusError as err:
                    if err.status != 404:
                        raise
                    if params.ignore_missing:
                        ctx.log.info("%s: not in dist-git, skipped", path)
                        continue
                    raise ItemNotFound(
                        f"dist-git has no {path!r} in {params.namespace}/{package}"
                        f" at {params.gitref!r} ({base})"
                    ) from err
                downloaded.append(str(dest))
        return {"downloaded_files": downloaded}
