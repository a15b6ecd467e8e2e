"""A second rig for tests: a worker in another RIGPILOT_HOME, reached through the real
OpenSSH server tests/services.sh starts on 127.0.0.1 (keys and host key made for the run).

``ssh_command(rig_home)`` is the RIGPILOT_SSH_COMMAND that logs in with the test's client
config and tells the rig's session which home is the rig's (its ``rigpilot`` is this
checkout's: the sshd's PATH). ``address()`` is ``user@localhost``; ``bare_address()`` is a
rig without RigPilot (the same sshd on its second port, with no rigpilot on PATH).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path


def ssh_config() -> str | None:
    """The client ssh_config of the test sshd, None without tests/services.sh."""
    config = os.environ.get("RIGPILOT_TEST_SSH_CONFIG", "")
    return config if config and Path(config).exists() else None


def address(host: str = "localhost") -> str:
    return f"{os.environ.get('RIGPILOT_TEST_SSH_USER', 'root')}@{host}"


def bare_address() -> str:
    return address("bare-rig")


def ssh_command(rig_home: Path, *, extra: str = "") -> str:
    """``ssh -F CONFIG -o SetEnv=RIGPILOT_HOME=RIG_HOME EXTRA``."""
    config = ssh_config()
    assert config is not None, "tests/services.sh did not start sshd"
    setenv = f"SetEnv=RIGPILOT_HOME={rig_home}"
    return f"ssh -F {shlex.quote(config)} -o {shlex.quote(setenv)} {extra}".strip()
