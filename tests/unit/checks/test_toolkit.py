"""The host security gate: toolkit and runc versions, the GPU runtime, GPU selection by images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.checks.base import ParseError
from desktop.checks.probes import CommandError, CommandResult
from desktop.checks.toolkit import (
    TOOLKIT_CONFIG,
    check_runc,
    check_runtime,
    check_toolkit_version,
    check_visible_devices,
    parse_nvidia_ctk_version,
    parse_runc_version,
    parse_toolkit_config,
)
from desktop.model import CheckStatus


@pytest.mark.parametrize(
    ("name", "version", "status"),
    [
        ("nvidia_ctk_1.17.8.txt", "1.17.8", CheckStatus.PASS),
        ("nvidia_ctk_1.18.0-rc.2.txt", "1.18.0-rc.2", CheckStatus.PASS),
        ("nvidia_ctk_1.17.7.txt", "1.17.7", CheckStatus.FAIL),
        ("nvidia_ctk_1.17.8-rc.1.txt", "1.17.8-rc.1", CheckStatus.FAIL),
        ("nvidia_ctk_1.16.1.txt", "1.16.1", CheckStatus.FAIL),
    ],
)
def test_toolkit_version_gate(fakes: Any, name: str, version: str, status: CheckStatus) -> None:
    text = fakes.read_data(name)
    assert str(parse_nvidia_ctk_version(text)) == version
    ctx = fakes.make_context(commands={"nvidia-ctk": CommandResult(0, text, "")})
    result = check_toolkit_version(ctx)
    assert result.status is status
    if status is CheckStatus.FAIL:
        assert "CVE-2025-23266" in result.summary
        assert "--only-upgrade nvidia-container-toolkit" in result.fix


@pytest.mark.parametrize(
    "name", ["nvidia_ctk_crash.txt", "nvidia_ctk_hostile.txt", "nvidia_ctk_flood.txt"]
)
def test_unreadable_toolkit_output_warns_with_raw_text(fakes: Any, name: str) -> None:
    text = fakes.read_data(name)
    with pytest.raises(ParseError):
        parse_nvidia_ctk_version(text)
    result = check_toolkit_version(
        fakes.make_context(commands={"nvidia-ctk": CommandResult(0, text, "")})
    )
    assert result.status is CheckStatus.WARN
    assert result.summary == "could not read the toolkit version"
    assert "\x1b" not in result.details["raw"]
    assert len(result.details["raw"]) <= 2100


def test_missing_toolkit_fails_with_install_fix(fakes: Any) -> None:
    ctx = fakes.make_context(
        commands={"nvidia-ctk": CommandError("not_found", "nvidia-ctk not found")}
    )
    result = check_toolkit_version(ctx)
    assert result.status is CheckStatus.FAIL
    assert "not installed" in result.summary
    assert "install-guide" in result.fix


def test_toolkit_timeout_warns(fakes: Any) -> None:
    error = CommandError("timeout", "nvidia-ctk did not answer within 1 s")
    result = check_toolkit_version(fakes.make_context(commands={"nvidia-ctk": error}))
    assert result.status is CheckStatus.WARN
    assert "within 1 s" in result.summary


def test_toolkit_nonzero_exit_warns_with_its_output(fakes: Any) -> None:
    done = CommandResult(127, "", "error while loading shared libraries: libnvidia-container.so.1")
    result = check_toolkit_version(fakes.make_context(commands={"nvidia-ctk": done}))
    assert result.status is CheckStatus.WARN
    assert "libnvidia-container" in result.details["raw"]
    assert result.details["error"] == "exit code 127"


@pytest.mark.parametrize(
    ("name", "version", "commit"),
    [
        ("runc_1.1.12.txt", "1.1.12", "v1.1.12-0-g51d5e94"),
        ("runc_1.1.11.txt", "1.1.11", "v1.1.11-0-g4bccb38"),
        ("runc_1.2.5.txt", "1.2.5", "v1.2.5-0-g59923ef"),
        ("runc_debian12.txt", "1.1.5+ds1", "1.1.5+ds1-1+deb12u1"),
    ],
)
def test_parse_runc_version(fakes: Any, name: str, version: str, commit: str) -> None:
    parsed = parse_runc_version(fakes.read_data(name))
    assert (str(parsed.version), parsed.commit) == (version, commit)


def test_parse_runc_garbled() -> None:
    with pytest.raises(ParseError):
        parse_runc_version("runc: unrecognized option --version\n")


def _no_engine(fakes: Any) -> Any:
    engine = fakes.FakeEngine(version=None, info=None)
    return engine


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("runc_1.1.12.txt", CheckStatus.PASS),
        ("runc_1.2.5.txt", CheckStatus.PASS),
        ("runc_1.1.11.txt", CheckStatus.FAIL),
        ("runc_debian12.txt", CheckStatus.FAIL),
    ],
)
def test_runc_gate_from_the_command(fakes: Any, name: str, status: CheckStatus) -> None:
    ctx = fakes.make_context(
        engine=_no_engine(fakes), commands={"runc": CommandResult(0, fakes.read_data(name), "")}
    )
    result = check_runc(ctx)
    assert result.status is status
    assert result.details["source"] == "runc --version"
    if status is CheckStatus.FAIL:
        assert "CVE-2024-21626" in result.summary


def test_runc_from_the_engine_wins_over_the_local_binary(fakes: Any) -> None:
    engine = fakes.FakeEngine(version=fakes.read_data("docker_version_debian12.json"))
    ctx = fakes.make_context(
        engine=engine, commands={"runc": CommandResult(0, fakes.read_data("runc_1.2.5.txt"), "")}
    )
    result = check_runc(ctx)
    assert result.status is CheckStatus.FAIL
    assert result.details == {
        "version": "1.1.5+ds1",
        "commit": "1.1.5+ds1-1+deb12u1",
        "source": "engine",
    }


def test_runc_garbled_output_warns(fakes: Any) -> None:
    ctx = fakes.make_context(
        engine=_no_engine(fakes),
        commands={"runc": CommandResult(1, fakes.read_data("runc_garbled.txt"), "")},
    )
    result = check_runc(ctx)
    assert result.status is CheckStatus.WARN
    assert "unrecognized option" in result.details["raw"]


def test_runc_nowhere_is_skipped(fakes: Any) -> None:
    ctx = fakes.make_context(
        engine=_no_engine(fakes), commands={"runc": CommandError("not_found", "runc not found")}
    )
    assert check_runc(ctx).status is CheckStatus.SKIP


def test_nvidia_runtime_passes(fakes: Any) -> None:
    result = check_runtime(fakes.make_context())
    assert result.status is CheckStatus.PASS
    assert result.summary == "the nvidia runtime is registered"


def test_no_runtime_no_cdi_fails_with_configure_command(fakes: Any) -> None:
    engine = fakes.FakeEngine(info=fakes.read_data("docker_info_debian12.json"))
    result = check_runtime(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.FAIL
    assert (
        "sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker"
        in result.fix
    )


def _cdi_engine(fakes: Any, spec_dir: Path) -> Any:
    import json

    info = json.loads(fakes.read_data("docker_info_cdi_only.json"))
    info["CDISpecDirs"] = [str(spec_dir)]
    return fakes.FakeEngine(info=json.dumps(info))


def test_cdi_with_an_nvidia_spec_passes(fakes: Any, tmp_path: Path) -> None:
    spec = tmp_path / "nvidia.yaml"
    spec.write_text("cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: all\n")
    ctx = fakes.make_context(engine=_cdi_engine(fakes, tmp_path))
    ctx.read_file = lambda path: Path(path).read_text()
    result = check_runtime(ctx)
    assert result.status is CheckStatus.PASS
    assert str(spec) in result.summary


def test_cdi_without_an_nvidia_spec_fails_with_generate_fix(fakes: Any, tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text("kind: vendor.com/fpga\n")
    ctx = fakes.make_context(engine=_cdi_engine(fakes, tmp_path))
    ctx.read_file = lambda path: Path(path).read_text()
    result = check_runtime(ctx)
    assert result.status is CheckStatus.FAIL
    assert "nvidia-ctk cdi generate" in result.fix


def test_cdi_on_a_remote_engine_warns(fakes: Any, tmp_path: Path) -> None:
    ctx = fakes.make_context(engine=_cdi_engine(fakes, tmp_path), docker_host="tcp://rig:2375")
    result = check_runtime(ctx)
    assert result.status is CheckStatus.WARN


def test_runtime_with_garbled_info_warns(fakes: Any) -> None:
    engine = fakes.FakeEngine(info=fakes.read_data("docker_info_hostile_types.json"))
    result = check_runtime(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.WARN
    assert result.summary == "could not read the Docker engine's info"
    assert "Runtimes" in result.details["error"]


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("toolkit_config_default.toml", True), ("toolkit_config_hardened.toml", False)],
)
def test_parse_toolkit_config(fakes: Any, name: str, accepted: bool) -> None:
    assert parse_toolkit_config(fakes.read_data(name)) is accepted


@pytest.mark.parametrize("name", ["toolkit_config_bad_type.toml", "toolkit_config_garbled.toml"])
def test_parse_toolkit_config_garbled(fakes: Any, name: str) -> None:
    with pytest.raises(ParseError):
        parse_toolkit_config(fakes.read_data(name))


def test_runc_default_runtime_passes_without_reading_the_config(fakes: Any) -> None:
    result = check_visible_devices(fakes.make_context())
    assert result.status is CheckStatus.PASS


@pytest.mark.parametrize(
    ("config", "status"),
    [
        (None, CheckStatus.WARN),  # no config file: the installer's default (true) applies
        ("toolkit_config_default.toml", CheckStatus.WARN),
        ("toolkit_config_hardened.toml", CheckStatus.PASS),
        ("toolkit_config_garbled.toml", CheckStatus.WARN),
    ],
)
def test_nvidia_default_runtime_and_envvar(
    fakes: Any, config: str | None, status: CheckStatus
) -> None:
    engine = fakes.FakeEngine(info=fakes.read_data("docker_info_nvidia_default.json"))
    files = {TOOLKIT_CONFIG: fakes.read_data(config)} if config else {}
    result = check_visible_devices(fakes.make_context(engine=engine, files=files))
    assert result.status is status
    if config in (None, "toolkit_config_default.toml"):
        assert "NVIDIA_VISIBLE_DEVICES" in result.summary
        assert "= false" in result.fix


def test_info_refused_while_version_answers_warns(fakes: Any) -> None:
    import httpx

    engine = fakes.FakeEngine()
    engine.routes[("GET", "/info")] = lambda r: httpx.Response(
        403, json={"message": "authorization denied by plugin opa"}
    )
    ctx = fakes.make_context(engine=engine)
    for check in (check_runtime, check_visible_devices):
        result = check(ctx)
        assert result.status is CheckStatus.WARN
        assert "authorization denied by plugin opa" in result.summary
