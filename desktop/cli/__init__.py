"""The ``rigpilot`` command line: one argparse tree, one module per command family.

Every module in this package that defines ``register(subparsers)`` adds its commands;
``ORDER`` (an int, default 50) sorts them in ``--help``. Each command's handler takes the
parsed namespace and returns the exit code. Commands that talk to the worker go through
``desktop.ipc.client``; only ``doctor`` and ``telemetry`` run locally.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from types import ModuleType

from desktop import __version__
from desktop.cli._args import number
from desktop.cli._rig import add_rig_option

Handler = Callable[[argparse.Namespace], int]

# Commands that run for hours: when one is the first argument, only its own module is
# loaded to build the parser. Every command module imports what it needs (HTTP clients,
# the doctor's checks, ...), and the worker, which a gamer leaves on all day, should not
# carry all of that for a parser it reads once (issue 18: lighter than a GPU monitor).
LONG_RUNNING = {"worker": "worker"}


def _command_modules(only: str | None = None) -> list[ModuleType]:
    if only is not None:  # a long-running command: its module alone, no package scan
        return [importlib.import_module(f"{__name__}.{only}")]
    import pkgutil

    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (``only``: a module name) just that command's part."""
    parser = argparse.ArgumentParser(
        prog="rigpilot",
        description=(
            "RigPilot puts your idle NVIDIA GPU to paid work on compute marketplaces, "
            "and guards it while it works. Run without a command to open the app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"rigpilot {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app with a simulated GPU and the practice network (no GPU needed)",
    )
    add_rig_option(parser, top=True)
    app = parser.add_argument_group("app options (no COMMAND: they open the desktop app)")
    app.add_argument(
        "--simulate",
        metavar="PROFILES",
        help="run the app's worker on simulated GPUs: cool, warm, hot, broken-fan (e.g. warm,hot)",
    )
    app.add_argument(
        "--sim-speed",
        metavar="N",
        type=number(0, 10000, "a speed", above_low=True),
        help="simulated seconds per real second",
    )
    app.add_argument(
        "--minimized", action="store_true", help="start in the tray (used when starting at sign-in)"
    )
    app.add_argument(
        "--connect",
        metavar="USER@HOST",
        help="open the app on the worker of another computer, over SSH (adds it to the rigs)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules(only):
        module.register(subparsers)
    return parser


def main(argv: list[str]) -> int:
    """Parse argv and run the chosen command; returns the process exit code."""
    parser = build_parser(LONG_RUNNING.get(argv[0]) if argv else None)
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
