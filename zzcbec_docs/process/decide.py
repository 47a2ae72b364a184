"""The one way to decide with the ledger: every command that states an amount goes through here.

`check`, `explain`, `render`, `match`, `batch`, `submit`, `review` and `award` all decide a bundle
with `decide_counting`: the applicant's awards in the ledger (revoked ones do not count), what the
bundle declares that the ledger does not already hold, and — in a batch — the bundles of the same
applicant decided before it. The result says that the ledger was counted, and whether this very
content was awarded (and revoked) before.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from zzcbec_docs.bundle.model import Bundle, PriorAward, competition_key
from zzcbec_docs.money import ZERO, fmt_yuan
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.engine import decide
from zzcbec_docs.rules.model import CheckResult, Warning_

NEAR_NAME_RATIO = 0.8


def merge_history(declared: Iterable[PriorAward], ledger: Iterable[PriorAward]) -> tuple[PriorAward, ...]:
    """What the bundle declares that the ledger does not already hold.

    A declared award is the ledger's own when it names the same notice, or else has the same
    clause, year, amount and competition as a ledger entry not yet matched (one to one).
    """
    unmatched = list(ledger)
    extra = []
    for p in declared:
        match = next((q for q in unmatched if p.reference and q.reference == p.reference), None) or next(
            (q for q in unmatched if (q.clause, q.year, q.amount, competition_key(q.competition_name))
             == (p.clause, p.year, p.amount, competition_key(p.competition_name))), None)
        if match is not None:
            unmatched.remove(match)
        else:
            extra.append(p)
    return tuple(extra)


def ledger_name(ledger: Any) -> str:
    """The ledger as a person recognises it, password hidden."""
    url = ledger.engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def _name_warnings(bundle: Bundle, history: Iterable[PriorAward]) -> list[Warning_]:
    """Clause 11: a competition named like one the applicant was already paid for."""
    out = []
    seen = {p.competition_name for p in history if p.clause == 11 and p.competition_name}
    for claim in bundle.claims:
        name = claim.competition_name
        if claim.clause != 11 or not name:
            continue
        key = competition_key(name)
        for other in sorted(seen):
            okey = competition_key(other)
            if okey == key and other != name:
                out.append(Warning_(
                    "competition_same_name",
                    f"第十一条竞赛“{name}”与台账中的“{other}”视为同一竞赛（忽略全角/半角与空白），按单个活动上限合并计算",
                    f"clause 11: competition {name!r} is the ledger's {other!r} (width and whitespace ignored); "
                    "one cap per competition applies to both",
                ))
            elif okey != key and difflib.SequenceMatcher(None, key, okey).ratio() >= NEAR_NAME_RATIO:
                out.append(Warning_(
                    "competition_near_name",
                    f"第十一条竞赛“{name}”与台账中已奖励的“{other}”名称相近，请核实是否为同一活动"
                    "（同一活动不得超过单个活动上限）",
                    f"clause 11: competition {name!r} is named much like {other!r}, already awarded in the "
                    "ledger; check that it is not the same competition (one cap per competition)",
                ))
    return out


def decide_counting(bundle: Bundle, policy: Policy, history: Iterable[PriorAward], *,
                    exclusion_list: frozenset[str] = frozenset(), earlier: Iterable[PriorAward] = (),
                    counted: str | None = None) -> CheckResult:
    """Decide `bundle` counting the ledger's `history` (and awards `earlier` in the same batch).

    `counted` names the ledger: the result then says it was counted.
    """
    history = tuple(history)
    earlier = tuple(earlier)
    known = history + earlier
    declared = merge_history(bundle.prior_awards, known)
    result = decide(replace(bundle, prior_awards=declared), policy, exclusion_list=exclusion_list,
                    ledger_awards=known)
    notes = _name_warnings(bundle, history)
    if counted is not None:
        total = sum((p.amount for p in history), ZERO)
        notes.append(Warning_(
            "ledger_counted",
            f"已计入奖励台账 {counted}：该申请人有效奖励 {len(history)} 笔，合计 {fmt_yuan(total)}（已撤销的不计）",
            f"the award ledger {counted} was counted: {len(history)} standing award(s) to this applicant, "
            f"{fmt_yuan(total)} in all (revoked awards do not count)",
        ))
    if earlier:
        files = sorted({p.reference or "?" for p in earlier})
        notes.append(Warning_(
            "batch_counted",
            f"已计入本批次中排在前面的同一申请人材料：{'、'.join(files)}（按文件名顺序共用上限）",
            f"the same applicant's bundles earlier in this batch were counted: {', '.join(files)} "
            "(caps shared in file-name order)",
        ))
    return replace(result, warnings=(*result.warnings, *notes)) if notes else result


def standing(result: CheckResult, notices: list[Any]) -> CheckResult:
    """Add what the ledger says about this very content: awarded (and standing), or revoked."""
    if not notices:
        return result
    live = [n for n in notices if n.rid is None]
    if live:
        n = live[-1]
        w = Warning_(
            "already_awarded_bundle",
            f"该申报内容已于 {n.issued_on} 奖励，文号 {n.number}；该笔奖励已计入上述上限，不会再次奖励",
            f"this very content was awarded on {n.issued_on} as {n.number}; its awards count against the "
            "caps above and it will not be awarded again",
        )
    else:
        n = notices[-1]
        w = Warning_(
            "revoked_award",
            f"该申报内容曾于 {n.issued_on} 奖励（文号 {n.number}），已于 {str(n.revoked_at)[:10]} 撤销：该笔奖励不再"
            f"计入上限；如需重新出具，用 award --reissue-of {n.number}",
            f"this very content was awarded on {n.issued_on} as {n.number} and revoked on "
            f"{str(n.revoked_at)[:10]}: it no longer counts against any cap; to issue it again use "
            f"award --reissue-of {n.number}",
        )
    return replace(result, warnings=(*result.warnings, w))


def check_with_ledger(bundle: Bundle, policy: Policy, ledger: Any, *,
                      exclusion_list: frozenset[str] = frozenset(), earlier: Iterable[PriorAward] = ()
                      ) -> CheckResult:
    """The check with the ledger counted (a read: no lock, nothing written)."""
    from zzcbec_docs.ledger.cases import notice_rows
    from zzcbec_docs.process.identity import canonical_json, content_sha256

    content = content_sha256(canonical_json(bundle))
    with ledger.engine.connect() as conn:
        history = ledger.history(conn, bundle.applicant.uscc)
        notices = notice_rows(conn, content_sha256=content, bundle_sha256=bundle.sha256)
    result = decide_counting(bundle, policy, history, exclusion_list=exclusion_list, earlier=earlier,
                             counted=ledger_name(ledger))
    return standing(result, notices)
