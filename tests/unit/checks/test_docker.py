"""Reading the engine's /version and /info, and the Docker engine check."""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.checks.base import ParseError
from desktop.checks.docker import check_engine
from desktop.checks.docker_facts import parse_docker_info, parse_docker_version
from desktop.model import CheckStatus


def test_debian_engine_version(fakes: Any) -> None:
    version = parse_docker_version(fakes.read_data("docker_version_debian12.json"))
    assert version.version == "20.10.24+dfsg1"
    assert version.api_version == "1.41"
    assert version.component("runc") == {"version": "1.1.5+ds1", "commit": "1.1.5+ds1-1+deb12u1"}


def test_docker_ce_version_lists_runc(fakes: Any) -> None:
    version = parse_docker_version(fakes.read_data("docker_version_27.json"))
    assert (version.version, version.api_version) == ("27.3.1", "1.47")
    assert version.component("RUNC") == {"version": "1.1.14", "commit": "v1.1.14-0-g2c9f560"}


def test_info_with_the_nvidia_runtime_and_cdi(fakes: Any) -> None:
    info = parse_docker_info(fakes.read_data("docker_info_27_nvidia.json"))
    assert "nvidia" in info.runtimes
    assert info.default_runtime == "runc"
    assert info.cdi_spec_dirs == ("/etc/cdi", "/var/run/cdi")
    assert info.docker_root_dir == "/var/lib/docker"
    assert not info.rootless


def test_info_of_a_rootless_engine(fakes: Any) -> None:
    info = parse_docker_info(fakes.read_data("docker_info_rootless.json"))
    assert info.rootless
    assert info.docker_root_dir == "/home/gamer/.local/share/docker"


def test_debian_info_has_no_cdi_and_no_nvidia(fakes: Any) -> None:
    info = parse_docker_info(fakes.read_data("docker_info_debian12.json"))
    assert info.cdi_spec_dirs == ()
    assert "nvidia" not in info.runtimes


def test_escape_codes_are_removed_from_engine_strings(fakes: Any) -> None:
    info = parse_docker_info(fakes.read_data("docker_info_escapes.json"))
    assert info.server_version == "27.0.0"
    assert info.docker_root_dir == "/var/lib/docker"
    assert info.runtimes == ("runc",)
    assert len(info.operating_system) <= 300


@pytest.mark.parametrize(
    ("name", "parser"),
    [
        ("docker_info_truncated.txt", parse_docker_info),
        ("docker_info_hostile_types.json", parse_docker_info),
        ("docker_version_html.txt", parse_docker_version),
        ("docker_version_list.json", parse_docker_version),
        ("docker_version_hostile.json", parse_docker_version),
        ("docker_info_27_nvidia.json", parse_docker_version),  # an /info where /version belongs
    ],
)
def test_garbled_documents_raise_parse_error_with_the_raw_text(
    fakes: Any, name: str, parser: Any
) -> None:
    raw = fakes.read_data(name)
    with pytest.raises(ParseError) as caught:
        parser(raw)
    assert caught.value.raw


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_gives_a_record_or_parse_error(document: Any) -> None:
    raw = json.dumps(document)
    for parser in (parse_docker_info, parse_docker_version):
        try:
            parser(raw)
        except ParseError:
            pass


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {"Version": st.text(max_size=10)},
        optional={
            "ApiVersion": st.one_of(st.text(max_size=6), st.integers(), st.none()),
            "Components": st.one_of(
                st.none(),
                st.lists(
                    st.dictionaries(
                        st.sampled_from(["Name", "Version", "Details"]), st.text(max_size=8)
                    ),
                    max_size=3,
                ),
            ),
        },
    )
)
def test_version_like_documents_never_crash(document: dict[str, Any]) -> None:
    try:
        parse_docker_version(json.dumps(document))
    except ParseError:
        pass


def test_engine_pass_names_version_and_root_equivalence(fakes: Any) -> None:
    result = check_engine(fakes.make_context())
    assert result.status is CheckStatus.PASS
    assert "Docker 27.3.1 (API 1.47)" in result.summary
    assert "root-equivalent" in result.summary
    assert result.details["rootless"] is False


def test_rootless_engine_is_said_so(fakes: Any) -> None:
    engine = fakes.FakeEngine(info=fakes.read_data("docker_info_rootless.json"))
    result = check_engine(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.PASS
    assert "rootless engine" in result.summary


def test_permission_denied_fails_with_group_fix_and_warning(fakes: Any) -> None:
    engine = fakes.FakeEngine()
    engine.raise_on_connect = httpx.ConnectError("denied")
    engine.raise_on_connect.__cause__ = PermissionError(13, "Permission denied")
    result = check_engine(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.FAIL
    assert result.summary == "Docker engine unreachable: permission denied on /var/run/docker.sock"
    assert "usermod -aG docker" in result.fix
    assert "root-equivalent" in result.fix
    assert "Rootless Docker" in result.fix
    assert result.details["reason"] == "permission"


def test_unreachable_engine_reason_names_the_socket(fakes: Any) -> None:
    engine = fakes.FakeEngine()
    engine.raise_on_connect = httpx.ConnectError("gone")
    engine.raise_on_connect.__cause__ = FileNotFoundError(2, "No such file or directory")
    ctx = fakes.make_context(engine=engine, docker_host="unix:///srv/nothing.sock")
    result = check_engine(ctx)
    assert result.status is CheckStatus.FAIL
    assert result.summary == "Docker engine unreachable: no such socket: /srv/nothing.sock"
    assert "DOCKER_HOST is set to unix:///srv/nothing.sock" in result.fix


def test_unreachable_engine_is_asked_once(fakes: Any) -> None:
    engine = fakes.FakeEngine()
    engine.raise_on_connect = httpx.ConnectTimeout("slow")
    ctx = fakes.make_context(engine=engine)
    assert check_engine(ctx).details["reason"] == "timeout"
    with pytest.raises(Exception, match="within 1 s"):
        ctx.docker_info()
    assert len(engine.requests) == 1  # /info was not tried after /version timed out


def test_old_engine_warns_about_device_requests(fakes: Any) -> None:
    engine = fakes.FakeEngine(version=fakes.read_data("docker_version_18.json"))
    result = check_engine(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.WARN
    assert "too old for GPU device requests" in result.summary


def test_garbled_version_warns_could_not_read(fakes: Any) -> None:
    engine = fakes.FakeEngine(version=fakes.read_data("docker_version_html.txt"))
    result = check_engine(fakes.make_context(engine=engine))
    assert result.status is CheckStatus.WARN
    assert result.summary == "could not read the Docker engine's version"
    assert "502 Bad Gateway" in result.details["raw"]


def test_bad_docker_host_fails_with_the_supported_forms(fakes: Any) -> None:
    from desktop.checks.context import DoctorContext

    result = check_engine(DoctorContext({"DOCKER_HOST": "ssh://me@rig"}))
    assert result.status is CheckStatus.FAIL
    assert "'ssh'" in result.summary
    assert ("npipe:" if sys.platform == "win32" else "unix://") in result.fix
