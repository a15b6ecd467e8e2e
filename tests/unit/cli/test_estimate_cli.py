"""`rigpilot estimate` on a computer with no GPU: the worker says so in words every client
can show; the command line alone adds how to name a model (the window has no --gpu)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest

from desktop.cli import money as cli_money
from desktop.ipc.protocol import ApiError, IpcError
from desktop.worker.money_api import NO_GPU_TO_ESTIMATE


class NoGpuWorker:
    def call(self, endpoint: Any, request: Any = None) -> Any:
        raise ApiError("unavailable", NO_GPU_TO_ESTIMATE)


def said_by(monkeypatch: pytest.MonkeyPatch, gpu: str | None) -> list[str]:
    said: list[str] = []

    def call_worker(args: argparse.Namespace, action: Callable[[Any], Any]) -> Any:
        try:
            return action(NoGpuWorker())
        except IpcError as exc:
            said.append(exc.message)
            return None

    monkeypatch.setattr(cli_money, "call_worker", call_worker)
    args = argparse.Namespace(gpu=gpu, utilisation=None, json=False)
    assert cli_money.cmd_estimate(args) == 1
    return said


def test_no_gpu_the_command_line_says_how_to_name_a_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert said_by(monkeypatch, None) == [
        f"{NO_GPU_TO_ESTIMATE}: name a model, for example `--gpu 'RTX 3080'`"
    ]


def test_the_workers_words_are_for_any_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "--" not in NO_GPU_TO_ESTIMATE and "`" not in NO_GPU_TO_ESTIMATE
    assert said_by(monkeypatch, "RTX 3080") == [NO_GPU_TO_ESTIMATE]  # a model was named
