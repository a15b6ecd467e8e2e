"""The fleet's two secrets, in the OS keyring: the exporter's bearer token, the ntfy topic.

Why the keyring: the token opens the rig's metrics to whoever holds it, and an ntfy topic
is a password by design ("there is no sign-up, the topic is essentially a password"), so
neither belongs in settings.json. Both go through desktop/secrets.py, which refuses a
missing, failing or plaintext keyring with the way to get one. They are read once at start
and kept in memory (a keyring read is a D-Bus round trip), and replaced through the API.

Which of the two are kept is noted, by name only, in ``fleet-secrets.json`` in the data
folder: a worker whose user never set either does not open the keyring at all (loading
the Secret Service client costs about 10 MB and a tenth of a second of CPU, more than the
rest of an idle worker's start; issue 18). Both are only ever set through the worker's API
(``/exporter/token``, ``/alerts/ntfy``), which keeps the note.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from pathlib import Path

from desktop.atomic import atomic_write
from desktop.secrets import SecretStore

log = logging.getLogger(__name__)

OWNER = "rigpilot"  # the keyring entries are "rigpilot:metrics_token" and "rigpilot:ntfy_topic"
TOKEN_FIELD = "metrics_token"
TOPIC_FIELD = "ntfy_topic"
TOPIC_RE = re.compile(r"[-_A-Za-z0-9]{1,64}")
TOKEN_BYTES = 32
INDEX_FILE = "fleet-secrets.json"


def topic_problem(topic: str) -> str:
    """Why ``topic`` is not an ntfy topic name ("" when it is)."""
    if TOPIC_RE.fullmatch(topic):
        return ""
    return (
        "an ntfy topic is 1 to 64 letters, digits, '-' or '_'; pick one nobody can guess "
        "(it works like a password), such as rigpilot-7f3k9q2m"
    )


class FleetSecrets:
    """The token and the topic, cached from the keyring (blocking methods: use a thread).

    ``index``: the file noting which of them are kept (module docstring); None reads both.
    """

    def __init__(self, store: SecretStore | None = None, index: Path | None = None) -> None:
        self.store = store or SecretStore()
        self.index = index
        self.metrics_token: str | None = None
        self.ntfy_topic: str | None = None

    def load(self) -> None:
        """Read the kept ones once (a keyring that cannot be read leaves them unset)."""
        kept = self._kept()
        try:
            if TOKEN_FIELD in kept:
                self.metrics_token = self.store.get(OWNER, TOKEN_FIELD) or None
            if TOPIC_FIELD in kept:
                self.ntfy_topic = self.store.get(OWNER, TOPIC_FIELD) or None
        except Exception as exc:  # noqa: BLE001 - D-Bus errors: run without them
            log.warning("fleet secrets: the keyring could not be read (%s)", type(exc).__name__)

    def _kept(self) -> set[str]:
        """The fields the index names (both without an index; none before the first set)."""
        if self.index is None:
            return {TOKEN_FIELD, TOPIC_FIELD}
        try:
            names = json.loads(self.index.read_text(encoding="utf-8")).get("kept", [])
        except FileNotFoundError:
            return set()
        except (OSError, ValueError, AttributeError) as exc:  # damaged: read both
            log.warning("fleet secrets: %s is unreadable (%s); reading both", self.index, exc)
            return {TOKEN_FIELD, TOPIC_FIELD}
        return {str(name) for name in names} if isinstance(names, list) else set()

    def _note(self) -> None:
        """Write down which are kept now (names only, never values)."""
        if self.index is None:
            return
        kept = [name for name, value in ((TOKEN_FIELD, self.metrics_token),
                                         (TOPIC_FIELD, self.ntfy_topic)) if value]  # fmt: skip
        try:
            atomic_write(self.index, json.dumps({"kept": kept}).encode(), keep_prev=False)
        except OSError as exc:  # the secret is stored; the next start reads the keyring
            log.warning("fleet secrets: could not write %s (%s)", self.index, exc)

    def token(self, rotate: bool = False) -> tuple[str, bool]:
        """The metrics token, made (or replaced, with ``rotate``) when needed; True when it
        is new. Raises desktop.secrets.KeyringUnavailable without a safe keyring."""
        if self.metrics_token is not None and not rotate:
            return self.metrics_token, False
        value = secrets.token_urlsafe(TOKEN_BYTES)
        self.store.set(OWNER, TOKEN_FIELD, value)
        self.metrics_token = value
        self._note()
        return value, True

    def set_topic(self, topic: str | None) -> None:
        """Keep (or, with None, forget) the ntfy topic. ValueError for a bad name."""
        if topic is None:
            self.store.delete(OWNER, TOPIC_FIELD)
            self.ntfy_topic = None
            self._note()
            return
        problem = topic_problem(topic)
        if problem:
            raise ValueError(problem)
        self.store.set(OWNER, TOPIC_FIELD, topic)
        self.ntfy_topic = topic
        self._note()
