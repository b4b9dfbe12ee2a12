"""Checkline's Buildbot master: the logic behind the top-level ``master.cfg``.

``settings`` (TOML + ``CHECKLINE_MASTER_*``) -> ``config.buildmaster_config`` (builders per
arch, the ForceScheduler, web UI and auth) with ``steps`` (reserve artifacts, clone, runtask,
upload, report, cleanup); ``jobs`` checks a build's properties before any step uses them.
"""
