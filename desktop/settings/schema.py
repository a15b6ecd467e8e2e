"""The settings schema: every key with its type, default, range and help sentence.

Why one table: the worker validates against it, the API serves it (``schema_json``) and the
GUI builds its forms from that, so a new setting is one line here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from desktop.settings.errors import SettingsError
from desktop.settings.field import Field

SCHEMA_VERSION = 1

_CARD = "to derive it from the card"
_NOCAP = "for no cap"
# fmt: off
FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("sampling.interval_s", "number", 1, "How often the GPU is read (the thermal guard "
          "acts on each reading); slower costs a little less CPU.", 1, 5, "s"),
    Field("thermal.soft_limit_c", "number", None, "Core temperature at which RigPilot eases the "
          "load (duty cycle or lower power).", 50, 95, "°C", True, _CARD),
    Field("thermal.pause_limit_c", "number", None, "Core temperature at which work pauses until "
          "the card cools down.", 55, 100, "°C", True, _CARD),
    Field("thermal.resume_limit_c", "number", None, "Work resumes only once the core is this "
          "cool; keep it well below the pause limit.", 40, 90, "°C", True, _CARD),
    Field("thermal.cooldown_s", "number", 120, "Minimum time paused after a heat pause.",
          30, 3600, "s"),
    Field("thermal.memory_pause_limit_c", "number", None, "VRAM temperature that pauses work "
          "(only where the driver reports it).", 70, 110, "°C", True, _CARD),
    Field("thermal.user_power_limit_w", "number", None, "A power cap you choose for work; "
          "RigPilot never raises the card's own limit.", 1, 1000, "W", True, _NOCAP),
    Field("gaming.enabled", "bool", True, "Stop work when one of your games starts."),
    Field("gaming.games", "names", [], "Program names that count as games, besides the ones "
          "RigPilot recognises."),
    Field("gaming.quiet_period_s", "number", 300, "How long after a game closes before work "
          "resumes.", 0, 3600, "s"),
    Field("gaming.idle_only", "bool", False, "Only work while you are away from the computer."),
    Field("gaming.idle_after_s", "number", 600, "How long without keyboard or mouse counts as "
          "away.", 60, 7200, "s"),
    Field("schedule.enabled", "bool", False, "Only work inside the schedule windows."),
    Field("schedule.windows", "windows", [], "Weekly time windows when work is allowed; an end "
          "before the start runs past midnight."),
    Field("electricity.price_per_kwh", "number", 0.15, "What you pay per kWh, to show earnings "
          "after electricity.", 0, 5, "per kWh"),
    Field("electricity.currency", "currency", "USD", "Your currency: the electricity price and "
          "every total (pay, electricity, net, ROI) are in it."),
    Field("electricity.system_overhead_w", "number", 60, "Extra power the rest of the computer "
          "draws while the GPU works.", 0, 1000, "W"),
    Field("money.price_api_url", "url", "https://api.coingecko.com/api/v3", "The public price "
          "API (CoinGecko's /simple/price shape) that turns token pay into your currency."),
    Field("money.price_refresh_min", "number", 5, "How often the worker asks the price API.",
          2, 1440, "min"),
    Field("money.manual_rates", "rates", "", "Your own rates, which win over the price API: "
          "what one unit is worth in your currency."),
    Field("roi.card_cost", "number", None, "What the card cost you, in your currency, for "
          "the payback date.", 0, 100000, "", True, "to leave ROI out"),
    Field("roi.purchase_date", "date", None, "When you bought the card (earnings since then "
          "count toward its cost).", nullable=True, null_means="to count everything earned"),
    Field("roi.resale_value", "number", None, "What you could sell the card for now.",
          0, 100000, "", True, "if unknown"),
    Field("roi.depreciation_pct_per_year", "number", None, "How much of its price the card "
          "loses each year (used when no resale value is given).", 0, 100, "%", True,
          "for none"),
    Field("estimates.utilisation_pct", "number", 70, "How much of the time a network is "
          "expected to keep the card busy, for estimates before enrolling.", 1, 100, "%"),
    Field("jobs.allowed_local_images", "images", [], "Local Docker images (not pinned by "
          "digest) that jobs may use; RigPilot never pulls them."),
    Field("networks.order", "names", [], "Your networks, best first: each GPU works for the "
          "first one that can; the next takes over while it is stopped, failing or without "
          "work, and gives the GPU back."),
    Field("networks.idle_handover_min", "number", 10, "How long a network may hold a GPU "
          "without work before the next one in your order may use it.", 0.1, 1440, "min"),
    Field("autostart", "bool", False, "Start RigPilot when you log in."),
    Field("ui.theme", "choice", "system", "Colour theme of the app.",
          choices=("system", "dark", "light")),
    Field("notifications.enabled", "bool", True, "Show desktop notifications for pauses, "
          "errors and earnings."),
    Field("metrics.listen", "address", None, "Serve Prometheus metrics at this address, such "
          "as 127.0.0.1:9835; beyond this computer only with a token (`rigpilot metrics "
          "token`). See docs/fleet.md.", nullable=True, null_means="to serve no metrics"),
    Field("alerts.webhook_url", "url", None, "Post each alert as JSON to this web address "
          "(your own webhook).", nullable=True, null_means="for no webhook"),
    Field("alerts.ntfy_server", "url", "https://ntfy.sh", "The ntfy server that pushes alerts "
          "to your phone; the topic stays in your keyring (`rigpilot alerts ntfy`)."),
    Field("alerts.network_failing_min", "number", 10, "Alert when an enrolled network has "
          "been failing this long.", 1, 1440, "min"),
    Field("alerts.repeat_after_min", "number", 60, "The same alert (same kind, same GPU or "
          "network) is sent again only after this long.", 1, 1440, "min"),
    Field("network.speed_test_url", "url", "https://speed.cloudflare.com", "The server "
          "`rigpilot doctor` measures the internet speed against (Cloudflare's speed-test "
          "paths: /__down, /__up, /cdn-cgi/trace)."),
)}
# fmt: on
DEFAULTS: dict[str, Any] = {key: f.default for key, f in FIELDS.items()}


def unknown_key_error(key: str) -> SettingsError:
    import difflib  # only for a mistyped key: not on every worker's start

    close = difflib.get_close_matches(key, FIELDS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return SettingsError(key, f"unknown setting {key!r}{hint}", ", ".join(FIELDS))


def schema_json() -> dict[str, Any]:
    """The schema for the API and the GUI's forms: {key: {type, default, min, max, ...}}."""
    return {k: f.schema() for k, f in FIELDS.items()}
