"""How the worker builds its network layer: every registered network under one supervisor.

Why apart from the supervisor: building needs the registry (which imports every network
module) and ties the adapters' pay to the ledger before the supervisor exists; the
supervisor itself only needs the adapters it is given (tests give it fakes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from desktop.model import Event
from desktop.money import valuation as net
from desktop.networks import registry
from desktop.networks.records import HostFacts
from desktop.networks.spec import AdapterContext, wall_now
from desktop.secrets import SecretStore
from desktop.worker.operations import Operations
from desktop.worker.supervisor import Supervisor
from desktop.worker.supervisor_ledger import SupervisorLedger
from desktop.worker.supervisor_money import NetworkMoney


def build_networks(
    ctx: AdapterContext,
    ledger: SupervisorLedger,
    secrets: SecretStore,
    emit: Callable[[Event], None],
    is_held: Callable[[str], bool],
    tariff: Callable[[], net.Tariff],
    facts: Callable[[], HostFacts | None],
    *,
    operations: Operations | None = None,
    poll_interval_s: float = 5.0,
) -> Supervisor:
    """Every registered network (desktop/networks/registry.py, plus
    ``RIGPILOT_EXTRA_NETWORKS``) built with ``ctx`` and its pay going to the ledger, under
    one supervisor. ``emit`` must be safe to call from any thread; ``is_held(network)``
    says whether the user holds a network (the supervisor never starts a held one)."""
    specs = registry.load_specs(ctx.env)
    money = NetworkMoney(ledger, emit, tariff, wall_now)
    adapters = registry.build_all(replace(ctx, credit=money.credit), specs)
    return Supervisor(
        specs,
        adapters,
        ledger,
        secrets,
        emit,
        is_held=is_held,
        money=money,
        tariff=tariff,
        facts=facts,
        operations=operations,
        poll_interval_s=poll_interval_s,
    )
