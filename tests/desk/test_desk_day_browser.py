"""A district bureau's day on the desk, in a real browser (Debian's chromium by Playwright) against a
real `zzcbec serve`: a reviewer takes three cases, returns one for 补正 and approves two (without
JavaScript: every step is a form); the enterprise reads the reason in its inbox, corrects and
resubmits within the same case; the bureau awards in bulk, publishes the 公示, exports the payment
file, reads the action log and matches a 免申即享 table, whose enterprise then sees its claims.

Screenshots of each page are kept in out/desk-day/ (or $ZZCBEC_SCREENSHOTS/desk-day)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, uscc
from desk_support import ENT_A, PASSWORD, Server, add_accounts, chromium, clause1

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("ZZCBEC_SCREENSHOTS", ROOT / "out")) / "desk-day"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make install does it)"),
]

CASES = [(7101, "ent-a", "800000"), (7141, "ent-c", "500000"), (7142, "ent-d", "600000")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from zzcbec_docs.desk import accounts
    from zzcbec_docs.ledger import open_ledger

    url = str(tmp_path_factory.mktemp("day") / "ledger.db")
    add_accounts(url)
    ledger = open_ledger(url)
    for n, name, _ in CASES[1:]:
        accounts.add_user(ledger, name, "enterprise", PASSWORD, uscc_code=uscc(n), actor="test")
    ledger.engine.dispose()
    with Server(url, log=tmp_path_factory.getbasetemp() / "serve-day.log") as s:
        for n, name, promotion in CASES:  # the morning's submissions, through the API
            with s.client() as c:
                r = c.post("/api/login", json={"username": name, "password": PASSWORD})
                assert r.status_code == 200
                assert c.post("/api/cases", json=clause1(n=n, promotion=promotion)).status_code == 201
        yield s


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def shot(page, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def sign_in(browser, server, username: str, *, javascript: bool = True):
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        java_script_enabled=javascript,
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_a_district_bureaus_day(server, browser, tmp_path):
    outside: list[str] = []
    # --- the 金水区 reviewer, without JavaScript: the queue, three cases taken, one returned, two approved
    page = sign_in(browser, server, "rev-jinshui", javascript=False)
    page.context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
    page.goto("/queue")
    assert page.inner_text("#queue tbody").count("未受理") == 3
    shot(page, "01-reviewer-queue")
    for _ in range(3):
        page.locator("button.take").first.click()
        page.wait_for_url(re.compile(r"/queue"))
    assert page.locator("button.take").count() == 0
    page.goto("/queue?mine=1")
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 3 and page.inner_text("#count-mine") == "3"
    shot(page, "02-reviewer-my-cases")
    by_applicant = {}
    for i in range(3):
        row = rows.nth(i)
        by_applicant[row.locator("td").nth(1).inner_text()] = row.get_attribute("data-case")
    returned = by_applicant["测试企业7101有限公司"]
    page.goto(f"/cases/{returned}")
    page.fill("#return-form textarea[name=reason]", "推广费发票金额与合同不符，请补充2026年度发票")
    page.click("#return-button")
    page.wait_for_selector("#case-status:has-text('待补正')")
    shot(page, "03-reviewer-returned")
    for name in ("测试企业7141有限公司", "测试企业7142有限公司"):
        page.goto(f"/cases/{by_applicant[name]}")
        page.select_option("select[name=conclusion]", "approve")
        page.fill("textarea[name=remarks]", "材料齐全，核实无误")
        page.click("#review-button")
        page.wait_for_selector("#case-status:has-text('审核同意')")
    shot(page, "04-reviewer-approved")
    assert "受理" in page.inner_text("#case-history") and "127.0.0.1" in page.inner_text("#case-history")
    page.context.close()

    # --- the enterprise: the inbox tells it why; it corrects and resubmits within the same case
    page = sign_in(browser, server, "ent-a")
    page.goto("/inbox")
    assert "推广费发票金额与合同不符" in page.inner_text("#inbox")
    shot(page, "05-enterprise-inbox")
    page.goto(f"/cases/{returned}")
    assert "推广费发票金额与合同不符" in page.inner_text("#returned-reason")
    shot(page, "06-enterprise-returned-case")
    page.click("#correct-link")
    page.wait_for_selector("#correcting")
    assert page.input_value("input[name='c1.promotion_costs']").startswith("800000")
    page.fill("input[name='c1.promotion_costs']", "700000")
    shot(page, "07-enterprise-correcting", full_page=False)
    page.click("#submit-button")
    page.wait_for_url(re.compile(rf"/cases/{returned}\?submitted=corrected$"))
    assert "已提交" in page.inner_text("#case-status") and "210,000.00 元" in page.inner_text("#case-total")
    assert "补正后重新提交" in page.inner_text("#case-history")
    shot(page, "08-enterprise-resubmitted")
    page.context.close()

    # --- the bureau: bulk award, the 公示, the payment file, the action log, a 免申即享 match
    page = sign_in(browser, server, "bureau")
    page.goto("/awards")
    assert page.locator("input[name=case]").count() == 2
    shot(page, "09-bureau-bulk-award")
    page.click("#bulk-next")
    page.wait_for_selector("#bulk-confirm")
    assert page.inner_text("#bulk-total") == "330,000.00 元"  # 150,000 + 180,000
    shot(page, "10-bureau-bulk-confirm")
    page.click("#bulk-award-button")
    page.wait_for_selector("#bulk-summary")
    summary = page.inner_text("#bulk-summary")
    numbers = re.findall(r"郑商务〔2026〕\d+号", summary)
    assert "奖励 2 件" in summary and len(set(numbers)) == 2
    shot(page, "11-bureau-bulk-summary")
    page.goto("/publicity")
    page.fill("input[name=year]", "2026")
    page.click("#publish-button")
    page.wait_for_selector("#published", timeout=60000)
    with page.expect_download() as dl:
        page.click("#publications a:has-text('PDF')")
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF-")
    with page.expect_download() as dl:
        page.click("#payments-2026")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    paid = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert sorted(r[1] for r in paid[:-1]) == sorted(numbers) and paid[-1][9] == "330,000.00"
    shot(page, "12-bureau-publicity")
    page.goto("/log")
    log = page.inner_text("#log")
    assert "退回补正" in log and "补正后重新提交" in log and "公示" in log and "rev-jinshui" in log
    shot(page, "13-bureau-action-log")
    table = tmp_path / "enterprises.csv"
    table.write_text(
        "uscc,name,district,year,etrade_core_zone_policy,import_export,promotion_costs\n"
        f"{ENT_A},测试企业7101有限公司,金水区,2025,否,15000000,600000\n",
        encoding="utf-8",
    )
    page.goto("/matches")
    page.set_input_files("input[name=table]", str(table))
    page.click("#match-button")
    page.wait_for_selector("#match-latest")
    assert page.inner_text("#match-total") == "180,000.00 元" and page.locator("svg.chart").count() == 3
    shot(page, "14-bureau-match")
    page.context.close()

    # --- the enterprise signs in and sees what it may claim; one click starts the application
    page = sign_in(browser, server, "ent-a")
    page.wait_for_url(re.compile(r"/apply$"))
    assert "180,000.00 元" in page.inner_text("#claims")
    shot(page, "15-enterprise-claims", full_page=False)
    page.click("#claim-2025")
    page.wait_for_load_state()
    assert page.input_value("input[name='c1.promotion_costs']").startswith("600000")
    shot(page, "16-enterprise-prefilled", full_page=False)
    page.context.close()
    assert outside == []  # nothing was loaded from outside the desk
