"""The hardened container profile: a golden config, a checker that catches tampering, and a
property test that no spec the parser accepts yields a config breaking the profile."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.jobs.profile import container_config, profile_violations
from desktop.jobs.spec import HostLimits, JobSpec, SpecRefused, parse_spec

UUID = "GPU-8f2d6c1e-3b4a-4c5d-9e8f-0a1b2c3d4e5f"
PINNED = "ghcr.io/example/app@sha256:" + "cd" * 32
LABELS = {"io.rigpilot.install": "abcdef0123456789", "io.rigpilot.worker": "w-1"}
LIMITS = HostLimits(cpus=8.0, memory_mb=32000)


def _spec(**overrides: Any) -> JobSpec:
    data: dict[str, Any] = {
        "job_id": "job-1",
        "network": "demo",
        "image": PINNED,
        "command": ["python", "bench.py"],
        "env": {"BATCH": "8"},
        "gpus": 1,
        "cpus": 2,
        "memory_mb": 4096,
        "pids": 512,
        "scratch_mb": 1024,
        "deadline_s": 600,
    }
    data.update(overrides)
    return parse_spec(data, (), LIMITS)


def test_golden_config_with_a_gpu() -> None:
    config = container_config(_spec(), UUID, LABELS)
    scratch = "size=1024m,nosuid,nodev,uid=65534,gid=65534,mode=0700"
    assert config == {
        "image": PINNED,
        "command": ["python", "bench.py"],
        "name": "rigpilot-abcdef01-job-1",
        "user": "65534:65534",
        "working_dir": "/work",
        "environment": {
            "HOME": "/work",
            "BATCH": "8",
            "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
        },
        "labels": {
            "io.rigpilot.install": "abcdef0123456789",
            "io.rigpilot.worker": "w-1",
            "io.rigpilot.managed": "1",
            "io.rigpilot.job": "job-1",
            "io.rigpilot.network": "demo",
        },
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "read_only": True,
        "tmpfs": {"/tmp": scratch + ",noexec", "/work": scratch + ",exec"},
        "init": True,
        "pids_limit": 512,
        "mem_limit": "4096m",
        "memswap_limit": "4096m",
        "nano_cpus": 2_000_000_000,
        "oom_score_adj": 500,
        "ulimits": [
            {"Name": "nofile", "Soft": 4096, "Hard": 4096},
            {"Name": "core", "Soft": 0, "Hard": 0},
        ],
        "network_mode": "none",
        "ipc_mode": "private",
        "device_requests": [
            {
                "Driver": "nvidia",
                "Count": 0,
                "DeviceIDs": [UUID],
                "Capabilities": [["compute", "utility"]],
            }
        ],
        "restart_policy": {"Name": "no"},
        "log_config": {"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}},
    }
    assert profile_violations(config) == []


def test_cpu_only_job_gets_no_gpu_and_hides_gpus_from_the_nvidia_runtime() -> None:
    config = container_config(_spec(gpus=0), None, LABELS)
    assert config["device_requests"] == []
    assert config["environment"]["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert "NVIDIA_DRIVER_CAPABILITIES" not in config["environment"]
    assert profile_violations(config) == []


def test_egress_job_gets_its_own_network_and_image_volumes_get_tmpfs() -> None:
    config = container_config(_spec(needs_network=True), None, LABELS, ["/data"])
    assert config["network_mode"] == "rigpilot-job-abcdef01-job-1"
    assert (
        config["tmpfs"]["/data"].startswith("size=1024m,") and "noexec" in config["tmpfs"]["/data"]
    )
    assert profile_violations(config) == []


def test_worker_labels_cannot_override_the_job_labels() -> None:
    labels = {**LABELS, "io.rigpilot.job": "other", "io.rigpilot.managed": "0", "evil": "1"}
    config = container_config(_spec(), UUID, labels)
    assert config["labels"]["io.rigpilot.job"] == "job-1"
    assert config["labels"]["io.rigpilot.managed"] == "1"
    assert "evil" not in config["labels"]


TAMPERING: list[tuple[str, Any]] = [
    ("privileged", True),
    ("cap_drop", []),
    ("cap_add", ["SYS_ADMIN"]),
    ("security_opt", ["no-new-privileges:true", "seccomp=unconfined"]),
    ("security_opt", []),
    ("read_only", False),
    ("user", "0:0"),
    ("init", False),
    ("memswap_limit", "-1"),
    ("pids_limit", None),
    ("nano_cpus", 0),
    ("network_mode", "host"),
    ("ipc_mode", "host"),
    ("volumes", {"/": {"bind": "/host"}}),
    ("devices", ["/dev/nvidia0"]),
    ("ports", {"22/tcp": 22}),
    ("restart_policy", {"Name": "always"}),
    ("tmpfs", {"/tmp": "exec"}),
    ("environment", {"LD_PRELOAD": "/x.so"}),
    ("environment", {"NVIDIA_VISIBLE_DEVICES": "all"}),
    ("device_requests", [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}]),
    ("device_requests", [{"Count": 0, "DeviceIDs": ["all"], "Capabilities": [["compute"]]}]),
    (
        "device_requests",
        [{"DeviceIDs": [UUID], "Capabilities": [["compute", "utility", "display"]]}],
    ),
    ("labels", {}),
]


@pytest.mark.parametrize(("key", "value"), TAMPERING, ids=[f"{k}={v}" for k, v in TAMPERING])
def test_profile_checker_catches_tampering(key: str, value: Any) -> None:
    config = copy.deepcopy(container_config(_spec(), UUID, LABELS))
    config[key] = value
    assert profile_violations(config)


# --- property: random specs, hostile keys included, never break the profile -------------

_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True)
_hostile_env = st.sampled_from(
    ["LD_PRELOAD", "LD_LIBRARY_PATH", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"]
)
_hostile_keys = st.sampled_from(
    ["privileged", "cap_add", "volumes", "binds", "devices", "security_opt", "network_mode",
     "pid_mode", "user", "ports", "runtime", "device_requests", "create_args"]
)  # fmt: skip

specs = st.fixed_dictionaries(
    {"image": st.sampled_from([PINNED, PINNED, "busybox", "ubuntu:24.04"])},
    optional={
        "job_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True),
        "command": st.lists(st.text(max_size=20), max_size=5),
        "env": st.dictionaries(_names | _hostile_env, st.text(max_size=30), max_size=6),
        "gpus": st.integers(0, 1) | st.integers(-1, 3),
        "cpus": st.floats(0.1, 8) | st.floats(-1, 20) | st.just(float("nan")),
        "memory_mb": st.integers(16, 24000) | st.integers(0, 64000),
        "pids": st.integers(16, 4096) | st.integers(0, 10000),
        "scratch_mb": st.integers(1, 10240) | st.integers(0, 20000),
        "deadline_s": st.floats(1, 604800) | st.floats(0, 10**6),
        "needs_network": st.booleans(),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=specs,
    extra=st.dictionaries(_hostile_keys, st.just(True), max_size=2),
    gpu=st.sampled_from([None, UUID]),
    volumes=st.lists(st.sampled_from(["/data", "/models", "/cache"]), unique=True, max_size=3),
)
def test_no_accepted_spec_yields_a_config_that_breaks_the_profile(
    data: dict[str, Any], extra: dict[str, Any], gpu: str | None, volumes: list[str]
) -> None:
    try:
        spec = parse_spec({**data, **extra}, ("busybox",), LIMITS)
    except SpecRefused:
        return
    assert not extra, "a spec with a host-access key was accepted"
    config = container_config(spec, gpu if spec.gpus else None, LABELS, volumes)
    assert profile_violations(config) == []
    # Independent of the checker: the facts the issue names.
    assert config["cap_drop"] == ["ALL"] and config["privileged"] is False
    assert config["security_opt"] == ["no-new-privileges:true"]
    assert config["read_only"] and config["init"] and config["user"] == "65534:65534"
    assert config["mem_limit"] == config["memswap_limit"] == f"{spec.memory_mb}m"
    assert 16 <= config["pids_limit"] <= 4096 and config["nano_cpus"] >= 10**8
    assert not {"volumes", "binds", "mounts", "devices", "ports", "cap_add"} & set(config)
    assert (config["network_mode"] == "none") != spec.needs_network
    env = config["environment"]
    assert not any(k.startswith("LD_") for k in env)
    assert env.get("NVIDIA_VISIBLE_DEVICES") in (None, "void")
    if spec.gpus and gpu:
        assert config["device_requests"][0]["DeviceIDs"] == [gpu]
        assert env["NVIDIA_DRIVER_CAPABILITIES"] == "compute,utility"
    else:
        assert config["device_requests"] == []


def test_docs_and_profile_agree_on_what_work_and_tmp_allow() -> None:
    """docs/jobs.md promises programs may run from /work and not from /tmp; the profile
    must ask Docker for exactly that (a tmpfs is noexec unless told ``exec``). The
    integration test test_probe_container_is_locked_down runs a program from each."""
    docs = (Path(__file__).parents[3] / "docs" / "jobs.md").read_text(encoding="utf-8")
    assert "it is mounted `exec`" in docs and "are mounted `noexec`" in docs
    config = container_config(parse_spec({"image": PINNED}, [], LIMITS), None, {}, ["/data"])
    options = {path: opts.split(",") for path, opts in config["tmpfs"].items()}
    assert "exec" in options["/work"] and "noexec" not in options["/work"]
    assert "noexec" in options["/tmp"] and "noexec" in options["/data"]
