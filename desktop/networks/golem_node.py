"""Golem's two native programs, yagna (the daemon) and ya-provider (the provider agent),
started and stopped by RigPilot as the GamerHash facade does (Golem/Yagna/YagnaService.cs,
Provider.cs, EnvironmentBuilder.cs):

* ``yagna service run`` with ``YAGNA_AUTOCONF_APPKEY`` (a fresh random key: yagna makes it
  its "autoconfigured" app key if it has none), then ``yagna --json app-key list`` for the
  key it really uses (the facade reads "default" or "autoconfigured" the same way);
* ``ya-provider run --payment-network polygon|holesky`` with ``YAGNA_APPKEY``; settings
  first with ``ya-provider --json config set --node-name ... --account ...``;
* stop = Ctrl+C (SIGINT), up to 30 s, then SIGKILL (the facade's StopProcess).

RigPilot never downloads code: the binaries are the ones Golem's own installer put on the
machine (``~/.local/bin``), and their data folders are Golem's defaults, so a node the
user ran with ``golemsp`` keeps its identity and wallet. Each program's pid is kept in a
file, so a worker that starts again finds (adopts) the programs it had started.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.networks.base import NetworkError

log = logging.getLogger(__name__)

STOP_WAIT_S = 30.0  # the facade's stop timeout
CLI_TIMEOUT_S = 20.0
DEFAULT_BIN = Path("~/.local/bin")  # where Golem's installer puts yagna and ya-provider
PAYMENT_NETWORKS = {"mainnet": "polygon", "testnet": "holesky"}  # the facade's Network ids


@dataclass(frozen=True)
class Binaries:
    """Where Golem's two programs are: yagna (the node) and ya-provider."""

    yagna: Path
    provider: Path

    @classmethod
    def beside(cls, yagna: Path) -> Binaries:
        return cls(yagna, yagna.with_name("ya-provider"))

    def problem(self) -> str:
        """Why these cannot be run ("" when they can)."""
        for path in (self.yagna, self.provider):
            if not path.is_absolute():
                return f"{path} is not an absolute path."
            if not path.is_file():
                return (
                    f"{path} was not found: install Golem with its own installer "
                    "(curl -sSf https://join.golem.network/as-provider | bash -) and give "
                    "the path of yagna (ya-provider must be in the same folder)."
                )
            if not os.access(path, os.X_OK):
                return f"{path} is not executable: run `chmod +x {path}`."
        return ""


class NativeProcess:
    """One long-running program RigPilot started, or adopted from its last run."""

    def __init__(self, name: str, binary: Path, state_dir: Path) -> None:
        self.name, self.binary, self.state_dir = name, binary, state_dir
        self.pid_file = state_dir / f"{name}.pid"
        self.log_file = state_dir / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, args: list[str], env: Mapping[str, str]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "wb") as out:  # this run's output only
            self._proc = subprocess.Popen(  # noqa: S603 - Golem's own binary, argv list
                [str(self.binary), *args],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl+C in the worker's terminal is not Golem's
            )
        self.pid_file.write_text(f"{self._proc.pid}\n", encoding="utf-8")
        log.info("golem: started %s (pid %d)", self.name, self._proc.pid)

    def pid(self) -> int | None:
        """The running program's pid: ours, or one the last run started (its pid file,
        and a command line that runs this binary)."""
        if self._proc is not None:
            return self._proc.pid if self._proc.poll() is None else None
        import psutil  # here: every worker loads this module, few run Golem

        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").split()[0])
            cmdline = psutil.Process(pid).cmdline()
        except (OSError, ValueError, IndexError, psutil.Error):
            return None
        return pid if str(self.binary) in cmdline[:2] else None

    def running(self) -> bool:
        return self.pid() is not None

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Ctrl+C, then SIGKILL after ``wait_s``; no-op when it does not run."""
        pid = self.pid()
        if pid is not None:
            import psutil  # loaded by pid() already

            log.info("golem: stopping %s (pid %d)", self.name, pid)
            try:
                target = psutil.Process(pid)
                os.kill(pid, signal.SIGINT)
                target.wait(timeout=wait_s)
            except psutil.TimeoutExpired:
                log.warning("golem: %s ignored Ctrl+C for %.0f s; killing it", self.name, wait_s)
                target.kill()
                target.wait(timeout=5)
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass
        if self._proc is not None:
            self._proc.poll()  # reap our child
        self.pid_file.unlink(missing_ok=True)

    def tail(self, lines: int = 5) -> str:
        try:
            text = self.log_file.read_bytes()[-4096:].decode("utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line for line in text.splitlines()[-lines:] if line.strip())


def _key_from(listing: Any) -> str | None:
    """The app key yagna uses from ``yagna --json app-key list``: a list of ``{name,
    key}`` objects (the facade's KeyInfo), or a ``{headers, values}`` table."""
    rows: list[dict[str, Any]] = []
    if isinstance(listing, list):
        rows = [r for r in listing if isinstance(r, dict)]
    elif isinstance(listing, dict) and isinstance(listing.get("values"), list):
        headers = listing.get("headers") or []
        rows = [dict(zip(headers, v, strict=False)) for v in listing["values"]]
    keys = {str(r.get("name")): r.get("key") for r in rows if isinstance(r.get("key"), str)}
    for name in ("autoconfigured", "default"):
        if keys.get(name):
            return keys[name]
    return next(iter(keys.values()), None)


class GolemNode:
    """yagna and ya-provider on this machine (blocking calls; the adapter serialises)."""

    def __init__(
        self,
        binaries: Binaries,
        state_dir: Path,
        env: Mapping[str, str],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.binaries, self.env, self.sleep = binaries, dict(env), sleep
        self.yagna = NativeProcess("yagna", binaries.yagna, state_dir)
        self.provider = NativeProcess("ya-provider", binaries.provider, state_dir)

    def start_yagna(self) -> None:
        env = {**self.env, "YAGNA_AUTOCONF_APPKEY": secrets.token_urlsafe(20)}
        self.yagna.start(["service", "run"], env)

    def _cli(self, binary: Path, args: list[str], env: Mapping[str, str]) -> str:
        try:
            done = subprocess.run(  # noqa: S603 - Golem's own binary, argv list
                [str(binary), *args],
                env=dict(env),
                capture_output=True,
                timeout=CLI_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NetworkError(f"`{binary.name} {' '.join(args)}` failed: {exc}") from None
        out = done.stdout.decode("utf-8", errors="replace")
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", errors="replace").strip()[-300:]
            raise NetworkError(
                f"`{binary.name} {' '.join(args)}` exited with code {done.returncode}: {err}"
            )
        return out

    def app_key(self, timeout_s: float, poll_s: float = 0.5) -> str:
        """The key yagna answers to (it needs a moment after starting)."""
        waited, last = 0.0, ""
        while True:
            if not self.yagna.running():
                raise NetworkError(f"yagna stopped while starting: {self.yagna.tail()}")
            try:
                key = _key_from(
                    json.loads(
                        self._cli(self.binaries.yagna, ["--json", "app-key", "list"], self.env)
                    )
                )
                if key:
                    return key
                last = "it lists no app key"
            except (NetworkError, ValueError) as exc:
                last = str(exc)
            if waited >= timeout_s:
                raise NetworkError(f"yagna gave no app key within {timeout_s:.0f} s: {last}")
            self.sleep(poll_s)
            waited += poll_s

    def configure(self, node_name: str | None, account: str | None, app_key: str) -> None:
        args = ["--json", "config", "set"]
        args += ["--node-name", node_name] if node_name else []
        args += ["--account", account] if account else []
        if len(args) > 3:
            self._cli(self.binaries.provider, args, {**self.env, "YAGNA_APPKEY": app_key})

    def start_provider(self, app_key: str, market: str) -> None:
        network = PAYMENT_NETWORKS[market]
        env = {**self.env, "YAGNA_APPKEY": app_key}
        self.provider.start(["run", "--payment-network", network], env)

    def pids(self) -> set[int]:
        return {p for p in (self.yagna.pid(), self.provider.pid()) if p is not None}
