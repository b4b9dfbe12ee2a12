"""Backends: where recorded jobs go to run. One interface (:class:`base.Backend`), one factory."""

from __future__ import annotations

from checkline.settings import SettingsError

from ..config import TriggerSettings
from .base import Backend
from .buildbot import BuildbotBackend
from .local import LocalBackend
from .null import NullBackend

__all__ = ["Backend", "BuildbotBackend", "LocalBackend", "NullBackend", "create_backend"]


def create_backend(settings: TriggerSettings) -> Backend:
    """The backend ``settings.backend`` names.

    Raises:
        SettingsError: an unknown backend name.
    """
    if settings.backend == "none":
        return NullBackend()
    if settings.backend == "local":
        return LocalBackend(
            settings.checks_dir,
            settings.artifacts_root,
            settings.local_max_running,
            list(settings.local_command) or None,
        )
    if settings.backend == "buildbot":
        # The password may come from CHECKLINE_TRIGGER_BUILDBOT_PASSWORD: the settings have it.
        login = (
            (settings.buildbot_user, settings.buildbot_password) if settings.buildbot_user else None
        )
        return BuildbotBackend(settings.buildbot_url, settings.buildbot_scheduler, login=login)
    raise SettingsError(f"unknown backend {settings.backend!r}; known: none, local, buildbot")
