"""End to end in a real headless Chromium: sign in, enter a case, read the plan, download the PDF.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/test-system-packages``); skipped
without them except in CI, where ``.ci/run`` installs them and a missing browser fails the test.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from nenliver.store import Store, users
from support.server import Server
from support.system import missing
from support.web import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = "/usr/bin/chromedriver"


def _browser(downloads: Path):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = next((b for b in CHROMIUM if Path(b).exists()), None) or shutil.which("chromium")
    driver = shutil.which("chromedriver") or (DRIVER if Path(DRIVER).exists() else None)
    if binary is None or driver is None:
        missing("Chromium and its driver (chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    return webdriver.Chrome(service=Service(driver), options=options)


def test_sign_in_enter_a_case_see_the_plan_and_download_the_report(tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    store = Store.open(url)
    with store.transaction() as db:
        users.create_user(db, "clinician", PASSWORD, "clinician")
    store.close()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    server = Server(url, tmp_path / "server.log")
    browser = _browser(downloads)
    wait = WebDriverWait(browser, 30)
    try:
        browser.get(server.base + "/")
        assert "Sign in" in browser.page_source
        browser.find_element(By.NAME, "username").send_keys("clinician")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda b: "clinician (clinician)" in b.page_source)

        browser.find_element(By.LINK_TEXT, "New case").click()
        wait.until(lambda b: b.find_elements(By.NAME, "decision_date"))
        browser.find_element(By.NAME, "id").send_keys("E2E-1")
        date = browser.find_element(By.NAME, "decision_date")
        browser.execute_script("arguments[0].value = '2021-06-01'", date)
        browser.find_element(By.NAME, "patient.age_years").send_keys("58")
        Select(browser.find_element(By.NAME, "tumour.primary_site")).select_by_value("small_intestine")
        Select(browser.find_element(By.NAME, "tumour.differentiation")).select_by_value("well")
        browser.find_element(By.NAME, "tumour.ki67_percent").send_keys("2")
        Select(browser.find_element(By.NAME, "liver.surgical_indication")).select_by_value("no")
        Select(browser.find_element(By.NAME, "liver.distribution")).select_by_value("unilobar_right")
        browser.find_element(By.NAME, "liver.lesions[0].id").send_keys("L1")
        browser.find_element(By.NAME, "liver.lesions[0].diameter_mm").send_keys("18")
        browser.find_element(By.XPATH, "//button[normalize-space()='Save case']").click()

        wait.until(lambda b: b.current_url.endswith("/cases/1"))
        page = browser.page_source
        assert "Liver-directed therapy plan — case E2E-1" in page and "Pathway:" in page
        assert "For clinician review" in page

        browser.find_element(By.LINK_TEXT, "Report PDF").click()
        deadline = time.monotonic() + 60
        pdfs: list[Path] = []
        while time.monotonic() < deadline and not pdfs:
            pdfs = [p for p in downloads.glob("*.pdf") if p.stat().st_size > 0]
            time.sleep(0.2)
        assert pdfs, "the PDF was not downloaded"
        time.sleep(0.5)  # let the browser finish writing
        assert pdfs[0].read_bytes().startswith(b"%PDF")
        assert pdfs[0].name == "nenliver-plan-E2E-1-r1.pdf"
    finally:
        browser.quit()
        server.stop()
