"""``ast.parse`` for the tests that read source files, tried again on one CPython 3.11 fault.

Why: CPython 3.11's AST constructor keeps its recursion depth in state that threads share.
When another thread compiles at the same moment (a test's leftover thread importing a
module, or making a dataclass, whose methods are compiled from source), ``ast.parse`` can
fail with "SystemError: AST constructor recursion depth mismatch". CI saw this once in
test_no_wall_clock, on 3.11.7. Parsing is pure, so trying again is the right answer.
"""

from __future__ import annotations

import ast

ATTEMPTS = 5


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return ast.parse(source, filename)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == ATTEMPTS:
                raise
    raise AssertionError("not reached")
