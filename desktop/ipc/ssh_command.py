"""The OpenSSH command lines that reach a rig, and what their failures mean to a person.

Why OpenSSH's own program and not a Python SSH library: it already knows the user's keys,
agent, ``~/.ssh/config`` (aliases, ports, jump hosts) and ``known_hosts``, and it forwards
unix sockets (``-L local.sock:remote.sock``), so the rig opens no port of its own. One
*master* connection per rig (``ControlMaster``) first runs ``rigpilot worker paths --json
--with-token`` on the rig and then stays open; the socket forward is added to that same
connection (``-O forward``), so the token and the API travel over one SSH connection and
the token lives only in this process's memory.

Never a silent "yes": every command runs with ``BatchMode=yes``, so an unknown host key is
a failure whose message says how to check and add it, and no password prompt can hang a
window. ``RIGPILOT_SSH_COMMAND`` replaces ``ssh`` (like git's ``GIT_SSH_COMMAND``), e.g.
``ssh -F ~/rigs/ssh_config``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from desktop.ipc.rig_address import RigAddress

SSH_COMMAND_ENV = "RIGPILOT_SSH_COMMAND"
CONNECT_TIMEOUT_S = 10
ALIVE_EVERY_S = 5
ALIVE_MISSES = 3  # the tunnel is declared dead after 3 unanswered keep-alives (15 s)
NOT_FOUND_EXIT = 127
# Where a rig's RigPilot may be: on PATH (the .deb puts it in /usr/bin), or where the
# tarball's instructions put it. `exec cat` then keeps the session (and so the master
# connection) open until this process closes its end: if the app dies, so does the tunnel.
REMOTE_SCRIPT = (
    "sh -c 'for c in rigpilot \"$HOME/.local/bin/rigpilot\" /opt/rigpilot/rigpilot; do "
    'if command -v "$c" >/dev/null 2>&1; then '
    '"$c" worker paths --json --with-token || exit $?; exec cat >/dev/null; fi; done; '
    'echo "rigpilot: command not found" >&2; exit 127\''
)


def ssh_program() -> list[str]:
    """``ssh``, or the command in RIGPILOT_SSH_COMMAND (split like a shell would)."""
    text = os.environ.get(SSH_COMMAND_ENV, "").strip()
    return shlex.split(text) if text else ["ssh"]


def _options(control: Path) -> list[str]:
    return [
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        "-o", f"ControlPath={control}",
    ]  # fmt: skip


def master_command(rig: RigAddress, control: Path) -> list[str]:
    """The long-lived connection: asks the rig for its paths and token, then stays open."""
    return [
        *ssh_program(),
        *_options(control),
        "-o", "ControlMaster=yes",
        "-o", "ControlPersist=no",
        "-o", f"ServerAliveInterval={ALIVE_EVERY_S}",
        "-o", f"ServerAliveCountMax={ALIVE_MISSES}",
        "-o", "ExitOnForwardFailure=yes",
        "-o", "StreamLocalBindUnlink=yes",
        "-o", "StreamLocalBindMask=0177",  # the forwarded socket is 0600, like the worker's
        "-T",
        "--", rig.destination, REMOTE_SCRIPT,
    ]  # fmt: skip


def forward_command(rig: RigAddress, control: Path, local: Path, remote: str) -> list[str]:
    """Ask the master to forward ``local`` (a socket here) to the worker's socket there."""
    return [
        *ssh_program(), *_options(control), "-O", "forward", "-L", f"{local}:{remote}",
        "--", rig.destination,
    ]  # fmt: skip


def exit_command(rig: RigAddress, control: Path) -> list[str]:
    """Ask the master to close (its forwards with it)."""
    return [*ssh_program(), *_options(control), "-O", "exit", "--", rig.destination]


def add_key_hint(rig: RigAddress) -> str:
    return (
        f"run `ssh {rig.destination}` once in a terminal, check that the fingerprint it "
        "shows is the rig's (on the rig: `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`"
        "), answer yes, then try again"
    )


def explain_failure(rig: RigAddress, code: int | None, stderr: str) -> str:
    """One sentence with the fix, from ssh's exit code and what it printed."""
    text = stderr.strip()
    last = text.splitlines()[-1] if text else ""
    lowered = text.lower()
    if "remote host identification has changed" in lowered:
        return (
            f"the SSH host key of {rig} has CHANGED since you last connected; this can be "
            "an attack or a reinstalled rig. RigPilot will not connect. If you know why it "
            f"changed, remove the old key (`ssh-keygen -R HOST`) and {add_key_hint(rig)}"
        )
    if "host key verification failed" in lowered or "host key is known" in lowered:
        return f"the SSH host key of {rig} is not known yet; {add_key_hint(rig)}"
    if "permission denied" in lowered:
        return (
            f"{rig} refused the SSH login ({last}); RigPilot logs in with your SSH keys "
            f"only (no passwords): add your public key to the rig with `ssh-copy-id "
            f"{rig.destination}`, or load it into your agent with `ssh-add`"
        )
    if "could not resolve hostname" in lowered:
        return f"the name of {rig} is not known ({last}); check the address or ~/.ssh/config"
    if "connection refused" in lowered:
        return f"{rig} refused the connection: is its SSH server running? ({last})"
    if "timed out" in lowered or "no route to host" in lowered or "unreachable" in lowered:
        return f"{rig} did not answer over SSH ({last}); is it on and on the network?"
    if code == NOT_FOUND_EXIT or "command not found" in lowered:
        return (
            f"RigPilot is not installed on {rig} (no `rigpilot` command there); install "
            "it on the rig (README: Install), then start its worker: "
            f"`ssh {rig.destination} rigpilot worker --detach`"
        )
    if "invalid choice: 'paths'" in lowered:
        return f"the RigPilot on {rig} is too old to be reached remotely; update it on the rig"
    if "forwarding" in lowered and ("denied" in lowered or "failed" in lowered):
        return (
            f"{rig} does not allow socket forwarding ({last}); in the rig's "
            "/etc/ssh/sshd_config, AllowStreamLocalForwarding and AllowTcpForwarding must "
            "not be `no` (OpenSSH ties unix-socket forwarding to both)"
        )
    detail = f": {last}" if last else ""
    return f"SSH to {rig} failed (exit code {code}){detail}"
