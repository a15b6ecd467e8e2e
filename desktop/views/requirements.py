"""Whether this computer can join a network, judged one way for every view.

The setup wizard and the Networks page both show, per network, what it needs (✔/✘) and
what is missing with its fix. They used to judge it apart and disagreed on the same
machine (the wizard said "✘ Supported GPU" where the page said "✔"); both now call
``judge`` with the same two inputs:

- the worker's judgement of the network's requirements (``NetworkRecord.requirements``,
  on the facts it gathered at start);
- the setup doctor's latest results, when the app has a run (they can be newer and are
  more precise: "Docker missing" must lock Docker networks at once).

A requirement is unmet when the worker says so or when a doctor check it stands on (by
its topic, ``TOPIC_CHECKS``) failed. An unmet requirement is explained by the doctor's
failures under it when there are any ("runc 1.1.5 is older than 1.1.12"), else by the
worker's own line; each problem is told once, whole (never cut off), in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop.model import CheckResult, CheckStatus
from desktop.views.text import commands_in, plain

# Requirement topic (the part after "<network>." in a requirement id) -> doctor check ids.
TOPIC_CHECKS: dict[str, tuple[str, ...]] = {
    "docker": ("docker.engine", "runc"),
    "toolkit": ("toolkit.version", "toolkit.runtime"),
    "gpu": ("driver", "gpu"),
    "cuda": ("driver", "cuda"),
    "native_linux": ("system.os",),
    "ram": ("system.ram",),
    "disk": ("system.disk",),
    "virtualization": ("system.virt",),
}


@dataclass(frozen=True)
class Need:
    """One requirement as the views show it: its name and whether this computer meets it."""

    id: str
    title: str
    met: bool


@dataclass(frozen=True)
class Shortfall:
    """One thing missing, with its fix (plain words; ``commands`` for Copy buttons)."""

    id: str
    title: str
    summary: str
    fix: str

    @property
    def line(self) -> str:
        """ "Title: what is wrong", whole."""
        summary = plain(self.summary).strip().rstrip(".")
        return f"{self.title}: {summary}" if summary else self.title

    @property
    def plain_fix(self) -> str:
        return plain(self.fix).strip()

    @property
    def sentence(self) -> str:
        """The line and its fix, for a tooltip or a paragraph."""
        fix = self.plain_fix
        return f"{self.line}." + (f" Fix: {fix}" if fix else "")

    @property
    def commands(self) -> list[str]:
        return commands_in(self.fix)


@dataclass(frozen=True)
class Fitness:
    """A network against this computer: every requirement, and what is missing."""

    needs: tuple[Need, ...]
    shortfalls: tuple[Shortfall, ...]

    @property
    def fit(self) -> bool:
        return all(n.met for n in self.needs)

    def unmet(self) -> list[Need]:
        return [n for n in self.needs if not n.met]


def _topic(requirement_id: str) -> str:
    return requirement_id.split(".", 1)[1] if "." in requirement_id else requirement_id


def doctor_failures(requirement: CheckResult, checks: Sequence[CheckResult]) -> list[CheckResult]:
    """The doctor's failures one requirement stands on (by the requirement's topic)."""
    failed = {c.id: c for c in checks if c.status is CheckStatus.FAIL}
    return [failed[i] for i in TOPIC_CHECKS.get(_topic(requirement.id), ()) if i in failed]


def _shortfall(check: CheckResult) -> Shortfall:
    return Shortfall(check.id, check.title or check.id, check.summary, check.fix)


def judge(requirements: Sequence[CheckResult], checks: Sequence[CheckResult] = ()) -> Fitness:
    """The one judgement (see the module docstring); ``checks`` may be empty."""
    needs: list[Need] = []
    found: dict[str, Shortfall] = {}
    for req in requirements:
        under = doctor_failures(req, checks)
        worker_says_no = req.status is CheckStatus.FAIL
        needs.append(Need(req.id, req.title or req.id, not worker_says_no and not under))
        for check in under or ([req] if worker_says_no else []):
            found.setdefault(check.id, _shortfall(check))
    return Fitness(tuple(needs), tuple(found.values()))


def why_not(name: str, fitness: Fitness) -> str:
    """One paragraph with every shortfall and its fix ("" when the network can be joined)."""
    if fitness.fit:
        return ""
    return f"{name} needs: " + " ".join(s.sentence for s in fitness.shortfalls)
