"""The one service object both faces build at their edge: the command line per command, the desk once.

`Service(ledger, policy, issuer, exclusion_list)` holds what every step of the award process
needs and passes it on explicitly: the policy (with the issue date of clause 18 applied, from
--issued-on or the policy file's own date), the issuer profile (the 发文机关 that numbers the
notices and prints them: its name, 代字, 版头 and 版记), and the clause 15 exclusion list. The
command line and the desk call only this object for submit, review, award, revoke, case reads,
the check with the ledger, documents and the cap use; nothing below it falls back to the
packaged draft or the packaged issuer on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zzcbec_docs.bundle.model import Bundle, PriorAward
    from zzcbec_docs.documents.content import NoticeOptions
    from zzcbec_docs.documents.issuer import Issuer
    from zzcbec_docs.documents.parallel import Workers
    from zzcbec_docs.documents.review import Review
    from zzcbec_docs.documents.verify import NoticeFacts
    from zzcbec_docs.ledger.store import Ledger
    from zzcbec_docs.policy.model import Policy
    from zzcbec_docs.process.model import (
        AwardOutcome,
        Case,
        CaseDetail,
        ReviewInput,
        ReviewOutcome,
        Revocation,
        Submission,
    )
    from zzcbec_docs.process.rendering import BundleDocuments, Reviewed
    from zzcbec_docs.rules.model import CheckResult


@dataclass(frozen=True)
class CapUse:
    """How much of one cap the standing awards use (the rules' own cap code says which cap and scope)."""

    clause: int
    scope: tuple[Any, ...]
    cap: Decimal
    used: Decimal

    @property
    def share(self) -> Decimal:
        return min(Decimal(1), self.used / self.cap) if self.cap > 0 else Decimal(1)


@dataclass(frozen=True)
class Service:
    """The award process over one ledger, under one policy, for one issuer. See the module docstring."""

    ledger: Ledger | None
    policy: Policy
    issuer: Issuer
    exclusion_list: frozenset[str] = frozenset()

    # ---------------------------------------------------------------- building it at an edge
    @classmethod
    def build(
        cls,
        ledger: Ledger | None,
        policy: Policy,
        *,
        issuer: Issuer | None = None,
        issuer_profile: str | Path | None = None,
        exclusion_list: frozenset[str] | str | Path | None = None,
        issued_on: dt.date | None = None,
    ) -> Service:
        """From what an edge was given: `issued_on` overrides the policy file's date (clause 18);
        `issuer_profile` is a profile file (None: the packaged 郑州市商务局); `exclusion_list` a set of
        USCCs or the file that lists them (clause 15)."""
        from zzcbec_docs.documents.issuer import DEFAULT_PROFILE, load_issuer

        if issued_on is not None:
            policy = policy.with_issued_on(issued_on)
        if issuer is None:
            issuer = load_issuer(str(issuer_profile or DEFAULT_PROFILE))
        if exclusion_list is None:
            excluded: frozenset[str] = frozenset()
        elif isinstance(exclusion_list, frozenset):
            excluded = exclusion_list
        else:
            from zzcbec_docs.check import read_exclusion_list

            excluded = read_exclusion_list(exclusion_list)
        return cls(ledger=ledger, policy=policy, issuer=issuer, exclusion_list=excluded)

    @property
    def book(self) -> Ledger:
        """The ledger (a service built without one cannot run the process)."""
        if self.ledger is None:
            from zzcbec_docs.errors import ArgumentError

            raise ArgumentError(
                "请用 --ledger 或 ZZCBEC_LEDGER 指定奖励台账", "give the ledger with --ledger or ZZCBEC_LEDGER"
            )
        return self.ledger

    @property
    def profile(self) -> str:
        """The issuer profile's file, for the documents."""
        return self.issuer.source

    @property
    def ledger_name(self) -> str | None:
        """The ledger as a person recognises it (password hidden), or None without one."""
        if self.ledger is None:
            return None
        from zzcbec_docs.process.decide import ledger_name

        return ledger_name(self.ledger)

    @property
    def ledger_places(self) -> tuple[str, ...]:
        """Every way a message may write the ledger's place (its URL, the URL with the password hidden,
        its name), the longest first: what a page takes out of the library's words."""
        if self.ledger is None:
            return ()
        from zzcbec_docs.ledger.store import shown_url

        places = {self.ledger.url, shown_url(self.ledger.url), self.ledger_name or ""}
        return tuple(sorted((p for p in places if p), key=len, reverse=True))

    def apply_fonts(self) -> None:
        """The issuer profile's fonts, for every document made after."""
        from zzcbec_docs.documents.issuer import apply_fonts

        apply_fonts(self.issuer)

    # ---------------------------------------------------------------- the steps
    def submit(
        self, bundle: Bundle, *, actor: str, attachments: Mapping[str, bytes] | None = None, with_review: bool = False
    ) -> Submission:
        from zzcbec_docs.process.cases import submit

        return submit(
            self.book,
            bundle,
            actor=actor,
            policy=self.policy,
            attachments=attachments,
            exclusion_list=self.exclusion_list,
            with_review=with_review,
        )

    def review(self, case_id: str, record: ReviewInput, *, actor: str) -> ReviewOutcome:
        from zzcbec_docs.process.cases import review

        return review(self.book, case_id, record, actor=actor, policy=self.policy, exclusion_list=self.exclusion_list)

    def check_record(self, record: ReviewInput, bundle: Bundle) -> None:
        """A review record's verified facts checked against a bundle before the bundle is submitted
        (refused with its place, as `review` would refuse them after)."""
        from zzcbec_docs.process.verified import verified_facts

        verified_facts(record.verified, bundle, file=record.record_file, policy=self.policy)

    def award(
        self,
        case_id: str,
        *,
        actor: str,
        date: dt.date | None = None,
        reissue_of: str | None = None,
        require_review: bool = False,
        issuer_name: str | None = None,
        code: str | None = None,
        before_commit: Callable[[AwardOutcome, Any], Any] | None = None,
    ) -> AwardOutcome:
        """Award under the issuer's name and 代字 (the profile's, unless the command line names others)."""
        from zzcbec_docs.process.awarding import award

        return award(
            self.book,
            case_id,
            actor=actor,
            policy=self.policy,
            date=date,
            issuer=issuer_name or self.issuer.name,
            code=code or self.issuer.code,
            reissue_of=reissue_of,
            exclusion_list=self.exclusion_list,
            require_review=require_review,
            before_commit=before_commit,
        )

    def revoke(self, number: str, *, reason: str, actor: str) -> Revocation:
        from zzcbec_docs.process.awarding import revoke

        return revoke(self.book, number, reason=reason, actor=actor)

    # ---------------------------------------------------------------- the day's work (issue 23)
    def take(self, case_id: str, *, actor: str) -> Any:
        from zzcbec_docs.process.assignment import take

        return take(self.book, case_id, actor=actor)

    def assign(self, case_id: str, *, reviewer: str, actor: str, reason: str = "") -> Any:
        from zzcbec_docs.process.assignment import assign

        return assign(self.book, case_id, reviewer=reviewer, actor=actor, reason=reason)

    def return_for_correction(self, case_id: str, *, reason: str, actor: str) -> Any:
        from zzcbec_docs.process.correction import return_for_correction

        return return_for_correction(self.book, case_id, reason=reason, actor=actor)

    def resubmit(
        self, case_id: str, bundle: Bundle, *, actor: str, attachments: Mapping[str, bytes] | None = None
    ) -> Any:
        from zzcbec_docs.process.correction import resubmit

        return resubmit(
            self.book,
            case_id,
            bundle,
            actor=actor,
            policy=self.policy,
            attachments=attachments,
            exclusion_list=self.exclusion_list,
        )

    def award_many(self, case_ids: Iterable[str], *, actor: str, date: dt.date) -> Any:
        """Each case awarded on its own (all or nothing per case), under the issuer's name and 代字."""
        from zzcbec_docs.process.bulk import award_many

        return award_many(
            self.book,
            case_ids,
            date=date,
            actor=actor,
            policy=self.policy,
            issuer=self.issuer.name,
            code=self.issuer.code,
            exclusion_list=self.exclusion_list,
        )

    def queue(self, filters: Any, **scope: Any) -> Any:
        """A page of the review queue, ages counted against the issuer profile's 办理时限."""
        from zzcbec_docs.process.queue import queue

        return queue(self.book, self.issuer, filters, **scope)

    def publicity_files(
        self, year: int, *, start: dt.date, days: int, mask: bool = False
    ) -> tuple[list[Any], dict[str, bytes]]:
        """The 公示 of a year's proposed awards as the desk publishes it: its entries and its PDF and
        DOCX bytes, under this issuer (its fonts, its working days)."""
        import tempfile

        from zzcbec_docs.documents.issuer import apply_fonts
        from zzcbec_docs.documents.publicity import render_publicity

        entries = self.publicity_entries(year)
        if not entries:
            return entries, {}
        apply_fonts(self.issuer)
        with tempfile.TemporaryDirectory() as tmp:
            files = render_publicity(
                entries,
                self.policy,
                self.issuer,
                year=year,
                start=start,
                days=days,
                mask=mask,
                formats=("pdf", "docx"),
                out_dir=Path(tmp),
            )
            return entries, {Path(f).suffix.lstrip("."): Path(f).read_bytes() for f in files}

    def payments(self, year: int) -> list[Any]:
        from zzcbec_docs.process.bulk import payments

        return payments(self.book, year, self.policy)

    # ---------------------------------------------------------------- reads
    def get_case(self, case_id: str) -> CaseDetail:
        from zzcbec_docs.process.cases import get_case

        return get_case(self.book, case_id, self.policy)

    def list_cases(self, **filters: Any) -> list[Case]:
        from zzcbec_docs.process.cases import list_cases

        return list_cases(self.book, **filters)

    def case_result(self, case_id: str) -> CheckResult:
        from zzcbec_docs.process.cases import case_result

        return case_result(self.book, case_id, self.policy, exclusion_list=self.exclusion_list)

    def attachment(self, case_id: str, attachment_id: int) -> tuple[str, str, bytes]:
        from zzcbec_docs.process.cases import attachment

        return attachment(self.book, case_id, attachment_id)

    def check(self, bundle: Bundle, *, earlier: Iterable[PriorAward] = ()) -> CheckResult:
        """The decision now, counting the ledger when there is one (a read: nothing written)."""
        if self.ledger is None:
            from zzcbec_docs.rules.engine import decide

            return decide(bundle, self.policy, exclusion_list=self.exclusion_list, ledger_awards=tuple(earlier))
        from zzcbec_docs.process.decide import check_with_ledger

        return check_with_ledger(bundle, self.policy, self.ledger, exclusion_list=self.exclusion_list, earlier=earlier)

    def decide_reviewed(self, bundle: Bundle, review: Review | None = None) -> Reviewed:
        """A bundle decided for its documents (`render`): as declared, counting the ledger but never its own
        award, and as a review file's verified facts give (process.rendering.decide_reviewed)."""
        from zzcbec_docs.process.rendering import decide_reviewed

        return decide_reviewed(bundle, self.policy, self.ledger, review=review, exclusion_list=self.exclusion_list)

    def render_documents(
        self,
        sources: list[str],
        *,
        kinds: list[str],
        formats: list[str],
        out_dir: Path,
        review_path: Path | None = None,
        notice: NoticeOptions | None = None,
        jobs: int = 0,
        workers: Workers | None = None,
    ) -> Iterator[BundleDocuments]:
        """`render`: each bundle checked, decided (with the ledger, with a review) and its documents made,
        specimens of the notice (process.rendering.render_documents); one outcome per bundle, in order."""
        from zzcbec_docs.documents.content import NoticeOptions
        from zzcbec_docs.process.rendering import render_documents

        return render_documents(
            sources,
            self.policy,
            kinds=kinds,
            formats=formats,
            out_dir=out_dir,
            review_path=review_path,
            notice=notice or NoticeOptions(),
            exclusion_list=self.exclusion_list,
            ledger=self.ledger,
            jobs=jobs,
            workers=workers,
        )

    def case_document(
        self, case_id: str, kind: str, fmt: str, *, number: str | None = None, unsigned: bool = False
    ) -> tuple[str, bytes]:
        """(file name, bytes) of a case's application packet, opinion or notice, under this issuer
        (a notice's PDF signed with the issuer's key unless `unsigned`)."""
        from zzcbec_docs.process.documents import case_document

        return case_document(
            self.book,
            case_id,
            kind,
            fmt,
            policy=self.policy,
            number=number,
            exclusion_list=self.exclusion_list,
            profile=self.profile,
            unsigned=unsigned,
        )

    def make_notice(
        self,
        outcome: AwardOutcome,
        bundle: Bundle,
        fmt: str,
        *,
        date: dt.date,
        issuer_name: str | None = None,
        unsigned: bool = False,
    ) -> tuple[str, bytes]:
        """The notice of an award being made (inside its transaction: `award(before_commit=…)`);
        its PDF signed with the issuer's key unless `unsigned`."""
        from zzcbec_docs.process.documents import make_document

        return make_document(
            "notice",
            fmt,
            bundle,
            self.policy,
            declared=outcome.result,
            verified=outcome.result,
            number=outcome.number,
            issuer=issuer_name or self.issuer.name,
            date=date,
            replaces=outcome.reissue_of,
            profile=self.profile,
            unsigned=unsigned,
        )

    def publicity_entries(self, year: int) -> list[Any]:
        from zzcbec_docs.process.documents import publicity_entries

        return publicity_entries(self.book, year, self.policy)

    def awards(self, **filters: Any) -> list[Any]:
        return self.book.awards(**filters)

    # ---------------------------------------------------------------- verifying a notice
    def verify(self, path: Path, *, allow_unsigned: bool = False) -> Any:
        """`zzcbec verify`: the file's every printed figure and name against the ledger (documents.verify),
        and a PDF's signature against this issuer's certificate."""
        from zzcbec_docs.documents.verify import verify_file

        return verify_file(
            path,
            self.book,
            notice=self.notice_facts,
            signing=self.issuer.signing,
            allow_unsigned=allow_unsigned,
            verify_url=self.issuer.verify_url,
        )

    def standing(self, *, number: str | None = None, code: str | None = None) -> Any:
        """What anyone holding the notice may learn (process/standing.py): by number, or by 核验码."""
        from zzcbec_docs.process.standing import standing

        return standing(self.book, number=number, code=code)

    def notice_facts(self, number: str) -> NoticeFacts | None:
        """A notice as the ledger holds it: issuer, district, date, applicant, and the bank account of its
        case's stored application (None for notices from before version 3, which have no case)."""
        import json

        from zzcbec_docs.ledger import cases as store

        with self.book.engine.connect() as conn:
            rows = store.notice_rows(conn, number=number)
            if not rows:
                return None
            row = rows[0]
            case = store.case_row(conn, row.case_id) if row.case_id else None
        bank = None
        if case is not None:
            applicant = json.loads(case.content).get("applicant") or {}
            given = applicant.get("bank") if isinstance(applicant, dict) else None
            if isinstance(given, dict):
                bank = (str(given.get("name") or ""), str(given.get("account") or ""))
        return {
            "issuer": row.issuer,
            "district": row.district,
            "issued_on": row.issued_on,
            "applicant": row.applicant_name,
            "bank": bank,
        }

    # ---------------------------------------------------------------- the caps, as the rules count them
    def cap_use(self) -> list[CapUse]:
        """Each cap the standing awards touch, with what they use of it: the scope (per applicant and
        year, one-time, per competition…) and the ceiling (the clause's cap, a fee tier's own cap) are
        the rules' (`rules.caps.cap_use`), never worked out here."""
        from zzcbec_docs.bundle.model import competition_key
        from zzcbec_docs.ledger import cases as store
        from zzcbec_docs.process.cases import bundle_of, latest_verified
        from zzcbec_docs.process.verified import apply_verified
        from zzcbec_docs.rules.caps import cap_use

        out: dict[tuple[Any, ...], CapUse] = {}
        ledger = self.book
        per_item = self.policy.per_competition_clauses
        with ledger.engine.connect() as conn:
            notices = [n for n in store.notice_rows(conn) if n.rid is None]
            histories: dict[str, list[Any]] = {}
            facts_of: dict[str, Bundle | None] = {}
            lines: dict[int, list[Any]] = {}
            for a in store.award_rows(conn, [n.id for n in notices]) if notices else ():
                lines.setdefault(a.notice_id, []).append(a)
            for n in notices:
                if n.uscc not in histories:
                    histories[n.uscc] = ledger.history(conn, n.uscc)
                bundle = None
                if n.case_id is not None:
                    if n.case_id not in facts_of:
                        row = store.case_row(conn, n.case_id)
                        b = bundle_of(row, self.policy) if row is not None else None
                        if b is not None:
                            _, verified = latest_verified(conn, n.case_id, b, self.policy)
                            b = apply_verified(b, verified, self.policy) if verified else b
                        facts_of[n.case_id] = b
                    bundle = facts_of[n.case_id]
                for a in lines.get(n.id, ()):
                    clause = self.policy.clauses.get(a.clause)
                    if clause is None or clause.cap is None and clause.amount is None:
                        continue
                    key = competition_key(a.competition_name) if a.clause in per_item else None
                    claim = next(
                        (
                            c
                            for c in (bundle.claims if bundle else ())
                            if c.clause == a.clause
                            and (key is None or competition_key(c.item_name(self.policy)) == key)
                        ),
                        None,
                    )
                    prior = list(histories[n.uscc])
                    if key:  # 单个活动: the competition's awards to its other organisers count too (as deciding does)
                        prior += ledger.competition_history(conn, per_item, {key}, uscc=n.uscc)
                    use = cap_use(
                        self.policy,
                        a.clause,
                        a.year,
                        claim.facts if claim else {},
                        prior,
                        uscc=n.uscc,
                        competition_name=a.competition_name,
                    )
                    if use is None:
                        continue
                    scope, cap, used = use
                    where = (a.clause, *scope)
                    out[where] = CapUse(a.clause, scope, cap, used)
        return list(out.values())

    def with_ledger(self, ledger: Ledger | None) -> Service:
        return replace(self, ledger=ledger)
