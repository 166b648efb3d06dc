"""The dashboard in a real browser: ``streamlit run app.py`` on 127.0.0.1, loaded in headless Chromium.

Chromium is driven over the DevTools protocol so the test can wait for the first
plotly chart to be drawn (a plain ``--screenshot`` fires before Streamlit's
websocket has delivered the page), then a screenshot is saved and checked to be a
non-blank PNG showing charts. Set ``TRIALSIM_SCREENSHOT=path.png`` to keep it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at /usr/bin/chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def _wait_for(probe, *, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def dashboard_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _get(f"{base}/_stcore/health") == b"ok", timeout_s=90, what="the Streamlit server")
        yield f"{base}/?replicates=20&n_per_arm=20,40"
    finally:
        _stop(proc)
        log.close()


class _DevTools:
    """Minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.ws, self.next_id = ws, 0

    def call(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str) -> object:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")


def test_dashboard_renders_charts_in_headless_chromium(dashboard_url: str, tmp_path: Path) -> None:
    from PIL import Image
    from websockets.sync.client import connect

    debug_port = _free_port()
    chrome = subprocess.Popen(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", f"--remote-debugging-port={debug_port}",
         "--remote-allow-origins=*", "--window-size=1400,1000", dashboard_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        def page_socket() -> str | None:
            pages = json.loads(_get(f"http://127.0.0.1:{debug_port}/json/list"))
            return next((p["webSocketDebuggerUrl"] for p in pages if p.get("type") == "page" and "127.0.0.1" in p.get("url", "")), None)

        ws_url = _wait_for(page_socket, timeout_s=60, what="Chromium's DevTools endpoint")
        with connect(ws_url, max_size=None, open_timeout=30) as ws:
            tools = _DevTools(ws)
            # the first simulation runs on page load: wait for a drawn plotly chart and the headline metrics
            _wait_for(lambda: tools.evaluate("document.querySelectorAll('.js-plotly-plot .main-svg').length") or None,
                      timeout_s=240, what="the first plotly chart")
            text = _wait_for(lambda: (t := tools.evaluate("document.body.innerText")) and "Recommended design" in t and t,
                             timeout_s=60, what="the headline metrics")
            time.sleep(2)  # let the remaining charts finish drawing
            png = base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"])
    finally:
        _stop(chrome)

    shot = Path(os.environ.get("TRIALSIM_SCREENSHOT", tmp_path / "dashboard.png"))
    shot.write_bytes(png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size[0] >= 1000
    assert image.size[1] >= 700
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 200, "screenshot is (nearly) blank"
    extrema = image.getextrema()
    assert all(high - low > 100 for low, high in extrema), "screenshot has no contrast"
    assert "Power (worst alternative)" in text
    assert "Power & type I error" in text
    assert "Traceback" not in text
