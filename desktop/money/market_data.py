"""Recorded public market data: what a GPU model fetches per hour on each network.

Why recorded: these figures come from the networks' public pages and listings, which a
worker cannot always reach (and this project's CI never can). Each record says where its
figures come from and when they were read; tests/data/<network>/market.json holds the
same records and a test keeps the two equal. A network with no record for a card says so
instead of guessing.
"""

# ruff: noqa: E501 (recorded sentences are kept whole)
from __future__ import annotations

from typing import Any

DISPLAY_NAMES = {"nosana": "Nosana", "vast": "Vast.ai", "clore": "Clore.ai", "ionet": "io.net"}

# fmt: off
RECORDS: list[dict[str, Any]] = [
    {
        "network": "nosana",
        "recorded": "2026-12-06",
        "source": "Nosana GPU markets' estimated USD per hour per GPU type (nvidia-3080, nvidia-3090, nvidia-4090 markets), as listed in a public third-party copy of the Nosana markets table on GitHub, read through a code search on the recorded date; the live figures are on dashboard.nosana.com/markets",
        "price_kind": "host pay",
        "note": "Nosana pays the host the market's USD rate per hour of a job, in NOS at the day's price.",
        "gpus": {
            "RTX 3080": {
                "usd_per_hour_low": "0.096",
                "usd_per_hour_high": "0.096"
            },
            "RTX 3090": {
                "usd_per_hour_low": "0.192",
                "usd_per_hour_high": "0.192"
            },
            "RTX 4090": {
                "usd_per_hour_low": "0.32",
                "usd_per_hour_high": "0.32"
            }
        }
    },
    {
        "network": "vast",
        "recorded": "2026-12-06",
        "source": "Vast.ai renter prices per GPU hour as published in public market write-ups (fairlane.systems 'Vast.ai' page, as of 2026-05: RTX 3090 from 0.18 interruptible; RTX 4090 0.31 interruptible to 0.45 on-demand; hacecuentas.com GPU rental calculator, 2026-06: RTX 3090 at 0.25), read on the recorded date",
        "price_kind": "renter price",
        "note": "What a renter pays per GPU hour; the host receives it less Vast.ai's fee. No RTX 3080 price was found in the recorded sources.",
        "gpus": {
            "RTX 3090": {
                "usd_per_hour_low": "0.18",
                "usd_per_hour_high": "0.25"
            },
            "RTX 4090": {
                "usd_per_hour_low": "0.31",
                "usd_per_hour_high": "0.45"
            }
        }
    },
    {
        "network": "clore",
        "recorded": "2026-12-06",
        "source": "none: Clore.ai's marketplace (api.clore.ai/v1/marketplace) lists prices per server, but no recorded listing for an RTX 3080, 3090 or 4090 was available here",
        "price_kind": "renter price",
        "note": "Record a marketplace answer to give Clore.ai estimates.",
        "gpus": {}
    },
    {
        "network": "ionet",
        "recorded": "2026-12-06",
        "source": "none: io.net publishes hire rates per device in its explorer, behind a login; no public rate table was available here",
        "price_kind": "renter price",
        "note": "",
        "gpus": {}
    }
]
# fmt: on
