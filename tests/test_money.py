"""Amounts in words by the banks' rules, and the rounding the rules use."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zzcbec_docs.money import fmt_amount, fmt_wan, fmt_yuan, in_words, round_cents

SPEC_EXAMPLES = {
    "1409.50": "人民币壹仟肆佰零玖元伍角整",
    "6007.14": "人民币陆仟零柒元壹角肆分",
    "1680.32": "人民币壹仟陆佰捌拾元零叁角贰分",
    "107000.53": "人民币壹拾万零柒仟元零伍角叁分",
    "16409.02": "人民币壹万陆仟肆佰零玖元零贰分",
    "325.04": "人民币叁佰贰拾伍元零肆分",
    "10.00": "人民币壹拾元整",
    "0.50": "人民币伍角整",
    "1000054.00": "人民币壹佰万零伍拾肆元整",
    "100010000.00": "人民币壹亿零壹万元整",
}


@pytest.mark.parametrize("figures, words", SPEC_EXAMPLES.items())
def test_spec_examples(figures, words):
    assert in_words(Decimal(figures)) == words


@pytest.mark.parametrize(
    "figures, words",
    {
        "240000": "人民币贰拾肆万元整",
        "5000000": "人民币伍佰万元整",
        "4000000": "人民币肆佰万元整",
        "15": "人民币壹拾伍元整",
        "0.05": "人民币伍分",
        "0": "人民币零元整",
        "1001000000": "人民币壹拾亿零壹佰万元整",
        "20000000.50": "人民币贰仟万元零伍角整",
        "10.02": "人民币壹拾元零贰分",
        "120000.015": "人民币壹拾贰万元零贰分",
    }.items(),
)
def test_policy_amounts(figures, words):
    assert in_words(Decimal(figures)) == words


def test_negative_is_refused():
    with pytest.raises(ValueError):
        in_words(Decimal("-0.01"))


DIGIT = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=False))
UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def parse_words(text: str) -> Decimal:
    """An independent reader of 大写, to check the writer over the whole range."""
    assert text.startswith("人民币")
    body = text[3:]
    yuan_part, _, rest = body.partition("元") if "元" in body else ("", "", body)
    total = 0
    section = 0
    number = 0
    for ch in yuan_part:
        if ch in DIGIT:
            number = DIGIT[ch]
        elif ch in UNIT:
            section += number * UNIT[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif ch == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
    total += section + number
    cents = 0
    jiao = rest.find("角")
    if jiao > 0:
        cents += DIGIT[rest[jiao - 1]] * 10
    fen = rest.find("分")
    if fen > 0:
        cents += DIGIT[rest[fen - 1]]
    return Decimal(total) + Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=99_999_999_999))  # up to ¥999,999,999.99
def test_words_read_back_to_the_same_amount(cents):
    amount = Decimal(cents) / 100
    words = in_words(amount)
    assert parse_words(words) == amount
    assert not words.endswith("分整")
    assert "零零" not in words and "拾拾" not in words
    if cents % 100 == 0:
        assert words.endswith("元整")
    if cents % 10 == 0 and cents % 100:
        assert words.endswith("角整")
    assert "元" in words or cents < 100


def test_rounding_and_formats():
    assert round_cents(Decimal("0.005")) == Decimal("0.01")
    assert round_cents(Decimal("2.675")) == Decimal("2.68")  # exact decimal, not binary float
    assert fmt_amount(Decimal("240000")) == "240000.00"
    assert fmt_yuan(Decimal("240000")) == "¥240,000.00"
    assert fmt_wan(Decimal("240000")) == "24万元"
    assert fmt_wan(Decimal("15000")) == "1.5万元"
    assert fmt_wan(Decimal("10000000")) == "1,000万元"
