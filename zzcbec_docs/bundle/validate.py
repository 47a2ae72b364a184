"""Bundle → validated, typed Bundle, or every problem with its JSON pointer.

Order: read (size, encoding) → parse (duplicate keys, exact numbers) → JSON Schema →
what a schema cannot say (USCC check character, duplicate claims, control characters).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

from zzcbec_docs.bundle import contract as contracts
from zzcbec_docs.bundle import uscc
from zzcbec_docs.bundle.contract import DISTRICT_ALIASES
from zzcbec_docs.bundle.model import Applicant, Bundle, Claim, PriorAward, Problem, competition_key
from zzcbec_docs.errors import BundleError
from zzcbec_docs.loading import decode_text, parse_text, pointer, read_limited
from zzcbec_docs.policy.model import Policy

SCHEMA = "bundle.schema.json"  # the published contract of the packaged policy (generated)

__all__ = [
    "DISTRICT_ALIASES",
    "SCHEMA",
    "BundleInvalid",
    "fact_kinds",
    "fact_labels",
    "load_bundle",
    "parse_bundle",
    "under_policy",
]


# XML 1.0 cannot hold these; a DOCX would be corrupt and a PDF would show boxes.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Invisible format characters: bidi overrides make a name read differently from its bytes
# ("Trojan source"), zero-width ones make two equal-looking names differ. No form needs them.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


class BundleInvalid(BundleError):
    """A bundle that was read but breaks the contract; carries every problem found."""

    def __init__(self, source: str, problems: list[Problem], sha256: str | None = None) -> None:
        self.problems = problems
        self.sha256 = sha256
        first = problems[0]
        more = f"（共 {len(problems)} 处）" if len(problems) > 1 else ""
        more_en = f" ({len(problems)} problems)" if len(problems) > 1 else ""
        super().__init__(first.zh + more, first.en + more_en, file=source, pointer=first.path)


def fact_kinds(policy: Policy) -> dict[int, dict[str, str]]:
    """Per claimable clause, each fact and its kind (money, count, flag, date, …), from the policy."""
    return contracts.fact_kinds(policy)


def fact_labels(policy: Policy) -> dict[str, str]:
    """The Chinese name of every fact and fee item, from the policy."""
    return contracts.fact_labels(policy)


def _control_chars(data: Any, path: list[str | int], found: list[Problem]) -> None:
    if isinstance(data, str):
        m = _ILLEGAL.search(data)
        if m:
            found.append(
                Problem(
                    pointer(path),
                    f"文本含有不可打印的控制字符 U+{ord(m.group()):04X}（位置 {m.start()}）",
                    f"the text holds the control character U+{ord(m.group()):04X} (at {m.start()})",
                )
            )
        m = _INVISIBLE.search(data)
        if m:
            found.append(
                Problem(
                    pointer(path),
                    f"文本含有不可见的格式字符 U+{ord(m.group()):04X}（位置 {m.start()}，如方向控制符、零宽字符），请删除",
                    f"the text holds the invisible format character U+{ord(m.group()):04X} (at {m.start()}: a "
                    "direction override or zero-width character); remove it",
                )
            )
    elif isinstance(data, dict):
        for k, v in data.items():
            _control_chars(k, path, found)
            _control_chars(v, [*path, k], found)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _control_chars(v, [*path, i], found)


def _semantic(data: dict[str, Any], policy: Policy) -> list[Problem]:
    found: list[Problem] = []
    applicant = data.get("applicant")
    code = applicant.get("uscc") if isinstance(applicant, dict) else None
    if (
        isinstance(code, str)
        and len(code) == 18
        and all(ch in uscc.ALPHABET for ch in code)
        and not uscc.is_valid(code)
    ):
        found.append(
            Problem(
                "/applicant/uscc",
                f"统一社会信用代码 {code} 校验位错误（按 GB 32100 应为 {uscc.check_character(code[:17])}）",
                f"USCC {code} has a wrong check character (GB 32100 gives {uscc.check_character(code[:17])})",
            )
        )
    seen: dict[tuple[Any, ...], int] = {}
    claims = data.get("claims")
    per_item = [n for n in policy.claimable() if policy.item_fact(n)]
    rule_zh = "每条只能申报一次" + "".join(f"，{policy.cite(n)}每个竞赛一次" for n in per_item)
    rule_en = "one claim per clause" + "".join(f", clause {n} once per competition" for n in per_item)
    for i, claim in enumerate(claims if isinstance(claims, list) else []):
        if not isinstance(claim, dict) or not isinstance(claim.get("clause"), int):
            continue
        n = claim["clause"]
        facts = claim.get("facts")
        item = policy.item_fact(n)
        name = facts.get(item) if item and isinstance(facts, dict) else None
        key: tuple[Any, ...] = (n, competition_key(name) if isinstance(name, str) else name) if item else (n,)
        if key in seen:
            what = f"条款 {n}" + (f"（竞赛“{name}”）" if item else "")
            found.append(
                Problem(
                    f"/claims/{i}/clause",
                    f"{what}重复申报（已在 /claims/{seen[key]}）；{rule_zh}",
                    f"clause {n} is claimed twice (see /claims/{seen[key]}); {rule_en}",
                )
            )
        else:
            seen[key] = i
    return found


def _typed(kind: str, value: Any) -> Any:
    if kind in ("money", "quantity"):
        return Decimal(value) if isinstance(value, str) else Decimal(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "service_fees":
        return {k: Decimal(v) if isinstance(v, str) else Decimal(v) for k, v in value.items()}
    return value


def _build(data: dict[str, Any], source: str, sha: str, policy: Policy) -> Bundle:
    a = data["applicant"]
    applicant = Applicant(
        name=a["name"],
        uscc=a["uscc"],
        district=DISTRICT_ALIASES.get(a["district"], a["district"]),
        district_as_written=a["district"],
        etrade_core_zone_policy=bool(a.get(policy.exclusion_fact, False)),
        address=a.get("address"),
        legal_representative=a.get("legal_representative"),
        contact=a.get("contact"),
        bank=a.get("bank"),
        customs_code=a.get("customs_code"),
    )
    kinds = contracts.fact_kinds(policy)
    claims = tuple(
        Claim(
            clause=c["clause"],
            facts={k: _typed(kinds[c["clause"]].get(k, "text"), v) for k, v in c["facts"].items()},
            index=i,
        )
        for i, c in enumerate(data["claims"])
    )
    priors = tuple(
        PriorAward(
            clause=p["clause"],
            year=p["year"],
            amount=_typed("money", p["amount"]),
            competition_name=p.get("competition_name"),
            reference=p.get("notice_number"),
        )
        for p in data.get("prior_awards", ())
    )
    return Bundle(
        source=source,
        sha256=sha,
        year=data["year"],
        applicant=applicant,
        claims=claims,
        prior_awards=priors,
        attachments=tuple(data.get("attachments", ())),
        raw=data,
        policy_digest=policy.digest,
    )


def _schema_errors(data: Any, policy: Policy) -> list[tuple[str, str, str]]:
    """The policy's bundle schema, with each claim's facts checked against `facts_NN` of its clause.

    Same verdicts as validating the whole generated schema (whose claim has one if/then per
    clause), several times faster: the envelope is validated with the per-clause if/then left out.
    """
    if contracts.quick_valid(policy, data):
        return []  # valid: recognised without loading jsonschema (issue 14; same verdicts, tests/test_startup.py)
    from zzcbec_docs import schema

    c = contracts.contract(policy)
    found = schema.errors(SCHEMA, data, using=c.envelope)
    claims = data.get("claims") if isinstance(data, dict) else None
    for i, claim in enumerate(claims if isinstance(claims, list) else []):
        if not isinstance(claim, dict):
            continue
        n = claim.get("clause")
        if isinstance(n, int) and not isinstance(n, bool) and n in c.by_clause and "facts" in claim:
            found += schema.errors(SCHEMA, claim["facts"], using=c.by_clause[n], prefix=("claims", i, "facts"))
    return sorted(set(found), key=lambda x: x[0])


def check_attachments(attachments: list[dict[str, Any]], base: Path) -> list[Problem]:
    """Every listed attachment lies inside the bundle's folder, exists, and has the SHA-256 stated."""
    found: list[Problem] = []
    root = base.resolve()
    for i, a in enumerate(attachments):
        ptr = f"/attachments/{i}/file"
        rel = a["file"]
        candidate = Path(rel)
        if candidate.is_absolute() or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
            found.append(
                Problem(
                    ptr,
                    f"附件路径“{rel}”是绝对路径；请写相对于申报材料所在目录的路径",
                    f"attachment path {rel!r} is absolute; write it relative to the bundle's folder",
                )
            )
            continue
        full = (root / candidate).resolve()
        if not full.is_relative_to(root):
            found.append(
                Problem(
                    ptr,
                    f"附件路径“{rel}”指向申报材料目录之外（含 .. 或符号链接）",
                    f"attachment path {rel!r} leads outside the bundle's folder (.. or a symlink)",
                )
            )
            continue
        if not full.is_file():
            found.append(Problem(ptr, f"附件“{rel}”不存在", f"attachment {rel!r} does not exist"))
            continue
        digest = hashlib.sha256()
        with open(full, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != a["sha256"]:
            found.append(
                Problem(
                    f"/attachments/{i}/sha256",
                    f"附件“{rel}”的 SHA-256 为 {digest.hexdigest()}，与申报的 {a['sha256']} 不符（文件被改动？）",
                    f"attachment {rel!r} has SHA-256 {digest.hexdigest()}, not the declared {a['sha256']}",
                )
            )
    return found


def _fold_uscc(data: Any) -> None:
    """One applicant, one code: the USCC as written (full-width, lower case, spaces around it) is
    read NFKC-folded, trimmed and upper-cased before it is checked (bundle.md, One identity)."""
    applicant = data.get("applicant") if isinstance(data, dict) else None
    code = applicant.get("uscc") if isinstance(applicant, dict) else None
    if isinstance(applicant, dict) and isinstance(code, str):
        applicant["uscc"] = unicodedata.normalize("NFKC", code).strip().upper()


def parse_bundle(
    raw: bytes, source: str, fmt: str | None = None, base: Path | None = None, *, policy: Policy
) -> Bundle:
    """Validate the bytes of a bundle under the policy's contract (the caller's: there is no default);
    raises BundleInvalid (every problem) or BundleError.

    With `base` (the bundle's folder), every listed attachment is verified as well.
    """
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = decode_text(raw, source, BundleError)
        data = parse_text(text, source, BundleError, fmt)
    except BundleError as exc:
        raise BundleInvalid(source, [Problem(exc.pointer or "/", exc.zh, exc.en)], sha) from None
    _fold_uscc(data)
    problems = [Problem(p, zh, en) for p, zh, en in _schema_errors(data, policy)]
    if isinstance(data, dict):
        _control_chars(data, [], problems)
        problems += _semantic(data, policy)
        if not problems and base is not None and data.get("attachments"):
            problems += check_attachments(data["attachments"], base)
        problems.sort(key=lambda p: p.path)
    if problems:
        raise BundleInvalid(source, problems, sha)
    assert isinstance(data, dict)  # the schema holds it to an object
    return _build(data, source, sha, policy)


def under_policy(bundle: Bundle, policy: Policy) -> Bundle:
    """The bundle validated under `policy`'s contract, when it was validated under another one.

    A bundle read for one policy and decided under another (a final text, an amendment) must fit
    the other's contract too: a clause it removed, a fact it added. Raises BundleInvalid if not.
    """
    if not bundle.policy_digest or bundle.policy_digest == policy.digest:
        return bundle
    problems = [Problem(p, zh, en) for p, zh, en in _schema_errors(bundle.raw, policy)]
    problems += _semantic(bundle.raw, policy)
    if problems:
        raise BundleInvalid(bundle.source, sorted(problems, key=lambda p: p.path), bundle.sha256)
    return _build(bundle.raw, bundle.source, bundle.sha256, policy)


def load_bundle(path: str | Path, policy: Policy) -> Bundle:
    """Read and validate a bundle file (`-` is standard input) under a policy's contract."""
    if str(path) == "-":
        raw = sys.stdin.buffer.read(1024 * 1024 + 1)
        if len(raw) > 1024 * 1024:
            raise BundleError("标准输入超过 1 MiB 上限", "standard input is larger than 1 MiB", file="-")
        return parse_bundle(raw, "-", base=Path.cwd(), policy=policy)
    p = Path(path)
    raw = read_limited(p, BundleError)
    return parse_bundle(raw, str(path), base=p.resolve().parent, policy=policy)
