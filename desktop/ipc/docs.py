"""Write docs/api.md from the endpoint table and the schema: ``python -m desktop.ipc.docs``.

Why generated: the endpoints, their requests, answers, bounds and errors are declared once
(desktop/ipc/endpoints.py and the schema modules); a hand-written copy drifts. The prose
that no type can say (transport, the gate's checks, what each event means, the CLI) lives
in the template ``api_template.md`` beside this module, with ``{{...}}`` slots for the
generated parts. tests/unit/ipc/test_api_docs.py fails when docs/api.md is stale:
regenerate with ``python -m desktop.ipc.docs > docs/api.md``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from importlib import resources
from typing import Any

import msgspec
from msgspec import inspect as mi

from desktop.ipc.endpoints import ENDPOINTS, Endpoint
from desktop.ipc.protocol import ERROR_STATUS
from desktop.ipc.schema import PROTOCOL_VERSION

TEMPLATE = "api_template.md"
_ATTRIBUTE = re.compile(r"^    (\w+):\s*(.*)$")


def render() -> str:
    """The whole of docs/api.md."""
    template = resources.files("desktop.ipc").joinpath(TEMPLATE).read_text(encoding="utf-8")
    slots = {
        "{{VERSION}}": str(PROTOCOL_VERSION),
        "{{ENDPOINTS}}": endpoints_table(),
        "{{ERRORS}}": errors_table(),
        "{{TYPES}}": types_section(),
    }
    for slot, text in slots.items():
        template = template.replace(slot, text)
    return template


# --- the endpoints ----------------------------------------------------------------------


def endpoints_table() -> str:
    rows = [
        "| method and path | request | answer | errors | what it does |",
        "|---|---|---|---|---|",
    ]
    for endpoint in ENDPOINTS:
        status = "" if endpoint.status == 200 else f"{endpoint.status} "
        if endpoint.may_accept:
            status = "200, or 202 while it goes on: "
        errors = ", ".join(f"`{c}`" if " " not in c else c for c in endpoint.errors) or "–"
        rows.append(
            f"| `{endpoint.method} {endpoint.path}` | {_request(endpoint)} | "
            f"{status}{_link(endpoint.answer)} | {errors} | {endpoint.summary} |"
        )
    return "\n".join(rows)


def _request(endpoint: Endpoint[Any, Any]) -> str:
    if endpoint.takes_nothing:
        return "–"
    info = mi.type_info(endpoint.request)
    if not isinstance(info, mi.StructType):
        return f"body {_type(info)}"
    fields = [f.encode_name for f in info.fields if f.encode_name not in endpoint.path_fields]
    where = "query" if endpoint.in_query else "body"
    if not fields:
        return "–"
    return f"{where} {_link(endpoint.request)}: " + ", ".join(f"`{f}`" for f in fields)


def errors_table() -> str:
    rows = ["| code | HTTP status |", "|---|---|"]
    rows += [f"| `{code}` | {status} |" for code, status in ERROR_STATUS.items()]
    return "\n".join(rows)


# --- the types ----------------------------------------------------------------------------


def types_section() -> str:
    """One section per Struct or dataclass the endpoints use, in order of first use."""
    roots = [t for e in ENDPOINTS for t in (e.request, e.answer)]
    seen: list[type] = []
    for info in mi.multi_type_info(roots):
        _collect(info, seen)
    return "\n\n".join(_type_section(cls) for cls in seen if _fields(cls))


def _collect(info: mi.Type, seen: list[type]) -> None:
    if isinstance(info, mi.StructType | mi.DataclassType):
        if info.cls in seen:
            return
        seen.append(info.cls)
        for field in info.fields:
            _collect(field.type, seen)
    elif isinstance(info, mi.UnionType):
        for member in info.types:
            _collect(member, seen)
    elif isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        _collect(info.item_type, seen)
    elif isinstance(info, mi.DictType):
        _collect(info.value_type, seen)


def _fields(cls: type) -> tuple[mi.Field, ...]:
    info = mi.type_info(cls)
    return info.fields if isinstance(info, mi.StructType | mi.DataclassType) else ()


def _type_section(cls: type) -> str:
    summary, meanings = _docstring(cls)
    lines = [f"### {cls.__name__}", ""]
    if summary:
        lines += [summary, ""]
    lines += ["| field | type | default | meaning |", "|---|---|---|---|"]
    for field in _fields(cls):
        default = "required" if field.required else _default(field)
        meaning = meanings.get(field.name, "").replace("|", "\\|")
        lines.append(f"| `{field.encode_name}` | {_type(field.type)} | {default} | {meaning} |")
    return "\n".join(lines)


def _default(field: mi.Field) -> str:
    if field.default_factory is not mi.NODEFAULT:
        return f"`{msgspec.json.encode(field.default_factory()).decode()}`"
    return f"`{msgspec.json.encode(field.default).decode()}`"


def _docstring(cls: type) -> tuple[str, dict[str, str]]:
    """The first paragraph, and each attribute's meaning from an ``Attributes:`` block."""
    text = inspect.getdoc(cls) or ""
    if cls.__doc__ is None or (dataclasses.is_dataclass(cls) and text.startswith(cls.__name__)):
        return "", {}
    paragraphs = text.split("\n\n")
    summary = " ".join(paragraphs[0].split())
    meanings: dict[str, str] = {}
    current = ""
    in_block = False
    for line in text.splitlines():
        if line.strip() == "Attributes:":
            in_block = True
            continue
        if not in_block:
            continue
        match = _ATTRIBUTE.match(line)
        if match:
            current = match.group(1)
            meanings[current] = match.group(2).strip()
        elif line.startswith("        ") and current:
            meanings[current] += " " + line.strip()
        elif line.strip():
            in_block = False
    return _wire(summary), {k: _wire(v) for k, v in meanings.items()}


def _wire(text: str) -> str:
    """Docstrings speak Python; the page speaks JSON ("None" is null)."""
    return re.sub(r"\bNone\b", "null", text).replace("``", "`")


def _link(cls: type) -> str:
    name = cls.__name__
    return f"[{name}](#{name.lower()})" if _fields(cls) else f"`{name}`"


def _type(info: mi.Type) -> str:
    """A type as the docs write it: ``int ≥ 1 ≤ 5000``, ``[Hold]``, ``str | null``."""
    if isinstance(info, mi.StructType | mi.DataclassType):
        return _link(info.cls)
    if isinstance(info, mi.EnumType):
        return " \\| ".join(f'`"{member.value}"`' for member in info.cls)
    if isinstance(info, mi.UnionType):
        return " \\| ".join(_type(t) for t in info.types)
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return f"[{_type(info.item_type)}]"
    if isinstance(info, mi.DictType):
        return f"{{{_type(info.key_type)}: {_type(info.value_type)}}}"
    words = {
        mi.IntType: "int",
        mi.FloatType: "float",
        mi.StrType: "str",
        mi.BoolType: "bool",
        mi.NoneType: "null",
        mi.AnyType: "any JSON",
        mi.DecimalType: "decimal string",
    }
    word = next((w for kind, w in words.items() if isinstance(info, kind)), type(info).__name__)
    return word + _bounds(info)


def _bounds(info: mi.Type) -> str:
    parts = []
    for name, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
        value = getattr(info, name, None)
        if value is not None:
            parts.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
    if getattr(info, "max_length", None) is not None:
        parts.append(f"≤ {info.max_length} chars")  # type: ignore[attr-defined]
    if getattr(info, "pattern", None):
        parts.append(f"matching `{info.pattern}`")  # type: ignore[attr-defined]
    return (" " + " ".join(parts)) if parts else ""


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
