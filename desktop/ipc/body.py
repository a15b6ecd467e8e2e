"""Request bodies decoded defensively: every malformed body is a 400 whose code names why.

Why not plain ``json.loads``: Python's decoder accepts things no route is ready for, and
each used to end as a 500 ``internal`` (a hostile test found them):

* nesting: a body of 100 000 ``[`` raises RecursionError inside the decoder, and a body
  900 levels deep decodes but breaks whatever walks it later;
* numbers: ``1`` followed by 400 zeros is a valid JSON integer that no float can hold
  (OverflowError in the validators), ``1e999`` decodes to infinity, and ``NaN`` and
  ``Infinity`` are not JSON at all but Python takes them;
* duplicate keys: ``{"scope": "all", "scope": "gpu"}`` silently keeps the last one, so what
  a log shows and what runs can differ;
* text: ``"\\ud800"`` decodes to a lone surrogate that cannot be written to a file or the
  ledger later.

So the body is decoded with hooks that refuse each of these, and the result is walked once
(iteratively: no recursion a hostile body could exhaust) to bound the depth and check the
text. Every refusal is an ``ApiError`` with status 400, a stable code and a sentence.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.ipc.protocol import ApiError

MAX_DEPTH = 32  # the deepest real body (a settings window in a list in an object) is 4
MAX_INT = 2**63  # integers must fit in 64 bits: ids, sequence numbers, timestamps, sizes
_SHOWN = 24  # characters of an offending number quoted in a message


def parse_json_object(raw: bytes, *, allow_empty: bool = False) -> dict[str, Any]:
    """Decode ``raw`` as one JSON object, or raise ApiError (400) naming the problem.

    Codes: ``invalid_json`` (not JSON, not UTF-8, not an object), ``json_too_deep``,
    ``number_out_of_range`` (beyond 64-bit integers or finite floats, NaN, Infinity),
    ``duplicate_key`` and ``invalid_text`` (a lone surrogate in a string or key).
    """
    if allow_empty and not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"the request body is not UTF-8 text (byte {exc.start} cannot be decoded)"
        raise ApiError("invalid_json", message, 400) from None
    try:
        data = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        message = f"the request body is not valid JSON ({where}: {exc.msg})"
        raise ApiError("invalid_json", message, 400) from None
    if not isinstance(data, dict):
        raise ApiError("invalid_json", "the request body must be a JSON object {...}", 400)
    _check_tree(data)
    return data


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 19 or abs(value := int(digits)) >= MAX_INT:
        raise _out_of_range(digits, "integers must fit in 64 bits")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _out_of_range(text, "it is beyond the largest floating-point number")
    return value


def _refuse_constant(name: str) -> Any:
    raise ApiError(
        "number_out_of_range",
        f"the request body contains {name}, which is not a JSON number; send a finite number",
        400,
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            message = (
                f"the request body repeats the key {_quote(key)} in one object; send each key once"
            )
            raise ApiError("duplicate_key", message, 400, field=_printable(key))
        result[key] = value
    return result


def _check_tree(root: Any) -> None:
    """Bound the depth and check every string, without recursion."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        message = (
            f"the request body has text with an unpaired surrogate escape "
            f"(\\u{ord(text[exc.start]):04x}); send valid Unicode"
        )
        raise ApiError("invalid_text", message, 400) from None


def _too_deep() -> ApiError:
    message = f"the request body nests objects or lists deeper than {MAX_DEPTH} levels"
    return ApiError("json_too_deep", message, 400)


def _out_of_range(text: str, why: str) -> ApiError:
    shown = text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"
    message = f"the request body has the number {shown}, which the API refuses: {why}"
    return ApiError("number_out_of_range", message, 400)


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:80]


def _quote(text: str) -> str:
    return repr(_printable(text))
