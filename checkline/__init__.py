"""Checkline: shared contracts (outcomes) and the ``checkline`` command line.

The stages live in their own top-level packages, in the order of the flow:
``trigger`` -> ``runner`` -> ``reporting`` -> ``resultsdb``.
"""

__version__ = "0.1.0"
