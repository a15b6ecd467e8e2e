"""Settings: schema validation, whole-patch refusal, cross-field rules, crash-safe files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from desktop import atomic
from desktop.settings import (
    DEFAULTS,
    FIELDS,
    Settings,
    SettingsError,
    SettingsSaveError,
    SettingsStore,
    parse_cli_value,
    schema_json,
)


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "settings.json")


def refused(store: SettingsStore, changes: dict[str, Any], **kw: Any) -> SettingsError:
    before = store.path.read_bytes() if store.path.exists() else None
    old = store.current
    with pytest.raises(SettingsError) as info:
        store.patch(changes, **kw)
    assert store.current == old  # the old settings stay in force...
    assert (store.path.read_bytes() if store.path.exists() else None) == before  # ...file untouched
    return info.value


def test_missing_file_gives_defaults_quietly(store: SettingsStore) -> None:
    settings = store.load()
    assert settings.to_json() == DEFAULTS and store.warnings == []
    assert (
        settings.get("sampling.interval_s") == 1 and settings.get("thermal.pause_limit_c") is None
    )
    with pytest.raises(KeyError):
        settings.get("no.such.key")
    assert settings.get("no.such.key", 5) == 5


def test_settings_are_immutable(store: SettingsStore) -> None:
    settings = store.patch({"gaming.games": ["eldenring.exe"]})
    settings.get("gaming.games").append("mutated")
    settings.to_json()["gaming.games"].append("mutated")
    assert settings["gaming.games"] == ["eldenring.exe"]


def test_valid_patch_is_saved_and_reloaded(store: SettingsStore) -> None:
    new = store.patch({"thermal.pause_limit_c": 84, "thermal.resume_limit_c": 70.5,
                       "electricity.currency": "eur", "ui.theme": "dark"})  # fmt: skip
    assert new.get("electricity.currency") == "EUR"
    assert new.diff(Settings()) == ["thermal.pause_limit_c", "thermal.resume_limit_c",
                                    "electricity.currency", "ui.theme"]  # fmt: skip
    assert json.loads(store.path.read_text())["version"] == 1
    assert SettingsStore(store.path).load() == new


def test_bad_value_is_refused_with_field_and_range(store: SettingsStore) -> None:
    err = refused(store, {"thermal.pause_limit_c": "hot"})
    assert err.field == "thermal.pause_limit_c"
    assert err.message == ("thermal.pause_limit_c must be a number from 55 to 100 °C, "
                           "or null to derive it from the card (got 'hot')")  # fmt: skip
    assert err.allowed.startswith("a number from 55 to 100 °C")
    assert err.to_json()["code"] == "invalid_setting"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("electricity.price_per_kwh", -0.1, "from 0 to 5 per kWh (got -0.1)"),
        ("sampling.interval_s", True, "from 1 to 5 s (got true)"),
        ("sampling.interval_s", float("nan"), "(got NaN)"),
        ("sampling.interval_s", None, "from 1 to 5 s (got null)"),
        ("gaming.enabled", "yes", "must be true or false (got 'yes')"),
        ("ui.theme", "blue", "one of system, dark, light (got 'blue')"),
        ("electricity.currency", "dollars", "3-letter currency code"),
        ("gaming.games", "doom.exe", "a list of up to 200 program names"),
        ("gaming.games", ["ok.exe", ""], "item 2 is ''"),
        ("gaming.games", ["x"] * 201, "got 201 items"),
        ("gaming.games", ["a" * 101], "each 1 to 100 characters"),
        (
            "schedule.windows",
            [{"days": [0], "start": "25:00", "end": "06:00"}],
            "window 1: start must be a time",
        ),
        (
            "schedule.windows",
            [{"days": [7], "start": "01:00", "end": "06:00"}],
            "days must be a non-empty list",
        ),
        ("schedule.windows", [{"days": [1], "start": "01:00", "end": "01:00"}], "the same time"),
        ("schedule.windows", [{"days": [1], "start": "01:00"}], 'exactly the keys "days"'),
        ("thermal.cooldown_s", 10, "from 30 to 3600 s"),
    ],
)
def test_each_kind_of_bad_value(store: SettingsStore, key: str, value: Any, fragment: str) -> None:
    err = refused(store, {key: value})
    assert err.field == key and fragment in err.message, err.message


def test_patch_is_refused_whole_with_every_problem(store: SettingsStore) -> None:
    err = refused(store, {"ui.theme": "dark", "thermal.pause_limit_c": 300, "autostart": "no",
                          "thermal.pause_limt_c": 80})  # fmt: skip
    assert [e.field for e in err.errors] == [
        "thermal.pause_limit_c",
        "autostart",
        "thermal.pause_limt_c",
    ]
    assert "did you mean 'thermal.pause_limit_c'" in err.errors[2].message


def test_cross_field_rules_name_the_changed_field(store: SettingsStore) -> None:
    store.patch({"thermal.pause_limit_c": 85})
    err = refused(store, {"thermal.resume_limit_c": 81})
    assert err.field == "thermal.resume_limit_c" and "more than 5 °C below" in err.message
    store.patch({"thermal.resume_limit_c": 79.5})
    err = refused(store, {"thermal.pause_limit_c": 84})
    assert err.field == "thermal.pause_limit_c"
    assert refused(store, {"thermal.soft_limit_c": 85}).field == "thermal.soft_limit_c"
    assert store.patch({"thermal.soft_limit_c": 80}).get("thermal.soft_limit_c") == 80


@pytest.mark.parametrize(
    ("windows", "overlap"),
    [
        ([("0", "08:00", "12:00"), ("0", "11:00", "13:00")], "Monday at 11:00"),
        ([("01234", "22:00", "06:00"), ("1", "05:00", "07:00")], "Tuesday at 05:00"),
        (
            [("6", "23:00", "02:00"), ("0", "01:00", "03:00")],
            "Monday at 01:00",
        ),  # Sunday night wraps
        ([("0", "00:00", "24:00"), ("0", "12:00", "13:00")], "Monday at 12:00"),
        ([("0", "08:00", "12:00"), ("0", "12:00", "13:00")], None),  # touching is fine
        ([("06", "22:00", "06:00"), ("12345", "06:00", "22:00")], None),
    ],
)
def test_schedule_windows_must_not_overlap(
    store: SettingsStore, windows: list[tuple[str, str, str]], overlap: str | None
) -> None:
    value = [{"days": [int(d) for d in days], "start": s, "end": e} for days, s, e in windows]
    if overlap is None:
        assert store.patch({"schedule.windows": value}).get("schedule.windows") == value
    else:
        err = refused(store, {"schedule.windows": value})
        assert err.field == "schedule.windows" and err.message.endswith(overlap)


def test_extra_validators_refuse_against_the_card(store: SettingsStore) -> None:
    def card(settings: Settings) -> list[tuple[str, str, str]]:
        pause = settings.get("thermal.pause_limit_c")
        if pause is not None and pause >= 90:
            return [
                (
                    "thermal.pause_limit_c",
                    f"must be below this card's slowdown, 90 °C (got {pause})",
                    "55 to 89 °C",
                )
            ]
        return []

    err = refused(store, {"thermal.pause_limit_c": 95}, extra_validators=[card])
    assert (err.field, err.allowed) == ("thermal.pause_limit_c", "55 to 89 °C")
    assert (
        store.patch({"thermal.pause_limit_c": 88}, extra_validators=[card]).get(
            "thermal.pause_limit_c"
        )
        == 88
    )


def test_damaged_file_falls_back_to_prev_then_defaults(
    store: SettingsStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.patch({"autostart": True})
    store.patch({"autostart": True, "ui.theme": "light"})
    store.path.write_text('{"version": 1, "settings": {"ui.th')
    with caplog.at_level(logging.WARNING):
        settings = SettingsStore(store.path).load()
    assert settings.get("autostart") is True and settings.get("ui.theme") == "system"
    assert "settings.json is damaged" in caplog.text
    atomic.prev_path(store.path).write_bytes(b"\xff\xfe garbage")
    fresh = SettingsStore(store.path)
    assert fresh.load() == Settings()
    assert fresh.warnings[-1] == "using the default settings"


def test_patch_after_a_damaged_load_keeps_the_good_prev(store: SettingsStore) -> None:
    store.patch({"gaming.idle_only": True})
    store.patch({"gaming.idle_only": True, "autostart": True})
    store.path.write_text("{")
    again = SettingsStore(store.path)
    assert again.load().get("gaming.idle_only") is True
    again.patch({"ui.theme": "dark"})
    prev = json.loads(atomic.prev_path(store.path).read_text())
    assert prev["settings"]["gaming.idle_only"] is True  # not the damaged "{"


def test_bad_values_unknown_keys_and_rule_breaks_in_the_file(store: SettingsStore) -> None:
    store.path.write_text(json.dumps({"version": 1, "settings": {
        "sampling.interval_s": 99, "ui.theme": "dark", "made.up": 1,
        "thermal.pause_limit_c": 80, "thermal.resume_limit_c": 78,
    }}))  # fmt: skip
    settings = store.load()
    assert settings.get("sampling.interval_s") == 1 and settings.get("ui.theme") == "dark"
    assert (
        settings.get("thermal.pause_limit_c") == 80
        and settings.get("thermal.resume_limit_c") is None
    )
    assert any("unknown setting 'made.up'" in w for w in store.warnings)
    assert any("sampling.interval_s must be" in w for w in store.warnings)


def test_nested_and_versionless_files_are_understood(store: SettingsStore) -> None:
    store.path.write_text(json.dumps({"thermal": {"cooldown_s": 300}, "autostart": True}))
    settings = store.load()
    assert settings.get("thermal.cooldown_s") == 300 and settings.get("autostart") is True


def test_failure_between_write_and_replace_keeps_old_settings(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = store.patch({"electricity.price_per_kwh": 0.3})
    before = store.path.read_bytes()

    def crash(target: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic, "_keep_prev", crash)
    with pytest.raises(SettingsSaveError, match="could not save"):
        store.patch({"electricity.price_per_kwh": 0.4})
    assert store.current == old and store.path.read_bytes() == before
    assert SettingsStore(store.path).load() == old
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["settings.json"]


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("thermal.pause_limit_c", "85", 85),
        ("thermal.pause_limit_c", "84.5", 84.5),
        ("thermal.pause_limit_c", "null", None),
        ("thermal.pause_limit_c", "auto", None),
        ("thermal.pause_limit_c", "hot", "hot"),
        ("autostart", "yes", True),
        ("autostart", "Off", False),
        ("autostart", "maybe", "maybe"),
        ("gaming.games", '["a.exe", "b b.exe"]', ["a.exe", "b b.exe"]),
        ("gaming.games", "a.exe, b.exe", ["a.exe", "b.exe"]),
        (
            "schedule.windows",
            '[{"days": [0], "start": "01:00", "end": "02:00"}]',
            [{"days": [0], "start": "01:00", "end": "02:00"}],
        ),
        ("ui.theme", "dark", "dark"),
        ("ui.theme", '"dark"', "dark"),
    ],
)
def test_parse_cli_value(key: str, text: str, value: Any) -> None:
    assert parse_cli_value(key, text) == value


def test_cli_text_gets_the_same_messages(store: SettingsStore) -> None:
    err = refused(store, {"thermal.pause_limit_c": parse_cli_value("thermal.pause_limit_c", "hot")})
    assert err.message.endswith("(got 'hot')")
    with pytest.raises(SettingsError, match="unknown setting 'ui.them'; did you mean 'ui.theme'"):
        parse_cli_value("ui.them", "dark")


def test_schema_json_describes_every_field() -> None:
    schema = schema_json()
    assert set(schema) == set(FIELDS)
    pause = schema["thermal.pause_limit_c"]
    assert (pause["type"], pause["min"], pause["max"], pause["nullable"], pause["default"]) == (
        "number",
        55,
        100,
        True,
        None,
    )
    assert schema["ui.theme"]["choices"] == ["system", "dark", "light"]
    assert all(field["help"].endswith(".") for field in schema.values())
    json.dumps(schema)


@pytest.mark.parametrize("text", ["1e400", "9" * 400, "inf", "-inf", "nan"])
def test_absurd_numbers_are_refused_not_crashed_on(store: SettingsStore, text: str) -> None:
    err = refused(store, {"sampling.interval_s": parse_cli_value("sampling.interval_s", text)})
    assert err.field == "sampling.interval_s" and "from 1 to 5 s" in err.message


def test_allowed_local_images(store: SettingsStore) -> None:
    key = "jobs.allowed_local_images"
    text = "busybox:1.36, registry.local:5000/tools/probe:v2"
    value = parse_cli_value(key, text)
    assert store.patch({key: value}).get(key) == [
        "busybox:1.36",
        "registry.local:5000/tools/probe:v2",
    ]
    err = refused(store, {key: ["ok:1", "rm -rf /"]})
    assert err.field == key and "item 2 is 'rm -rf /', not an image name" in err.message
