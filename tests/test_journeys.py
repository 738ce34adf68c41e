"""Browser journeys (Playwright driving Debian's Chromium against a running `docdesk serve`), as a person would.

Screenshots of every step are kept in output/test-artifacts/journeys/ (CI keeps them as artefacts).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.ledger import make_ledger
from tests.conftest import ROOT, pdf_pages, pdf_text, squash

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "output" / "test-artifacts" / "journeys"
PASSWORD = "journey-密码-2026"
USERS = {"kefu": "clerk", "caiwu": "finance", "dangan": "archivist"}
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the journeys' service: a database and output folder of its own."""
    home = tmp_path_factory.mktemp("journeys")
    return {
        **os.environ,
        "DOCDESK_DATABASE_URL": f"sqlite:///{home / 'docdesk.db'}",
        "DOCDESK_OUTPUT_DIR": str(home / "output"),
        "DOCDESK_BATCH_WORKERS": "1",
        "DOCDESK_ADMIN_PASSWORD": PASSWORD,
    }


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    """`docdesk serve` on loopback."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (scripts/install installs it)")
    home = Path(env["DOCDESK_OUTPUT_DIR"]).parent
    port = _free_port()
    for name, role in USERS.items():  # the administrator adds the staff, as the README tells
        subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "users",
                "add",
                name,
                "--role",
                role,
                "--project",
                "HL",
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/static/site.css", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                log.close()
                pytest.fail((home / "server.log").read_text())
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("the service did not start within 60 s")
    yield base
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


class Journey:
    """A browser page that saves a screenshot of each step under a journey's name."""

    def __init__(self, browser: object, base: str, name: str) -> None:
        self.context = browser.new_context(base_url=base, locale="zh-CN", accept_downloads=True)  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        # generous: CI runs this beside other test workers on 2 cores, and a busy Chromium is slow, not wrong
        self.page.set_default_timeout(120_000)
        self.name = name
        self.step = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def login(self, name: str) -> None:
        self.page.goto("/")  # sent to the login page
        self.page.wait_for_selector("#f-username")
        self.shot("login")
        self.page.fill("#f-username", name)
        self.page.fill("#f-password", PASSWORD)
        self.page.click("button:has-text('登录')")
        self.page.wait_for_selector("text=退出")

    def shot(self, what: str) -> None:
        """Keep a screenshot of this step for people to look at; the journey's assertions are on content.

        Chromium's capture can hang on a loaded 2-core CI machine (once, on a page that had just navigated), so a
        capture gets 30 s and one retry of the visible part; a capture that still fails is reported as a warning
        and the journey goes on, since the picture is an artefact, not the check.
        """
        self.step += 1
        self.page.wait_for_load_state("load")
        path = SHOTS / f"{self.name}-{self.step:02d}-{what}.png"
        for full_page in (True, False):
            try:
                self.page.screenshot(path=str(path), full_page=full_page, timeout=30_000)
                return
            except playwright.Error as exc:
                error = exc
        warnings.warn(f"screenshot {path.name} not taken: {error}", stacklevel=2)

    def close(self) -> None:
        self.context.close()


def test_clerk_fills_a_renovation_permit_corrects_an_error_issues_and_downloads(
    server: str, browser: object, tmp_path: Path
) -> None:
    j = Journey(browser, server, "clerk")
    page = j.page
    j.login("kefu")
    page.fill("input[name=q]", "装修许可证")
    with page.expect_navigation():  # the search form is a GET: wait for its page before looking at it
        page.press("input[name=q]", "Enter")
    page.wait_for_selector("text=搜索“装修许可证”")
    j.shot("catalogue-search")
    page.click("a:text-is('装修许可证')")
    page.click("text=填入示例数据")
    page.fill("#f-owner_id_card", "110105194912310020")  # a wrong check digit
    j.shot("form-filled")
    page.click("button:has-text('开具并编号')")
    alert = page.locator("#errors")
    assert "业主身份证号" in alert.inner_text() and "校验位" in alert.inner_text()
    j.shot("chinese-error")
    page.fill("#f-owner_id_card", "11010519491231002X")
    page.click("button:has-text('开具并编号')")
    page.wait_for_selector("text=已开具")
    j.shot("issued")
    number = page.locator("strong").first.inner_text()
    with page.expect_download() as info:
        page.click("text=下载 PDF")
    pdf = tmp_path / "permit.pdf"
    info.value.save_as(pdf)
    text = squash(pdf_text(pdf))
    assert number in text and "装修许可证" in text
    j.close()


def test_finance_uploads_a_ledger_and_downloads_the_print_pdf(server: str, browser: object, tmp_path: Path) -> None:
    ledger = make_ledger(6, seed=7, bad_every=4)
    path = ledger.save(tmp_path / "欠费台账.xlsx")
    j = Journey(browser, server, "finance")
    page = j.page
    j.login("caiwu")
    page.click("text=批量催款")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=date]", "2026-11-01")
    j.shot("upload")
    page.click("button:has-text('上传并检查')")
    page.wait_for_selector("text=确认，开始开具")
    j.shot("checked")
    page.click("button:has-text('确认，开始开具')")
    page.wait_for_selector("text=打印用 PDF", timeout=120_000)
    j.shot("done")
    with page.expect_download() as info:
        page.click("text=打印用 PDF")
    pdf = tmp_path / "print.pdf"
    info.value.save_as(pdf)
    assert pdf_pages(pdf) >= 1 and "催款通知书" in squash(pdf_text(pdf))
    j.close()


def test_archivist_searches_by_a_name_fragment_and_opens_the_document(
    server: str, env: dict[str, str], browser: object, tmp_path: Path
) -> None:
    # a permit issued at the front desk to 陈晓峰 (through the CLI, so this journey stands alone; the clerk's
    # journey may have issued one to 林晓峰 too); the archivist remembers only "晓峰"
    example = tomllib.loads((ROOT / "forms" / "renovation-permit" / "example.toml").read_text("utf-8"))
    data = {**example, "owner_name": "陈晓峰", "owner_id_card": "11010519491231002X"}
    (tmp_path / "permit.json").write_text(json.dumps(data, default=str, ensure_ascii=False), "utf-8")
    issued = subprocess.run(
        [sys.executable, "-m", "app.cli", "issue", "renovation-permit", "--data", str(tmp_path / "permit.json")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert issued.returncode == 0, issued.stderr
    number = issued.stdout.split()[0]
    j = Journey(browser, server, "archivist")
    page = j.page
    j.login("dangan")
    page.click("text=已开文书")
    page.fill("input[name=party]", "晓峰")
    j.shot("search-form")
    page.click("button:has-text('查找')")
    page.wait_for_selector("table.list")
    j.shot("results")
    rows = page.locator(f"table.list tr:has-text('{number}')")
    assert rows.count() == 1 and "陈**" in rows.first.inner_text()  # masked in the list
    assert "陈晓峰" not in page.inner_text("table.list")
    rows.first.locator("a").first.click()
    page.wait_for_selector("text=文件核验")
    j.shot("document")
    assert number in page.inner_text("main")
    assert "11010519491231002X" in page.inner_text("main")  # the archivist sees the full value (audited)
    assert "开具" in page.inner_text("#history")
    j.close()
