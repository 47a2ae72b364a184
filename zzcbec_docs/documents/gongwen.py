"""公文 writing: amounts as an official document writes them, titles broken between words, the 核验码.

No layout and no I/O: plain text in, plain text out, for the templates (documents.md).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from itertools import combinations

from zzcbec_docs.money import round_cents

WAN = Decimal(10000)
YI = WAN * WAN  # 亿: a unit of the language, not a number of the policy


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def yuan_text(value: Decimal) -> str:
    """An amount in a sentence: 24万元, 1.5万元 where the amount is whole hundreds, else 380000.06元."""
    value = round_cents(value)
    if value >= WAN and value % 100 == 0:
        return f"{_plain(value / WAN)}万元"
    return f"{value:.2f}元" if value != value.to_integral_value() else f"{value:.0f}元"


def amount_sentence(value: Decimal, words: str) -> str:
    """24万元（人民币贰拾肆万元整）."""
    return f"{yuan_text(value)}（{words}）"


def table_yuan(value: Decimal) -> str:
    """A figure in a table headed 单位：元: 1,016,500.18."""
    return f"{round_cents(value):,.2f}"


def threshold_money(value: Decimal) -> str:
    """A policy threshold in the policy's unit: 1000万元, 1亿元, 5万元."""
    if value >= YI and value % (YI / 100) == 0:
        return f"{_plain(value / YI)}亿元"
    if value % 100 == 0:
        return f"{_plain(value / WAN)}万元"
    return yuan_text(value)


def threshold_phrase(value_text: str, boundary_word: str, operator: str | None) -> str:
    """The condition as the policy says it: 达到1000万元以上（含本数）, 超5000万元（不含本数）."""
    word = boundary_word or ""
    if "…" in word:
        head, _, tail = word.partition("…")
        phrase = f"{head}{value_text}{tail}"
    elif word in ("以上", "以下", "以内"):
        phrase = f"{value_text}{word}"
    else:
        phrase = f"{word}{value_text}"
    if operator in (">=", "<="):
        phrase += "（含本数）"
    elif operator in (">", "<"):
        phrase += "（不含本数）"
    return phrase


_YEN = re.compile(r"¥([0-9,]+\.[0-9]{2})")
_RAW_ROUNDING = re.compile(r"（[0-9.]+\s*四舍五入至分）")
_TIER = re.compile(r"适用第[A-Za-z0-9]+档：")
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_SPACE_NEAR_CJK = re.compile(rf"(?<={_CJK}) +| +(?={_CJK})")
_SPACE_AROUND_OPS = re.compile(r" *([×=≤≥<>＞＜−+]) *")


def gongwen_text(text: str) -> str:
    """A line from the rules engine, written as a 公文 writes it: amounts in 元/万元, no unrounded figures,
    no internal tier letters, no half-width spaces inside the Chinese sentence."""
    text = _RAW_ROUNDING.sub("（四舍五入至分）", text)
    text = _TIER.sub("适用档次：", text)
    text = _YEN.sub(lambda m: yuan_text(Decimal(m.group(1).replace(",", ""))), text)
    text = _SPACE_AROUND_OPS.sub(r"\1", text)
    return _SPACE_NEAR_CJK.sub("", text)


# ------------------------------------------------------------------ titles broken between words

SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")


def name_words(name: str) -> list[str]:
    """A company name in the pieces a title may break between (only if the whole name is too long
    for a line): the parenthesised place, the trade name, the legal-form suffix."""
    words: list[str] = []
    rest = name
    for suffix in SUFFIXES:
        if rest.endswith(suffix) and len(rest) > len(suffix):
            core, tail = rest[: -len(suffix)], suffix
            break
    else:
        core, tail = rest, ""
    for part in re.split(r"(（[^）]*）|\([^)]*\))", core):
        if part:
            words.append(part)
    if tail:
        words.append(tail)
    return words


def break_title(words: list[str], width: int = 20, whole: frozenset[int] = frozenset()) -> list[str]:
    """Lines of at most `width` characters, broken only between words, in a trapezoid or diamond.

    `whole` holds the indexes of words never to break inside (a company name). A word longer than a
    line is cut into pieces of `width` (only then). Among the fewest lines, the most even ones win;
    a line longer than the next but one below it (an hourglass) or a top line longer than the bottom
    (an inverted trapezoid) is avoided.
    """
    pieces: list[str] = []
    for i, w in enumerate(words):
        if len(w) <= width:
            pieces.append(w)
        elif i in whole:
            sub = name_words(w)
            for s in sub:
                pieces.extend(s[j : j + width] for j in range(0, len(s), width))
        else:
            pieces.extend(w[j : j + width] for j in range(0, len(w), width))
    pieces = [p for p in pieces if p]
    n = len(pieces)
    if n <= 1:
        return pieces
    best: tuple[int, bool, bool, int] | None = None
    best_lines: list[str] = []
    max_breaks = min(n - 1, 6)
    for k in range(0, max_breaks + 1):
        for cut in combinations(range(1, n), k):
            bounds = (0, *cut, n)
            lines = ["".join(pieces[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
            if any(len(x) > width for x in lines):
                continue
            lens = [len(x) for x in lines]
            longest = max(lens)
            hourglass = any(lens[i] < lens[i - 1] and lens[i] < lens[i + 1] for i in range(1, len(lens) - 1))
            inverted = len(lens) >= 2 and lens[0] > lens[-1] and lens.index(longest) == 0
            score = (len(lines), hourglass, inverted, sum((longest - x) ** 2 for x in lens))
            if best is None or score < best:
                best, best_lines = score, lines
        if best is not None:
            break
    return best_lines or pieces


# ------------------------------------------------------------------ 核验码

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def verification_code(number: str, uscc: str, amounts: list[Decimal]) -> str:
    """A short code over the notice's number, applicant and amounts: 8 characters, e.g. K7QX-M2PA.

    It is not a signature: it lets `zzcbec verify` and a reader with the ledger see at once that a
    printed notice is the one the ledger holds, with the same amounts."""
    text = "|".join([number, uscc, *(f"{round_cents(a):.2f}" for a in amounts)])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    value = int.from_bytes(digest[:5], "big")
    chars = []
    for _ in range(8):
        value, r = divmod(value, 32)
        chars.append(ALPHABET[r])
    code = "".join(chars)
    return f"{code[:4]}-{code[4:]}"
