"""`make lab` in a real browser: JupyterLab opens lesson 1 with nbgrader's extension working.

Debian's chromium driven by Playwright (never a downloaded browser). Skipped only where chromium is
missing outside CI; in CI (`CI` set) a missing chromium is a failure, since `make test` installs it.
"""
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.notebooks import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
LESSON_1 = "notebooks/01_matrix_vs_loop/matrix_vs_loop.ipynb"
PROBLEMS = ("No nbgrader_config.py", "Unwritable", "Permission denied")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "make lab exited before JupyterLab started"
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"JupyterLab did not answer at {url}")


@pytest.fixture
def lab(tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: `make test` installs Debian's chromium as root")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    port = _free_port()
    log = tmp_path / "lab.log"
    flags = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token="
    with log.open("w") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_FLAGS={flags}"], cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api/status", process)
        yield f"http://127.0.0.1:{port}", log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_make_lab_opens_lesson_1_with_nbgrader_working(lab, tmp_path):
    url, log = lab
    notebook = ROOT / LESSON_1
    stored = notebook.read_bytes()  # Validate saves the notebook (with the kernel's language_info): restore it
    try:
        texts = _drive_jupyterlab(url, tmp_path)
    finally:
        notebook.write_bytes(stored)
    for item, text in texts.items():
        for problem in PROBLEMS:
            assert problem not in text, f"{item} shows {problem!r}"
    server_log = log.read_text()
    for problem in PROBLEMS:
        assert problem not in server_log


def _drive_jupyterlab(url: str, shots: Path) -> dict[str, str]:
    """Open lesson 1, press Validate, open nbgrader's panels; return the text each panel shows."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(180_000)

        page.goto(f"{url}/lab/tree/{LESSON_1}")
        page.wait_for_selector(".jp-Notebook")
        page.locator(".jp-RenderedMarkdown h1", has_text="Lesson 1").first.wait_for()

        page.locator(".jp-ToolbarButtonComponent-label", has_text="Validate").click()
        dialog = page.locator(".jp-Dialog")
        dialog.get_by_text("Validation Results").wait_for()
        report = dialog.inner_text()
        assert report.count("The following cell failed") == 5
        assert "`window_matrix` is not written yet" in report
        page.screenshot(path=str(shots / "validate.png"))
        dialog.get_by_role("button", name="Ok").click()

        texts = {}
        for item, expected in [("Assignment List", "Released assignments"), ("Course List", "loops-to-attention")]:
            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            page.locator(".lm-Menu-itemLabel", has_text=item).first.click()
            page.locator("#jp-main-dock-panel").get_by_text(expected).first.wait_for()
            texts[item] = page.locator("#jp-main-dock-panel").inner_text()

        page.goto(f"{url}/formgrader/manage_assignments")
        page.locator("td", has_text="01_matrix_vs_loop").first.wait_for()
        texts["Formgrader"] = page.inner_text("body")
        browser.close()
    return texts
