"""Widget weight: gzipped bytes of its JS and CSS, and time to interactive on the demo shop.

"Interactive" is measured in the page itself (a MutationObserver installed before any script runs):
navigation start -> the chat button is in the DOM with its click handler wired (the widget appends
it only after wiring). Then a click -> the panel is shown with its text box. A page view must not
open a WebSocket; the count of sockets opened before the click is reported.
"""

from __future__ import annotations

import gzip
import os
import statistics

from bench import common
from bench.relay import BENCH_DATABASE

WIDGET_DIR = common.REPO / "static" / "widget"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
OBSERVER = """
window.__sbw = {};
new MutationObserver(function () {
  if (!window.__sbw.button && document.querySelector('[data-switchboard="widget"] .sbw-btn')) {
    window.__sbw.button = performance.now();
  }
}).observe(document, {childList: true, subtree: true});
"""


def asset_sizes() -> list[dict]:
    rows = []
    for path in sorted(WIDGET_DIR.rglob("*")):
        if path.suffix in (".js", ".css") and path.is_file():
            raw = path.read_bytes()
            rows.append(
                {
                    "file": str(path.relative_to(common.REPO)),
                    "bytes": len(raw),
                    "gzip_bytes": len(gzip.compress(raw, compresslevel=9)),
                }
            )
    return rows


def _page_loads(url: str, loads: int) -> list[dict]:
    from playwright.sync_api import WebSocket, sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            warm = browser.new_page()  # the server's first request pays its imports: not counted
            warm.goto(url, wait_until="load")
            warm.close()
            for _ in range(loads):
                context = browser.new_context()  # a cold cache every time
                page = context.new_page()
                sockets: list[str] = []

                def record(ws: WebSocket, sockets: list[str] = sockets) -> None:
                    sockets.append(ws.url)

                page.on("websocket", record)
                page.add_init_script(OBSERVER)
                page.goto(url, wait_until="load")
                page.wait_for_function("window.__sbw.button !== undefined", timeout=10_000)
                timing = page.evaluate(
                    "({button: window.__sbw.button,"
                    " dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,"
                    " load: performance.getEntriesByType('navigation')[0].loadEventEnd})"
                )
                before_click = len(sockets)
                clicked = page.evaluate("performance.now()")
                page.click('[data-switchboard="widget"] .sbw-btn')
                page.wait_for_selector('[data-switchboard="widget"] .sbw-compose textarea', state="visible")
                shown = page.evaluate("performance.now()")
                results.append(
                    {
                        "interactive_ms": round(timing["button"], 1),
                        "dom_content_loaded_ms": round(timing["dcl"], 1),
                        "load_ms": round(timing["load"], 1),
                        "click_to_panel_ms": round(shown - clicked, 1),
                        "websockets_before_click": before_click,
                    }
                )
                context.close()
        finally:
            browser.close()
    return results


def run(sizes: common.Sizes) -> dict:
    sqlite = common.sqlite_url(f"{BENCH_DATABASE}.sqlite3")
    env = common.bench_env(sqlite, "memory", f"benchwidget{os.getpid()}")
    common.admin(env, "prepare")
    with common.servers([("config.asgi:application", env, "widget")]) as (server,):
        loads = _page_loads(f"{server.http}/", sizes.page_loads)
        served = _served(f"{server.http}/static/widget/widget.js")
    total_gzip = sum(row["gzip_bytes"] for row in asset_sizes())
    return {
        "assets": asset_sizes(),
        "total_gzip_bytes": total_gzip,
        "page_loads": loads,
        "interactive_median_ms": statistics.median(row["interactive_ms"] for row in loads),
        "click_to_panel_median_ms": statistics.median(row["click_to_panel_ms"] for row in loads),
        "websockets_on_page_view": max(row["websockets_before_click"] for row in loads),
        "served": served,
    }


def _served(url: str) -> dict:
    """What the browser actually downloads: daphne's static handler may or may not compress."""
    import httpx

    response = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    return {
        "content_encoding": response.headers.get("content-encoding", "none"),
        "transfer_bytes": len(response.content) if "content-encoding" not in response.headers else None,
        "cache_control": response.headers.get("cache-control", ""),
    }


def report(data: dict) -> str:
    assets = common.markdown_table(
        ["file", "bytes", "gzip -9 bytes"], [[a["file"], a["bytes"], a["gzip_bytes"]] for a in data["assets"]]
    )
    loads = data["page_loads"]
    summary = common.markdown_table(
        ["measure", "value"],
        [
            ["widget JS + CSS, gzipped (bytes)", data["total_gzip_bytes"]],
            [
                f"interactive (navigation -> chat button wired), median of {len(loads)} cold loads (ms)",
                data["interactive_median_ms"],
            ],
            ["click -> panel with text box shown, median (ms)", data["click_to_panel_median_ms"]],
            ["DOMContentLoaded / load, median (ms)", _medians(loads)],
            ["WebSockets opened by a page view (before any click)", data["websockets_on_page_view"]],
            [
                "widget.js as served: Content-Encoding / Cache-Control",
                f"{data['served']['content_encoding']} / {data['served']['cache_control'] or 'none'}",
            ],
        ],
    )
    return f"Demo shop (`/`) on one daphne, embedded default, headless Chromium over loopback.\n\n{assets}\n\n{summary}"


def _medians(loads: list[dict]) -> str:
    dcl = statistics.median(row["dom_content_loaded_ms"] for row in loads)
    load = statistics.median(row["load_ms"] for row in loads)
    return f"{dcl} / {load}"
