"""The desk in a real browser (Debian's chromium driven by Playwright) against a real `zzcbec serve`:
an enterprise applies, a reviewer verifies, the bureau awards, the enterprise gets its notice.

Every page is checked with axe-core (npm's `axe-core`, which `make axe` installs into the cache) for
WCAG 2.1 AA: zero violations; and laid out at 390 px (a phone) without a horizontal scroll.
Screenshots of every kind of page, desktop and phone, are saved in out/desk-screenshots/ (the
README shows one)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT
from desk_support import ENT_A, PASSWORD, Server, add_accounts, chromium

CHROMIUM = "/usr/bin/chromium"
AXE_DIR = Path(
    os.environ.get("ZZCBEC_AXE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zzcbec-docs" / "axe"
)
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ.get("ZZCBEC_SCREENSHOTS", ROOT / "out" / "desk-screenshots"))
PDF = b"%PDF-1.4\n% business licence scan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make install does it)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = str(tmp_path_factory.mktemp("desk") / "ledger.db")
    add_accounts(url)
    with Server(url, workers=2, log=tmp_path_factory.getbasetemp() / "serve.log") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def shot(page, name: str, *, full_page: bool = True, javascript: bool = True) -> None:
    """The page's screenshot (desktop), its axe-core check (WCAG 2.1 AA, zero violations), and the
    same page on a phone: 390 px wide, nothing wider than the screen, its screenshot too."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
    if not full_page:
        return
    if not javascript:  # nothing can be evaluated in such a page: the phone's picture only
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(size)
        return
    accessible(page, name)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        wide = page.evaluate("document.documentElement.scrollWidth")
        beyond = page.evaluate(
            """w => [...document.querySelectorAll('main *')].filter(e => {
            const r = e.getBoundingClientRect(); return r.right > w + 0.5; }).slice(-3).map(e =>
            e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
            PHONE["width"],
        )
        assert wide <= PHONE["width"], f"{name}: the page is {wide} px wide on a 390 px phone: {beyond}"
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    finally:
        page.set_viewport_size(size)


def install_axe() -> None:
    """As `make axe` does: npm's axe-core into the cache, only when it is absent; without npm, skip."""
    import shutil
    import subprocess

    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so axe-core cannot be: the WCAG checks of the pages are skipped")
    subprocess.run(
        [npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "axe-core@4"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert AXE.is_file(), f"npm ran but {AXE} is missing"


def accessible(page, name: str) -> None:
    """axe-core in the page (evaluated through the DevTools protocol, so the desk's CSP stays on)."""
    if not AXE.is_file():
        install_axe()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
        "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)})))",
        WCAG_AA,
    )
    assert found == [], f"{name}: WCAG 2.1 AA violations (axe-core):\n" + "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    )


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
    return page


def amount_is(page, amount: str) -> None:
    """Wait until the decision panel (refreshed by the desk while typing) shows this total."""
    from playwright.sync_api import expect

    expect(page.locator("#total-amount")).to_have_attribute("data-amount", amount, timeout=15000)


def total(page) -> str:
    return page.inner_text("#total-amount")


def test_apply_review_award_notice_in_a_browser(server, browser, tmp_path):
    outside: list[str] = []
    # --- the enterprise: sign in, fill clause 1 and clause 6, watch the amount as it types
    page = sign_in(browser, server, "ent-a")
    page.context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None)
    page.wait_for_url(re.compile(r"/apply$"))
    assert page.input_value("input[readonly]") == ENT_A
    page.fill("input[name='applicant.name']", "测试企业7101有限公司")
    page.select_option("select[name='applicant.district']", "金水区")
    for name, value in [
        ("applicant.address", "郑州市金水区测试路1号"),
        ("applicant.legal_representative", "张某"),
        ("applicant.contact.name", "赵某"),
        ("applicant.contact.phone", "0371-12345678"),
        ("applicant.bank.name", "中国银行郑州分行"),
        ("applicant.bank.account", "6217000000000000001"),
    ]:
        page.fill(f"input[name='{name}']", value)
    page.fill("input[name=year]", "2026")
    page.type("input[name='c1.import_export']", "12000000")
    page.type("input[name='c1.promotion_costs']", "800000")
    amount_is(page, "240000.00")
    assert total(page) == "240,000.00 元"  # as the documents write amounts
    page.fill("input[name='c1.promotion_costs']", "")
    page.type("input[name='c1.promotion_costs']", "900000")  # 30% of 900,000 as it is typed
    amount_is(page, "270000.00")
    # the clause's own words and each fact's unit stand beside the inputs
    section = page.inner_text("#clause-1")
    assert "年进出口额达到1000万元以上" in section and "（元）" in section
    # clause 6: 10% of the international logistics costs
    page.select_option("select[name='c6.uses_zz_logistics']", "true")
    page.type("input[name='c6.import_export']", "30000000")
    page.type("input[name='c6.intl_logistics_costs']", "2500000")
    amount_is(page, "520000.00")
    shot(page, "1-enterprise-apply")
    page.locator("#clause-1").scroll_into_view_if_needed()
    shot(page, "1-enterprise-apply-clause1", full_page=False)  # the README's picture
    # a figure typed wrong, checked: the error beside its field (and its page accessible), the rest kept
    page.fill("input[name='c1.promotion_costs']", "九十万")
    page.click("#check-button")
    page.wait_for_selector("#e-c1\\.promotion_costs")
    shot(page, "1-enterprise-form-error")
    page.fill("input[name='c1.promotion_costs']", "900,000")  # as people write it: read as 900000
    page.click("#check-button")
    page.wait_for_selector("#total-amount")
    amount_is(page, "520000.00")
    # an attachment: uploaded, its SHA-256 shown, the typed figures kept
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF)
    page.set_input_files("input[name=attachment]", str(licence))
    page.click("button[value=upload]")
    page.wait_for_selector("code.sha")
    assert hashlib.sha256(PDF).hexdigest() in page.inner_text("table.files")
    assert page.input_value("input[name='c6.intl_logistics_costs']") == "2500000"
    page.click("#submit-button")
    page.wait_for_url(re.compile(r"/cases/[A-Za-z0-9_-]+\?submitted=new$"))
    case_url = page.url.split("?")[0]
    assert "已提交" in page.inner_text("#case-status")
    assert hashlib.sha256(PDF).hexdigest() in page.inner_text("body")
    shot(page, "2-enterprise-case")
    with page.expect_download() as dl:
        page.click("text=申报表与承诺书 PDF")
    packet = Path(dl.value.path()).read_bytes()
    assert packet.startswith(b"%PDF-") and ENT_A in dl.value.suggested_filename
    page.context.close()

    # --- the 金水区 reviewer: the queue, the case, a verified figure beside the declared one
    page = sign_in(browser, server, "rev-jinshui")
    page.wait_for_url(re.compile(r"/queue$"))
    shot(page, "3-reviewer-queue")
    page.click(f"a[href='{case_url.replace(server.url, '')}']")
    page.fill("input[aria-label='核实：用于跨境电子商务的网络推广、独立站建设等费用']", "700000")
    # no conclusion chosen: refused, and the typed figure is kept beside its error
    page.click("#review-button")  # the browser's own check (required) holds the post back …
    page.evaluate("document.getElementById('f-conclusion').removeAttribute('required')")  # … without it, the desk
    page.click("#review-button")
    page.wait_for_selector("#e-conclusion")
    assert "请选择审核结论" in page.inner_text("#e-conclusion")
    assert page.input_value("input[aria-label='核实：用于跨境电子商务的网络推广、独立站建设等费用']") == "700000"
    shot(page, "4-reviewer-case-error")
    # a partial approval needs its reason
    page.select_option("select[name=conclusion]", "partial")
    page.fill("textarea[name=remarks]", "推广费按发票核减至70万元")
    page.click("#review-button")
    page.wait_for_selector("#case-status:has-text('审核同意')")
    assert page.inner_text("#case-total") == "460,000.00 元"  # 30% of 700,000 + 250,000
    shot(page, "4-reviewer-case")
    with page.expect_download() as dl:
        page.click("text=审核意见书 PDF")
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF-")
    page.context.close()

    # --- the bureau: cases by status, the award, the ledger, the dashboard
    page = sign_in(browser, server, "bureau")
    page.wait_for_url(re.compile(r"/bureau$"))
    shot(page, "5-bureau-cases")
    page.goto(case_url)
    shot(page, "6-bureau-case")
    page.click("#award-button")  # asks first, showing the amount
    page.wait_for_selector("#confirm-amount")
    assert page.inner_text("#confirm-amount") == "460,000.00 元"
    shot(page, "6-bureau-award-confirm")
    page.click("#confirm-award-button")
    page.wait_for_selector("#case-status:has-text('已奖励')")
    number = re.search(r"郑商务〔\d{4}〕\d+号", page.inner_text("body")).group(0)
    shot(page, "6-bureau-case-awarded")
    page.goto("/ledger")
    assert number in page.inner_text("table")
    shot(page, "7-bureau-ledger")
    with page.expect_download() as dl:
        page.click("text=导出 CSV")
    assert number in Path(dl.value.path()).read_text(encoding="utf-8-sig")
    page.goto("/dashboard")
    assert page.locator("svg.chart").count() == 4
    assert "金水区" in page.inner_text(".charts")
    shot(page, "8-bureau-dashboard")
    page.context.close()

    # --- the enterprise downloads its notice
    page = sign_in(browser, server, "ent-a")
    page.goto(case_url)
    with page.expect_download() as dl:
        page.click("#notice-pdf")
    notice = Path(dl.value.path()).read_bytes()
    assert notice.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(dl.value.path()).pages)
    assert number[-6:].rstrip("号") in text.replace(" ", "")
    page.context.close()
    assert outside == []  # nothing was loaded from outside the desk


def test_the_form_works_without_javascript(server, browser):
    page = sign_in(browser, server, "ent-b", javascript=False)
    page.wait_for_url(re.compile(r"/apply$"))
    page.fill("input[name='applicant.name']", "测试企业7102有限公司")
    page.select_option("select[name='applicant.district']", "新郑市")
    page.fill("input[name=year]", "2026")
    page.fill("input[name='c1.import_export']", "9000000")  # below 1000万元
    page.fill("input[name='c1.promotion_costs']", "800000")
    page.click("#check-button")
    page.wait_for_selector("#decision-1")
    gap = page.inner_text("#decision-1")
    assert "不符合" in gap and "还差" in gap and "1,000万元" in gap  # the gap in the policy's words
    shot(page, "9-enterprise-no-javascript", javascript=False)
    # a figure typed wrong: said beside its field in the form's words, linked from the summary
    page.fill("input[name='c1.promotion_costs']", "八十万")
    page.click("#check-button")
    page.wait_for_selector("#e-c1\\.promotion_costs")
    assert "请填写金额（元）" in page.inner_text("#e-c1\\.promotion_costs")
    assert "/claims/" not in page.inner_text("body")
    shot(page, "9-enterprise-form-error", javascript=False)
    page.context.close()


def test_the_login_page_and_a_refused_sign_in(server, browser):
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    page = context.new_page()
    page.goto("/login")
    shot(page, "0-login")
    page.goto("/no-such-page")
    shot(page, "0-not-found")
    page.goto("/login")
    page.fill("input[name=username]", "ent-a")
    page.fill("input[name=password]", "wrong password here")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.inner_text(".error")
    accessible(page, "0-login-refused")
    context.close()


def test_keyboard_only_the_skip_link_then_the_form_in_order_with_a_visible_focus(server, browser):
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    page = context.new_page()
    page.goto("/login")

    def focused() -> dict:
        return page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            return {tag: e.tagName, name: e.getAttribute('name') || '', text: e.innerText || '',
                    outline: s.outlineStyle + ' ' + s.outlineWidth}; }""")

    assert focused()["name"] == "username"  # the sign-in page starts in its first field (autofocus)
    page.keyboard.press("Shift+Tab")
    first = focused()  # before it, only the skip link: visible when focused
    assert first["tag"] == "A" and "跳到正文" in first["text"] and first["outline"] != "none 0px"
    page.keyboard.press("Tab")
    assert focused()["name"] == "username"
    page.keyboard.type("bureau")
    page.keyboard.press("Tab")
    assert focused()["name"] == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")  # signs in: no mouse anywhere
    page.wait_for_url(re.compile(r"/bureau$"))
    page.goto("/ledger")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link takes the focus past the header into the page
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert focused()["text"] == "导出 CSV"  # the page's first control, after the header's
    context.close()
