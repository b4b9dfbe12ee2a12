"""libtaskotron's check API: ``CheckDetail``, ``ReportType``, ``export_YAML``, ``import_YAML``,
``export_TAP``; wrong values raise ``TaskotronValueError``. See ``_checkline_taskapi.check``."""

from __future__ import annotations

from _checkline_taskapi.check import RESERVED_KEYS, ReportType, flavour

from .exceptions import TaskotronValueError

__all__ = ["RESERVED_KEYS", "CheckDetail", "ReportType", "export_TAP", "export_YAML", "import_YAML"]

CheckDetail, export_YAML, import_YAML, export_TAP = flavour(__name__, TaskotronValueError)
