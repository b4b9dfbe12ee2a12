"""Directives: the registry and the built-in directives, registered explicitly here."""

from . import bodhi, distgit, dummy, exitcode, koji, python, results, shell
from .base import (
    REGISTRY,
    Directive,
    DirectiveParams,
    DirectiveRegistry,
    UnknownDirective,
    directive,
)

__all__ = [
    "REGISTRY",
    "Directive",
    "DirectiveParams",
    "DirectiveRegistry",
    "UnknownDirective",
    "bodhi",
    "directive",
    "distgit",
    "dummy",
    "exitcode",
    "koji",
    "python",
    "results",
    "shell",
]
