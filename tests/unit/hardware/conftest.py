"""Fixtures for the hardware tests: recorded NVML cards replayed through pynvml.

The replay helper lives with the recordings in tests/data/nvml/ (the perf figures use it
too); it is loaded by path because the tests run with ``--import-mode=importlib``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

_FAKE_PATH = Path(__file__).resolve().parents[2] / "data" / "nvml" / "fake_pynvml.py"


def _load_fake() -> ModuleType:
    name = "rigpilot_tests_fake_pynvml"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _FAKE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def fake_pynvml() -> ModuleType:
    """The replay module (FakeNvml, load_recording, nvml_error)."""
    return _load_fake()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, fake_pynvml: ModuleType) -> Callable[[str], Any]:
    """``recorded("geforce_rtx3080_525.json")`` installs that card on pynvml, returns the fake."""

    def install(name: str) -> Any:
        return fake_pynvml.FakeNvml(fake_pynvml.load_recording(name)).install(monkeypatch.setattr)

    return install
