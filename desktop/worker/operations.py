"""Long actions that answer at once: each runs on a thread of its own and reports by events.

Why: a graceful Nosana stop waits up to two minutes for the running job and then gives the
node a minute to leave the market; an enrollment may pull an image. A request that waited
would outlast its client (5 s) and tie up the worker. So the action starts here, the
request answers with an ``Operation`` (desktop/ipc/schema.py) naming it, and progress and
the result arrive as events: ``operation.progress`` and ``operation.finished``, each with
``data.operation`` (the id), ``data.kind`` and ``data.state``. ``get`` answers
``GET /operations/{id}``.

The action is a blocking callable given a ``progress(message)`` function; it returns the
sentence that ends it, or raises (the operation fails with the exception's sentence).
``emit`` must be safe to call from any thread (the worker's event emitter is).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable

import msgspec

from desktop.errors import NotFound
from desktop.ipc.schema import Operation, OperationState
from desktop.model import Event, Severity
from desktop.networks.base import NetworkError
from desktop.networks.spec import wall_now

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
Action = Callable[[Progress], str]
KEEP_FINISHED = 200  # finished operations remembered for ``get`` (oldest go first)


class UnknownOperation(NotFound):
    """No operation has this id (never started, or forgotten long ago)."""


class Operations:
    """The registry of long actions (see the module docstring); thread-safe."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        now: Callable[[], float] = wall_now,
        keep_finished: int = KEEP_FINISHED,
    ) -> None:
        self.emit, self.now, self.keep_finished = emit, now, keep_finished
        self._lock = threading.Lock()
        self._ops: OrderedDict[str, Operation] = OrderedDict()
        self._done: dict[str, threading.Event] = {}

    def start(self, kind: str, network: str | None, message: str, action: Action) -> Operation:
        """Start ``action`` on its own thread; the RUNNING operation, at once."""
        op = Operation(
            id=f"op-{uuid.uuid4().hex[:12]}",
            kind=kind,
            network=network,
            state=OperationState.RUNNING,
            message=message,
            started_ts=self.now(),
        )
        with self._lock:
            self._ops[op.id] = op
            self._done[op.id] = threading.Event()
        self._publish(op, "operation.progress")
        thread = threading.Thread(
            target=self._run, args=(op.id, action), name=f"op-{kind}", daemon=True
        )
        thread.start()
        return op

    def get(self, op_id: str) -> Operation:
        with self._lock:
            op = self._ops.get(op_id)
        if op is None:
            raise UnknownOperation(
                f"There is no operation {op_id!r}: it never started here, or finished long "
                "ago (the worker remembers the last ones only)."
            )
        return op

    def running(self, network: str) -> Operation | None:
        """The operation still running on ``network``, if any."""
        with self._lock:
            for op in reversed(self._ops.values()):
                if op.network == network and op.state is OperationState.RUNNING:
                    return op
        return None

    def wait(self, op_id: str, timeout_s: float | None = None) -> Operation:
        """Block until the operation ends (or the timeout); its state then."""
        with self._lock:
            done = self._done.get(op_id)
        if done is not None:
            done.wait(timeout_s)
        return self.get(op_id)

    def unfinished(self) -> list[Operation]:
        with self._lock:
            return [op for op in self._ops.values() if op.state is OperationState.RUNNING]

    # --- the thread's side ---------------------------------------------------------------------

    def _run(self, op_id: str, action: Action) -> None:
        try:
            message = action(lambda text: self._progress(op_id, text))
            state, severity = OperationState.SUCCEEDED, Severity.INFO
        except NetworkError as exc:  # a refusal or failure the network layer explained
            message, state, severity = str(exc), OperationState.FAILED, Severity.ERROR
        except Exception as exc:  # a bug or an unexpected failure: say it, keep the trace
            log.exception("operation %s failed", op_id)
            message, state, severity = f"It failed: {exc}", OperationState.FAILED, Severity.ERROR
        op = self._update(op_id, state=state, message=message, ended_ts=self.now())
        self._publish(op, "operation.finished", severity)
        with self._lock:
            self._ops.move_to_end(op_id)  # the oldest finished are forgotten first
            self._done.pop(op_id).set()
            self._forget_old()

    def _progress(self, op_id: str, message: str) -> None:
        self._publish(self._update(op_id, message=message), "operation.progress")

    def _update(self, op_id: str, **changes: object) -> Operation:
        with self._lock:
            op = msgspec.structs.replace(self._ops[op_id], **changes)
            self._ops[op_id] = op
        return op

    def _forget_old(self) -> None:
        finished = [k for k, op in self._ops.items() if op.state is not OperationState.RUNNING]
        for op_id in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._ops[op_id]

    def _publish(self, op: Operation, kind: str, severity: Severity = Severity.INFO) -> None:
        data = {"operation": op.id, "kind": op.kind, "state": str(op.state)}
        try:
            self.emit(Event(self.now(), kind, severity, op.message, network=op.network, data=data))
        except Exception:  # the event bus is gone (the worker is stopping)
            log.warning("operation %s: %s (not published: %s)", op.id, op.message, kind)
