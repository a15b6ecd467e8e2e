"""Bytes and query strings to typed requests and answers, and back, with errors for people.

The server decodes each request (a query string, or a JSON body plus the fields named in
the path) into its endpoint's type; the client decodes each answer into its type. msgspec
validates while it decodes, and its terse messages ("Expected `int` <= 63 - at `$.gpu`")
are rewritten here into sentences naming the field ("'gpu' must be a whole number of at
most 63"), so that a bad request is always a 4xx that says what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import msgspec

from desktop.ipc.body import parse_json_object
from desktop.ipc.protocol import ApiError
from desktop.ipc.schema import PROTOCOL_VERSION, Answer, RequestProblem
from desktop.model import Event

T = TypeVar("T")

_ENCODER = msgspec.json.Encoder()
_PROTOCOL_PREFIX = b'{"protocol":' + str(PROTOCOL_VERSION).encode()
_AT = re.compile(r" - at `\$((?:\.\w+|\[[^\]]*\])*)`$")
_EXPECTED = re.compile(
    r"^Expected `(?P<type>[^`]+)`"
    r"(?: of length (?P<lop>[<>]=?) (?P<len>\d+))?"
    r"(?: (?P<op>[<>]=?) (?P<bound>[-\d.e+]+))?"
    r"(?: matching regex '(?P<regex>.*)')?"
    r"(?:, got `(?P<got>[^`]+)`)?$"
)
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "object": "a JSON object",
    "array": "a list",
    "null": "null",
    "decimal": "a decimal number",
}
_OP_WORDS = {">=": "of at least", "<=": "of at most", ">": "above", "<": "below"}


class RequestInvalid(Exception):
    """A request the server refuses before the worker sees it (400 or 422).

    Attributes:
        code: ``invalid_json`` (400: not JSON, not an object, trailing bytes) or
            ``invalid_request`` (422: a field of the wrong type, out of range, unknown).
        field: the field or query parameter at fault; "body" for the body as a whole.
        allowed: the choices of an enum field.
    """

    def __init__(
        self, code: str, message: str, field: str | None = None, allowed: Any = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.allowed = allowed

    @property
    def status(self) -> int:
        """422 for a field that does not fit; 400 for a body that is not a JSON object at
        all (``invalid_json``, and the defensive reader's codes: too deep, a number out of
        range, a duplicate key, a lone surrogate)."""
        return 422 if self.code == "invalid_request" else 400


# --- requests (server side) ------------------------------------------------------------


def decode_query(
    pairs: Iterable[tuple[str, str]], path: Mapping[str, str], kind: type[Any]
) -> Any:
    """A query string (and path fields) as ``kind``; empty values count as not given."""
    values: dict[str, Any] = {}
    for name, value in pairs:
        if name in values or (name in path and value != ""):
            raise RequestInvalid("invalid_request", f"'{name}' is given twice", name)
        if value != "":
            values[name] = value
    values.update(path)
    return _convert(values, kind, strict=False, where="parameter")


def decode_body(raw: bytes, path: Mapping[str, str], kind: type[Any]) -> Any:
    """A JSON body (and path fields) as ``kind``; an empty body is ``{}``.

    The bytes are read defensively first (desktop/ipc/body.py: nesting, huge numbers,
    NaN, duplicate keys and lone surrogates are each a 400 with its own code), then the
    object is converted strictly, so a wrong field is a 422 that names it."""
    try:
        data = parse_json_object(raw, allow_empty=True)
    except ApiError as exc:  # 400 with its own code; the body as a whole is at fault
        raise RequestInvalid(exc.code, exc.message, "body") from None
    for name in path:
        if name in data:
            raise RequestInvalid(
                "invalid_request", f"'{name}' comes from the path, not the body", name
            )
    return _convert({**data, **path}, kind, strict=True, where="field")


def _convert(data: dict[str, Any], kind: type[Any], *, strict: bool, where: str) -> Any:
    try:
        return msgspec.convert(data, kind, strict=strict)
    except msgspec.ValidationError as exc:
        raise _invalid(exc, kind, data, where) from None


def _malformed(exc: msgspec.DecodeError) -> str:
    detail = str(exc).removeprefix("JSON is malformed: ")
    return f"the request body is not valid JSON ({detail})"


def _invalid(
    exc: msgspec.ValidationError, kind: type[Any], given: Mapping[str, Any], where: str
) -> RequestInvalid:
    """The field and a sentence for a msgspec validation error."""
    cause = exc.__cause__
    if isinstance(cause, RequestProblem):
        return RequestInvalid("invalid_request", cause.message, cause.field)
    text = str(exc)
    at = _AT.search(text)
    path = at.group(1).lstrip(".") if at else ""
    text = text[: at.start()] if at else text
    field = path.split(".")[0].split("[")[0] or None
    unknown = re.match(r"Object contains unknown field `(.+)`$", text)
    if unknown:
        name = unknown.group(1)
        known = ", ".join(field_names(kind)) or "none"
        what = "parameter" if where == "parameter" else "field"
        plural = "parameters" if where == "parameter" else "fields"
        return RequestInvalid(
            "invalid_request", f"unknown {what} '{name}'; the {plural} are {known}", name
        )
    missing = re.match(r"Object missing required field `(.+)`$", text)
    if missing:
        name = missing.group(1)
        return RequestInvalid("invalid_request", f"'{name}' is required", name)
    if field is None:
        if text.startswith("Expected `object`"):
            return RequestInvalid("invalid_json", "the request body must be a JSON object", "body")
        return RequestInvalid("invalid_request", f"the request is not valid: {text}", "body")
    choices = enum_choices(kind, field)
    got = given.get(field) if isinstance(given, Mapping) else None
    shown = f" (got {got!r})" if isinstance(got, str) else ""
    if text.startswith("Invalid enum value") and choices:
        message = f"'{path}' must be one of {', '.join(choices)}{shown}"
        return RequestInvalid("invalid_request", message, field, choices)
    return RequestInvalid("invalid_request", f"'{path}' must be {_expected(text)}{shown}", field)


def _expected(text: str) -> str:
    """msgspec's "Expected `int | null` >= 1" as "a whole number of at least 1"."""
    match = _EXPECTED.match(text)
    if match is None:
        return text[0].lower() + text[1:] if text else "valid"
    kinds = [k.strip() for k in match.group("type").split("|") if k.strip() != "null"]
    words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds) or "null"
    if match.group("lop"):
        op = _OP_WORDS[match.group("lop")]
        words += f" {op} {match.group('len')} characters"
    if match.group("op"):
        bound = float(match.group("bound"))
        words += f" {_OP_WORDS[match.group('op')]} {bound:g}"
    if match.group("regex"):
        words += " of the form " + match.group("regex")
    return words


def field_names(kind: type[Any]) -> list[str]:
    """The fields of a Struct or dataclass type (empty for a plain dict)."""
    info = msgspec.inspect.type_info(kind)
    fields = getattr(info, "fields", ())
    return [f.encode_name for f in fields]


def enum_choices(kind: type[Any], name: str) -> list[str]:
    """The values of the enum behind field ``name`` of ``kind`` (optional or not)."""
    info = msgspec.inspect.type_info(kind)
    for field in getattr(info, "fields", ()):
        if field.encode_name != name:
            continue
        types = field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (
            field.type,
        )
        for member in types:
            if isinstance(member, msgspec.inspect.EnumType):
                return [str(e.value) for e in member.cls]
    return []


# --- answers ------------------------------------------------------------------------------


def encode_answer(answer: object) -> bytes:
    """The JSON of an answer Struct with ``"protocol"`` first; non-finite floats are null."""
    body = _ENCODER.encode(answer)
    if body == b"{}":
        return _PROTOCOL_PREFIX + b"}"
    return _PROTOCOL_PREFIX + b"," + body[1:]


def encode(value: object) -> bytes:
    """Plain JSON of any schema value (for ``--json`` output and tests)."""
    return _ENCODER.encode(value)


def to_builtins(value: object) -> Any:
    """A schema value as plain dicts, lists, strings and numbers; an answer Struct as the
    worker sent it, ``protocol`` first (what ``--json`` prints)."""
    plain = msgspec.to_builtins(value)
    if isinstance(value, Answer) and isinstance(plain, dict):
        return {"protocol": PROTOCOL_VERSION, **plain}
    return plain


class AnswerInvalid(Exception):
    """An answer that does not match its type (a worker of another version, a bug)."""


def decode_answer(raw: bytes, kind: type[Any]) -> Any:
    """An answer body as ``kind`` (unknown fields are ignored: a newer worker may add some)."""
    try:
        return msgspec.json.decode(raw, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise AnswerInvalid(str(exc)) from None


def event_data(event: Event, kind: type[T]) -> T | None:
    """An event's ``data`` as ``kind`` (e.g. ``EarnedData``); None when it is not that."""
    try:
        return msgspec.convert(event.data, kind)
    except msgspec.ValidationError:
        return None
