"""The validator slips a hostile test found: each one is refused now, with the field named.

Anchored patterns that took a trailing newline, a doubled digest, falsy job ids turned
into random ones, fractions truncated, numbers beyond a float, digits of other scripts.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop.jobs.spec import HostLimits, SpecRefused, parse_spec

LOCAL = "rigpilot-test/busybox:latest"
DIGEST = "sha256:" + "ab" * 32
PINNED = f"ghcr.io/example/app@{DIGEST}"
LIMITS = HostLimits(cpus=4.0, memory_mb=16000)
HUGE = 10**400  # a JSON integer no float can hold
PAY = {"amount": "0.10", "unit": "USD", "per": "job"}


def refused(**fields: Any) -> SpecRefused:
    with pytest.raises(SpecRefused) as info:
        parse_spec({"image": PINNED, **fields}, [LOCAL], LIMITS)
    return info.value


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"job_id": "abc\n"}, "job_id"),
        ({"network": "demo\n"}, "network"),
        ({"env": {"FOO\n": "x"}}, "env"),
        ({"pay": {**PAY, "unit": "USD\n"}}, "pay"),
        ({"image": PINNED + "\n"}, "image"),
        ({"image": f"ghcr.io/example/app:1.0\n@{DIGEST}"}, "image"),
    ],
)
def test_a_trailing_newline_is_refused(fields: dict[str, Any], field: str) -> None:
    assert refused(**fields).field == field


def test_a_doubled_digest_is_not_a_pin() -> None:
    assert refused(image=f"{PINNED}@{DIGEST}").code == "image_not_pinned"
    assert refused(image=f"ghcr.io/example/app@{DIGEST}x").code == "image_not_pinned"


@pytest.mark.parametrize("job_id", [0, False, "", [], {}])
def test_falsy_job_ids_are_refused_not_replaced(job_id: object) -> None:
    assert refused(job_id=job_id).code == "invalid_job_id"


def test_absent_or_null_job_id_is_named_for_you() -> None:
    for spec in ({"image": PINNED}, {"image": PINNED, "job_id": None}):
        assert parse_spec(spec, [], LIMITS).job_id.startswith("local-")


@pytest.mark.parametrize("name", ["memory_mb", "pids", "scratch_mb"])
def test_integer_fields_refuse_fractions(name: str) -> None:
    error = refused(**{name: 16.5})
    assert (error.code, error.field) == ("invalid_field", name)
    assert "whole number" in error.message


def test_a_whole_float_is_still_an_integer() -> None:
    assert parse_spec({"image": PINNED, "memory_mb": 64.0}, [], LIMITS).memory_mb == 64


@pytest.mark.parametrize("name", ["cpus", "memory_mb", "pids", "scratch_mb", "deadline_s"])
@pytest.mark.parametrize("value", [HUGE, -HUGE, float("nan"), float("inf"), float("-inf")])
def test_numbers_beyond_a_float_and_non_finite_are_refused(name: str, value: object) -> None:
    assert refused(**{name: value}).field == name


@pytest.mark.parametrize("value", [HUGE, float("nan"), float("inf")])
def test_load_profile_refuses_non_finite_steps(value: object) -> None:
    assert refused(load_profile=[{"seconds": value, "load": 0.5}]).field == "load_profile"
    assert refused(load_profile=[{"seconds": 5, "load": value}]).field == "load_profile"


@pytest.mark.parametrize(
    "amount", ["١٢", "1e5", "NaN", "Infinity", " 1", "1\n", "0x10", HUGE, float("nan"), True]
)
def test_pay_amount_takes_only_ascii_digits_or_a_finite_number(amount: object) -> None:
    assert refused(pay={**PAY, "amount": amount}).code == "invalid_pay"


def test_pay_amount_forms_that_are_fine() -> None:
    for amount in ("0.10", "12", 3, 0.5):
        spec = parse_spec({"image": PINNED, "pay": {**PAY, "amount": amount}}, [], LIMITS)
        assert spec.pay is not None and spec.pay.amount >= 0


@pytest.mark.parametrize("image", [f"ghcr.io/app:١@{DIGEST}", f"ghcr.io/app:ü@{DIGEST}"])
def test_image_tags_are_ascii(image: str) -> None:
    assert refused(image=image).code == "image_not_pinned"


def test_non_ascii_env_names_are_refused() -> None:
    assert refused(env={"FOO١": "x"}).field == "env"
