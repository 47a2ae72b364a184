"""The issuer profile: who issues the notices and the 公示, as their 版头 and 版记 print it.

A YAML file (documents.md); the packaged default is 郑州市商务局 (issuers/zhengzhou-commerce.yaml).
Nothing about the issuer is written in code: the 发文机关标志, 代字, 抄送, 印发机关, 附注 and the
bureau's own font files all come from here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from zzcbec_docs.errors import ArgumentError

DEFAULT_PROFILE = Path(__file__).resolve().parent / "issuers" / "zhengzhou-commerce.yaml"
REQUIRED = ("name", "mark", "code", "printer", "review_unit", "cc")
CONTACT_KEYS = ("name", "phone", "address", "email")
REVIEW_DAYS = 20  # 办理时限 when the profile does not set one: working days from (re)submission to the review


@dataclass(frozen=True)
class Issuer:
    name: str
    mark: str
    code: str
    printer: str
    review_unit: str
    cc: tuple[str, ...]
    contact: dict[str, str] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    fonts: dict[str, str] = field(default_factory=dict)
    source: str = ""
    review_days: int = REVIEW_DAYS  # 办理时限, in working days (the desk's queue counts each case's age against it)
    signing: Any = None  # documents.signing.Signing: the bureau's key, seal and TSA; None: it does not sign
    verify_url: str | None = None  # the desk's public verification page; the QR code is this + the 核验码

    def cc_for(self, district: str) -> list[str]:
        return [c.replace("{district}", district) for c in self.cc]

    def is_working_day(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.is_working_day(d)
        return n

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (the 办理时限's last day)."""
        d, left = start, days
        while left > 0:
            d += dt.timedelta(days=1)
            left -= self.is_working_day(d)
        return d

    def with_name(self, name: str) -> Issuer:
        """An issuer named on the command line (--issuer) keeps the rest of the profile."""
        from dataclasses import replace

        if name == self.name:
            return self
        return replace(self, name=name, mark=f"{name}文件", review_unit=name)


def _fail(source: str, pointer: str, zh: str, en: str) -> ArgumentError:
    return ArgumentError(f"发文机关配置有误：{zh}", f"issuer profile: {en}", file=source, pointer=pointer)


def _text(data: dict[str, Any], key: str, source: str, limit: int = 40) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, f"/{key}", f"“{key}”须为非空文字", f"{key!r} must be non-empty text")
    if len(value) > limit or any(ord(ch) < 0x20 for ch in value):
        raise _fail(source, f"/{key}", f"“{key}”过长或含控制字符", f"{key!r} is too long or has control characters")
    return value.strip()


def _dates(data: dict[str, Any], key: str, source: str) -> frozenset[dt.date]:
    out = set()
    for i, value in enumerate(data.get(key) or []):
        try:
            out.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            raise _fail(
                source, f"/{key}/{i}", f"“{value}”不是 YYYY-MM-DD 日期", f"{value!r} is not a YYYY-MM-DD date"
            ) from None
    return frozenset(out)


@lru_cache(maxsize=8)
def load_issuer(path: str | None = None) -> Issuer:
    """The profile at `path`, else $ZZCBEC_ISSUER_PROFILE, else the packaged 郑州市商务局 default."""
    from zzcbec_docs.loading import load_file

    chosen = Path(path or os.environ.get("ZZCBEC_ISSUER_PROFILE") or DEFAULT_PROFILE)
    source = str(chosen)
    if not chosen.is_file():
        raise ArgumentError(f"发文机关配置文件不存在：{source}", f"no issuer profile at {source}", file=source)
    data, _ = load_file(chosen, ArgumentError)
    if not isinstance(data, dict):
        raise _fail(source, "/", "应为键值映射", "must be a mapping")
    unknown = set(data) - {
        *REQUIRED,
        "contact",
        "holidays",
        "workdays",
        "fonts",
        "review_days",
        "signing",
        "verify_url",
    }
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(source, f"/{key}", f"未知的键“{key}”", f"unknown key {key!r}")
    values = {k: _text(data, k, source) for k in REQUIRED if k != "cc"}
    if not re.match(r"^[^\s〔〕\[\]]{1,20}$", values["code"]):
        raise _fail(
            source, "/code", f"发文机关代字“{values['code']}”不合规", f"the code {values['code']!r} is not valid"
        )
    cc = data.get("cc")
    if not isinstance(cc, list) or not all(isinstance(c, str) and c.strip() for c in cc):
        raise _fail(source, "/cc", "抄送须为文字列表", "cc must be a list of names")
    contact_raw = data.get("contact") or {}
    if not isinstance(contact_raw, dict) or set(contact_raw) - set(CONTACT_KEYS):
        raise _fail(
            source, "/contact", f"联系方式只能有 {'、'.join(CONTACT_KEYS)}", f"contact keys: {', '.join(CONTACT_KEYS)}"
        )
    contact = {k: str(v).strip() for k, v in contact_raw.items() if v not in (None, "")}
    fonts = data.get("fonts") or {}
    if not isinstance(fonts, dict):
        raise _fail(source, "/fonts", "字体须为“角色: 文件”映射", "fonts must map a role to a file")
    base = chosen.parent
    font_files = {
        str(k): str((base / str(v)).resolve()) if not Path(str(v)).is_absolute() else str(v) for k, v in fonts.items()
    }
    review_days = data.get("review_days", REVIEW_DAYS)
    if isinstance(review_days, bool) or not isinstance(review_days, int) or not 1 <= review_days <= 365:
        raise _fail(
            source,
            "/review_days",
            f"办理时限“{review_days}”须为 1–365 的工作日数",
            f"review_days {review_days!r} must be a whole number of working days, 1 to 365",
        )
    from zzcbec_docs.documents.signing import parse_signing

    verify_url = data.get("verify_url")
    if verify_url is not None and (not isinstance(verify_url, str) or not re.match(r"^https?://[^\s?#]+$", verify_url)):
        raise _fail(
            source,
            "/verify_url",
            "verify_url 应为 http(s):// 地址（核验页面，二维码为该地址加核验码）",
            "verify_url is an http(s):// address (the verification page; the QR code is it plus the code)",
        )
    return Issuer(
        cc=tuple(c.strip() for c in cc),
        contact=contact,
        holidays=_dates(data, "holidays", source),
        workdays=_dates(data, "workdays", source),
        fonts=font_files,
        source=source,
        review_days=review_days,
        signing=parse_signing(data.get("signing"), source, base),
        verify_url=verify_url,
        **values,
    )


def apply_fonts(issuer: Issuer) -> None:
    """Use the bureau's own font files (if its profile names any) for the PDF, plus ZZCBEC_FONT_<ROLE>."""
    from zzcbec_docs.documents import fonts

    files = dict(issuer.fonts)
    for role in fonts.ROLES:
        env = os.environ.get(f"ZZCBEC_FONT_{role.upper()}")
        if env:
            files[role] = env
    fonts.configure(files)
