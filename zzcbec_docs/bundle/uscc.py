"""统一社会信用代码 (GB 32100-2015): the 18th character is a check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=False))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    return len(code) == 18 and all(ch in ALPHABET for ch in code) and check_character(code[:17]) == code[17]


def complete(first17: str) -> str:
    """A valid code from its first 17 characters (for samples and tests)."""
    return first17 + check_character(first17)
