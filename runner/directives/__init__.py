"""Directives: the registry and the built-in directives.

The built-ins are imported on first use (``base.BUILTINS``), not here: a run imports only the
directives its formula names.
"""

from .base import (
    BUILTINS,
    REGISTRY,
    Directive,
    DirectiveParams,
    DirectiveRegistry,
    UnknownDirective,
    directive,
)

__all__ = [
    "BUILTINS",
    "REGISTRY",
    "Directive",
    "DirectiveParams",
    "DirectiveRegistry",
    "UnknownDirective",
    "directive",
]
