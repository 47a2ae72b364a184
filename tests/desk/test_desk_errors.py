"""The library's errors as HTTP statuses (desk/errors.py: STATUSES), each over HTTP where a route can meet
it: a ledger's refusal is a conflict (409), only a ledger that cannot be reached or written is 503."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from desk_support import PASSWORD, two_case_desk

TODAY = dt.date.today().isoformat()


@pytest.fixture
def desk(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    yield from two_case_desk(str(folder / "desk.db"))


def test_each_library_error_has_its_status():
    from zzcbec_docs.desk.accounts import TooManyAttempts
    from zzcbec_docs.desk.errors import status_of
    from zzcbec_docs.desk.uploads import UploadRefused
    from zzcbec_docs.errors import BundleError, LedgerError, LedgerUnavailable, PolicyError, TimestampUnavailable
    from zzcbec_docs.process.model import (
        AlreadyAwarded,
        CaseAwardedStands,
        CaseNotFound,
        NotAwardable,
        ReviewRefused,
        StepConflict,
    )

    answers = {
        LedgerError("已撤销", "already revoked"): 409,
        LedgerUnavailable("无法打开台账", "cannot open the ledger"): 503,
        TimestampUnavailable("时间戳服务无答复", "no timestamp from the TSA"): 503,
        AlreadyAwarded("郑商务〔2026〕1号", revoked=False): 409,
        CaseAwardedStands("郑商务〔2026〕1号"): 409,
        NotAwardable("无可奖励", "nothing to award"): 409,
        StepConflict("已由他人受理", "taken by another"): 409,
        CaseNotFound("没有这个案件", "no such case"): 404,
        ReviewRefused("结论与数据矛盾", "the conclusion contradicts the figures"): 422,
        BundleError("材料有误", "a bad bundle"): 422,
        UploadRefused("文件过大", "too large"): 422,
        PolicyError("政策有误", "a bad policy"): 422,
        TooManyAttempts(30): 429,
    }
    assert {type(e).__name__: status_of(e) for e in answers} == {type(e).__name__: s for e, s in answers.items()}


def _approve(desk) -> None:
    r = desk["c"]["rev-jinshui"].post(
        f"/api/cases/{desk['A']}/reviews", json={"conclusion": "approve", "verified": [], "remarks": "核实无误"}
    )
    assert r.status_code == 201, r.text


def test_award_refusals_are_409_with_reasons(desk):
    c, A = desk["c"], desk["A"]
    early = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})  # NotAwardable: no review approves it
    assert early.status_code == 409 and early.json()["errors"] and "retry-after" not in early.headers
    _approve(desk)
    assert c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY}).status_code == 201
    again = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY})  # already awarded
    assert again.status_code == 409 and "已奖励" in again.json()["message_zh"]


def test_a_ledger_refusal_is_a_conflict_not_an_unavailable_ledger(desk, monkeypatch):
    """Two revocations of one notice at once: the second finds it revoked in the ledger (a plain
    LedgerError from ledger.revoke_in) — 409 with the ledger's words, not 503 and no Retry-After."""
    from zzcbec_docs.process.service import Service

    c, A = desk["c"], desk["A"]
    _approve(desk)
    number = c["bureau"].post(f"/api/cases/{A}/award", json={"date": TODAY}).json()["number"]
    real = Service.revoke

    def the_other_request_first(self, number, *, reason, actor):  # type: ignore[no-untyped-def]
        real(self, number, reason="另一请求先撤销", actor="bureau")
        return real(self, number, reason=reason, actor=actor)

    monkeypatch.setattr(Service, "revoke", the_other_request_first)
    r = c["bureau"].post(f"/api/cases/{A}/revoke", json={"reason": "重复申报"})
    assert r.status_code == 409, r.text
    assert r.json()["message_zh"] == f"{number} 已撤销" and "retry-after" not in r.headers
    assert "desk.db" not in r.text


def test_a_write_to_a_ledger_gone_away_is_503_and_names_no_place(desk, tmp_path):
    """The ledger's folder goes away under the desk: a write transaction fails (LedgerUnavailable, not a
    refusal) and the desk answers 503 with Retry-After in its own words."""
    from zzcbec_docs.errors import LedgerUnavailable

    app, folder = desk["app"], tmp_path / "share"
    ledger = app.state.desk.ledger
    shutil.rmtree(folder)
    ledger.engine.dispose()
    with pytest.raises(LedgerUnavailable), ledger.transaction():
        pass
    r = desk["c"]["anonymous"].post("/api/login", json={"username": "bureau", "password": PASSWORD})
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "奖励台账暂时无法访问" in r.json()["message_zh"] and str(folder) not in r.text


def test_a_notice_whose_timestamp_authority_is_down_is_503_to_try_again_not_422(tmp_path):
    """发文机关配置的时间戳服务暂时连不上：下载 PDF 通知书得到 503 和 Retry-After（稍后再试），
    说明是时间戳服务的问题，而不是 422（请求有误）；DOCX 照常下载。"""
    import yaml
    from starlette.testclient import TestClient

    from zzcbec_docs.desk.app import create_app
    from zzcbec_docs.documents import issuer as issuer_module

    from desk_support import add_accounts, clause1, free_port, sign_in

    data = yaml.safe_load(Path(issuer_module.DEFAULT_PROFILE).read_text(encoding="utf-8"))
    tsa = f"http://127.0.0.1:{free_port()}/tsr"  # nothing listens there
    data["signing"] = {"demo": True, "tsa_url": tsa}
    profile = tmp_path / "bureau.yaml"
    profile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    url = str(tmp_path / "desk.db")
    add_accounts(url)
    app = create_app(url, issuer_profile=str(profile))  # as `zzcbec serve --issuer-profile` makes it
    try:
        c = {
            name: sign_in(TestClient(app, base_url="http://desk.test"), name)
            for name in ("ent-a", "rev-jinshui", "bureau")
        }
        case = c["ent-a"].post("/api/cases", json=clause1()).json()["id"]
        review = {"conclusion": "approve", "verified": [], "remarks": "核实无误"}
        assert c["rev-jinshui"].post(f"/api/cases/{case}/reviews", json=review).status_code == 201
        assert c["bureau"].post(f"/api/cases/{case}/award", json={"date": TODAY}).status_code == 201
        r = c["ent-a"].get(f"/api/cases/{case}/documents/notice.pdf")
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] and f"无法从时间戳服务 {tsa} 取得时间戳" in r.json()["message_zh"]
        assert c["ent-a"].get(f"/api/cases/{case}/documents/notice.docx").status_code == 200
    finally:
        app.state.desk.ledger.engine.dispose()
