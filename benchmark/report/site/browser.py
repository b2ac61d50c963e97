"""Headless Chromium through selenium, for the site's test, its screenshot and its
first-paint benchmark: Debian's ``chromium`` and ``chromedriver`` (selenium never
downloads a browser here), or None where either or selenium is missing."""

from __future__ import annotations

import shutil
from typing import Any

from cmhbench.errors import CmhbenchError


def headless_chromium(width: int, height: int, *, console: bool = False) -> Any | None:
    """A started selenium driver of headless Chromium with a ``width`` x ``height``
    window (the browser's console kept for ``get_log('browser')`` when ``console``),
    or None where Chromium, its driver or selenium is not installed.

    Raises:
        CmhbenchError: they are installed but the browser does not start here.
    """
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        return None
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",  # containers' small /dev/shm
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    if console:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(driver), options=options)
    except WebDriverException as exc:  # installed, but cannot start on this machine
        reason = (exc.msg or str(exc)).strip().splitlines()[0]
        raise CmhbenchError(f"headless Chromium did not start: {reason}") from None
