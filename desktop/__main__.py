"""Entry point: ``rigpilot`` / ``python -m desktop``; one executable serves GUI, worker and CLI.

No command (or only app options such as ``--demo``) opens the desktop app; anything
else is the command line. The GUI import stays here, not in ``desktop.cli``, so that the
CLI and the worker never load Qt.
"""

from __future__ import annotations

import sys

GUI_OPTIONS = {"--demo", "--simulate", "--sim-speed", "--minimized"}


def _wants_gui(argv: list[str]) -> bool:
    if not argv:
        return True
    first = argv[0].split("=", 1)[0]
    return first in GUI_OPTIONS


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
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
