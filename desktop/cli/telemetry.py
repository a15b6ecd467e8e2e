"""``rigpilot telemetry``: watch the GPUs' readings in a terminal, or feed them to a script.

Runs locally with the same backend and sampler the worker uses, so what it prints is what
the guards see. ``--simulate warm,hot`` shows simulated cards (no GPU needed; with
``--sim-load 1`` they work and heat up, ``--sim-speed 20`` makes minutes pass in seconds).
Without ``--simulate`` it reads the real GPUs, or exits 1 with the doctor's cause and fix.
One line per GPU per tick; ``--json`` prints JSON lines instead (``"type": "sample"`` or
``"event"``), flushed at once so a pipe sees each reading as it happens.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from desktop import clock as wall
from desktop.cli._args import ascii_float, ascii_int
from desktop.hardware.gpu import GpuBackend, GpuError
from desktop.hardware.sampler import Sampler, validate_interval
from desktop.hardware.sim_profiles import parse_profiles
from desktop.model import (
    REASON_APP_CLOCKS,
    REASON_GPU_IDLE,
    REASON_HW_POWER_BRAKE,
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    REASON_SW_POWER_CAP,
    REASON_SW_THERMAL,
    REASON_SYNC_BOOST,
    Event,
    GpuInfo,
    GpuSample,
)

ORDER = 60
MAX_SIM_SPEED = 10000.0

_REASONS = (
    (REASON_GPU_IDLE, "idle"),
    (REASON_APP_CLOCKS, "app-clocks"),
    (REASON_SW_POWER_CAP, "power-cap"),
    (REASON_HW_SLOWDOWN, "hw-slowdown"),
    (REASON_SYNC_BOOST, "sync-boost"),
    (REASON_SW_THERMAL, "sw-thermal"),
    (REASON_HW_THERMAL, "hw-thermal"),
    (REASON_HW_POWER_BRAKE, "power-brake"),
)


def _number(kind: type, low: float, high: float, what: str) -> Callable[[str], Any]:
    """An argparse type that names the allowed range when the value is outside it."""

    def convert(text: str) -> Any:
        value = ascii_int(text) if kind is int else ascii_float(text)  # ASCII and finite
        if value is None:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; {what}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range; {what}")
        return value

    return convert


def _profiles(text: str) -> list[str]:
    try:
        return parse_profiles(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _interval(text: str) -> float:
    try:
        return validate_interval(ascii_float(text) or float("nan"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the interval must be between 1 and 5 seconds"
        ) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "telemetry",
        help="print GPU readings (temperature, power, clocks) as they come",
        description=(
            "Print each GPU's readings every interval: temperature, power, utilisation, "
            "VRAM, fan, clocks and the driver's throttle reasons. Reads the real GPUs, or "
            "simulated ones with --simulate (no GPU needed)."
        ),
    )
    parser.add_argument(
        "--simulate",
        type=_profiles,
        metavar="PROFILES",
        help="simulated GPUs instead of real ones, comma-separated: cool, warm, hot, broken-fan",
    )
    sim_speed = _number(float, 0.001, MAX_SIM_SPEED, f"use 0.001 to {MAX_SIM_SPEED:g}")
    parser.add_argument(
        "--sim-speed", type=sim_speed, metavar="N", help="simulated time runs N times faster"
    )
    parser.add_argument(
        "--sim-load",
        type=_number(float, 0.0, 1.0, "use 0 (idle) to 1 (full load)"),
        metavar="F",
        help="load a simulated job puts on each simulated GPU, 0 to 1 (default 0)",
    )
    parser.add_argument(
        "--sim-seed",
        type=_number(int, 0, 2**31, "use a whole number from 0"),
        metavar="N",
        help="seed of the simulated noise (default 0)",
    )
    parser.add_argument(
        "--interval",
        type=_interval,
        default=2.0,
        metavar="S",
        help="seconds between readings, 1 to 5 (default 2)",
    )
    parser.add_argument(
        "--seconds",
        type=_number(float, 0.0, 10.0**9, "use 0 (one reading) or more"),
        metavar="N",
        help="stop after N seconds (default: run until Ctrl-C)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.set_defaults(handler=run, _telemetry_parser=parser)


def _open(args: argparse.Namespace) -> tuple[GpuBackend, Callable[[], float]]:
    """The simulated or the real backend, and the clock its readings are stamped with."""
    if args.simulate:
        from desktop.hardware.simulated import SimulatedBackend

        sim = SimulatedBackend(args.simulate, seed=args.sim_seed or 0, speed=args.sim_speed or 1.0)
        for index in range(len(args.simulate)):
            sim.set_load(index, args.sim_load or 0.0)
        return sim, sim.clock
    from desktop.hardware.nvml import open_backend

    return open_backend(), wall.read


def run(args: argparse.Namespace) -> int:
    if not args.simulate:
        names = ("sim_speed", "sim_load", "sim_seed")
        given = ["--" + n.replace("_", "-") for n in names if getattr(args, n) is not None]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            args._telemetry_parser.error(f"{', '.join(given)} only {verb} with --simulate PROFILES")
    out = _Printer(sys.stdout, sys.stderr, args.json)
    try:
        backend, clock = _open(args)
        devices = backend.devices()
    except GpuError as exc:
        out.error(exc)
        return 1
    if not devices:
        out.error(GpuError("no_gpu", "no NVIDIA GPU was found", "Run `rigpilot doctor`."))
        backend.close()
        return 1
    out.header(devices)
    sampler = Sampler(backend, args.interval, out.sample, out.event, clock)
    started = time.monotonic()
    try:
        while True:
            tick_at = time.monotonic()
            sampler.tick()
            next_at = tick_at + args.interval
            if args.seconds is not None and next_at - started >= args.seconds:
                return 0
            time.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        backend.close()


class _Printer:
    """Readable lines for people, JSON lines for scripts."""

    def __init__(self, out: TextIO, err: TextIO, as_json: bool) -> None:
        self.out, self.err, self.as_json = out, err, as_json
        self.deg = "°C" if _can_print(out, "°") else "C"
        self.names: dict[int, str] = {}

    def _json(self, kind: str, body: dict[str, Any]) -> None:
        print(json.dumps({"type": kind, **body}), file=self.out, flush=True)

    def error(self, exc: GpuError) -> None:
        if self.as_json:
            self._json("error", {"code": exc.code, "cause": exc.cause, "fix": exc.fix})
        print(f"rigpilot telemetry: cannot read the GPUs: {exc.cause}", file=self.err)
        if exc.fix:
            print(f"  Fix: {exc.fix}", file=self.err)
        print(
            "  To see how it looks without a GPU: rigpilot telemetry --simulate warm", file=self.err
        )

    def header(self, devices: list[GpuInfo]) -> None:
        for info in devices:
            self.names[info.index] = info.name
            if self.as_json:
                self._json("device", info.to_json())
                continue
            th, pw = info.thresholds, info.power
            limits = f"{_num(pw.min_w)}-{_num(pw.max_w)} W (default {_num(pw.default_w)} W)"
            temps = (
                f"max-op {_num(th.max_operating_c)} / slowdown {_num(th.slowdown_c)} / "
                f"shutdown {_num(th.shutdown_c)} {self.deg}"
            )
            print(
                f"GPU{info.index}  {info.name}  {info.vram_total_mib} MiB  power {limits}  {temps}",
                file=self.out,
                flush=True,
            )

    def sample(self, s: GpuSample) -> None:
        if self.as_json:
            self._json("sample", s.to_json())
            return
        reasons = ",".join(name for bit, name in _REASONS if s.clock_event_reasons & bit)
        clock = datetime.fromtimestamp(s.ts).strftime("%H:%M:%S")
        line = (
            f"{clock}  GPU{s.gpu_index}  {_num(s.core_temp_c):>3} {self.deg}"
            f"  mem {_num(s.mem_temp_c):>3}"
            f"  {_num(s.power_w, 1):>6} W / {_num(s.power_limit_w)} W"
            f"  util {_num(s.gpu_util_pct):>3} %"
            f"  VRAM {_num(s.vram_used_mib)}/{_num(s.vram_total_mib)} MiB"
            f"  fan {_num(s.fan_pct):>3} %"
            f"  {_num(s.sm_clock_mhz)}/{_num(s.mem_clock_mhz)} MHz"
            f"  P{_num(s.pstate)}  {reasons}"
        )
        print(line.rstrip(), file=self.out, flush=True)

    def event(self, event: Event) -> None:
        if self.as_json:
            self._json("event", event.to_json())
            return
        fix = event.data.get("fix")
        print(
            f"! {event.kind}: {event.message}" + (f" ({fix})" if fix else ""),
            file=self.err,
            flush=True,
        )


def _num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def _can_print(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
