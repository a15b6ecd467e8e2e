"""``rigpilot self-test [--json]``: registered here so that ``rigpilot --help`` lists it.

``desktop/__main__.py`` routes ``self-test`` to :mod:`desktop.selftest` before this parser
runs: the self-test reaches Qt, Docker and NVML, which ``desktop.cli`` may not import. This
handler serves callers of ``desktop.cli.main`` and reaches the same code by name, so the
CLI's import contracts stay true.
"""

from __future__ import annotations

import argparse
import importlib

ORDER = 95


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "self-test",
        help="check that this installation is whole (Qt, keyring, Docker client, NVML, ledger)",
        description="Check that every piece of this installation loads: RigPilot's modules, "
        "the Qt platform plugin (a window and a tray icon), a keyring backend, the Docker "
        "client, NVML and the ledger. Exit code 0 when the installation is whole.",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler=cmd_self_test)


def cmd_self_test(args: argparse.Namespace) -> int:
    selftest = importlib.import_module("desktop.selftest")
    code: int = selftest.main(["--json"] if args.json else [])
    return code
