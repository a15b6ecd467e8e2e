"""docs/api.md is generated from the endpoint table; the Controller matches the table."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

from desktop.ipc.controller import Controller
from desktop.ipc.docs import render
from desktop.ipc.endpoints import ENDPOINTS

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def test_docs_api_md_is_generated_from_the_table() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/api.md is stale: run `python -m desktop.ipc.docs > docs/api.md` "
        "(the prose is in desktop/ipc/api_template.md)"
    )


def test_every_endpoint_is_in_the_docs_with_its_types() -> None:
    text = render()
    for endpoint in ENDPOINTS:
        assert f"`{endpoint.method} {endpoint.path}`" in text
        assert f"### {endpoint.answer.__name__}" in text


def test_the_controller_has_one_typed_method_per_endpoint() -> None:
    methods = {
        name for name, _ in inspect.getmembers(Controller, inspect.isfunction)
        if not name.startswith("_")
    }  # fmt: skip
    assert methods == {e.name for e in ENDPOINTS}
    for endpoint in ENDPOINTS:
        hints = typing.get_type_hints(getattr(Controller, endpoint.name))
        assert hints.pop("return") is endpoint.answer, endpoint.name
        wanted = [] if endpoint.takes_nothing else [endpoint.request]
        assert list(hints.values()) == wanted, endpoint.name


def test_paths_are_unique_per_method() -> None:
    keys = [(e.method, e.path) for e in ENDPOINTS]
    assert len(keys) == len(set(keys))
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)
