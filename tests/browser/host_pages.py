"""A company's website for the widget's tests: pages on a loopback port of their own (so of
another origin than supportflow's), each embedding the snippet as the README shows it."""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class HostPage:
    """One page of the site: the snippet, then the calls its own scripts make."""

    site_id: str
    server_url: str  # supportflow's
    identify: dict[str, Any] | None = None
    attributes: dict[str, Any] | None = None
    title: str = "Nimbus Mobile: plans and phones"

    def render(self) -> str:
        calls = []
        if self.identify is not None:
            calls.append(f"supportflow('identify', {json.dumps(self.identify)});")
        if self.attributes is not None:
            calls.append(f"supportflow('set', {json.dumps(self.attributes)});")
        # The page records the widget's events, so a test can read what a page would hear.
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(self.title)}</title>
<style>
  body {{ font-family: Georgia, serif; margin: 0; background: #fbf7f0; color: #222; }}
  header {{ background: #2d2a26; color: #fff; padding: 1rem 2rem; }}
  main {{ padding: 1rem 2rem; max-width: 40rem; }}
  button {{ font: inherit; }}
</style>
<script>
window.supportflow=window.supportflow||function(){{(supportflow.q=supportflow.q||[]).push(arguments)}};
window.widgetEvents = [];
for (const name of ["ready", "message", "escalated", "error"]) {{
  document.addEventListener(
    "supportflow:" + name, (e) => widgetEvents.push({{name, detail: e.detail}}));
}}
{"".join(calls)}
</script>
<script src="{self.server_url}/widget.js" data-site="{html.escape(self.site_id)}" async></script>
</head><body>
<header><h1>Nimbus Mobile</h1></header>
<main>
  <h2>Unlimited plans</h2>
  <p>Talk, text and data across the country, 5G included. Questions? Our team is one click
  away, bottom right.</p>
  <p><a href="#plans">Compare plans</a></p>
</main>
</body></html>"""


class _Pages:
    def __init__(self) -> None:
        self.pages: dict[str, HostPage] = {}


@dataclass
class HostSite:
    """A running website: `url(path)` for a page, `add(path, page)` to publish one."""

    port: int
    pages: _Pages

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, path: str, page: HostPage) -> str:
        self.pages.pages[path] = page
        return f"{self.origin}{path}"


@contextmanager
def host_site() -> Iterator[HostSite]:
    """A website on a free loopback port for the duration of the block."""
    pages = _Pages()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.pages.get(self.path.split("?")[0])
            body = (page.render() if page else "not found").encode()
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="host-site", daemon=True)
    thread.start()
    try:
        yield HostSite(server.server_address[1], pages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
