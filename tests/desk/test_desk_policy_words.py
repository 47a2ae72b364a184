"""The desk's pages cite the policy's own clause numbers: a policy that renumbers its exclusion and its
funding clauses (第十九条, 第二十六条) is cited so on the application form, the dashboard, the payment list
and the publicity page — never the draft's 第十五条 and 第十六条 (issue 22 point 5)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from conftest import clause_of, write_policy
from desk_support import add_accounts, sign_in


def _renumbered(d: dict) -> None:
    clause_of(d, 15)["number"] = 19  # the exclusion (and the referral of 第四、十三、十四条)
    clause_of(d, 16)["number"] = 26  # the funding split
    for c in d["clauses"]:
        if c.get("referred_by") == 15:
            c["referred_by"] = 19


@pytest.fixture
def desk(tmp_path):
    from zzcbec_docs.desk.app import create_app

    url = str(tmp_path / "desk.db")
    add_accounts(url)
    app = create_app(url, policy_path=str(write_policy(tmp_path / "renumbered.yaml", _renumbered)))
    yield {name: sign_in(TestClient(app, base_url="http://desk.test"), name) for name in ("ent-a", "bureau")}
    app.state.desk.ledger.engine.dispose()


def test_the_pages_cite_the_policys_own_numbers(desk):
    apply = desk["ent-a"].get("/apply")
    assert apply.status_code == 200
    assert "是否享受E贸易核心功能集聚区相关政策（第十九条）" in apply.text
    assert "按省、市现行政策支持（第十九条），本政策不核定金额" in apply.text
    dashboard = desk["bureau"].get("/dashboard")
    assert dashboard.status_code == 200 and "市级与区县（市）分担（第二十六条）" in dashboard.text
    publicity = desk["bureau"].get("/publicity")
    assert publicity.status_code == 200 and "市级与区县承担金额（第二十六条）" in publicity.text
    for page in (apply, dashboard, publicity):
        assert "（第十五条）" not in page.text and "（第十六条）" not in page.text
