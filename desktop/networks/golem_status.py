"""Whether a Golem provider is computing: its live agreements' activities, from yagna.

Why a function of its own: the status poll, a pause and a graceful stop all ask it (the
last two wait while the node computes). The facade's job model: an activity that is New,
Initialized, Deployed or Ready is a job in progress (DownloadingModel, Computing); one
Terminated or Unresponsive is over. A state never seen is a BadAnswer (status unknown).
"""

from __future__ import annotations

from desktop.model import NodeState
from desktop.networks import golem_parse as parse
from desktop.networks.golem_api import YagnaApi

RECENT_S = 7 * 86400.0  # agreements asked for: the last week's
MAX_AGREEMENTS = 20  # the newest still-valid ones looked into


def activity_state(api: YagnaApi, now: float) -> NodeState:
    """BUSY while an activity of a still-valid agreement works, else IDLE."""
    agreements = parse.parse_agreements(api.agreements(now - RECENT_S))
    live = [a for a in agreements if a.valid_to is None or a.valid_to > now]
    for agreement in live[-MAX_AGREEMENTS:]:
        for activity in parse.parse_activity_ids(api.activities(agreement.id)):
            if parse.parse_activity_state(api.activity_state(activity)) in parse.WORKING_STATES:
                return NodeState.BUSY
    return NodeState.IDLE
