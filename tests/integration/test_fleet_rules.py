"""The alert rules pass ``promtool check rules`` and their tests (``promtool test rules``),
in which "GPU hot" fires at the card's pause limit and not 0.1 °C below it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import missing_service
from tests.integration.fleet_helpers import ROOT, RULES, RULES_TEST


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        missing_service("promtool (Debian's prometheus package)")
    return subprocess.run(["promtool", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_promtool_checks_the_rules() -> None:
    done = _promtool("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


def test_promtool_rule_tests_pass() -> None:
    done = _promtool("test", "rules", str(RULES_TEST))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


LIMIT = 'max by (instance, gpu) (rigpilot_gpu_thermal_limit_celsius{limit="pause"})'


def test_the_gpu_hot_test_catches_a_threshold_off_by_a_tenth(tmp_path: Path) -> None:
    """The rule test is not vacuous: against a rule that fires only above the limit, or
    from 0.1 °C below it, the same test fails."""
    text = RULES.read_text(encoding="utf-8")
    assert text.count(">= on (instance, gpu)") == 1 and text.count(LIMIT) == 1
    for name, broken in (
        ("above only", text.replace(">= on (instance, gpu)", "> on (instance, gpu)")),
        ("0.1 below", text.replace(LIMIT, f"({LIMIT} - 0.1)")),
    ):
        rules = tmp_path / f"{name.replace(' ', '-')}.yml"
        rules.write_text(broken, encoding="utf-8")
        test = tmp_path / f"{rules.stem}.test.yml"
        test.write_text(
            RULES_TEST.read_text(encoding="utf-8").replace(
                "../../resources/prometheus/rigpilot-rules.yml", str(rules)
            ),
            encoding="utf-8",
        )
        done = _promtool("test", "rules", str(test))
        assert done.returncode != 0, (name, done.stdout)
        assert "RigPilotGpuHot" in done.stdout + done.stderr, (name, done.stdout)
