"""The reconciler's steps no single GPU decides: network agents and jobs with no GPU.

An agent (a network that runs its own work: a node container, a native process) is
paused when the user paused its network, when the user paused all work, when a guard
stops its work on a GPU it owns, or when it owns no GPU because a better-ranked network
holds them all; an emergency stops it at once. The jobs of RigPilot's job service that
use no GPU follow the user's pause of all work. The reconciler asks for these steps
under its lock (``ops``) and runs them outside it; ``AgentDriver`` keeps the agents'
calls off its thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from desktop.model import Hold
from desktop.worker.actuators import AgentControl, AgentDriver, JobActuator
from desktop.worker.user_holds import UserHolds, sentence
from desktop.worker.work_state import LOCAL, GpuWork, Op

log = logging.getLogger(__name__)

_RANK = {"run": 0, "pause": 1, "stop": 2}
# A network with an idle-GPU rule (io.net) penalises a GPU that other programs use while it
# waits for work: a game or another program on its GPU stops its agent at once; a graceful
# stop would leave it up, watching the other program's use, until its job ended.
IDLE_RULE_NOTE = " This network penalises a GPU that other programs use, so it was stopped at once."


class RigSteps:
    """Drives network agents and GPU-less jobs toward what the holds and owners ask."""

    def __init__(
        self,
        agents: AgentControl,
        driver: AgentDriver,
        jobs: JobActuator,
        user: UserHolds,
        work: Mapping[int, GpuWork],
    ) -> None:
        self.agents, self.driver, self.jobs, self.user, self.work = (
            agents,
            driver,
            jobs,
            user,
            work,
        )
        self._applied: dict[str, str] = {}  # network → run, pause or stop (last ordered)
        self.idle_rule: set[str] = set()  # networks that block a GPU others use (io.net)
        self._cpu_frozen = False

    def ops(self, candidates: Callable[[], list[str]]) -> list[Op]:
        """The agent and GPU-less job steps now (call under the reconciler's lock)."""
        want: dict[str, tuple[str, str]] = {}
        for w in self.work.values():
            for network, state in w.nets.items():
                if network == LOCAL or state.kind not in ("stop", "kill"):
                    continue
                level, reason = "stop" if state.kind == "kill" else "pause", state.reason
                if level == "pause" and state.source == "activity" and network in self.idle_rule:
                    level, reason = "stop", reason + IDLE_RULE_NOTE
                if _RANK[level] > _RANK[want.get(network, ("run", ""))[0]]:
                    want[network] = (level, reason)
        whole = None
        for hold in self.user.all():
            if hold.scope == "network" and hold.network is not None:
                want.setdefault(hold.network, ("pause", sentence(hold)))
            elif hold.scope == "all":
                whole = hold
        agents = self._own_agents()
        if whole is not None:
            for network in agents:
                want.setdefault(network, ("pause", sentence(whole)))
        for network, reason in self._without_gpu(agents, candidates()).items():
            want.setdefault(network, ("pause", reason))
        ops = [
            op
            for network in sorted(set(want) | set(self._applied))
            if (op := self._agent_op(network, want.get(network))) is not None
        ]
        return ops + self._cpu_ops(whole)

    def _without_gpu(self, agents: list[str], candidates: list[str]) -> dict[str, str]:
        """Agents that could work but own no GPU: a better-ranked network holds them all."""
        owners = {w.owner for w in self.work.values()}
        if not self.work or not owners - {None}:
            return {}  # no GPU here, or none owned yet: nothing to hand over
        taken = ", ".join(sorted(o for o in owners if o))
        return {
            n: f"Every GPU works for {taken}, ranked above it; it takes one when it is free."
            for n in agents
            if n in candidates and n not in owners
        }

    def _own_agents(self) -> list[str]:
        """Enrolled networks whose work runs in their own agent (not our job service)."""
        try:
            return [n for n in self.agents.penalties() if self.agents.runs_own_agent(n)]
        except Exception:  # noqa: BLE001 - a failing query says "none"
            log.debug("listing the agents failed", exc_info=True)
            return []

    def _agent_op(self, network: str, wanted: tuple[str, str] | None) -> Op | None:
        applied = self._applied.get(network, "run")
        level, reason = wanted or ("run", "Nothing holds this network's work back any more.")
        if level == applied or (level == "pause" and applied == "stop"):
            return None  # a stopped agent stays stopped until nothing holds it
        self._applied[network] = level
        if level == "run":
            del self._applied[network]
            return Op(f"resume {network}", lambda: self.driver.resume(network, reason))
        if level == "stop":
            return Op(f"stop {network} at once", lambda: self.driver.stop_now(network, reason))
        return Op(f"pause {network}", lambda: self.driver.pause(network, reason))

    def _cpu_ops(self, whole: Hold | None) -> list[Op]:
        if (whole is not None) == self._cpu_frozen:
            return []
        self._cpu_frozen = whole is not None
        jobs = self.jobs
        if whole is not None:
            reason = sentence(whole)
            return [Op("pause the jobs that use no GPU", lambda: jobs.freeze(None, reason))]
        return [Op("resume the jobs that use no GPU", lambda: jobs.thaw(None, "resumed by you"))]
