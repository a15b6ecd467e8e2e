"""io.net's Explorer token: when it expires, and what the user is told about it.

Why a module of its own: the Explorer API takes a JWT that the user copies from the
browser's developer tools on the Explorer's Workers page; io.net says it is valid for 21
days (networks.md §2, reference/getting-started-with-your-api). Its end is read from the
token's own ``exp`` claim (the payload is plain base64url JSON; nothing is verified,
RigPilot only needs the date). A token without a readable ``exp`` is taken to end 21 days
after it was given. A week before the end the user is warned; once it has ended, or once
the API refuses it, RigPilot stops sending it (no loop of refused calls) and asks for a
new one with an ActionRequired.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from desktop.atomic import atomic_write
from desktop.networks.records import ActionRequired

log = logging.getLogger(__name__)

VALID_DAYS = 21
WARN_DAYS = 7
EXPLORER_PAGE = "https://explorer.io.net"
RENEW = "rigpilot enroll ionet, with the new token as explorer_token"
HOW_TO_GET = (
    "Open the io.net Explorer's Workers page while signed in, open the browser's developer "
    "tools (right-click, Inspect), Network tab, reload the page, click the 'devices' request "
    "and copy the value of its 'Token' request header. io.net says it is valid for 21 days."
)


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim (Unix seconds) of a JWT, or None when it has none readable."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float) or exp <= 0:
        return None
    return float(exp)


def day_of(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")


@dataclass
class ExplorerToken:
    """The token in use, when it ends, and whether the API has refused it."""

    value: str
    expires_at: float
    rejected: bool = False

    @classmethod
    def given(cls, value: str, now: float) -> ExplorerToken:
        """A token just given: its ``exp``, else 21 days from now."""
        value = value.strip()
        return cls(value, jwt_expiry(value) or now + VALID_DAYS * 86400.0)

    def usable(self, now: float) -> bool:
        return not self.rejected and now < self.expires_at

    def notice(self, now: float) -> str:
        """A sentence for the status when the token needs the user ("" when fine)."""
        if self.rejected:
            return (
                "io.net's Explorer refused your Explorer token, so earnings and reputation "
                f"are not read: paste a new one ({RENEW})."
            )
        if now >= self.expires_at:
            return (
                f"Your io.net Explorer token expired on {day_of(self.expires_at)}, so earnings "
                f"and reputation are not read: paste a new one ({RENEW})."
            )
        days = (self.expires_at - now) / 86400.0
        if days <= WARN_DAYS:
            return (
                f"Your io.net Explorer token expires on {day_of(self.expires_at)} (in "
                f"{max(1, round(days))} days): paste a new one before then ({RENEW})."
            )
        return ""

    def action(self, now: float) -> ActionRequired | None:
        """The user's step from a week before the token ends (None until then). io.net's
        worker keeps running: only the Explorer's figures need the token."""
        notice = self.notice(now)
        if not notice:
            return None
        return ActionRequired(message=f"{notice} {HOW_TO_GET}", url=EXPLORER_PAGE)


class KnownTokens:
    """Fingerprints (SHA-256) of the Explorer tokens the user's enrollments were accepted
    with, kept in the worker's data folder (never the tokens: those live in the keyring).

    Why: enrolling checks a new token with the Explorer and refuses one it rejects, so the
    user fixes it at once. When the worker starts again it enrolls with the saved token,
    which may have expired since: that must not refuse the enrollment (io.net's worker
    does not need the token and keeps earning); the status asks for a new token instead.
    A token seen before is therefore not checked again.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._seen: set[str] = set()
        if path is not None:
            try:
                self._seen = set(path.read_text(encoding="utf-8").split())
            except OSError:
                pass

    @staticmethod
    def _print(token: str) -> str:
        return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()

    def known(self, token: str) -> bool:
        return self._print(token) in self._seen

    def remember(self, token: str) -> None:
        self._seen = {self._print(token)}  # only the latest enrollment's token matters
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = "\n".join(sorted(self._seen)) + "\n"
            atomic_write(self.path, text.encode("utf-8"), keep_prev=False)
        except OSError as exc:
            log.warning("ionet: could not remember the Explorer token's fingerprint: %s", exc)
