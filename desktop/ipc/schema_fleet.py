"""The local API's contract for what goes beyond this rig: the Prometheus exporter and the
alerts to ntfy or a webhook (docs/fleet.md).

Why apart: these answers are read by ``rigpilot metrics``, ``rigpilot alerts`` and the
app's settings page, and hold no GPU or network record of their own. Secrets travel one
way: the metrics token is handed out (to be pasted into Prometheus's configuration), the
ntfy topic only goes in; no answer ever carries the topic.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from desktop.ipc.schema import Answer

NTFY_TOPIC = r"\A[-_A-Za-z0-9]{1,64}\Z"


class ExporterAnswer(Answer, kw_only=True, frozen=True):
    """``GET /exporter``: the Prometheus exporter now.

    Attributes:
        listen: the ``metrics.listen`` setting (None: off).
        serving: where it listens now; None while off or when it could not start.
        url: what Prometheus scrapes (with the port really bound).
        token_set: a bearer token is in the keyring.
        token_required: scrapes must carry it (listening beyond loopback).
        problem: why it is not serving what the setting asks, with the way out.
    """

    listen: str | None
    serving: str | None
    url: str | None
    token_set: bool
    token_required: bool
    problem: str | None
    scrapes: int
    refused: int
    last_scrape_ts: float | None


class TokenRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``POST /exporter/token``: the bearer token, made when there is none.

    Attributes:
        rotate: replace it with a new one (Prometheus then needs the new one).
    """

    rotate: bool = False


class TokenAnswer(Answer, kw_only=True, frozen=True):
    """The bearer token Prometheus must send (``authorization: credentials_file``).

    Attributes:
        new: it was made by this request (a rotation, or the first one).
    """

    token: str
    new: bool


class AlertDelivery(msgspec.Struct, kw_only=True, frozen=True):
    """One alert's attempt at one destination (the topic is never shown)."""

    ts: float
    kind: str
    title: str
    destination: str
    ok: bool
    detail: str


class AlertsAnswer(Answer, kw_only=True, frozen=True):
    """``GET /alerts``: where alerts go, and the last ones sent.

    Attributes:
        destinations: where an alert would go now, in words.
        held_back: alerts the rate limit kept back since the worker started.
        recent: the last deliveries, oldest first.
    """

    ntfy_server: str
    ntfy_topic_set: bool
    webhook_url: str | None
    network_failing_min: float
    repeat_after_min: float
    destinations: list[str]
    held_back: int
    recent: list[AlertDelivery]


class TopicRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``POST /alerts/ntfy``: keep the ntfy topic in the keyring, or (null) forget it.

    Attributes:
        topic: 1 to 64 letters, digits, '-' or '_'; whoever knows it reads the alerts,
            so pick one nobody can guess.
    """

    topic: Annotated[str, msgspec.Meta(pattern=NTFY_TOPIC)] | None


class AlertTestAnswer(Answer, kw_only=True, frozen=True):
    """``POST /alerts/test``: what each destination answered to a test alert."""

    deliveries: list[AlertDelivery]
