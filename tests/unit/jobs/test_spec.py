"""Job spec validation: defaults, every refusal code, the hostile specs in tests/data/jobs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.jobs.spec import HostLimits, Pay, SpecRefused, parse_spec, pay_due
from desktop.model import JobRecord, JobState, Money

DATA = Path(__file__).parents[2] / "data" / "jobs"
LOCAL = "rigpilot-test/busybox:latest"
PINNED = "ghcr.io/example/app@sha256:" + "ab" * 32
LIMITS = HostLimits(cpus=4.0, memory_mb=16000)


def parse(data: dict[str, Any]) -> Any:
    return parse_spec(data, [LOCAL], LIMITS)


def refused(data: object) -> SpecRefused:
    with pytest.raises(SpecRefused) as info:
        parse_spec(data, [LOCAL], LIMITS)
    assert info.value.message.endswith(".")  # one full sentence for a person
    return info.value


def test_minimal_spec_gets_safe_defaults() -> None:
    spec = parse({"image": PINNED})
    assert spec.job_id.startswith("local-")
    assert (spec.network, spec.command, dict(spec.env)) == ("local", (), {})
    assert (spec.gpus, spec.cpus, spec.memory_mb, spec.pids) == (0, 1.0, 512, 256)
    assert (spec.scratch_mb, spec.deadline_s, spec.needs_network) == (256, 3600.0, False)
    assert spec.pay is None and spec.load_profile == ()


def test_documented_examples_parse() -> None:
    hello = parse(json.loads((DATA / "hello.json").read_text()))
    assert hello.image == LOCAL and hello.pay == Pay(Decimal("0.01"), "USD", "job")
    assert hello.command[0] == "sh" and hello.memory_mb == 64
    gpu = parse(json.loads((DATA / "pinned-gpu.json").read_text()))
    assert gpu.gpus == 1 and gpu.load_profile == ((30.0, 0.4), (540.0, 1.0))
    assert parse(gpu.to_json()) == gpu  # to_json round-trips


@pytest.mark.parametrize("path", sorted((DATA / "hostile").glob("*.json")), ids=lambda p: p.stem)
def test_hostile_specs_are_refused_with_their_code(path: Path) -> None:
    case = json.loads(path.read_text())
    assert refused(case["spec"]).code == case["expect"]


def test_local_image_must_be_allowed() -> None:
    assert refused({"image": "rigpilot-test/other:latest"}).code == "image_not_pinned"
    assert parse_spec({"image": "mine:1"}, ["mine:1"], LIMITS).image == "mine:1"


@pytest.mark.parametrize(
    "image",
    [
        "ubuntu",
        "ubuntu:24.04",
        "ubuntu@sha256:" + "AB" * 32,  # upper-case hex
        "ubuntu@sha256:" + "ab" * 31,
        "ubuntu@sha512:" + "ab" * 64,
        "Bad Name@sha256:" + "ab" * 32,
        "@sha256:" + "ab" * 32,
        "a" * 600 + "@sha256:" + "ab" * 32,
    ],
)
def test_unpinned_or_malformed_images_are_refused(image: str) -> None:
    assert refused({"image": image}).code == "image_not_pinned"


@pytest.mark.parametrize(
    "image",
    [
        "ubuntu@sha256:" + "0f" * 32,
        "ghcr.io/org/app:v1@sha256:" + "0f" * 32,
        "localhost:5000/a/b_c.d-e@sha256:" + "0f" * 32,
    ],
)
def test_pinned_images_pass(image: str) -> None:
    assert parse({"image": image}).image == image


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"LD_AUDIT": "/x.so"}, "LD_AUDIT"),
        ({"NVIDIA_REQUIRE_CUDA": "cuda>=12"}, "NVIDIA_REQUIRE_CUDA"),
        ({"1ABC": "x"}, "1ABC"),
        ({"A" * 65: "x"}, "AAAA"),
        ({"OK": 1}, "OK"),
        ({"OK": "x" * 4097}, "OK"),
        ({"OK": "a\x00b"}, "OK"),
        ({f"K{i}": "v" for i in range(65)}, "more than 64"),
        (["A=1"], "object"),
    ],
)
def test_env_refusals_name_the_variable(env: object, why: str) -> None:
    error = refused({"image": PINNED, "env": env})
    assert error.code == "env_forbidden" and why in error.message


def test_env_limits_are_inclusive() -> None:
    env = {f"K{i}": "v" * 4096 for i in range(64)}
    assert len(parse({"image": PINNED, "env": env}).env) == 64


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("cpus", 0.05, "resources_out_of_bounds"),
        ("cpus", 4.5, "resources_out_of_bounds"),
        ("memory_mb", 15, "resources_out_of_bounds"),
        ("memory_mb", 12001, "resources_out_of_bounds"),  # 75 % of 16000 MB
        ("pids", 15, "resources_out_of_bounds"),
        ("pids", 4097, "resources_out_of_bounds"),
        ("pids", 64.5, "invalid_field"),
        ("scratch_mb", 0, "resources_out_of_bounds"),
        ("scratch_mb", 10241, "resources_out_of_bounds"),
        ("deadline_s", 0.5, "resources_out_of_bounds"),
        ("deadline_s", 7 * 86400 + 1, "resources_out_of_bounds"),
        ("cpus", "2", "invalid_field"),
        ("cpus", True, "invalid_field"),
        ("memory_mb", float("nan"), "invalid_field"),
        ("gpus", True, "gpu_count"),
        ("gpus", 1.0, "gpu_count"),
        ("gpus", -1, "gpu_count"),
        ("needs_network", "yes", "invalid_field"),
        ("command", ["sh", 3], "invalid_command"),
        ("command", ["x"] * 257, "invalid_command"),
        ("command", ["a\x00"], "invalid_command"),
        ("job_id", "../../etc", "invalid_job_id"),
        ("job_id", "x" * 65, "invalid_job_id"),
        ("network", "Bad Net", "invalid_field"),
        ("pay", {"amount": "-1", "unit": "USD", "per": "hour"}, "invalid_pay"),
        ("pay", {"amount": "NaN", "unit": "USD", "per": "hour"}, "invalid_pay"),
        ("pay", {"amount": "1e999999", "unit": "USD", "per": "hour"}, "invalid_pay"),
        ("pay", {"amount": "abc", "unit": "USD", "per": "hour"}, "invalid_pay"),
        ("pay", {"amount": "1", "unit": "USD", "per": "minute"}, "invalid_pay"),
        ("pay", {"amount": "1", "unit": "USD"}, "invalid_pay"),
        ("load_profile", [{"seconds": 0, "load": 0.5}], "invalid_load_profile"),
        ("load_profile", [{"seconds": 10, "load": 1.5}], "invalid_load_profile"),
        ("load_profile", {"seconds": 10}, "invalid_load_profile"),
    ],
)
def test_field_refusals(field: str, value: object, code: str) -> None:
    error = refused({"image": PINNED, field: value})
    assert error.code == code and error.field == field


def test_bounds_are_inclusive() -> None:
    spec = parse(
        {"image": PINNED, "cpus": 4, "memory_mb": 12000, "pids": 4096, "scratch_mb": 10240,
         "deadline_s": 7 * 86400}
    )  # fmt: skip
    assert (spec.cpus, spec.memory_mb, spec.pids) == (4.0, 12000, 4096)


def test_not_an_object_and_missing_image() -> None:
    assert refused(["image"]).code == "not_an_object"
    assert refused({"command": ["true"]}).code == "missing_field"


def test_host_access_keys_are_refused_whatever_their_value_and_case() -> None:
    assert refused({"image": PINNED, "Privileged": False}).code == "privileged_refused"
    assert refused({"image": PINNED, "cap-add": []}).code == "privileged_refused"
    assert refused({"image": PINNED, "Mounts": []}).code == "mounts_refused"
    assert refused({"image": PINNED, "ipc_mode": "host"}).code == "host_namespace_refused"


def _record(state: JobState, start: float = 1000.0, end: float = 1000.0 + 1800) -> JobRecord:
    return JobRecord("j", "demo", PINNED, state, None, start, start, end)


def test_pay_due_only_for_succeeded_jobs() -> None:
    per_hour = Pay(Decimal("0.20"), "USD", "hour")
    assert pay_due(_record(JobState.SUCCEEDED), per_hour) == Money(Decimal("0.10000000"), "USD")
    assert pay_due(_record(JobState.SUCCEEDED), Pay(Decimal("2"), "NOS", "job")) == Money(
        Decimal("2"), "NOS"
    )
    for state in (JobState.FAILED, JobState.STOPPED, JobState.INTERRUPTED, JobState.RUNNING):
        assert pay_due(_record(state), per_hour) is None
    assert pay_due(_record(JobState.SUCCEEDED), None) is None
