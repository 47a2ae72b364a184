"""The one way to decide with the ledger: every command that states an amount goes through here.

`check`, `explain`, `render`, `match`, `batch`, `submit`, `review` and `award` all decide a bundle
with `decide_counting`: the applicant's awards in the ledger (revoked ones do not count), what the
bundle declares that the ledger does not already hold, and — in a batch — the bundles of the same
applicant decided before it. The result says that the ledger was counted, and whether this very
content was awarded (and revoked) before.

A case never competes with itself: `ledger_view` is the one place where the ledger's prior awards
are gathered for a bundle or a case, and it leaves the case's own notices out (by case id, content
identity, or — for notices from before version 3 — the bundle's bytes). A case whose notice stands
is then shown as awarded (`standing`): the amounts of its notice, the number, 已奖励 — not decided
again against its own award. A cap per competition (Clause.per_competition: clause 11 of the draft) is
shared: the other organisers' standing awards for the same competition count too (`organisers`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from zzcbec_docs import vocabulary
from zzcbec_docs.bundle.model import Bundle, PriorAward, competition_key
from zzcbec_docs.money import ZERO, fmt_yuan
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.engine import decide
from zzcbec_docs.rules.model import CheckResult, Warning_

if TYPE_CHECKING:
    from zzcbec_docs.ledger.store import Ledger

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
            (
                q
                for q in unmatched
                if (q.clause, q.year, q.amount, competition_key(q.competition_name))
                == (p.clause, p.year, p.amount, competition_key(p.competition_name))
            ),
            None,
        )
        if match is not None:
            unmatched.remove(match)
        else:
            extra.append(p)
    return tuple(extra)


def ledger_name(ledger: Ledger) -> str:
    """The ledger as a person recognises it, password hidden."""
    url = ledger.engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return str(url.render_as_string(hide_password=True))


def _name_warnings(bundle: Bundle, history: Iterable[PriorAward], policy: Policy) -> list[Warning_]:
    """A clause capped per competition (Clause.per_competition): a competition named like one the
    applicant was already paid for under it."""
    out = []
    for n in sorted(policy.per_competition_clauses):
        cite = policy.cite(n)
        seen = {p.competition_name for p in history if p.clause == n and p.competition_name}
        for claim in bundle.claims:
            name = claim.item_name(policy)
            if claim.clause != n or not name:
                continue
            key = competition_key(name)
            for other in sorted(seen):
                okey = competition_key(other)
                if okey == key and other != name:
                    out.append(
                        Warning_(
                            "competition_same_name",
                            f"{cite}竞赛“{name}”与台账中的“{other}”视为同一竞赛（忽略全角/半角与空白），按单个活动上限合并计算",
                            f"clause {n}: competition {name!r} is the ledger's {other!r} (width and whitespace "
                            "ignored); one cap per competition applies to both",
                        )
                    )
                elif okey != key and difflib.SequenceMatcher(None, key or "", okey or "").ratio() >= NEAR_NAME_RATIO:
                    out.append(
                        Warning_(
                            "competition_near_name",
                            f"{cite}竞赛“{name}”与台账中已奖励的“{other}”名称相近，请核实是否为同一活动"
                            "（同一活动不得超过单个活动上限）",
                            f"clause {n}: competition {name!r} is named much like {other!r}, already awarded in "
                            "the ledger; check that it is not the same competition (one cap per competition)",
                        )
                    )
    return out


def decide_counting(
    bundle: Bundle,
    policy: Policy,
    history: Iterable[PriorAward],
    *,
    exclusion_list: frozenset[str] = frozenset(),
    earlier: Iterable[PriorAward] = (),
    counted: str | None = None,
    organisers: Iterable[PriorAward] = (),
) -> CheckResult:
    """Decide `bundle` counting the ledger's `history` (and awards `earlier` in the same batch).

    `counted` names the ledger: the result then says it was counted. `organisers`: other applicants'
    standing awards for the bundle's competitions (a per-competition cap is shared by the organisers).
    """
    history = tuple(history)
    earlier = tuple(earlier)
    organisers = tuple(organisers)
    known = history + earlier
    declared = merge_history(bundle.prior_awards, known)
    result = decide(
        replace(bundle, prior_awards=declared), policy, exclusion_list=exclusion_list, ledger_awards=known + organisers
    )
    notes = _name_warnings(bundle, history, policy)
    if organisers:
        names = "、".join(
            sorted({f"“{p.competition_name}”（{p.organiser}，{fmt_yuan(p.amount)}）" for p in organisers})
        )
        notes.append(
            Warning_(
                "competition_shared",
                f"同一竞赛的其他举办方已获奖励：{names}；单个活动上限由各举办方共用",
                f"another organiser of the same competition was already awarded ({len(organisers)} award(s)); the "
                "per-competition cap is shared by its organisers",
            )
        )
    if counted is not None:
        total = sum((p.amount for p in history), ZERO)
        notes.append(
            Warning_(
                "ledger_counted",
                f"已计入奖励台账 {counted}：该申请人有效奖励 {len(history)} 笔，合计 {fmt_yuan(total)}（已撤销的不计）",
                f"the award ledger {counted} was counted: {len(history)} standing award(s) to this applicant, "
                f"{fmt_yuan(total)} in all (revoked awards do not count)",
            )
        )
    if earlier:
        files = sorted({p.reference or "?" for p in earlier})
        notes.append(
            Warning_(
                "batch_counted",
                f"已计入本批次中排在前面的同一申请人材料：{'、'.join(files)}（按文件名顺序共用上限）",
                f"the same applicant's bundles earlier in this batch were counted: {', '.join(files)} "
                "(caps shared in file-name order)",
            )
        )
    return replace(result, warnings=(*result.warnings, *notes)) if notes else result


def standing(
    result: CheckResult, notices: list[Any], lines: dict[int, list[Any]] | None, policy: Policy
) -> CheckResult:
    """Add what the ledger says about this very content: awarded (and standing), or revoked.

    With the notices' award `lines` ({notice id: [AwardLine]}), a content whose notice stands is shown
    as awarded: each claim with the amount and shares its notice recorded and the notice's number,
    the result with its notices (已奖励) — not decided again against its own award."""
    if not notices:
        return result
    live = [n for n in notices if n.rid is None]
    if live:
        n = live[-1]
        w = Warning_(
            "already_awarded_bundle",
            f"该申报内容已奖励：{n.issued_on}，文号 {n.number}；按已奖励的金额列示（不与自身的奖励相抵），不会再次奖励",
            f"this very content was awarded on {n.issued_on} as {n.number}; it is shown as awarded (its own "
            "award is not counted against it) and it will not be awarded again",
        )
        if lines is not None:
            result = shown_awarded(result, live, lines, policy)
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


def as_awarded(
    result: CheckResult, lines: Iterable[Any], policy: Policy, district: str, notice: tuple[str, str] | None = None
) -> CheckResult:
    """The decisions with the amounts and shares the ledger recorded for one notice (`lines`: its
    AwardLines); `notice` = (number, issued_on) marks each awarded claim with it."""
    from zzcbec_docs.bundle.model import competition_key
    from zzcbec_docs.rules.funding import funding_split
    from zzcbec_docs.rules.model import ELIGIBLE, INELIGIBLE, AwardRef, Funding, Step

    left = list(lines)
    decisions = []
    for d in result.decisions:
        line = next(
            (
                x
                for x in left
                if x.clause == d.clause and competition_key(x.competition_name) == competition_key(d.competition_name)
            ),
            None,
        )
        if line is None:
            if d.status == ELIGIBLE:
                step = Step(
                    clause=d.clause,
                    code="not_in_notice",
                    message="本通知未奖励该事项",
                    message_en="this notice awards nothing for this claim",
                    passed=False,
                )
                d = replace(d, status=INELIGIBLE, amount=ZERO, funding=None, reasons=(step,))
            decisions.append(d)
            continue
        left.remove(line)
        split = funding_split(policy, d.clause, district, line.amount)
        funding = None
        if line.city is not None:
            funding = Funding(
                city=line.city,
                local=line.local or ZERO,
                city_ratio=split.city_ratio if split else Decimal(0),
                group=split.group if split else "",
            )
        ref = AwardRef(notice[0], notice[1], line.amount, AWARDED_LABEL) if notice is not None else None
        decisions.append(replace(d, status=ELIGIBLE, amount=line.amount, funding=funding, reasons=(), awarded=ref))
    return replace(result, decisions=tuple(decisions))


def shown_awarded(result: CheckResult, live: list[Any], lines: dict[int, list[Any]], policy: Policy) -> CheckResult:
    """The result of a content whose notice(s) stand: what they awarded, with their numbers."""
    from zzcbec_docs.rules.model import AwardRef

    district = (result.applicant or {}).get("district", "")
    shown = result
    for n in live:  # one standing notice per content (award refuses a second); the latest decides the claims
        shown = as_awarded(result, lines.get(n.id, []), policy, district, notice=(n.number, n.issued_on))
    refs = tuple(
        AwardRef(n.number, n.issued_on, sum((x.amount for x in lines.get(n.id, [])), ZERO), AWARDED_LABEL) for n in live
    )
    return replace(shown, awarded=refs)


AWARDED_LABEL = vocabulary.status("awarded")  # 已奖励: the case status


@dataclass(frozen=True)
class LedgerView:
    """What the ledger holds for one bundle or case: the applicant's other standing awards, the other
    organisers' awards for its competitions, and its own notices (with their award lines)."""

    history: tuple[PriorAward, ...]
    organisers: tuple[PriorAward, ...]
    notices: list[Any]
    lines: dict[int, list[Any]]


def ledger_view(
    conn: Any,
    ledger: Any,
    bundle: Bundle,
    policy: Policy,
    *,
    case_id: str | None = None,
    contents: Iterable[str] = (),
    bundle_bytes: Iterable[str | None] = (),
) -> LedgerView:
    """The one place where a bundle's (or case's) prior awards are gathered from the ledger: the
    applicant's standing awards but the case's own, by case id, content identity (the current one and
    the one an earlier version gave the same content) or the bundle's bytes (notices before version 3)."""
    from zzcbec_docs.ledger import cases as store
    from zzcbec_docs.ledger.store import OwnAwards
    from zzcbec_docs.process.identity import content_identities
    from zzcbec_docs.process.model import AwardLine

    identities = set(contents) | set(content_identities(bundle))
    byte_hashes = {b for b in (*bundle_bytes, bundle.sha256) if b}
    ids = {case_id} if case_id else set()
    own = OwnAwards(case_ids=frozenset(ids), contents=frozenset(identities), bundle_bytes=frozenset(byte_hashes))
    uscc = bundle.applicant.uscc
    history = tuple(ledger.history(conn, uscc, excluding=own))
    clauses = policy.per_competition_clauses
    keys = {k for c in bundle.claims if c.clause in clauses and (k := competition_key(c.item_name(policy)))}
    organisers = tuple(ledger.competition_history(conn, clauses, keys, uscc=uscc, excluding=own)) if keys else ()
    notices: list[Any] = []
    seen: set[int] = set()
    if case_id or identities or byte_hashes:  # one query for the case's, its contents' and its bytes' notices
        for n in store.notice_rows(conn, case_id=case_id or None, contents=identities, bundles=byte_hashes):
            if n.id not in seen:
                seen.add(n.id)
                notices.append(n)
    notices.sort(key=lambda n: n.id)
    lines: dict[int, list[Any]] = {}
    for a in store.award_rows(conn, [n.id for n in notices if n.rid is None]) if notices else ():
        lines.setdefault(a.notice_id, []).append(
            AwardLine(
                a.clause,
                a.competition_name,
                a.year,
                store.money(a.amount_cents) or ZERO,
                store.money(a.city_cents),
                store.money(a.local_cents),
            )
        )
    return LedgerView(history, organisers, notices, lines)


def profile_awards(
    ledger: Any, policy: Policy, uscc: str, year: int, facts: dict[str, Any]
) -> dict[int, list[tuple[str, str, Decimal, str | None]]]:
    """`match PROFILE --ledger`: the applicant's standing awards that are the profile's own claims — a
    case of the same applicant and 申报年度 whose claim states the profile's very facts for the clause.
    {clause: [(notice number, issued on, amount, competition)]}; shown as awarded, not counted against
    themselves (the applicant's other awards still count)."""
    from zzcbec_docs.bundle.contract import fact_kinds
    from zzcbec_docs.bundle.validate import _typed
    from zzcbec_docs.ledger import cases as store
    from zzcbec_docs.process.cases import bundle_of

    kinds = fact_kinds(policy)
    out: dict[int, list[tuple[str, str, Decimal, str | None]]] = {}
    with ledger.engine.connect() as conn:
        for listed in store.case_rows(conn, uscc=uscc, year=year):
            live = [
                n
                for n in store.notice_rows(conn, case_id=listed.id, content_sha256=listed.content_sha256)
                if n.rid is None
            ]
            if not live:
                continue
            row = store.case_row(conn, listed.id)
            try:
                claims = bundle_of(row, policy).claims
            except Exception:  # noqa: BLE001 - a case this version cannot read is not the profile's
                continue
            numbers = {n.id: (n.number, n.issued_on) for n in live}
            lines = store.award_rows(conn, list(numbers))
            for c in claims:
                clause = policy.clauses.get(c.clause)
                if clause is None:
                    continue
                try:
                    same = all(
                        f in facts and _typed(kinds[c.clause].get(f, "text"), facts[f]) == c.facts.get(f)
                        for f in clause.facts
                    )
                except (KeyError, TypeError, ValueError, ArithmeticError):
                    same = False
                if not same:
                    continue
                for a in lines:
                    if a.clause == c.clause and competition_key(a.competition_name) == competition_key(
                        c.competition_name
                    ):
                        number, issued_on = numbers[a.notice_id]
                        out.setdefault(c.clause, []).append(
                            (number, issued_on, store.money(a.amount_cents) or ZERO, a.competition_name)
                        )
    return out


def check_with_ledger(
    bundle: Bundle,
    policy: Policy,
    ledger: Any,
    *,
    exclusion_list: frozenset[str] = frozenset(),
    earlier: Iterable[PriorAward] = (),
) -> CheckResult:
    """The check with the ledger counted (a read: no lock, nothing written); a content already
    awarded is shown as awarded."""
    return ledger_check(bundle, policy, ledger, exclusion_list=exclusion_list, earlier=earlier)[0]


def ledger_check(
    bundle: Bundle,
    policy: Policy,
    ledger: Any,
    *,
    exclusion_list: frozenset[str] = frozenset(),
    earlier: Iterable[PriorAward] = (),
    organisers: Iterable[PriorAward] = (),
    show_awarded: bool = True,
) -> tuple[CheckResult, LedgerView]:
    """The one ledger check: the bundle decided counting the ledger's awards (never this content's own) and
    the awards `earlier` in a batch, with the ledger view it counted. `ledger` None: no ledger (nothing
    counted but `earlier`). `organisers`: the same competition's awards to other applicants that the ledger
    does not hold yet (a batch's earlier bundles). `show_awarded=False`: the decisions as made (the case's
    own award left out, so they are what they were before it), for documents made again."""
    if ledger is None:
        view = LedgerView((), (), [], {})
    else:
        with ledger.engine.connect() as conn:
            view = ledger_view(conn, ledger, bundle, policy)
    result = decide_counting(
        bundle,
        policy,
        view.history,
        exclusion_list=exclusion_list,
        earlier=earlier,
        counted=ledger_name(ledger) if ledger is not None else None,
        organisers=(*view.organisers, *organisers),
    )
    return standing(result, view.notices, view.lines if show_awarded else None, policy), view
