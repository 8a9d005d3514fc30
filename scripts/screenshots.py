"""The README's screenshots (docs/screenshots/*.png), taken with headless Chromium from the
published warehouse: the report, the Data Docs index and a delivery's page, and the Dagster asset
graph. `make screenshots` runs it after `make run`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
WAREHOUSE = REPO / "warehouse"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str:
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    sys.exit("No headless Chromium found (apt-get install chromium): no screenshots taken.")


def shoot(chromium: str, url: str, png: Path, size: str = "1400,1000", budget: int = 5000) -> None:
    # a JS page comes out blank without a virtual-time budget to run its scripts in
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={size}",
            f"--virtual-time-budget={budget}",
            f"--screenshot={png}",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    print(f"{png.relative_to(REPO)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dagster_ui(port: int) -> subprocess.Popen:
    """The Dagster UI of the warehouse's instance, in a process group of its own."""
    home = subprocess.run(
        [str(REPO / ".venv" / "bin" / "ictbench"), "dagster-home"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()

    def default_signals() -> None:  # a background child inherits an ignored SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "dagster_webserver", "-m", "pipelines.definitions"]
        + ["-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": home},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=default_signals,
        start_new_session=True,
    )


def wait_for(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def main() -> None:
    chromium = browser()
    OUT.mkdir(parents=True, exist_ok=True)
    report = WAREHOUSE / "report"
    pages = sorted(report.glob("GM0363-*.html"))
    if not pages or not (WAREHOUSE / "docs" / "index.html").exists():
        sys.exit("Run `make run` and `make report` first.")
    shoot(chromium, pages[-1].as_uri(), OUT / "report.png", size="1280,2000")
    shoot(chromium, (WAREHOUSE / "docs" / "index.html").as_uri(), OUT / "data-docs.png")
    delivery = WAREHOUSE / "docs" / "deliveries" / "GM0363_2024_ledger.html"
    shoot(chromium, delivery.as_uri(), OUT / "data-docs-delivery.png")
    port = free_port()
    server = dagster_ui(port)
    try:
        wait_for(f"http://127.0.0.1:{port}/server_info")
        shoot(
            chromium,
            f"http://127.0.0.1:{port}/asset-groups",
            OUT / "dagster-asset-graph.png",
            size="1600,1000",
            budget=30000,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
