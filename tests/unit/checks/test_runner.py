"""The ordered run: dependencies, skips with reasons, crash containment, the JSON shape."""

from __future__ import annotations

import json
from typing import Any

import httpx

from desktop.checks.runner import CHECKS, Check, is_ok, report_json, run_checks
from desktop.hardware.gpu import GpuError
from desktop.model import CheckResult, CheckStatus


def _by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


def test_healthy_rig_passes_everything_in_order(fakes: Any) -> None:
    engine = fakes.smoke_routes(fakes.FakeEngine())
    results = run_checks(fakes.make_context(engine=engine))
    ids = [r.id for r in results]
    assert ids == [
        "driver", "cuda", "gpu.0", "docker.engine", "toolkit.version", "toolkit.runtime",
        "toolkit.envvar", "runc", "gpu.smoke", "system.os", "system.ram", "system.disk",
        "system.virt",
    ]  # fmt: skip
    assert all(r.status is CheckStatus.PASS for r in results), [
        (r.id, r.summary) for r in results if r.status is not CheckStatus.PASS
    ]
    assert is_ok(results)


def test_no_driver_skips_cuda_gpus_and_smoke_with_the_reason(fakes: Any) -> None:
    engine = fakes.FakeEngine()
    ctx = fakes.make_context(engine=engine, gpu_error=GpuError("library_not_found", ""))
    results = _by_id(run_checks(ctx))
    assert results["driver"].status is CheckStatus.FAIL
    for skipped in ("cuda", "gpu", "gpu.smoke"):
        assert results[skipped].status is CheckStatus.SKIP
        assert "NVIDIA driver failed" in results[skipped].summary
    assert not any("/containers" in p for p in engine.paths())
    assert results["docker.engine"].status is CheckStatus.PASS


def test_dead_engine_skips_docker_dependants_and_costs_one_request(fakes: Any) -> None:
    engine = fakes.FakeEngine()
    engine.raise_on_connect = httpx.ConnectError("gone")
    engine.raise_on_connect.__cause__ = FileNotFoundError(2, "No such file or directory")
    results = _by_id(run_checks(fakes.make_context(engine=engine)))
    assert results["docker.engine"].summary == (
        "Docker engine unreachable: no such socket: /var/run/docker.sock"
    )
    for skipped in ("toolkit.runtime", "toolkit.envvar", "system.disk", "gpu.smoke"):
        assert results[skipped].status is CheckStatus.SKIP
        assert "Docker engine failed" in results[skipped].summary
    assert results["runc"].details["source"] == "runc --version"
    assert len(engine.requests) == 1


def test_missing_toolkit_skips_smoke(fakes: Any) -> None:
    from desktop.checks.probes import CommandError

    ctx = fakes.make_context(
        commands={"nvidia-ctk": CommandError("not_found", "nvidia-ctk not found")}
    )
    results = _by_id(run_checks(ctx))
    assert results["gpu.smoke"].status is CheckStatus.SKIP
    assert "NVIDIA Container Toolkit failed" in results["gpu.smoke"].summary
    assert not is_ok(list(results.values()))


def test_a_crashing_check_becomes_a_warning(fakes: Any) -> None:
    def boom(ctx: Any) -> CheckResult:
        raise ZeroDivisionError("division by zero")

    plan = [
        Check("driver", "Driver", boom),
        Check(
            "cuda",
            "CUDA",
            lambda c: CheckResult("cuda", "CUDA", CheckStatus.PASS, "ok"),
            ("driver",),
        ),
    ]
    results = run_checks(fakes.make_context(), plan)
    assert results[0].status is CheckStatus.WARN
    assert "ZeroDivisionError" in results[0].summary
    assert "Traceback" in results[0].details["traceback"]
    assert results[1].status is CheckStatus.PASS  # a warning does not block dependants


def test_a_multi_result_family_blocks_by_its_worst_result(fakes: Any) -> None:
    def two(ctx: Any) -> list[CheckResult]:
        return [
            CheckResult("gpu.0", "GPU 0", CheckStatus.PASS, "ok"),
            CheckResult("gpu.1", "GPU 1", CheckStatus.FAIL, "bad"),
        ]

    plan = [
        Check("gpu", "GPUs", two),
        Check(
            "next", "Next", lambda c: CheckResult("next", "Next", CheckStatus.PASS, "ok"), ("gpu",)
        ),
    ]
    results = run_checks(fakes.make_context(), plan)
    assert results[-1].status is CheckStatus.SKIP
    assert results[-1].summary == "skipped because GPUs failed"


def test_json_report_shape_is_stable(fakes: Any) -> None:
    results = run_checks(fakes.make_context(gpu_error=GpuError("driver_not_loaded", "")))
    report = json.loads(json.dumps(report_json(results)))
    assert set(report) == {"version", "ok", "checks"}
    assert report["version"] == 1
    assert report["ok"] is False
    for check in report["checks"]:
        assert set(check) == {"id", "title", "status", "summary", "fix", "details"}
        assert check["status"] in {"pass", "warn", "fail", "skip"}
        assert CheckResult.from_json(check).id == check["id"]


def test_every_requirement_names_an_earlier_check() -> None:
    seen: set[str] = set()
    for check in CHECKS:
        assert set(check.requires) <= seen, check.id
        seen.add(check.id)
