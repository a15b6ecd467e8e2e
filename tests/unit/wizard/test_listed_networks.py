"""The wizard's network step with a network RigPilot only lists: never ticked, never a
blocker for the others, and its row's words come from the worker's record."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import msgspec

from desktop.ipc.schema_networks import Capabilities, NetworkRecord
from desktop.model import NodeState
from desktop.networks.records import HostFacts
from desktop.networks.salad import SPEC as SALAD
from desktop.networks.spec import AdapterContext
from desktop.wizard import flow, networks_step
from desktop.wizard.state import WizardState
from tests import api_samples as sample

FACTS = HostFacts("linux", False, 32.0, 200.0, True, True, ("NVIDIA GeForce RTX 4090",))
NOTHING = Capabilities(
    platforms=[],
    can_enroll=False,
    can_start_stop=False,
    can_pause=False,
    runs_jobs_here=False,
    earnings_api=False,
    reputation_api=False,
    monitor_only=False,
)


def salad() -> NetworkRecord:
    adapter = SALAD.build(AdapterContext(env={}))
    requirements = [msgspec.convert(c.to_json(), type=type(c)) for c in adapter.requirements(FACTS)]
    return sample.record(
        "salad",
        display_name="Salad",
        enrolled=False,
        state=NodeState.NOT_ENROLLED,
        description=adapter.description,
        capabilities=NOTHING,
        requirements=requirements,
    )


def test_a_listed_network_cannot_be_ticked_and_says_why(tmp_path: Path, fakes: ModuleType) -> None:
    port = fakes.FakePort(tmp_path, networks=[fakes.demo_network(), salad()])
    state = flow.advance(flow.load(WizardState(), port), port)  # welcome -> checks
    state = flow.advance(flow.run_checks(state, port), port)  # checks -> networks
    option = state.network("salad")
    assert option is not None and option.not_joinable is not None
    assert option.description.startswith("Salad's own Windows app")
    refused = networks_step.choose(state, "salad", True)
    assert refused.chosen == ("demo",) and refused.problem is not None
    assert refused.problem.message.startswith("RigPilot cannot join this computer to Salad:")
    assert "Instead:" in refused.problem.message and "Source:" in refused.problem.message
    assert networks_step.blocker(state) is None  # the practice network goes on alone
