"""Hypothesis strategies for hostile JSON, written out by hand so that it can be malformed.

``json.dumps`` cannot write duplicate keys, integers past ``int``'s 4300-digit limit, nesting
deeper than the recursion limit or NaN in the places we want, so values are built from a
few wrapper types and serialised by ``dump``. The leaves are what broke validators before:
huge and non-finite numbers, control characters, digits of other scripts, trailing
newlines, lone surrogates, wrong types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


class Pairs(list[tuple[str, Any]]):
    """A JSON object as written: keys in order, duplicates allowed."""


@dataclass(frozen=True)
class Raw:
    """Text written as is: a number no float or int() would round-trip."""

    text: str


@dataclass(frozen=True)
class Deep:
    """``inner`` wrapped in ``levels`` lists."""

    levels: int
    inner: Any


def dump(value: Any) -> str:
    """Serialise a value built from these strategies (iterative for the deep part)."""
    if isinstance(value, Deep):
        return "[" * value.levels + dump(value.inner) + "]" * value.levels
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs | dict):
        items = value if isinstance(value, Pairs) else list(value.items())
        return "{" + ",".join(f"{_key(k)}:{dump(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)  # NaN and Infinity come out as the non-JSON words, on purpose


def _key(key: str) -> str:
    return json.dumps(key)


HOSTILE_TEXT = [
    "",
    " ",
    "abc\n",
    "demo\n",
    "\n",
    "a\x00b",
    "\x1b[31mred",
    "tab\there",
    "٣",
    "١٢٣",
    "²",
    "๕",
    "１２",
    "NaN",
    "Infinity",
    "-1",
    "1e400",
    "9" * 30,
    "../../etc/passwd",
    "a/b",
    "%2F",
    "\ud800",
    "x\udfff",
    "\u202e",
    "ok-id",
    "x" * 300,
    "all",
    "gpu",
    "network",
    "USD",
]
RAW_NUMBERS = [
    "1" + "0" * 400,
    "-" + "9" * 400,
    "1" + "0" * 5000,
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e-400",
    "-0",
    "18446744073709551616",
]

hostile_text = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=12)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
    st.sampled_from(RAW_NUMBERS).map(Raw),
)


def objects(keys: st.SearchStrategy[str], values: st.SearchStrategy[Any]) -> Any:
    """JSON objects over ``keys``, sometimes with the first key repeated at the end."""
    pairs = st.lists(st.tuples(keys, values), max_size=5)
    return st.one_of(
        pairs.map(Pairs),
        pairs.filter(bool).map(lambda p: Pairs([*p, (p[0][0], p[-1][1])])),
    )


def json_values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Any JSON-ish value: nested lists and objects of hostile leaves, or a deep tower."""
    nested = st.recursive(
        leaves,
        lambda kids: st.lists(kids, max_size=4) | objects(keys, kids),
        max_leaves=12,
    )
    return nested | st.builds(Deep, st.integers(20, 3000), nested)


def bodies(keys: st.SearchStrategy[str], base: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Request bodies: hostile objects over ``keys``, ``base`` with one field made hostile,
    any hostile value at all, or bytes that are not JSON."""
    values = json_values(keys)

    def mutate(field: str, value: Any) -> Pairs:
        return Pairs([*((k, v) for k, v in base.items() if k != field), (field, value)])

    as_bytes: st.SearchStrategy[bytes] = st.one_of(
        objects(keys, values).map(dump),
        st.builds(mutate, keys, values).map(dump),
        values.map(dump),
        st.just("{}"),
    ).map(lambda text: text.encode("utf-8", "surrogatepass"))
    return as_bytes | st.binary(max_size=40)
