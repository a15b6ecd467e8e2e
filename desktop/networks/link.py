"""Every registered network's internet minimums (``LINK_NEEDS`` in its module), for the
doctor: it may not import the network layer, so the CLI asks here and hands the list on.

Why in each network's module: a network's minimum is a fact of that network, like its
requirements; a module without ``LINK_NEEDS`` documents none (Clore.ai, the practice
network, the listed-only ones). A module that cannot be imported is left out with a log
line: the doctor must never fail for a network it only reports on.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping

from desktop.checks.link_needs import LinkNeeds
from desktop.networks.registry import module_names

log = logging.getLogger(__name__)


def link_needs(env: Mapping[str, str] = os.environ) -> list[LinkNeeds]:
    """The declared minimums, in the registry's order."""
    found = []
    for name in module_names(env):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            log.warning("the network module %s could not be imported: %s", name, exc)
            continue
        needs = vars(module).get("LINK_NEEDS")
        if isinstance(needs, LinkNeeds):
            found.append(needs)
    return found
