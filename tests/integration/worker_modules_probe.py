"""``rigpilot worker`` in this process, which writes the modules it has loaded when asked.

Run by ``test_worker_lean.py``: ``python worker_modules_probe.py ASK ANSWER WORKER-ARGS...``.
Once the file ASK exists, the names of every loaded module are written to ANSWER, one a
line (a helper thread watches for ASK; the worker itself is untouched and runs as
``python -m desktop worker`` does).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from desktop.__main__ import main


def _answer_when_asked(ask: Path, answer: Path) -> None:
    while not ask.exists():
        time.sleep(0.05)
    loaded = "\n".join(sorted(sys.modules))
    partial = answer.with_name(answer.name + ".part")
    partial.write_text(loaded)
    partial.replace(answer)  # the test never reads half a list


if __name__ == "__main__":
    ask, answer = Path(sys.argv[1]), Path(sys.argv[2])
    threading.Thread(target=_answer_when_asked, args=(ask, answer), daemon=True).start()
    sys.exit(main(["worker", *sys.argv[3:]]))
