"""The desk's steps, shared by the JSON API (`api.py`) and the HTML forms (`pages.py`): a request's
input checked in the desk's words, then one call of the service layer, which decides and records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zzcbec_docs.desk import authz
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.http import HttpError, notice_field, unprocessable
from zzcbec_docs.vocabulary import CONCLUSION_ZH


def list_cases(desk: Desk, user: User, status: str | None = None) -> list[Any]:
    """The cases this user may see."""
    return desk.service.list_cases(status=status, **authz.visible_filter(user))


def submit(desk: Desk, user: User, bundle: Any, attachments: dict[str, bytes] | None) -> Any:
    if bundle.applicant.uscc != user.uscc:
        raise HttpError(
            403,
            f"申报单位的统一社会信用代码 {bundle.applicant.uscc} 与本账号绑定的 {user.uscc} 不一致",
            f"the bundle's USCC {bundle.applicant.uscc} is not this account's {user.uscc}",
        )
    # the process appends the case's own events (submitted / resubmitted, who, when) in its transaction
    return desk.service.submit(bundle, actor=user.username, attachments=attachments)


def verified_claims(data: Any, bundle: Any, policy: Any) -> tuple[Any, ...]:
    """The review body's `verified` list: its shape checked here, its facts by the one validation of
    verified facts (bundle.verified.checked_verified; a refusal is a 422 naming the place)."""
    from zzcbec_docs.bundle.model import item_key
    from zzcbec_docs.bundle.verified import checked_verified
    from zzcbec_docs.process.model import ReviewRefused, VerifiedClaim

    if data is None:
        return ()
    if not isinstance(data, list):
        raise unprocessable("/verified", "verified 应为列表", "verified is a list")
    for i, item in enumerate(data):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("clause"), int)
            or not isinstance(item.get("facts"), dict)
        ):
            raise unprocessable(f"/verified/{i}", "每项核实数据应为 {clause, facts}", "each item is {clause, facts}")
    claimed = {item_key(policy, c.clause, c.item_name(policy)) for c in bundle.claims}
    items = ((item["clause"], item.get("competition_name"), item["facts"]) for item in data)
    return tuple(
        VerifiedClaim(v.clause, v.name if policy.per_competition(v.clause) else None, v.facts)
        for v in checked_verified(items, policy, error=ReviewRefused, claimed=claimed)
    )


def review(desk: Desk, user: User, detail: Any, data: dict[str, Any]) -> Any:
    from zzcbec_docs.process.model import ReviewInput

    conclusion = data.get("conclusion")
    if conclusion not in CONCLUSION_ZH:
        raise unprocessable(
            "/conclusion", "请选择审核结论：同意、部分同意或不同意", "choose the conclusion: approve, partial or reject"
        )
    remarks = data.get("remarks", "")
    if not isinstance(remarks, str) or len(remarks) > 4000:
        raise unprocessable(
            "/remarks", "审核意见应为不超过 4000 字的文字", "remarks is text of at most 4000 characters"
        )
    if conclusion in ("reject", "partial") and not remarks.strip():
        # the enterprise is told why: a rejection (or a partial approval) without a reason is not recorded
        raise unprocessable(
            "/remarks",
            f"审核结论为“{CONCLUSION_ZH[conclusion]}”时，请在审核意见中写明理由",
            f"a conclusion of {conclusion} needs its reason in the remarks",
        )
    reviewed_on = None
    if data.get("reviewed_on") is not None:
        try:
            reviewed_on = dt.date.fromisoformat(str(data["reviewed_on"]))
        except ValueError:
            raise unprocessable("/reviewed_on", "日期应为 YYYY-MM-DD", "a date is written YYYY-MM-DD") from None
    verified = verified_claims(data.get("verified"), detail.bundle, desk.policy)
    # the opinion names the reviewer's own unit (a district bureau, from the account; the city's review:
    # the issuer profile's 审核单位) and the reviewer's name, not the login
    unit = user.unit or (desk.issuer.review_unit if user.role == "bureau" else None)
    record = ReviewInput(
        reviewer=user.display_name,
        conclusion=conclusion,
        verified=verified,
        remarks=remarks,
        reviewed_on=reviewed_on,
        unit=unit,
    )
    return desk.service.review(detail.case.id, record, actor=user.username)


def award(desk: Desk, user: User, detail: Any, date: dt.date | None, reissue_of: str | None = None) -> Any:
    return desk.service.award(
        detail.case.id, actor=user.username, date=date, reissue_of=reissue_of, require_review=True
    )


def revoke(desk: Desk, user: User, detail: Any, number: str | None, reason: str) -> tuple[str, Any]:
    """Revoke the case's notice `number` (or its latest in force)."""
    from zzcbec_docs.process.model import NotAwardable

    live = [n for n in detail.notices if not notice_field(n, "revoked")]
    numbers = [notice_field(n, "number") for n in live]
    if number is None:
        if not numbers:
            raise NotAwardable("该案件没有有效的奖励通知可撤销", "the case has no notice in force to revoke")
        number = numbers[-1]
    elif number not in numbers:
        raise unprocessable(
            "/number", f"通知书 {number} 不属于该案件或已撤销", f"notice {number} is not this case's or was revoked"
        )
    return number, desk.service.revoke(number, reason=reason, actor=user.username)
