"""Entry point: ``rigpilot`` / ``python -m desktop``; one executable serves GUI, worker and CLI.

No command (or only app options such as ``--demo``) opens the desktop app; anything
else is the command line. The GUI import stays here, not in ``desktop.cli``, so that the
CLI and the worker never load Qt.
"""

from __future__ import annotations

import sys

GUI_OPTIONS = {"--demo", "--simulate", "--sim-speed", "--minimized", "--connect"}


def _wants_gui(argv: list[str]) -> bool:
    if not argv:
        return True
    first = argv[0].split("=", 1)[0]
    return first in GUI_OPTIONS


def _run_module(args: list[str]) -> int:
    """``rigpilot -m desktop.x ARGS``: a frozen build has no ``python -m`` (the job reaper)."""
    import runpy

    if not args or not args[0].startswith("desktop."):
        print("rigpilot: -m takes a RigPilot module, e.g. desktop.jobs.reaper", file=sys.stderr)
        return 2
    sys.argv = list(args)
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["self-test"]:  # a composition point like this one: it loads Qt in a child
        from desktop.selftest import main as self_test

        return self_test(args[1:])
    if args[:1] == ["-m"] and getattr(sys, "frozen", False):
        return _run_module(args[1:])
    if _wants_gui(args):
        try:
            from desktop.ui.app import run_app
        except ImportError as exc:  # the app is not there yet, or Qt is missing
            print(f"rigpilot: the desktop app cannot start: {exc}", file=sys.stderr)
            return 1
        return run_app(args)
    from desktop.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
