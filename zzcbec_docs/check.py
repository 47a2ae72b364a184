"""The library's front door for intake: a file in, a CheckResult out (never an exception for bad input)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from zzcbec_docs.bundle import BundleInvalid, load_bundle
from zzcbec_docs.bundle.model import Bundle, PriorAward, Problem
from zzcbec_docs.errors import BundleError, ZzcbecError
from zzcbec_docs.loading import read_limited
from zzcbec_docs.policy.model import Policy
from zzcbec_docs.rules.engine import decide, policy_summary, policy_warnings
from zzcbec_docs.rules.model import CheckResult


def invalid_result(source: str, problems: list[Problem], policy: Policy, sha256: str | None = None) -> CheckResult:
    return CheckResult(
        source=source,
        valid=False,
        errors=tuple(problems),
        warnings=tuple(policy_warnings(policy)),
        policy=policy_summary(policy),
        sha256=sha256,
    )


def validate_file(path: str | Path, policy: Policy) -> tuple[Bundle | None, list[Problem], str | None]:
    """(bundle, [], sha) or (None, problems, sha), under the policy's bundle contract."""
    try:
        b = load_bundle(path, policy)
        return b, [], b.sha256
    except BundleInvalid as exc:
        return None, exc.problems, exc.sha256
    except BundleError as exc:
        return None, [Problem(exc.pointer or "/", exc.zh, exc.en)], None


def check_file(
    path: str | Path,
    policy: Policy,
    *,
    exclusion_list: frozenset[str] = frozenset(),
    ledger_awards: Iterable[PriorAward] | None = None,
    ledger: Any = None,
) -> CheckResult:
    bundle, problems, sha = validate_file(path, policy)
    if bundle is None:
        return invalid_result(str(path), problems, policy, sha)
    if ledger is not None:
        from zzcbec_docs.process.decide import check_with_ledger

        return check_with_ledger(bundle, policy, ledger, exclusion_list=exclusion_list)
    return decide(bundle, policy, exclusion_list=exclusion_list, ledger_awards=ledger_awards or ())


def read_exclusion_list(path: str | Path) -> frozenset[str]:
    """One USCC a line; `#` starts a comment; blank lines are skipped. A malformed line is an error."""
    from zzcbec_docs.bundle import uscc

    raw = read_limited(Path(path), ZzcbecError, limit=16 * 1024 * 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ZzcbecError("排除名单不是 UTF-8 文本", "the exclusion list is not UTF-8 text", file=str(path)) from None
    codes = set()
    for n, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0].strip().upper()
        if not code:
            continue
        if not uscc.is_valid(code):
            raise ZzcbecError(
                f"第 {n} 行“{code[:30]}”不是有效的统一社会信用代码",
                f"line {n}: {code[:30]!r} is not a valid USCC",
                file=str(path),
            )
        codes.add(code)
    return frozenset(codes)
