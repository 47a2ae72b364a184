"""Readable text for people: CJK-aware column widths, one block per bundle."""

from __future__ import annotations

import unicodedata

from zzcbec_docs.money import fmt_yuan
from zzcbec_docs.rules.model import CheckResult
from zzcbec_docs.vocabulary import DECISION_ZH

STATUS_ZH = DECISION_ZH  # the words: zzcbec_docs.vocabulary


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, n: int, right: bool = False) -> str:
    space = " " * max(n - width(text), 0)
    return space + text if right else text + space


def render_result(r: CheckResult) -> str:
    lines = []
    if not r.valid:
        lines.append(f"✗ {r.source}  无效 / invalid")
        for e in r.errors:
            lines.append(f"    {e.path}: {e.zh}")
            lines.append(f"    {' ' * len(e.path)}  {e.en}")
        return "\n".join(lines)
    a = r.applicant or {}
    mark = "✓" if r.passed else "✗"
    lines.append(f"{mark} {r.source}  {a.get('name')}  {a.get('uscc')}  {a.get('district')}  {r.year}年度")
    head = ["条款", "状态", "金额", "市级", "区县（市）"]
    rows = []
    for d in r.decisions:
        f = d.funding
        label = f"{d.clause}" + (f"·{d.competition_name}" if d.competition_name else "")
        rows.append(
            [
                label,
                f"{STATUS_ZH[d.status]} {d.status}",
                fmt_yuan(d.amount),
                fmt_yuan(f.city) if f else "—",
                fmt_yuan(f.local) if f else "—",
            ]
        )
    widths = [max(width(x) for x in col) for col in zip(head, *rows, strict=False)]
    right = [False, False, True, True, True]
    lines.append("    " + "  ".join(pad(h, w, rt) for h, w, rt in zip(head, widths, right, strict=False)))
    for d, row in zip(r.decisions, rows, strict=False):
        lines.append("    " + "  ".join(pad(c, w, rt) for c, w, rt in zip(row, widths, right, strict=False)))
        for reason in d.reasons:
            lines.append(f"        · {reason.message}")
    lines.append(f"    合计 / total: {fmt_yuan(r.total)}")
    for w in r.warnings:
        if w.code not in ("draft_policy", "no_issue_date"):
            lines.append(f"    ! {w.message} / {w.message_en}")
    return "\n".join(lines)
