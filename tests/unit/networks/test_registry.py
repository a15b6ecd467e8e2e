from __future__ import annotations

from pathlib import Path

import pytest

from desktop.model import ExitReason, JobState
from desktop.networks.base import NetworkAdapter
from desktop.networks.registry import AdapterContext, create, create_all, notify_job_finished


def test_every_known_network_builds_and_follows_the_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGPILOT_NOSANA_NODE_API", "http://127.0.0.1:9")
    adapters = create_all(
        AdapterContext(nosana_key_path=tmp_path / "k.json", demo_tick_interval_s=None)
    )
    assert set(adapters) == {"demo", "nosana"}
    for network_id, adapter in adapters.items():
        assert isinstance(adapter, NetworkAdapter) and adapter.id == network_id
    nosana = adapters["nosana"]
    assert nosana.node_api._endpoint.base_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]


def test_unknown_network_and_job_routing(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="unknown network"):
        create("salad", AdapterContext())
    demo = create("demo", AdapterContext(demo_tick_interval_s=None))
    notify_job_finished(demo, "nope", JobState.SUCCEEDED, ExitReason.EXITED)  # ignored, no crash
    assert demo.jobs() == []
