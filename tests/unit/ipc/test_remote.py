"""Remote rigs without a network: the address check (what reaches ssh's argv), the ssh
command lines, what each ssh failure tells the user, and the route's retry pacing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.ipc import remote, ssh_command
from desktop.ipc.protocol import PROTOCOL_VERSION
from desktop.ipc.rig_address import RigAddressError, RigInfo, decode_info, encode_info, parse_rig
from desktop.ipc.routes import WorkerUnreachable
from desktop.paths import Paths

RIG = parse_rig("pi@garage")


@pytest.mark.parametrize(
    "text", ["pi@garage", "garage", "rig-2.local", "pi@10.0.0.7", "ssh://pi@garage:2222",
             "ssh://[::1]:22", " pi@garage "],
)  # fmt: skip
def test_addresses_a_user_writes_are_taken(text: str) -> None:
    assert parse_rig(text).text == text.strip()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "empty"),
        ("-oProxyCommand=touch /tmp/x", "looks like an ssh option"),
        ("pi@garage; rm -rf ~", "is not a rig address"),
        ("pi@gar age", "is not a rig address"),
        ("pi@@garage", "is not a rig address"),
        ("ssh://pi@garage:99999", "must be from 1 to 65535"),
        ("pi@garage\n", None),  # trailing whitespace is trimmed, not refused
    ],
)
def test_anything_else_is_refused_with_what_was_expected(text: str, said: str | None) -> None:
    if said is None:
        assert parse_rig(text).text == "pi@garage"
        return
    with pytest.raises(RigAddressError, match=said) as caught:
        parse_rig(text)
    assert "user@host" in str(caught.value) or "65535" in str(caught.value)


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="the app refuses ssh tunnels on Windows (its OpenSSH has no ControlMaster and cannot "
    "forward to a local unix socket: desktop/ipc/ssh_tunnel.py says so to the user)",
)
def test_the_master_never_prompts_and_the_destination_follows_a_double_dash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ssh_command.SSH_COMMAND_ENV, raising=False)
    argv = ssh_command.master_command(RIG, Path("/run/x.ssh"))
    assert argv[0] == "ssh"
    assert "BatchMode=yes" in argv and "ControlMaster=yes" in argv
    assert "StreamLocalBindMask=0177" in argv
    assert argv[-3:] == ["--", "pi@garage", ssh_command.REMOTE_SCRIPT]
    forward = ssh_command.forward_command(RIG, Path("/run/x.ssh"), Path("/run/x.sock"), "/r.sock")
    assert forward[-4:] == ["-L", "/run/x.sock:/r.sock", "--", "pi@garage"]
    assert "-O" in forward and forward[forward.index("-O") + 1] == "forward"


def test_rigpilot_ssh_command_replaces_ssh_like_git_ssh_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ssh_command.SSH_COMMAND_ENV, "ssh -F '/home/me/rig config'")
    assert ssh_command.master_command(RIG, Path("/c"))[:3] == ["ssh", "-F", "/home/me/rig config"]


@pytest.mark.parametrize(
    ("code", "stderr", "said"),
    [
        (255, "No ED25519 host key is known for garage and you have requested strict "
              "checking.\nHost key verification failed.", "is not known yet; run `ssh pi@garage`"),
        (255, "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@", "has CHANGED"),
        (255, "pi@garage: Permission denied (publickey).", "ssh-copy-id pi@garage"),
        (255, "ssh: Could not resolve hostname garage: Name or service not known",
         "name of pi@garage is not known"),
        (255, "ssh: connect to host garage port 22: Connection refused", "SSH server running"),
        (255, "ssh: connect to host garage port 22: Connection timed out", "is it on"),
        (127, "rigpilot: command not found", "RigPilot is not installed on pi@garage"),
        (2, "rigpilot: error: argument action: invalid choice: 'paths'", "too old"),
        (255, "channel_setup_fwd_listener_streamlocal: forwarding denied", "AllowTcpForwarding"),
        (1, "something else", "exit code 1): something else"),
    ],
)  # fmt: skip
def test_each_ssh_failure_says_what_to_do(code: int, stderr: str, said: str) -> None:
    assert said in ssh_command.explain_failure(RIG, code, stderr)


def test_the_rig_info_round_trips_and_a_newer_rig_may_say_more() -> None:
    info = RigInfo(version="0.2", protocol=PROTOCOL_VERSION, socket="/r/w.sock",
                   token_file="/c/api-token", running=True, pid=7)  # fmt: skip
    assert decode_info(encode_info(info)) == info
    newer = encode_info(info)[:-1] + b',"gpus":2}'
    assert decode_info(newer).pid == 7


def test_a_rig_that_cannot_be_reached_is_retried_calmly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failure the route does not run ssh again before 1 s, then 2, 4... 30 s."""
    tries: list[float] = []
    now = [100.0]

    def failing_open(self: object, timeout: float = 0) -> None:
        tries.append(now[0])
        raise WorkerUnreachable("pi@garage refused the connection")

    monkeypatch.setattr(remote.SshTunnel, "open", failing_open)
    paths = Paths(tmp_path, tmp_path, tmp_path, tmp_path / "run")
    route = remote.SshRoute(RIG, paths, monotonic=lambda: now[0])
    for step in [0.0, 0.5, 0.6, 1.0, 1.9, 2.2, 4.0]:
        now[0] += step
        with pytest.raises(WorkerUnreachable, match="refused"):
            route.connect()
    # at 0 (next at 1), 1.1 (next at 3.1), 4.0 (next at 8.0), 10.2; the others wait
    assert [round(t - 100.0, 1) for t in tries] == [0.0, 1.1, 4.0, 10.2]


def test_a_failure_before_any_tunnel_keeps_its_words(tmp_path: Path) -> None:
    paths = Paths(tmp_path, tmp_path, tmp_path, tmp_path / "run")
    route = remote.SshRoute(RIG, paths)
    error = route.failure(OSError("refused"), broken=False)
    assert "not connected to pi@garage" in error.message
