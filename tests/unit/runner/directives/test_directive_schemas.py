"""Every built-in directive's parameter model builds (they are built lazily, defer_build)."""

from __future__ import annotations

import pytest

from checkline.runner.directives import REGISTRY


@pytest.mark.parametrize("name", REGISTRY.names())
def test_params_schema_builds(name: str) -> None:
    """Assert the model compiles (a pattern pydantic cannot run fails here, not in a run)."""
    params = REGISTRY.get(name).Params
    params.model_rebuild(force=True)
    assert params.model_json_schema()["type"] == "object"
