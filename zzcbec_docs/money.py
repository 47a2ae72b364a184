"""Money: exact Decimal yuan, half-up rounding to 0.01, figures and 人民币大写."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")

_MONEY_TEXT = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$")


def parse_money(text: str) -> Decimal | None:
    """Parse a non-negative amount with at most two decimals, exactly; None when malformed."""
    if not isinstance(text, str) or not _MONEY_TEXT.match(text):
        return None
    return Decimal(text)


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to 0.01 元 (spec/rules.md: apply the rate, round, then the cap)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_amount(value: Decimal) -> str:
    """The contract's amount string: exactly two decimals, no separators: "240000.00"."""
    return f"{round_cents(value):f}"


def fmt_yuan(value: Decimal) -> str:
    """Figures for people: "¥240,000.00"."""
    return f"¥{round_cents(value):,.2f}"


def fmt_number(value: Decimal) -> str:
    """A threshold or fact for people: "12,000,000.00" for money, "30" for counts."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN or infinity: no figure the contract lets through
        return str(value)
    if value == value.to_integral_value() and exponent >= 0:
        return f"{value:,}"
    return f"{value:,.2f}" if -exponent <= 2 else f"{value:,}"


def fmt_wan(value: Decimal) -> str:
    """The policy's own unit: 24万元, 1.5万元, 1,000万元."""
    wan = value / Decimal(10000)
    return f"{wan.normalize():,f}万元"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _group_words(group: int) -> str:
    """Words for 0 < group < 10000, with inner zeros as 零 (一零 reads once)."""
    digits = f"{group:04d}"
    out = []
    zero_pending = False
    started = False
    for pos, ch in enumerate(digits):
        d = int(ch)
        unit = _SMALL_UNITS[3 - pos]
        if d == 0:
            if started:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[d] + unit)
        started = True
    return "".join(out)


def in_words(value: Decimal) -> str:
    """人民币大写 by 《支付结算办法》附一 and 《会计基础工作规范》第五十二条.

    The optional 零 is always written so that one amount has one spelling; 壹拾 not 拾;
    整 after 元 or 角 when nothing follows, never after 分.
    """
    if not isinstance(value, Decimal):
        raise TypeError("amounts in words take a Decimal")
    value = round_cents(value)
    if value < 0:
        raise ValueError("负数金额不能写成大写 / a negative amount has no 大写")
    cents_total = int(value * 100)
    yuan, cents = divmod(cents_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan >= 10**16:
        raise ValueError("金额过大 / amount too large for 大写")

    words = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            n, g = divmod(n, 10000)
            groups.append(g)
        parts: list[str] = []
        zero_between = False
        previous = 0
        for idx in range(len(groups) - 1, -1, -1):
            g = groups[idx]
            if g == 0:
                zero_between = True
                continue
            # A zero between two written groups is read as one 零: a skipped group, a higher
            # group ending in 0 (壹拾万零柒仟) or a lower group below a thousand (壹佰万零伍拾肆).
            if parts and (zero_between or g < 1000 or previous % 10 == 0):
                parts.append("零")
            zero_between = False
            previous = g
            parts.append(_group_words(g) + _BIG_UNITS[idx])
        words = "".join(parts) + "元"

    if jiao == 0 and fen == 0:
        return "人民币" + (words + "整" if words else "零元整")
    tail = ""
    if jiao:
        tail += _DIGITS[jiao] + "角"
    elif words:
        tail += "零"
    if fen:
        tail += _DIGITS[fen] + "分"
    else:
        tail += "整"
    if words and jiao and yuan % 10 == 0:
        # ¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分: a 元 figure ending in 0 takes 零 before 角.
        tail = "零" + tail
    return "人民币" + words + tail
