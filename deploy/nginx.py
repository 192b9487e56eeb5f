"""Render deploy/nginx/ for a given port and daphne ports, and run nginx in the foreground.

    python deploy/nginx.py render --listen 8000 --upstream 8001 8002 --dir var/nginx
    python deploy/nginx.py run --listen 8000 --upstream 8001 8002 --dir var/nginx

``render`` writes ``<dir>/site.conf`` (what /etc/nginx/sites-available/switchboard would hold) and
``<dir>/nginx.conf`` (a standalone main configuration around it) and prints the command that runs it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def render_site(listen: str, upstream_ports: list[int], host: str = "127.0.0.1") -> str:
    servers = "\n".join(f"    server {host}:{port} max_fails=1 fail_timeout=2s;" for port in upstream_ports)
    text = (HERE / "nginx" / "site.conf").read_text()
    return text.replace("@@UPSTREAM_SERVERS@@", servers).replace("@@LISTEN@@", listen)


def render(directory: Path, listen: str, upstream_ports: list[int]) -> Path:
    """Write both files into ``directory``; return the main configuration's path."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "site.conf").write_text(render_site(listen, upstream_ports))
    main = (HERE / "nginx" / "standalone.conf").read_text().replace("@@RUN_DIR@@", str(directory))
    path = directory / "nginx.conf"
    path.write_text(main)
    return path


def command(config: Path) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-e", "stderr", "-p", str(config.parent), "-c", str(config)]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["render", "run"])
    parser.add_argument("--listen", required=True, help="nginx's listen value, e.g. 8000 or 127.0.0.1:8000")
    parser.add_argument("--upstream", type=int, nargs="+", required=True, help="daphne ports on 127.0.0.1")
    parser.add_argument("--dir", type=Path, default=Path("var/nginx"))
    args = parser.parse_args(argv)
    config = render(args.dir, args.listen, args.upstream)
    if args.action == "render":
        print(" ".join(command(config)))
        return
    os.execv(command(config)[0], command(config))  # noqa: S606 (fixed argv, no shell)


if __name__ == "__main__":
    main(sys.argv[1:])
