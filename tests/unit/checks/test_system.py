"""Host facts (desktop.hardware.host) on recorded /proc text, and the system checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.checks.system import check_disk, check_os, check_ram, check_virtualization
from desktop.hardware.host import (
    WslKind,
    detect_wsl,
    free_disk_bytes,
    parse_cpu_flags,
    parse_os_release,
    read_host_facts,
)
from desktop.model import CheckStatus


@pytest.mark.parametrize(
    ("version", "osrelease", "kind"),
    [
        ("proc_version_wsl2.txt", "osrelease_wsl2.txt", WslKind.WSL2),
        ("proc_version_wsl2.txt", None, WslKind.WSL2),
        ("proc_version_wsl1.txt", "osrelease_wsl1.txt", WslKind.WSL1),
        ("proc_version_wsl1.txt", None, WslKind.WSL1),
        ("proc_version_wsl2_custom.txt", None, WslKind.WSL2),
        ("proc_version_debian12.txt", "osrelease_debian12.txt", WslKind.NONE),
        ("proc_version_ubuntu2404.txt", None, WslKind.NONE),
    ],
)
def test_detect_wsl(fakes: Any, version: str, osrelease: str | None, kind: WslKind) -> None:
    text = fakes.read_data(version)
    release = fakes.read_data(osrelease) if osrelease else None
    assert detect_wsl(text, release) is kind


@pytest.mark.parametrize("text", ["", "\x00\xff garbage", "Linux version"])
def test_detect_wsl_on_garbage_is_none(text: str) -> None:
    assert detect_wsl(text) is WslKind.NONE


@pytest.mark.parametrize(
    ("name", "virt"),
    [
        ("cpuinfo_intel.txt", {"vmx"}),
        ("cpuinfo_amd.txt", {"svm"}),
        ("cpuinfo_vm_no_virt.txt", set()),
        ("cpuinfo_arm.txt", set()),
    ],
)
def test_cpu_flags(fakes: Any, name: str, virt: set[str]) -> None:
    flags = parse_cpu_flags(fakes.read_data(name))
    assert flags & {"vmx", "svm"} == virt
    assert flags  # every recorded file has some flags


def test_vmx_flags_line_is_not_mistaken_for_flags(fakes: Any) -> None:
    assert "preemption_timer" not in parse_cpu_flags(fakes.read_data("cpuinfo_intel.txt"))


def test_os_release(fakes: Any) -> None:
    values = parse_os_release(fakes.read_data("os_release_ubuntu2404.txt"))
    assert values["PRETTY_NAME"] == "Ubuntu 24.04.1 LTS"
    assert values["ID"] == "ubuntu"
    assert "not a pair" not in values


def test_read_host_facts_from_a_recorded_tree(fakes: Any, tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "sys" / "kernel").mkdir(parents=True)
    (proc / "version").write_text(fakes.read_data("proc_version_wsl2.txt"))
    (proc / "sys" / "kernel" / "osrelease").write_text(fakes.read_data("osrelease_wsl2.txt"))
    (proc / "cpuinfo").write_text(fakes.read_data("cpuinfo_amd.txt"))
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "os-release").write_text(fakes.read_data("os_release_ubuntu2404.txt"))
    facts = read_host_facts(proc, etc)
    if facts.system != "Linux":
        pytest.skip("the /proc reader runs on Linux only")
    assert facts.wsl is WslKind.WSL2
    assert facts.kernel == "5.15.153.1-microsoft-standard-WSL2"
    assert facts.os_name == "Ubuntu 24.04.1 LTS"
    assert facts.virt_flags == ["svm"]
    assert facts.ram_total_bytes > 0


def test_read_host_facts_with_nothing_readable(tmp_path: Path) -> None:
    facts = read_host_facts(tmp_path / "no-proc", tmp_path / "no-etc")
    assert facts.wsl is WslKind.NONE
    if facts.system == "Linux":
        assert facts.cpu_flags is None
        assert "could not read /proc/cpuinfo" in facts.notes


def test_free_disk_of_a_real_and_a_missing_path(tmp_path: Path) -> None:
    assert free_disk_bytes(tmp_path) > 0
    with pytest.raises(OSError):
        free_disk_bytes(tmp_path / "missing")


def test_os_plain_linux_passes(fakes: Any) -> None:
    result = check_os(fakes.make_context())
    assert result.status is CheckStatus.PASS
    assert result.summary == "Ubuntu 24.04.1 LTS, kernel 6.8.0-48-generic"


def test_os_wsl2_passes_and_says_so(fakes: Any) -> None:
    host = fakes.make_host(wsl=WslKind.WSL2, kernel="5.15.153.1-microsoft-standard-WSL2")
    result = check_os(fakes.make_context(host=host))
    assert result.status is CheckStatus.PASS
    assert result.summary.endswith("(WSL2)")
    assert result.details["wsl"] == "wsl2"


def test_os_wsl1_fails_with_conversion_fix(fakes: Any) -> None:
    result = check_os(fakes.make_context(host=fakes.make_host(wsl=WslKind.WSL1)))
    assert result.status is CheckStatus.FAIL
    assert "wsl --set-version" in result.fix


def test_os_macos_fails(fakes: Any) -> None:
    host = fakes.make_host(system="Darwin", os_name="macOS 14.5", cpu_flags=None)
    assert check_os(fakes.make_context(host=host)).status is CheckStatus.FAIL


@pytest.mark.parametrize(
    ("gib", "status"),
    [
        (32, CheckStatus.PASS),
        (15.5, CheckStatus.PASS),
        (11.6, CheckStatus.PASS),
        (8, CheckStatus.WARN),
    ],
)
def test_ram_threshold(fakes: Any, gib: float, status: CheckStatus) -> None:
    host = fakes.make_host(ram_total_bytes=int(gib * fakes.GIB))
    result = check_ram(fakes.make_context(host=host))
    assert result.status is status
    if status is CheckStatus.WARN:
        assert "12 GB" in result.summary


def test_ram_unknown_warns(fakes: Any) -> None:
    result = check_ram(fakes.make_context(host=fakes.make_host(ram_total_bytes=0)))
    assert result.status is CheckStatus.WARN


def test_disk_checks_dockers_data_root(fakes: Any) -> None:
    seen: list[str] = []
    ctx = fakes.make_context()

    def free(path: str) -> int:
        seen.append(path)
        return 200 * fakes.GIB

    ctx.disk_free = free
    result = check_disk(ctx)
    assert result.status is CheckStatus.PASS
    assert seen == ["/var/lib/docker"]
    assert result.summary == "200.0 GB free on /var/lib/docker"


def test_disk_of_a_rootless_engine_is_its_own_root(fakes: Any) -> None:
    engine = fakes.FakeEngine(info=fakes.read_data("docker_info_rootless.json"))
    result = check_disk(fakes.make_context(engine=engine))
    assert result.details["docker_root_dir"] == "/home/gamer/.local/share/docker"


def test_low_disk_warns(fakes: Any) -> None:
    result = check_disk(fakes.make_context(disk_free=10 * fakes.GIB))
    assert result.status is CheckStatus.WARN
    assert "25 GB" in result.summary
    assert "data-root" in result.fix


def test_invisible_data_root_warns(fakes: Any) -> None:
    result = check_disk(fakes.make_context(disk_free=FileNotFoundError(2, "No such file")))
    assert result.status is CheckStatus.WARN
    assert "cannot see" in result.summary


def test_remote_engine_disk_is_skipped(fakes: Any) -> None:
    result = check_disk(fakes.make_context(docker_host="tcp://rig:2375"))
    assert result.status is CheckStatus.SKIP
    assert "another machine" in result.summary


def test_virtualization_is_information_only(fakes: Any) -> None:
    with_vmx = check_virtualization(fakes.make_context())
    without = check_virtualization(
        fakes.make_context(host=fakes.make_host(cpu_flags=frozenset({"fpu"})))
    )
    unknown = check_virtualization(fakes.make_context(host=fakes.make_host(cpu_flags=None)))
    assert with_vmx.status is CheckStatus.PASS and "Intel VT-x" in with_vmx.summary
    assert without.status is CheckStatus.PASS and "no vmx/svm" in without.summary
    assert unknown.status is CheckStatus.SKIP
