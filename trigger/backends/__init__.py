"""Backends: where recorded jobs go to run. One interface (:class:`base.Backend`), one factory."""

from __future__ import annotations

import os

from checkline.secrets import Secret

from ..config import Settings
from ..errors import ConfigError
from .base import Backend
from .buildbot import BuildbotBackend
from .local import LocalBackend
from .null import NullBackend

__all__ = ["Backend", "BuildbotBackend", "LocalBackend", "NullBackend", "create_backend"]


def create_backend(settings: Settings) -> Backend:
    """The backend ``settings.backend`` names.

    Raises:
        ConfigError: an unknown backend name.
    """
    if settings.backend == "none":
        return NullBackend()
    if settings.backend == "local":
        return LocalBackend(
            settings.checks_dir,
            settings.artifacts,
            settings.local_max_running,
            list(settings.local_command) or None,
        )
    if settings.backend == "buildbot":
        password = settings.buildbot_password or Secret(
            os.environ.get("CHECKLINE_BUILDBOT_PASSWORD", "")
        )
        login = (settings.buildbot_user, password) if settings.buildbot_user else None
        return BuildbotBackend(settings.buildbot_url, settings.buildbot_scheduler, login=login)
    raise ConfigError(f"unknown backend {settings.backend!r}; known: none, local, buildbot")
