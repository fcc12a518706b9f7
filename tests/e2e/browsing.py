"""The console in a real browser, shared by the browser tests: Debian's chromium driven by
Playwright (no browser download), one browser per test module, a page signed in with the
operator's key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import OPERATOR_KEY

CHROMIUM = shutil.which("chromium")
AXE = Path(__file__).resolve().parents[2] / ".tools" / "npm" / "node_modules" / "axe-core" / "axe.min.js"

if not CHROMIUM:
    pytest.skip("chromium is not installed (make browser-deps installs it as root)", allow_module_level=True)
async_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
async def browser():
    async with async_api.async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        await b.close()


async def signed_in(browser, system, width: int = 1280, key: str = OPERATOR_KEY):
    page = await browser.new_page(viewport={"width": width, "height": 900})
    # Generous: on a loaded 2-core machine a page and its API calls can take seconds.
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(system.gateway + "/")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Use this key").click()
    await page.get_by_role("heading", name="Orders").wait_for()
    page.errors = errors
    return page
