"""The live dashboard, end to end in a real headless Chromium.

It starts ``solara run sim/dashboard/app.py`` on a free local port, loads the
page, presses Step, plays and pauses, switches scenario and resets, and keeps
a screenshot in ``test-artifacts/``.  Without a browser (Debian's
``chromium`` and ``chromium-driver``) the test is skipped with one line,
except where ``DCMARKET_REQUIRE_BROWSER=1`` (CI sets it): there it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("browser")  # one solara server, one browser

ROOT = Path(__file__).resolve().parents[3]
#: a fresh environment's first page (imports, the first model, the first figures)
#: has been seen to take over 90 s; later steps take seconds
FIRST_RENDER_S = 300
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _browser_or_skip() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    if not missing:
        return
    reason = f"no headless browser ({', '.join(missing)} missing: apt-get install chromium " \
             "chromium-driver)"
    if os.environ.get("DCMARKET_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    _browser_or_skip()
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    port = _free_port()
    solara = Path(sys.executable).with_name("solara")
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / "dashboard_server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(solara), "run", str(ROOT / "sim" / "dashboard" / "app.py"), "--port", str(port),
         "--host", "127.0.0.1", "--production", "--no-open"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"the dashboard did not start; see {ARTIFACTS / 'dashboard_server.log'}")
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _fresh(read, attempts: int = 100):
    """Run ``read`` again when the page re-rendered under it (Solara replaces
    elements after every step) or has not drawn what it looks for yet."""
    from selenium.common.exceptions import (
        ElementNotInteractableException,
        NoSuchElementException,
        StaleElementReferenceException,
    )

    for _ in range(attempts - 1):
        try:
            return read()
        except (StaleElementReferenceException, ElementNotInteractableException,
                NoSuchElementException, StopIteration):
            time.sleep(0.2)
    return read()


def _text(driver) -> str:
    from selenium.webdriver.common.by import By

    return _fresh(lambda: driver.find_element(By.TAG_NAME, "body").text)


def _wait_for(driver, pattern: str, timeout: float = 90) -> re.Match:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = re.search(pattern, _text(driver))
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"page never showed {pattern!r}; it shows:\n{_text(driver)[:1500]}")


def _click(driver, label: str) -> None:
    from selenium.webdriver.common.by import By

    def press() -> None:
        for button in driver.find_elements(By.TAG_NAME, "button"):
            if button.text.strip().lower() == label.lower():
                button.click()
                return
        from selenium.common.exceptions import NoSuchElementException

        raise NoSuchElementException(f"no {label!r} button")

    _fresh(press)


def _images(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return _fresh(lambda: [
        img.get_attribute("src") for img in driver.find_elements(By.TAG_NAME, "img")
        if (img.get_attribute("src") or "").startswith(("blob:", "data:image"))])


def _images_shown(driver, other_than: str | None = None, timeout: float = 60) -> list[str]:
    """The page's figures once they are drawn (and, with ``other_than``, once
    the first one has been redrawn)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        images = _images(driver)
        if images and images[0] != other_than:
            return images
        time.sleep(0.3)
    raise AssertionError("no (new) figure on the page")


def _settled_step(driver, quiet_s: float = 2.0, timeout: float = 90) -> int:
    """The step counter once it has stopped moving for ``quiet_s``.  Mesa 3.3's
    play loop sleeps, then steps: a pause that lands in its sleep still gets
    one step (``do_step``'s not-playing branch), and on a busy machine that
    step can land after a Reset clicked right away, on the new model."""
    deadline = time.time() + timeout
    last = int(_wait_for(driver, r"Step counter: (\d+) ADMM round").group(1))
    while time.time() < deadline:
        time.sleep(quiet_s)
        now = int(_wait_for(driver, r"Step counter: (\d+) ADMM round").group(1))
        if now == last:
            return now
        last = now
    raise AssertionError("the step counter never settled after a pause")


def test_step_play_and_reset_in_a_real_browser(server, browser):
    browser.get(server)
    _wait_for(browser, r"Step counter: 0 ADMM round", timeout=FIRST_RENDER_S)
    before = _images_shown(browser)
    for k in (1, 2, 3):
        _click(browser, "Step")
        _wait_for(browser, rf"Step counter: {k} ADMM round")
    _wait_for(browser, r"round 3: primal residual")
    after = _images_shown(browser, other_than=before[0])
    assert after[0] != before[0], "the residual plot did not change"
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "dashboard_after_3_steps.png"))

    _click(browser, "▶")
    time.sleep(3)
    _click(browser, "❚❚")
    played = _settled_step(browser)
    assert played > 3, "play did not advance the market"

    _click(browser, "Reset")
    _wait_for(browser, r"Step counter: 0 ADMM round")
    browser.save_screenshot(str(ARTIFACTS / "dashboard_after_reset.png"))


def test_scenario_picker_loads_the_dr_day_and_its_auction(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server)
    _wait_for(browser, r"Step counter: 0 ADMM round", timeout=FIRST_RENDER_S)
    _fresh(lambda: next(e for e in browser.find_elements(By.CSS_SELECTOR, ".v-select")
                        if "p2p_4dc_fixed_lmp" in e.text).click())
    _wait_for(browser, r"dr_2000hosts")
    _fresh(lambda: next(e for e in browser.find_elements(
        By.XPATH, "//*[normalize-space(text())='dr_2000hosts']") if e.is_displayed()).click())
    _click(browser, "Reset")
    _wait_for(browser, r"dr_2000hosts \(dr\)")
    _wait_for(browser, r"Step counter: 0 slot")
    auctions = 0
    for k in range(1, 13):
        _click(browser, "Step")
        _wait_for(browser, rf"Step counter: {k} slot")
        auctions += "the reverse auction" in _text(browser)
    assert auctions, "no slot of the morning held a reverse auction"
    browser.save_screenshot(str(ARTIFACTS / "dashboard_dr_day.png"))


def test_a_seat_beside_step_plays_an_agent(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server)
    _wait_for(browser, r"Step counter: 0 ADMM round", timeout=FIRST_RENDER_S)
    _wait_for(browser, r"Play an agent yourself")

    def seat_box():
        return browser.find_element(
            By.XPATH, "//label[contains(., 'Your seat')]/following-sibling::input")

    # the text commits on Enter; Reset builds the model with it
    def type_seat() -> None:
        box = seat_box()
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("DC2")
        box.send_keys(Keys.ENTER)

    _fresh(type_seat)
    time.sleep(1.0)
    _click(browser, "Reset")
    _wait_for(browser, r"You play DC2")
    for k in (1, 2):
        _click(browser, "Step")
        _wait_for(browser, rf"Step counter: {k} ADMM round")
    _wait_for(browser, r"→ DC2\s+price_estimate")
    assert "scale the estimates you send" in _text(browser)
    assert re.search(r"Your trades, M req \(\+ bought\): DC1", _text(browser))
    browser.save_screenshot(str(ARTIFACTS / "dashboard_seat.png"))
