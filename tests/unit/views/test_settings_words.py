"""Settings in the window's words: "Pause at … or Auto", and "Auto (80 °C for this card)"."""

from __future__ import annotations

import msgspec

from desktop.ipc.schema_data import SettingSpec
from desktop.settings.schema import FIELDS
from desktop.views.settings_words import allowed_words, auto_label, auto_values, refusal_words
from tests import api_samples as sample


def spec(key: str) -> SettingSpec:
    """The schema entry the worker sends for ``key`` (the real schema, not a copy)."""
    field = FIELDS[key]
    return SettingSpec(
        type="number" if field.kind == "number" else "string",
        default=field.default,
        min=field.minimum,
        max=field.maximum,
        choices=None,
        nullable=field.nullable,
        unit=field.unit,
        help=field.help,
        allowed=field.allowed(),
    )


def test_null_is_the_auto_box_in_the_rule_and_in_a_refusal() -> None:
    pause = spec("thermal.pause_limit_c")
    assert "or null" in pause.allowed  # the worker's (and the CLI's) words
    assert allowed_words(pause, "Auto") == "a number from 55 to 100 °C, or Auto"
    refused = FIELDS["thermal.pause_limit_c"].error(200).message
    assert refused.startswith("thermal.pause_limit_c must be")
    words = refusal_words(refused, "thermal.pause_limit_c", "Pause at", pause, "Auto")
    assert words == "Pause at must be a number from 55 to 100 °C, or Auto (got 200)"
    cap = spec("thermal.user_power_limit_w")
    assert allowed_words(cap, "No cap").endswith(", or No cap")


def test_fields_without_null_keep_their_rule() -> None:
    price = spec("electricity.price_per_kwh")
    assert allowed_words(price, "") == price.allowed
    assert refusal_words("price must be …", "x", "Price", price, "") == "price must be …"


def test_auto_says_the_limit_in_force_for_the_card() -> None:
    status = sample.status()  # one warm card; the guard's pause limit 85 °C
    assert auto_values("thermal.pause_limit_c", status) == [85.0]
    assert auto_label([85.0], "°C") == "Auto (85 °C for this card)"
    two = sample.status(gpus=[sample.gpu(), sample.gpu(1)])
    assert auto_label(auto_values("thermal.soft_limit_c", two), "°C") == (
        "Auto (80 °C for these cards)"
    )
    assert auto_label([80.0, 83.0], "°C") == "Auto (80 to 83 °C, by card)"
    assert auto_label([], "°C") == "Auto (from the card)"
    assert auto_values("thermal.memory_pause_limit_c", status) == []  # not reported
    assert auto_values("electricity.price_per_kwh", status) == []


def test_the_vram_limit_is_there_when_the_card_reports_it() -> None:
    limits = msgspec.structs.replace(sample.limits(), mem_pause_c=100.0)
    thermal = msgspec.structs.replace(
        sample.thermal(), limits=limits, vram_temperature_reported=True
    )
    status = sample.status(gpus=[sample.gpu(thermal=thermal)])
    assert auto_label(auto_values("thermal.memory_pause_limit_c", status), "°C") == (
        "Auto (100 °C for this card)"
    )
