"""Checkline: a message-triggered check pipeline, the one import name it installs.

The stages, in the order of the flow: ``checkline.trigger`` -> the Buildbot master
(``checkline.master``) -> ``checkline.runner`` -> ``checkline.reporting`` ->
``checkline.resultsdb``. ``trigger``, ``runner`` and ``reporting`` live at the repository's
root and are reached through symlinks here; docs/architecture.md says how it fits together.
"""

__version__ = "0.1.0"
