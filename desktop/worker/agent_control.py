"""``AgentControl`` over the network supervisor: what the reconciler asks of the networks.

The reconciler decides when a network's own agent must pause, resume or stop at once
(the user paused the network, a guard stopped its work); this turns each decision into
the supervisor's calls. Blocking: the reconciler's agent driver calls it from a thread.
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop.model import NetworkPenalties
from desktop.networks.base import NetworkAdapter
from desktop.worker.supervisor import Supervisor


class SupervisorAgents:
    """``desktop.worker.actuators.AgentControl`` over a ``Supervisor``."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def owners(self) -> list[str]:
        sup = self.supervisor
        return [n for n in sup.adapters if sup.runtime(n).enrolled and sup.runtime(n).started]

    def runs_own_agent(self, network: str) -> bool:
        adapter = self.supervisor.adapters.get(network)
        return adapter is not None and not _hands_jobs_to_us(adapter)

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        sup = self.supervisor
        return {n: p for n, p in sup.penalties().items() if sup.runtime(n).enrolled}

    def pause_agent(self, network: str, reason: str) -> None:
        sup = self.supervisor
        adapter, rt = sup.adapters.get(network), sup.runtime(network)
        if adapter is None or not rt.started or rt.paused:
            rt.paused = True
            return
        rt.paused = True  # the poll must not take the stopped agent for a crash
        adapter.pause()

    def resume_agent(self, network: str, reason: str) -> None:
        sup = self.supervisor
        adapter, rt = sup.adapters.get(network), sup.runtime(network)
        if adapter is None:
            return
        rt.paused = False
        if rt.started:
            adapter.resume()
        else:
            sup.start_again(network)

    def stop_agent_now(self, network: str, reason: str) -> None:
        self.supervisor.stop_now(network, reason)


def _hands_jobs_to_us(adapter: NetworkAdapter) -> bool:
    return callable(getattr(adapter, "job_finished", None))
