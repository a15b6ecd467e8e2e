"""``rigpilot job``: through the real argparse tree, with a fake worker client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from desktop import clock
from desktop.cli import job as job_cli
from desktop.cli import main
from desktop.ipc.client import ApiError, WorkerNotRunning
from desktop.ipc.endpoints import Endpoint
from desktop.model import ExitReason, JobRecord, JobState

DATA = Path(__file__).parents[2] / "data" / "jobs"


def record(
    state: JobState, reason: ExitReason | None = None, code: int | None = None
) -> dict[str, Any]:
    return JobRecord(
        "hello-1", "local", "rigpilot-test/busybox:latest", state, None, 1.7e9, 1.7e9,
        1.7e9 + 2 if state.finished else None, code, reason, "The job finished its work."
    ).to_json()  # fmt: skip


class FakeClient:
    """Answers scripted per (method, path), decoded into the endpoint's typed answer like
    ``WorkerClient.call``; records what was asked (the request on the wire)."""

    answers: dict[tuple[str, str], list[Any]] = {}
    asked: list[tuple[str, str, Any, Any]] = []

    @classmethod
    def from_env(cls) -> FakeClient:
        return cls()

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def call(self, endpoint: Endpoint[Any, Any], request: Any = None) -> Any:
        wire = msgspec.to_builtins(request) if request is not None else {}
        path = endpoint.path
        for name in endpoint.path_fields:
            path = path.replace("{" + name + "}", str(wire.pop(name)))
        query = {k: v for k, v in wire.items() if v is not None}
        body, params = (None, query) if endpoint.in_query else (wire, None)
        self.asked.append((endpoint.method, path, body, params))
        queue = self.answers[(endpoint.method, path)]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return msgspec.convert(answer, endpoint.answer)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> type[FakeClient]:
    FakeClient.answers, FakeClient.asked = {}, []
    monkeypatch.setattr(job_cli, "worker_client", lambda _args: FakeClient.from_env())
    monkeypatch.setattr(job_cli, "POLL_S", 0.0)
    return FakeClient


def test_run_submits_the_file(client: type[FakeClient], capsys: pytest.CaptureFixture[str]) -> None:
    client.answers[("POST", "/jobs")] = [{"job": record(JobState.RUNNING)}]
    assert main(["job", "run", str(DATA / "hello.json")]) == 0
    method, path, body, _ = client.asked[0]
    assert (method, path) == ("POST", "/jobs") and body["job_id"] == "hello-1"
    assert "Job hello-1: running" in capsys.readouterr().out


def test_refused_spec_prints_code_and_sentence_and_exits_2(
    client: type[FakeClient], capsys: pytest.CaptureFixture[str]
) -> None:
    message = "Jobs cannot ask for extra privileges ('privileged')."
    client.answers[("POST", "/jobs")] = [ApiError("privileged_refused", message, 422)]
    assert main(["job", "run", str(DATA / "hostile" / "privileged.json")]) == 2
    err = capsys.readouterr().err
    assert "privileged_refused" in err and message in err
    assert main(["job", "run", str(DATA / "hello.json"), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out == {"error": {"code": "privileged_refused", "message": message}}


@pytest.mark.parametrize(
    ("content", "why"),
    [("{not json", "not valid JSON (line 1"), ("[1, 2]", "one JSON object")],
)
def test_bad_spec_file_exits_2_without_asking_the_worker(
    client: type[FakeClient],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    why: str,
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(content)
    assert main(["job", "run", str(path)]) == 2
    assert why in capsys.readouterr().err and client.asked == []
    assert main(["job", "run", str(tmp_path / "missing.json")]) == 2


def test_run_wait_follows_the_job_to_its_end(
    client: type[FakeClient], capsys: pytest.CaptureFixture[str]
) -> None:
    client.answers[("POST", "/jobs")] = [{"job": record(JobState.RUNNING)}]
    client.answers[("GET", "/jobs/hello-1")] = [
        {"job": record(JobState.RUNNING), "logs_tail": ""},
        {"job": record(JobState.SUCCEEDED, ExitReason.EXITED, 0), "logs_tail": "hello\ndone\n"},
    ]
    assert main(["job", "run", str(DATA / "hello.json"), "--wait"]) == 0
    out = capsys.readouterr().out
    assert "succeeded (exited, exit code 0)" in out and "hello\ndone" in out
    client.answers[("GET", "/jobs/hello-1")] = [
        {"job": record(JobState.FAILED, ExitReason.OOM, 137), "logs_tail": ""}
    ]
    assert main(["job", "run", str(DATA / "hello.json"), "--wait", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["job"]["exit_reason"] == "oom"


def test_list_show_stop(client: type[FakeClient], capsys: pytest.CaptureFixture[str]) -> None:
    done = record(JobState.STOPPED, ExitReason.USER, 143)
    client.answers[("GET", "/jobs")] = [{"jobs": [done]}]
    assert main(["job", "list", "--state", "stopped"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("JOB") and "hello-1" in out and "user" in out
    assert client.asked[-1][3] == {"limit": 50, "state": "stopped"}
    client.answers[("GET", "/jobs/hello-1")] = [{"job": done, "logs_tail": "bye\n"}]
    assert main(["job", "show", "hello-1"]) == 0
    out = capsys.readouterr().out
    assert "stopped (user, exit code 143)" in out and "none (CPU only)" in out and "bye" in out
    client.answers[("POST", "/jobs/hello-1/stop")] = [{"job": done}]
    assert main(["job", "stop", "hello-1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["job"]["state"] == "stopped"


def test_empty_list_and_unknown_job(
    client: type[FakeClient], capsys: pytest.CaptureFixture[str]
) -> None:
    client.answers[("GET", "/jobs")] = [{"jobs": []}]
    assert main(["job", "list"]) == 0
    assert "No jobs yet" in capsys.readouterr().out
    client.answers[("GET", "/jobs/nope")] = [ApiError("not_found", "There is no job nope.", 404)]
    assert main(["job", "show", "nope"]) == 1
    assert "There is no job nope." in capsys.readouterr().err


def test_worker_not_running(client: type[FakeClient], capsys: pytest.CaptureFixture[str]) -> None:
    client.answers[("GET", "/jobs")] = [WorkerNotRunning()]
    assert main(["job", "list"]) == 1
    assert "not running" in capsys.readouterr().err


def listed(job_id: str, image: str, state: JobState, reason: ExitReason | None) -> dict[str, Any]:
    return JobRecord(
        job_id, "demo", image, state, None, 1.7e9, 1.7e9 + 5, 1.7e9 + 65 if reason else None,
        0 if reason is ExitReason.EXITED else None, reason,
    ).to_json()  # fmt: skip


PINNED = "ghcr.io/example-org/some-long-model-server@sha256:" + "ab12" * 16


@pytest.mark.parametrize("columns", [200, 100, 80])
def test_list_columns_stay_apart_and_fit_the_terminal(
    client: type[FakeClient],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    columns: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(clock, "now", lambda: 1.7e9 + 125)  # the running job ran 2 min
    client.answers[("GET", "/jobs")] = [
        {
            "jobs": [
                listed("demo-1795309339-4", "rigpilot-test/busybox:latest", JobState.RUNNING, None),
                listed("j2", PINNED, JobState.SUCCEEDED, ExitReason.EXITED),
                listed("j3", "busybox:1.36", JobState.STOPPED, ExitReason.USER),
            ]
        }
    ]
    assert main(["job", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header == ["JOB", "STATE", "NETWORK", "STARTED", "RAN", "IMAGE"]
    assert all(len(line) <= columns for line in lines)
    image_at = lines[0].index("IMAGE")
    assert lines[0][image_at - 2 : image_at] == "  "  # STARTED/RAN and IMAGE never touch
    for line, image in zip(lines[1:], ["rigpilot-test/busybox:latest", PINNED], strict=False):
        shown = line[image_at:]
        assert shown == image or (shown.endswith("…") and image.startswith(shown[:-1]))
    assert lines[2][image_at:].endswith("…")  # a pinned reference is always cut, with …
    assert lines[1].startswith("demo-1795309339-4  running ")  # the id is never cut
    assert " 1m 00s " in lines[2] and "stopped (user)" in lines[3]
    assert "succeeded (exited)" not in lines[2]  # no redundant reason for a success
