"""Fixtures for the browser tests: Chromium via Playwright, a JupyterLab server, a screenshots dir.

Without /usr/bin/chromium or the playwright package these tests skip, unless
DLCOURSE_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.paths import ROOT

CHROMIUM = Path(os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium"))
RELEASE_ASSIGNMENTS = ["01_fitting"]  # copied into the server's course root and its exchange
_ARTIFACT_FOLDERS: set[str] = set()


def _missing_browser() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set DLCOURSE_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    missing = _missing_browser()
    if missing and os.environ.get("DLCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (DLCOURSE_REQUIRE_BROWSER=1), but {missing}")
    if missing:
        pytest.skip(f"browser tests skipped: {missing}")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Screenshots go here: $DLCOURSE_ARTIFACTS, else a folder in pytest's tmp dir."""
    folder = Path(os.environ.get("DLCOURSE_ARTIFACTS") or tmp_path_factory.mktemp("browser"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


@pytest.fixture(autouse=True)
def _report_artifacts(request, record_property):
    """Name the screenshots folder in the test report (shown in the summary, also under xdist)."""
    if "artifacts" in request.fixturenames:
        record_property("browser_screenshots", str(request.getfixturevalue("artifacts")))


def pytest_runtest_logreport(report):
    for name, value in report.user_properties:
        if name == "browser_screenshots":
            _ARTIFACT_FOLDERS.add(value)


def pytest_terminal_summary(terminalreporter):
    for folder in sorted(_ARTIFACT_FOLDERS):
        terminalreporter.write_line(f"browser screenshots: {folder}")


@pytest.fixture(scope="session")
def lab(chromium_path, tmp_path_factory):
    """A JupyterLab server on loopback serving a copy of notebooks/ and release/01_fitting/."""
    from tests.browser.lab_server import make_course_copy, start_lab

    workdir = tmp_path_factory.mktemp("lab")
    root = make_course_copy(ROOT, workdir, RELEASE_ASSIGNMENTS)
    server = start_lab(root, workdir / "home")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright passes --no-sandbox by default, which Chromium needs when run as root
        chromium = playwright.chromium.launch(executable_path=str(chromium_path))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, artifacts, request):
    """A fresh browser page (1400×900); its screenshot is saved after the test, pass or fail."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)  # bounds every wait that does not name its own
    page = context.new_page()
    yield page
    try:
        page.screenshot(path=str(artifacts / f"{request.node.name}-end.png"), timeout=10_000)
    except Exception as error:  # a dead page must not hide the test's own failure
        print(f"no end screenshot for {request.node.name}: {error}")
    finally:
        context.close()
