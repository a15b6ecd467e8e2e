"""Which worker a command talks to: this computer's, or a rig's (``--rig user@host``).

Every command that talks to the worker takes ``--rig`` (before or after the command name,
``rigpilot --rig pi@garage status`` = ``rigpilot status --rig pi@garage``) and gets its
client from ``worker_client``; how the rig is reached (an SSH tunnel to its socket) is the
transport's business (desktop/ipc/remote.py), not the command's.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from desktop.ipc.rig_address import RigAddress, RigAddressError, parse_rig

if TYPE_CHECKING:
    from desktop.ipc.client import WorkerClient

HELP = (
    "talk to the worker on another computer over SSH: user@host, or a Host alias from "
    "~/.ssh/config (the rig opens no port; see docs/remote-rigs.md)"
)


def rig_address(text: str) -> RigAddress:
    try:
        return parse_rig(text)
    except RigAddressError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_rig_option(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--rig``; on a command's parser its default is left out so that a ``--rig`` given
    before the command name is not overwritten."""
    parser.add_argument(
        "--rig",
        metavar="USER@HOST",
        type=rig_address,
        default=None if top else argparse.SUPPRESS,
        help=HELP,
    )


def chosen_rig(args: argparse.Namespace) -> RigAddress | None:
    rig = getattr(args, "rig", None)
    return rig if isinstance(rig, RigAddress) else None


def worker_client(args: argparse.Namespace) -> WorkerClient:
    """The client of the worker the command is about (not yet connected)."""
    rig = chosen_rig(args)
    if rig is None:
        from desktop.ipc.client import WorkerClient

        return WorkerClient.from_env()
    from desktop.ipc.remote import rig_client

    return rig_client(rig)
