"""The app's own command-line options: ``rigpilot [--demo] [--simulate P] [--sim-speed N]
[--minimized] [--connect USER@HOST]``.

Parsed apart from the CLI's argparse tree because these open the app rather than run a
command; a bad option gets a one-line message with an example, never a traceback.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

DEMO_SIM_SPEED = 10.0


@dataclass(frozen=True)
class AppOptions:
    """What the app was asked for; ``worker_args`` is how it starts a worker to match."""

    demo: bool = False
    simulate: str | None = None
    sim_speed: float | None = None
    minimized: bool = False
    connect: str | None = None  # a rig to show (user@host), reached over SSH

    def adopts(self, mode: str) -> bool:
        """Whether this app shows a worker of ``mode`` ("demo", "simulated", "nvml").

        The real app shows only a worker of this computer's GPUs: a demo or simulated one
        would show a GPU that is not there (it says one runs and offers to stop it). The
        demo starts its own (ipc/launch.OwnedWorker); ``--simulate`` is for developers and
        shows simulated GPUs, the demo's included.
        """
        if self.demo:
            return mode == "demo"
        if self.simulate:
            return mode in ("simulated", "demo")
        return mode == "nvml"

    def worker_args(self) -> list[str]:
        """The options the app passes to ``rigpilot worker`` when it has to start one."""
        args: list[str] = []
        if self.demo:
            args.append("--demo")
        if self.simulate:
            args += ["--simulate", self.simulate]
        speed = (
            self.sim_speed
            if self.sim_speed is not None
            else (DEMO_SIM_SPEED if self.demo else None)
        )
        if speed is not None:
            args += ["--sim-speed", f"{speed:g}"]
        return args


class OptionsError(Exception):
    """Bad app options; the message names the problem and the fix."""


def parse_options(argv: list[str]) -> AppOptions:
    parser = argparse.ArgumentParser(prog="rigpilot", add_help=False, exit_on_error=False)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--simulate", metavar="PROFILE")
    parser.add_argument("--sim-speed", type=float)
    parser.add_argument("--minimized", action="store_true")
    parser.add_argument("--connect", metavar="USER@HOST")
    try:
        ns, extra = parser.parse_known_args(argv)
    except argparse.ArgumentError as exc:
        raise OptionsError(f"{exc}. Try: rigpilot --demo, or rigpilot --help") from None
    if extra:
        raise OptionsError(
            f"unknown option {extra[0]!r} for the app. Try: rigpilot --demo, or rigpilot --help"
        )
    if ns.sim_speed is not None and not (0 < ns.sim_speed <= 1000):
        raise OptionsError("--sim-speed must be between 0 and 1000 (for example --sim-speed 10)")
    connect = None
    if ns.connect is not None:
        from desktop.ipc.rig_address import RigAddressError, parse_rig

        try:
            connect = parse_rig(ns.connect).text
        except RigAddressError as exc:
            raise OptionsError(f"--connect: {exc}") from None
    return AppOptions(ns.demo, ns.simulate, ns.sim_speed, ns.minimized, connect)
