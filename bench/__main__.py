"""``python -m bench [relay|burst|connections|webhooks|widget|kb|search|preshot|all] [--smoke] [--json PATH]``.

Each scenario prints its figures, appends a dated section to docs/benchmarks.md (unless --no-docs),
and with --json writes everything it measured, for the smoke test and for later comparison.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench import common

SCENARIOS = {
    "relay": ("bench.relay", "Relay: Switchboard against the bare Channels floor"),
    "burst": ("bench.burst", "Assignment burst"),
    "connections": ("bench.connections", "Concurrent widget connections"),
    "webhooks": ("bench.webhooks", "Webhook ingestion"),
    "widget": ("bench.widget", "Widget weight"),
    "kb": ("bench.kb", "Knowledge base search"),
    "search": ("bench.search", "Search"),
    "preshot": ("bench.preshot", "Pre-shot suggestions"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenario", nargs="?", default="all", choices=[*SCENARIOS, "all"])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), for the test suite")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument("--no-docs", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    sizes = common.SMOKE if args.smoke else common.FULL
    common.raise_open_files(sizes.connections * 3 + 1024)
    env_info = common.environment()
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    results: dict[str, Any] = {"environment": env_info}
    for name in names:
        module_name, title = SCENARIOS[name]
        module = importlib.import_module(module_name)
        started = time.monotonic()
        print(f"== {title}", flush=True)
        data = module.run(sizes)
        data["seconds"] = round(time.monotonic() - started, 1)
        results[name] = data
        body = module.report(data)
        print(body, flush=True)
        if not args.no_docs:
            common.append_results(f"{title}{' (smoke)' if args.smoke else ''}", body, env_info)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    # A terminated run still stops the servers it started (their ``finally`` blocks run).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    os.chdir(common.REPO)
    sys.exit(main())
