"""The writer that tests/integration/test_ledger_crash.py kills again and again.

It plays a scripted marketplace: payout ``i`` has the key ``demo:job<i // 4>:<i % 4>`` and
a known amount. It prints ``READY`` once the ledger is open. For each payout it records
the earning and, only after the commit returned, prints ``E <key>``: that line
is the acknowledgement the parent trusts. Every fourth payout also records the job's
RUNNING transition first and prints ``T <job_id>``. Started at index N, it resumes the
script there, which re-sends payouts the parent never saw acknowledged.

Two ways to run it:

* ``python ledger_crash_writer.py LEDGER START``: one writer, until killed (or 30 s).
* ``python ledger_crash_writer.py --serve LEDGER``: a launcher that imports everything
  once, then forks one writer per ``RUN <start>`` line on stdin, prints ``PID <pid>``
  before the writer may start, and on ``WAIT`` reaps it and prints ``DEAD <pid>
  <signal>``. Forking skips the interpreter start, so 200 kills fit in a short test on a
  busy 2-core machine. The launcher never opens the ledger itself: every connection is
  made in the child that gets killed.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from decimal import Decimal

from desktop.ledger import Ledger
from desktop.model import JobRecord, JobState, Money

GIVE_UP_S = 30.0  # the parent kills us long before; never outlive a broken parent


def payout(i: int) -> tuple[str, str, Decimal]:
    """The scripted source: (job_id, idempotency key, amount) of payout ``i``."""
    job_id = f"job{i // 4}"
    return job_id, f"demo:{job_id}:{i % 4}", Decimal(i) / 100 + Decimal("0.001")


def say(line: str) -> None:
    """One line in ONE write(2): a pipe write this small is atomic, so a kill can never
    leave half an acknowledgement (print() may split the text and its newline)."""
    os.write(sys.stdout.fileno(), line.encode() + b"\n")


def write(path: str, start: int) -> None:
    ledger = Ledger.open(path)
    say("READY")
    deadline = time.monotonic() + GIVE_UP_S
    i = start
    while time.monotonic() < deadline:
        job_id, key, amount = payout(i)
        if i % 4 == 0:
            job = JobRecord(job_id, "demo", "busybox@sha256:00", JobState.QUEUED, None, float(i))
            ledger.upsert_job(job)
            ledger.transition(job_id, JobState.RUNNING, float(i), "started", seq=1)
            say(f"T {job_id}")
        ledger.record_earning(key, "demo", "job", Money(amount, "DEMO"), float(i), job_id=job_id)
        say(f"E {key}")
        i += 1


def serve(path: str) -> int:
    child = 0
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "RUN":
            gate_r, gate_w = os.pipe()
            child = os.fork()
            if child == 0:
                status = 0
                try:
                    os.close(gate_w)
                    os.read(gate_r, 1)  # wait until the parent knows our pid
                    write(path, int(arg))
                except BaseException:
                    traceback.print_exc()
                    status = 1
                finally:
                    os._exit(status)
            os.close(gate_r)
            say(f"PID {child}")
            os.write(gate_w, b"x")
            os.close(gate_w)
        elif command == "WAIT":
            _, status = os.waitpid(child, 0)
            signal_no = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            say(f"DEAD {child} {signal_no}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        sys.exit(serve(sys.argv[2]))
    write(sys.argv[1], int(sys.argv[2]))
