"""Which networks RigPilot knows, and how the worker builds their adapters.

Why a registry: the worker, the API and the CLI list networks by id; the wiring of each
adapter (callables into the job runner and the ledger, test overrides through environment
variables) lives here once instead of in the worker's composition root.

Environment overrides (tests and side-by-side installs):
``RIGPILOT_NOSANA_KEY`` (key file), ``RIGPILOT_NOSANA_NODE_API`` (node API base URL),
``RIGPILOT_NOSANA_DASHBOARD`` (dashboard base URL), ``RIGPILOT_DEMO_IMAGE`` (demo job image).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.model import ExitReason, JobState, Money
from desktop.networks.base import NetworkAdapter
from desktop.networks.demo import DemoNetwork

NETWORK_IDS = ("demo", "nosana")


@dataclass
class AdapterContext:
    """What adapters may call back into; anything left None is simply not available."""

    submit_job: Callable[[dict[str, Any]], str] | None = None
    check_job: Callable[[dict[str, Any]], object] | None = None  # dry run: raises if refused
    stop_job: Callable[[str], None] | None = None
    credit: Callable[[str, str, Money, str], bool] | None = None
    clock: Callable[[], float] = time.time  # real time; the supervisor gives the demo its own
    demo_speed: float = 1.0
    demo_seed: int | None = None
    demo_image: str | None = None
    demo_tick_interval_s: float | None = 0.5
    nosana_key_path: Path | None = None
    nosana_overrides: dict[str, Any] | None = None  # NodeContainerConfig fields (tests)


def create(network_id: str, ctx: AdapterContext) -> NetworkAdapter:
    """Build one adapter; KeyError for an id RigPilot does not know."""
    if network_id == "demo":
        return DemoNetwork(
            submit_job=ctx.submit_job,
            credit=ctx.credit,
            stop_job=ctx.stop_job,
            check_offer=ctx.check_job,
            clock=ctx.clock,
            speed=ctx.demo_speed,
            seed=ctx.demo_seed,
            image=ctx.demo_image,
            tick_interval_s=ctx.demo_tick_interval_s,
        )
    if network_id == "nosana":
        return _nosana(ctx)
    raise KeyError(f"unknown network {network_id!r}; known: {', '.join(NETWORK_IDS)}")


def _nosana(ctx: AdapterContext) -> NetworkAdapter:
    # imported here: the Docker SDK is only needed when Nosana is used
    from desktop.networks.nosana import NosanaAdapter
    from desktop.networks.nosana_api import DASHBOARD_URL, NODE_API_URL, DashboardApi, NodeApi
    from desktop.networks.nosana_key import DEFAULT_KEY_PATH
    from desktop.networks.nosana_node import NodeContainerConfig

    env_key = os.environ.get("RIGPILOT_NOSANA_KEY")
    key = ctx.nosana_key_path or (Path(env_key) if env_key else DEFAULT_KEY_PATH)
    cfg = NodeContainerConfig(key_path=key, **(ctx.nosana_overrides or {}))
    return NosanaAdapter(
        key_path=key,
        node_api=NodeApi(os.environ.get("RIGPILOT_NOSANA_NODE_API", NODE_API_URL)),
        dashboard=DashboardApi(os.environ.get("RIGPILOT_NOSANA_DASHBOARD", DASHBOARD_URL)),
        container_config=cfg,
        clock=ctx.clock,
    )


def create_all(ctx: AdapterContext) -> dict[str, NetworkAdapter]:
    return {network_id: create(network_id, ctx) for network_id in NETWORK_IDS}


def notify_job_finished(
    adapter: NetworkAdapter, job_id: str, state: JobState, exit_reason: ExitReason | None
) -> None:
    """Route a finished job to adapters that hand jobs to our runner (the demo)."""
    hook = getattr(adapter, "job_finished", None)
    if callable(hook):
        hook(job_id, state, exit_reason)
