"""A local price API for tests: answers CoinGecko's documented ``/simple/price`` shape
(``{"<coin id>": {"<vs currency>": price}}``), or one of its failures on demand."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PRICES_USD = {"nosana": 0.5, "io-net": 2.0, "golem": 0.25, "akash-network": 3.0,
              "clore-ai": 0.02, "solana": 150.0, "usd-coin": 1.0, "tether": 1.0,
              "bitcoin": 100000.0, "ethereum": 4000.0}  # fmt: skip
FIAT = {"usd": 1.0, "eur": 0.9, "gbp": 0.8}


class PriceServer:
    """``mode``: ok | 429 | 500 | slow | garbage | not_object | partial."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = parse_qs(url.query)
                outer.requests.append(query)
                if outer.mode == "slow":
                    time.sleep(12)
                if outer.mode in ("429", "500"):
                    self.send_response(int(outer.mode))
                    self.end_headers()
                    self.wfile.write(b'{"status": {"error_code": 429}}')
                    return
                if url.path != "/api/v3/simple/price":
                    self.send_response(404)
                    self.end_headers()
                    return
                body: bytes
                if outer.mode == "garbage":
                    body = b"<html>not json"
                elif outer.mode == "not_object":
                    body = b"[1, 2, 3]"
                else:
                    ids = query.get("ids", [""])[0].split(",")
                    vs = query.get("vs_currencies", [""])[0].split(",")
                    data = {
                        coin: {c: PRICES_USD[coin] * FIAT[c] for c in vs if c in FIAT}
                        for coin in ids
                        if coin in PRICES_USD
                    }
                    if outer.mode == "partial":
                        data = {"nosana": {"usd": "NaN", "eur": -1}, "golem": {"usd": 0.25}}
                    body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v3"

    def __enter__(self) -> PriceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
