"""Headless Chromium through selenium, for the site's test, its screenshot and its
first-paint benchmark: Debian's ``chromium`` and ``chromedriver`` (selenium never
downloads a browser here), or None where either or selenium is missing."""

from __future__ import annotations

import shutil
from typing import Any


def headless_chromium(width: int, height: int, *, console: bool = False) -> Any | None:
    """A started selenium driver of headless Chromium with a ``width`` x ``height``
    window (the browser's console kept for ``get_log('browser')`` when ``console``),
    or None where Chromium, its driver or selenium is not installed."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        return None
    try:
        from selenium import webdriver
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
    return webdriver.Chrome(service=Service(driver), options=options)
