"""Contract case: the practice network (in-process; its books are in memory)."""

from desktop.model import NodeState

NETWORK = "demo"
KIND = "local"  # no remote answers: the bad-answer tests do not apply
START = True  # the market opens with start(); before that it is offline
CREDENTIALS: dict[str, str] = {}
HEALTHY = {"waiting for offers": ({}, NodeState.IDLE)}
EARNED = {"DEMO": "0"}  # no job has run yet
REPUTATION = {"verified": True}
