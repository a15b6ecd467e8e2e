"""The one performance harness: every figure the issues name, in one table and one file.

Each ``tests/perf/*_perf.py`` module with ``measure() -> {name: {"value", "unit",
"target"}}`` is imported and run in turn; a module that fails shows its error in the
table and the run goes on. The table marks each figure whose target reads like ``< 5 ms``
or ``>= 100`` as ok or MISS; other targets are informational. Results go to
``tests/perf/results.json``.

    python tests/perf/run.py                 # everything, full windows (a few minutes)
    python tests/perf/run.py --quick         # shorter measuring windows
    python tests/perf/run.py --only worker   # one module (repeatable)

Exit code: 0 when every module ran (a MISS is reported, not failed), 1 if one crashed.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import platform
import re
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
QUICK_WINDOW_S = 10.0
_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*(-?[0-9]*\.?[0-9]+)")


def discover(only: list[str] | None = None) -> list[Path]:
    """The perf modules, sorted; ``only`` keeps those named (``worker`` or ``worker_perf``)."""
    files = sorted(HERE.glob("*_perf.py"))
    if only:
        wanted = {name.removesuffix(".py").removesuffix("_perf") for name in only}
        files = [f for f in files if f.stem.removesuffix("_perf") in wanted]
    return files


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"rigpilot_perf_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def call_measure(module: ModuleType, quick: bool) -> dict[str, dict[str, Any]]:
    """Run ``module.measure``, passing a short window when ``quick`` and it takes one."""
    measure = getattr(module, "measure", None)
    if not callable(measure):
        raise TypeError(f"{module.__name__} has no measure() function")
    kwargs: dict[str, Any] = {}
    if quick:
        parameters = inspect.signature(measure).parameters
        if "window_s" in parameters:
            kwargs["window_s"] = QUICK_WINDOW_S
        if "quick" in parameters:
            kwargs["quick"] = True
    figures = measure(**kwargs)
    if not isinstance(figures, dict):
        raise TypeError(f"measure() returned {type(figures).__name__}, not a dict")
    return figures


def verdict(value: Any, target: str) -> str:
    """ "ok" / "MISS" for targets like "< 5 ms"; "" when the target is not a bound."""
    match = _TARGET.match(str(target))
    if match is None or not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    op, bound = match.group(1), float(match.group(2))
    ok = {
        "<": value < bound,
        "<=": value <= bound,
        ">": value > bound,
        ">=": value >= bound,
    }[op]
    return "ok" if ok else "MISS"


def run(files: list[Path], quick: bool) -> dict[str, Any]:
    modules: dict[str, Any] = {}
    for path in files:
        name = path.stem.removesuffix("_perf")
        started = time.monotonic()
        print(f"[perf] {name} ...", file=sys.stderr, flush=True)
        try:
            figures = call_measure(load(path), quick)
            entry: dict[str, Any] = {"figures": figures}
        except Exception as exc:  # one broken module must not hide the others' figures
            entry = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        entry["seconds"] = round(time.monotonic() - started, 1)
        modules[name] = entry
    return {
        "generated_ts": time.time(),
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "modules": modules,
    }


def rows(report: dict[str, Any]) -> list[list[str]]:
    table = [["MODULE", "FIGURE", "VALUE", "UNIT", "TARGET", ""]]
    for module, entry in report["modules"].items():
        if "error" in entry:
            table.append([module, "(failed)", "-", "", entry["error"][:100], "ERROR"])
            continue
        for name, figure in entry["figures"].items():
            value = figure.get("value")
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            target = str(figure.get("target", ""))
            table.append(
                [module, name, shown, str(figure.get("unit", "")), target, verdict(value, target)]
            )
    return table


def render(table: list[list[str]]) -> str:
    widths = [min(60, max(len(r[i]) for r in table)) for i in range(len(table[0]))]
    lines = []
    for row in table:
        cells = [cell[:w].ljust(w) for cell, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every RigPilot performance figure.")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this module (e.g. worker); repeatable",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"shorter measuring windows ({QUICK_WINDOW_S:g} s)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    files = discover(args.only)
    if not files:
        print(f"no perf module matches {args.only}", file=sys.stderr)
        return 2
    report = run(files, args.quick)
    print(render(rows(report)))
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwritten {args.output}", file=sys.stderr)
    return 1 if any("error" in e for e in report["modules"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
