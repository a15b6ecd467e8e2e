"""Docker out of reach, in a user's words: the app's Events showed docker-py's raw
"('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"."""

from __future__ import annotations

import pytest

from desktop.jobs.engine_words import unreachable_words
from desktop.worker.wiring import probe_engine


def test_no_engine_at_the_socket_is_not_installed_or_not_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real Docker client against a socket that is not there."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/rigpilot-test/docker.sock")
    probe = probe_engine(timeout_s=2)
    assert not probe.reachable
    assert probe.reason == "Docker is not installed or not running"
    assert "Error" not in probe.reason and "(" not in probe.reason


def test_a_refused_socket_says_this_user_may_not_use_docker() -> None:
    import requests

    refused = requests.exceptions.ConnectionError(
        "('Connection aborted.', PermissionError(13, 'Permission denied'))"
    )
    assert unreachable_words(refused).startswith("Docker is installed, but this user may not")


def test_anything_else_is_said_plainly() -> None:
    assert unreachable_words(TimeoutError()) == "the Docker engine did not answer"
