"""How fast the dashboard plays the 4-DC market (docs/cli.md, "The dashboard").

Two measurements, each printed:

- ``frame_rounds_per_s_k1`` / ``_k10``: in this process, frames of Play as the
  page makes them — k ADMM rounds, then every panel drawn to its PNG, as
  Solara sends it — over the whole run to convergence, k = 1 (drawing every
  round, as the old dashboard did) and k = 10 (the page's default);
- ``browser_rounds_per_s``: ``solara run`` with the page in headless
  Chromium at 1280×720: Play pressed, until the page says "converged"
  (skipped, with null, where Debian's ``chromium`` is not installed).

Target (issue "A classroom that flows"): ≥ 10 ADMM rounds a second.

    python benchmarks/dashboard_play.py

The last line is JSON.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def frames(k: int) -> tuple[float, int]:
    """Rounds a second when each frame runs ``k`` rounds and draws every panel."""
    from dcmarket.sim.dashboard.model import DashboardModel
    from dcmarket.sim.dashboard.panels import Residuals, Status, study_panels
    from dcmarket.sim.dashboard.style import figures_of

    def draw(element) -> None:
        for fig in figures_of(element):
            fig.savefig(io.BytesIO(), format="png")

    model = DashboardModel("p2p_4dc_fixed_lmp")
    tic = time.perf_counter()
    while not model.stepper.done:
        for _ in range(k):
            if model.stepper.done:
                break
            model.step()
        for panel in [Residuals, *study_panels(model)]:
            draw(panel(model))
    model.outcome_text = ""  # the outcome's optimum is not a frame's work
    Status(model)
    return model.stepper.steps / (time.perf_counter() - tic), model.stepper.steps


def browser() -> float | None:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("solara")), "run",
         str(ROOT / "sim" / "dashboard" / "app.py"), "--port", str(port), "--host",
         "localhost", "--production", "--no-open"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,720"):
        options.add_argument(flag)
    page = None
    try:
        url = f"http://localhost:{port}/"
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        page = webdriver.Chrome(service=Service(driver), options=options)
        page.get(url)
        text = ""
        for _ in range(1200):
            text = page.find_element(By.TAG_NAME, "body").text
            if "Step counter: 0 ADMM" in text:
                break
            time.sleep(0.25)
        time.sleep(1.0)
        next(b for b in page.find_elements(By.TAG_NAME, "button")
             if b.text.strip().lower() == "play").click()
        tic = time.perf_counter()
        while time.perf_counter() - tic < 120:
            text = page.find_element(By.TAG_NAME, "body").text
            done = re.search(r"Step counter: (\d+) ADMM round\(s\) · converged", text)
            if done:
                return int(done.group(1)) / (time.perf_counter() - tic)
            time.sleep(0.05)
        return None
    finally:
        if page is not None:
            page.quit()
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    warnings.simplefilter("ignore")
    k1, rounds = frames(1)
    k10, _ = frames(10)
    figures = {"rounds": rounds, "frame_rounds_per_s_k1": round(k1, 1),
               "frame_rounds_per_s_k10": round(k10, 1), "k10_over_k1": round(k10 / k1, 1),
               "browser_rounds_per_s": browser()}
    if figures["browser_rounds_per_s"] is not None:
        figures["browser_rounds_per_s"] = round(figures["browser_rounds_per_s"], 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
