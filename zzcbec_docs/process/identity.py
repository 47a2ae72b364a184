"""An application is its content, not its bytes.

The canonical form of a bundle: its data as JSON with sorted keys and no spaces, every money
fact and prior award written with two decimals, dates in ISO form, numbers without
formatting. Comments, whitespace, key order, quoting and YAML or JSON do not change it; a
changed figure, name or attachment does. One applicant is one identity: the district is written
by its canonical name (管城回族区 → 管城区, 航空港区 → 航空港经济综合实验区, the aliases the
bundle contract folds) and the USCC upper-cased, trimmed and NFKC-folded. The content SHA-256
covers the canonical JSON and the SHA-256 of every attachment uploaded with it; the case id is
derived from it.

Ledgers written before the district was folded hold cases under the content SHA-256 of the
district as written: lookups try each way of writing the district (`content_identities`), so such a
case is found again and never paid twice; nothing stored is rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from zzcbec_docs.bundle.model import Bundle
from zzcbec_docs.loading import Num

CENT = Decimal("0.01")
ID_LENGTH = 16  # hex digits of the content SHA-256: URL-safe, 64 bits


def _money(v: Any) -> str:
    return format(Decimal(str(v)).quantize(CENT), "f")


def _plain(v: Any) -> Any:
    """Parsed data → plain JSON values (numbers by value, not by how they were written)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, Num):
        text = str(v).replace("_", "")
        try:
            d = Decimal(text)
        except InvalidOperation:
            return str(v)
        return int(d) if d == d.to_integral_value() else format(d.normalize(), "f")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return str(v)


def _fact(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, Decimal):
        return _money(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {k: _fact(x) for k, x in v.items()}
    return _plain(v)


def fold_uscc(code: str) -> str:
    """统一社会信用代码 as one identity: NFKC (full-width → ASCII), surrounding whitespace removed, upper case."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def canonical_data(bundle: Bundle, *, fold_applicant: bool = True) -> dict[str, Any]:
    """The bundle's data in canonical values: typed facts (money with two decimals) from the validated
    bundle; the applicant's district by its canonical name and the USCC folded (`fold_applicant`)."""
    data = _plain(bundle.raw)
    if not isinstance(data, dict):  # a Bundle built without its raw data (tests, the desk's forms)
        data = {}
    data["year"] = bundle.year
    found = data.get("claims")
    claims = found if isinstance(found, list) else []
    for claim, typed in zip(claims, bundle.claims, strict=False):
        claim["clause"] = typed.clause
        claim["facts"] = {k: _fact(v) for k, v in typed.facts.items()}
    found = data.get("prior_awards")
    priors = found if isinstance(found, list) else []
    for p, typed_p in zip(priors, bundle.prior_awards, strict=False):
        p["amount"] = _money(typed_p.amount)
    applicant = data.get("applicant")
    if fold_applicant and isinstance(applicant, dict):
        applicant["district"] = bundle.applicant.district  # canonical (aliases resolved when validated)
        applicant["uscc"] = fold_uscc(bundle.applicant.uscc)
    return data


def canonical_json(bundle: Bundle) -> str:
    return json.dumps(canonical_data(bundle), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _spellings(district: str) -> list[str]:
    """The ways the bundle contract lets a district be written: its canonical name and its aliases."""
    from zzcbec_docs.bundle.contract import DISTRICT_ALIASES

    return [district, *sorted(alias for alias, name in DISTRICT_ALIASES.items() if name == district)]


def content_identities(bundle: Bundle, attachment_hashes: Iterable[str] = ()) -> tuple[str, ...]:
    """The content SHA-256 of the bundle (first), then those an earlier version gave the same content:
    the district as written, for each way of writing it (管城区 / 管城回族区), so that a case recorded
    before the district was folded is found whichever spelling comes now."""
    hashes = tuple(attachment_hashes)
    out = [content_sha256(canonical_json(bundle), hashes)]
    for spelling in _spellings(bundle.applicant.district):
        data = canonical_data(bundle, fold_applicant=False)
        if isinstance(data.get("applicant"), dict):
            data["applicant"]["district"] = spelling
        legacy = content_sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")), hashes)
        if legacy not in out:
            out.append(legacy)
    return tuple(out)


def content_sha256(canonical: str, attachment_hashes: Iterable[str] = ()) -> str:
    h = hashlib.sha256(canonical.encode("utf-8"))
    for a in sorted(attachment_hashes):
        h.update(b"\n" + a.encode("ascii"))
    return h.hexdigest()


def case_id_for(content_hash: str) -> str:
    return content_hash[:ID_LENGTH]
