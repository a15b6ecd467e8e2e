"""The hardened container profile: ONE pure function builds every job container's config.

Everything a container may do is decided by :func:`container_config`, from a validated
JobSpec; nothing a marketplace sends is ever passed through to Docker (BOINC's docker
wrapper appended project ``create_args`` verbatim: the anti-pattern). The profile follows
the OWASP Docker rules and reliability.md §8.7:

- every capability dropped, no-new-privileges, Docker's default seccomp (never
  ``seccomp=unconfined``: no ``seccomp`` option is set at all);
- read-only root; sized tmpfs at /tmp (noexec) and /work (the job's scratch and HOME,
  where programs may run: Docker mounts a tmpfs noexec unless told ``exec``);
- pids, memory (= memory + swap, so the job cannot swap) and CPU limits, nofile ulimit;
- user nobody (65534), an init process (signals, zombie reaping);
- the GPU by UUID only (never ``count=-1`` / "all") with the compute and utility driver
  capabilities; without a GPU, ``NVIDIA_VISIBLE_DEVICES=void``;
- network ``none`` unless the job needs egress (then its own bridge, made by the runner);
- no ports, no volumes, no restart, a size-capped json log.

The values are plain dicts in the Engine API's shape, so this module needs no docker
import and the unit tests run without the SDK. :func:`profile_violations` checks any
config against the profile: the runner refuses to create a container that fails it, and
a property test feeds random specs through both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desktop.jobs.spec import JobSpec, forbidden_env_key
from desktop.model import MANAGED_LABEL

LABEL_MANAGED = MANAGED_LABEL
LABEL_JOB = "io.rigpilot.job"
LABEL_WORKER = "io.rigpilot.worker"
LABEL_NETWORK = "io.rigpilot.network"
LABEL_INSTALL = "io.rigpilot.install"
JOB_USER = "65534:65534"  # nobody:nogroup
NOFILE = 4096
LOG_MAX_SIZE = "1m"
GPU_CAPABILITIES = ["compute", "utility"]


def container_name(job_id: str, install: str = "") -> str:
    """``rigpilot-<install>-<job>``: readable in ``docker ps``, unique per installation."""
    return f"rigpilot-{install[:8]}-{job_id}" if install else f"rigpilot-{job_id}"


def job_network_name(job_id: str, install: str = "") -> str:
    return f"rigpilot-job-{install[:8]}-{job_id}" if install else f"rigpilot-job-{job_id}"


def container_config(
    spec: JobSpec,
    gpu_uuid: str | None,
    labels: Mapping[str, str],
    image_volumes: Sequence[str] = (),
    image_id: str | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``client.containers.create`` for this job; nothing else.

    ``labels`` carries the worker's own labels (install and worker instance ids); the
    job's labels are set here and cannot be overridden. ``image_volumes`` are the paths the
    image declares as VOLUME: each gets a sized tmpfs so Docker creates no anonymous
    volume on the host disk. ``image_id`` is the id preflight inspected: creating from the
    id, not the name, means a tag moved in between cannot swap in an unchecked image.
    """
    scratch = f"size={spec.scratch_mb}m,nosuid,nodev,uid=65534,gid=65534,mode=0700"
    tmpfs = {path: scratch + ",noexec" for path in image_volumes}
    tmpfs["/tmp"] = scratch + ",noexec"
    # exec allowed, and said so: Docker's tmpfs default is noexec, and JIT caches (triton,
    # torch) and unpacked tools run from here. /tmp and image volumes stay noexec.
    tmpfs["/work"] = scratch + ",exec"
    env = {"HOME": "/work", **spec.env}
    device_requests: list[dict[str, Any]] = []
    if gpu_uuid is not None:
        device_requests.append(
            {
                "Driver": "nvidia",
                "Count": 0,  # never -1 ("all"): exactly the GPU named below
                "DeviceIDs": [gpu_uuid],
                "Capabilities": [list(GPU_CAPABILITIES)],
            }
        )
        env["NVIDIA_DRIVER_CAPABILITIES"] = ",".join(GPU_CAPABILITIES)
    else:
        # With the nvidia runtime as the default, "void" exposes no GPU at all.
        env["NVIDIA_VISIBLE_DEVICES"] = "void"
    all_labels = {k: v for k, v in labels.items() if k.startswith("io.rigpilot.")}
    all_labels.update({LABEL_MANAGED: "1", LABEL_JOB: spec.job_id, LABEL_NETWORK: spec.network})
    memory = f"{spec.memory_mb}m"
    install = all_labels.get(LABEL_INSTALL, "")
    return {
        "image": image_id or spec.image,
        "command": list(spec.command) or None,
        "name": container_name(spec.job_id, install),
        "user": JOB_USER,
        "working_dir": "/work",
        "environment": env,
        "labels": all_labels,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "read_only": True,
        "tmpfs": tmpfs,
        "init": True,
        "pids_limit": spec.pids,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(round(spec.cpus * 1e9)),
        "oom_score_adj": 500,  # under host memory pressure the job dies before the desktop
        "ulimits": [
            {"Name": "nofile", "Soft": NOFILE, "Hard": NOFILE},
            {"Name": "core", "Soft": 0, "Hard": 0},
        ],
        "network_mode": job_network_name(spec.job_id, install) if spec.needs_network else "none",
        "ipc_mode": "private",
        "device_requests": device_requests,
        "restart_policy": {"Name": "no"},
        "log_config": {"type": "json-file", "config": {"max-size": LOG_MAX_SIZE, "max-file": "1"}},
    }


ALLOWED_KEYS = frozenset(
    {
        "image",
        "command",
        "name",
        "user",
        "working_dir",
        "environment",
        "labels",
        "cap_drop",
        "security_opt",
        "privileged",
        "read_only",
        "tmpfs",
        "init",
        "pids_limit",
        "mem_limit",
        "memswap_limit",
        "nano_cpus",
        "oom_score_adj",
        "ulimits",
        "network_mode",
        "ipc_mode",
        "device_requests",
        "restart_policy",
        "log_config",
    }
)


def profile_violations(config: Mapping[str, Any]) -> list[str]:
    """Every way ``config`` breaks the hardened profile; empty when it is sound."""
    bad = [f"unexpected key {k}" for k in config if k not in ALLOWED_KEYS]
    expect = {
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "read_only": True,
        "init": True,
        "user": JOB_USER,
        "ipc_mode": "private",
        "restart_policy": {"Name": "no"},
    }
    bad += [f"{k} is {config.get(k)!r}" for k, v in expect.items() if config.get(k) != v]
    if config.get("mem_limit") != config.get("memswap_limit") or not config.get("mem_limit"):
        bad.append("memory and memory+swap differ")
    for key in ("pids_limit", "nano_cpus"):
        if not isinstance(config.get(key), int) or config[key] <= 0:
            bad.append(f"{key} missing")
    tmpfs = config.get("tmpfs") or {}
    if "/tmp" not in tmpfs or any("size=" not in o or "nosuid" not in o for o in tmpfs.values()):
        bad.append("tmpfs without size or nosuid")
    if any("noexec" not in o.split(",") for p, o in tmpfs.items() if p != "/work"):
        bad.append("a tmpfs other than /work allows executables")
    net = config.get("network_mode")
    if net != "none" and not str(net).startswith("rigpilot-job-"):
        bad.append(f"network_mode {net!r}")
    env = config.get("environment") or {}
    bad += [f"env {k}" for k, v in env.items() if forbidden_env_key(k) and _PROFILE_ENV.get(k) != v]
    for request in config.get("device_requests") or []:
        ids = request.get("DeviceIDs") or []
        if request.get("Count") not in (0, None) or len(ids) != 1 or "all" in ids:
            bad.append("device request not one GPU by UUID")
        if request.get("Capabilities") != [GPU_CAPABILITIES]:
            bad.append("GPU capabilities beyond compute,utility")
    labels = config.get("labels") or {}
    if labels.get(LABEL_MANAGED) != "1" or not labels.get(LABEL_JOB):
        bad.append("labels do not mark the container ours")
    return bad


# The only NVIDIA_* values the profile itself sets; any other LD_* / NVIDIA_* is a breach.
_PROFILE_ENV = {"NVIDIA_DRIVER_CAPABILITIES": "compute,utility", "NVIDIA_VISIBLE_DEVICES": "void"}
