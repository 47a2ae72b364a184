"""What differs between the SQL engines, in one table: literals, types, regular expressions, figures.

The compiler (sqlmatch.compiler) writes every clause with the functions of `Dialect`, so one policy
compiles to DuckDB, PostgreSQL and Spark SQL alike. Whatever is written differently in the three is a
row of DIFFERENCES (one template per engine, its fields in braces); everything else is written once,
in `Dialect`. Money stays DECIMAL from the cell to the output (never a float); figures are written
from integers or from DECIMAL(18,2), so a printed amount is exact in every engine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ENGINES = ("duckdb", "postgresql", "spark")

# the control and invisible characters that bundle.validate refuses (_ILLEGAL, _INVISIBLE), as a class
_INVISIBLE = "\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff\\ufffe\\uffff"
_INVISIBLE_RE2 = (
    "\\x{fffe}\\x{ffff}\\x{200b}-\\x{200f}\\x{202a}-\\x{202e}\\x{2060}-\\x{2064}\\x{2066}-\\x{2069}\\x{feff}"
)

# operation → (DuckDB, PostgreSQL, Spark SQL)
DIFFERENCES: dict[str, tuple[Any, Any, Any]] = {
    # types
    "text": ("VARCHAR", "TEXT", "STRING"),
    # room for a product of money and a rate before it is rounded (Spark narrows the scale of a product
    # beyond 38 digits, so it stays within)
    "exact": ("DECIMAL(38,10)", "DECIMAL(38,10)", "DECIMAL(26,8)"),
    "hundred": ("100", "100", "CAST(100 AS DECIMAL(3,0))"),
    # a string literal: what is escaped, and how (Spark also reads backslashes in a literal)
    "escapes": ((("'", "''"),), (("'", "''"),), (("\\", "\\\\"), ("'", "\\'"))),
    # a cell cast to a type, NULL when it is not one (PostgreSQL has no TRY_CAST: a pattern, or a function)
    "try_money": (
        "TRY_CAST({x} AS DECIMAL(18,2))",
        "(CASE WHEN {x} ~ '^[0-9]{{1,15}}(\\.[0-9]{{1,2}})?$' THEN CAST({x} AS NUMERIC(18,2)) END)",
        "TRY_CAST({x} AS DECIMAL(18,2))",
    ),
    "try_big": (
        "TRY_CAST({x} AS BIGINT)",
        "(CASE WHEN {x} ~ '^[0-9]{{1,18}}$' THEN CAST({x} AS BIGINT) END)",
        "TRY_CAST({x} AS BIGINT)",
    ),
    "try_date": ("TRY_CAST({x} AS DATE)", "pg_temp.zz_try_date({x})", "TRY_CAST({x} AS DATE)"),
    # regular expressions: the whole text matches / some of it does ({p}: the pattern's literal)
    "anchored": ("{}", "^(?:{})$", "^(?:{})$"),
    "full_match": ("regexp_full_match({x}, {p})", "({x} ~ {p})", "({x} RLIKE {p})"),
    "contains_re": ("regexp_matches({x}, {p})", "({x} ~ {p})", "({x} RLIKE {p})"),
    "illegal_chars": (
        "[\\x{0}-\\x{8}\\x{b}\\x{c}\\x{e}-\\x{1f}\\x{7f}" + _INVISIBLE_RE2 + "]",  # RE2
        "[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f" + _INVISIBLE + "]",  # a text holds no NUL
        "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f" + _INVISIBLE + "]",
    ),
    # text functions
    "strpos": ("strpos({h}, {n})", "strpos({h}, {n})", "instr({h}, {n})"),
    "mod": ("(({a}) % ({b}))", "mod({a}, {b})", "pmod({a}, {b})"),
    "trim": ("trim({x}, {c})", "btrim({x}, {c})", "trim(BOTH {c} FROM {x})"),
    "ltrim": ("ltrim({x}, {c})", "ltrim({x}, {c})", "trim(LEADING {c} FROM {x})"),
    # what str.strip() leaves of a cell, NULL when nothing ({trim}: the trim by the whole set of whitespace).
    # DuckDB first tests the first and last code points: a cell that begins and ends with a printable ASCII
    # character or one above the last whitespace ({top}: none of them whitespace, most cells) is taken as it is
    "stripped": (
        "(CASE WHEN (ord({x}) BETWEEN 33 AND 126 OR ord({x}) > {top}) AND "
        "(ord(right({x}, 1)) BETWEEN 33 AND 126 OR ord(right({x}, 1)) > {top}) THEN {x} ELSE NULLIF({trim}, '') END)",
        "NULLIF({trim}, '')",
        "NULLIF({trim}, '')",
    ),
    # the pieces of a group joined in order
    "agg_join": (
        "string_agg({piece}, {sep} ORDER BY {order})",
        "string_agg({piece}, {sep} ORDER BY {order})",
        "array_join(transform(array_sort(collect_list(named_struct('o', {order}, 'p', {piece}))), x -> x.p), {sep})",
    ),
    # figures with thousands separators, as f"{:,}" and f"{:,.2f}" write them: a whole number (cut to its
    # whole part, as int() does: a cast to BIGINT rounds in DuckDB and PostgreSQL, truncates in Spark),
    # and an amount to the fen ({cents}: the amount in fen, a BIGINT)
    "grouped_int": (
        "format('{{:,}}', CAST(trunc({x}) AS BIGINT))",
        "to_char(CAST(trunc({x}) AS BIGINT), 'FM999,999,999,999,999,999,990')",
        "format_number(CAST({x} AS BIGINT), 0)",
    ),
    "grouped2": (
        "(format('{{:,}}', CAST(trunc(({cents}) // 100) AS BIGINT)) || '.' || lpad(CAST((({cents}) % (100)) AS VARCHAR), 2, '0'))",
        "to_char(CAST({x} AS NUMERIC(18,2)), 'FM999,999,999,999,999,990.00')",
        "format_number(CAST({x} AS DECIMAL(18,2)), 2)",
    ),
}


class Dialect:
    """One engine's SQL: its column of DIFFERENCES, and what every engine writes alike."""

    def __init__(self, name: str) -> None:
        self.name = name
        column = ENGINES.index(name)
        self.row = {op: engines[column] for op, engines in DIFFERENCES.items()}
        self.text: str = self.row["text"]
        self.hundred: str = self.row["hundred"]

    def _fill(self, op: str, **fields: str) -> str:
        return str(self.row[op]).format(**fields)

    # ------------------------------------------------------------ literals and types

    def s(self, value: str) -> str:
        """A string literal."""
        for old, new in self.row["escapes"]:
            value = value.replace(old, new)
        return "'" + value + "'"

    def dec_lit(self, value: Decimal) -> str:
        """An exact decimal literal of the least precision that holds it."""
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        scale = max(0, -exponent)
        precision = max(len(digits), scale + 1)
        return f"CAST({self.s(format(value, 'f'))} AS DECIMAL({min(precision + 1, 38)},{scale}))"

    def money(self, expr: str) -> str:
        return f"CAST({expr} AS DECIMAL(18,2))"

    def exact(self, expr: str) -> str:
        """Room for a product of money and a rate before it is rounded."""
        return f"CAST({expr} AS {self.row['exact']})"

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.text})"

    def try_money(self, expr: str) -> str:
        return self._fill("try_money", x=expr)

    def try_big(self, expr: str) -> str:
        return self._fill("try_big", x=expr)

    def try_date(self, expr: str) -> str:
        return self._fill("try_date", x=expr)

    # ------------------------------------------------------------ functions

    def full_match(self, expr: str, pattern: str) -> str:
        return self._fill("full_match", x=expr, p=self.s(str(self.row["anchored"]).format(pattern)))

    def contains_re(self, expr: str, pattern: str) -> str:
        return self._fill("contains_re", x=expr, p=self.s(pattern))

    def illegal_chars(self) -> str:
        """The class of characters no text cell may hold, in the engine's regular expressions."""
        return str(self.row["illegal_chars"])

    def strpos(self, haystack: str, needle: str) -> str:
        return self._fill("strpos", h=haystack, n=needle)

    def grouped_int(self, expr: str) -> str:
        """A non-negative number's whole part with thousands separators, as int() and f"{:,}" give: 1,234,567."""
        return self._fill("grouped_int", x=expr)

    def mod(self, a: str, b: str) -> str:
        return self._fill("mod", a=a, b=b)

    def floor(self, expr: str) -> str:
        return f"floor({expr})"

    def ceil(self, expr: str) -> str:
        return f"ceil({expr})"

    def year_of(self, expr: str) -> str:
        return f"CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER)"

    def month_day(self, expr: str) -> str:
        return f"(CAST(EXTRACT(MONTH FROM {expr}) AS INTEGER) * 100 + CAST(EXTRACT(DAY FROM {expr}) AS INTEGER))"

    def make_date(self, year: str) -> str:
        return f"make_date({year}, 1, 1)"

    def trim(self, expr: str, chars: str) -> str:
        return self._fill("trim", x=expr, c=self.s(chars))

    def ltrim(self, expr: str, chars: str) -> str:
        return self._fill("ltrim", x=expr, c=self.s(chars))

    def stripped(self, expr: str, whitespace: str) -> str:
        """What str.strip() leaves of a cell (`whitespace`: the characters it removes), NULL when nothing."""
        return self._fill("stripped", x=expr, trim=self.trim(expr, whitespace), top=str(ord(max(whitespace))))

    def concat_ws(self, sep: str, parts: list[str]) -> str:
        if not parts:
            return "''"
        return f"concat_ws({self.s(sep)}, {', '.join(parts)})"

    def agg_join(self, piece: str, order: str, sep: str) -> str:
        """The pieces of a group joined in order."""
        return self._fill("agg_join", piece=piece, order=order, sep=self.s(sep))

    # ------------------------------------------------------------ money as people read it

    def cents(self, money: str) -> str:
        return f"CAST(({money}) * 100 AS BIGINT)"

    def grouped2(self, money: str) -> str:
        """A non-negative amount with separators and two decimals: 1,234.50 (exact)."""
        return self._fill("grouped2", x=money, cents=self.cents(money))

    def yuan(self, money: str, fen_exact: bool = False) -> str:
        """fmt_yuan: ¥1,234.50 (rounded half-up to the fen first, as fmt_yuan does). `fen_exact`: the
        expression is a whole number of fen already (a difference of amounts and literals of at most two
        decimals), so there is nothing to round: the rounding's arithmetic (38 digits) is left out."""
        if fen_exact:
            return f"('¥' || {self.grouped2(self.money(money))})"
        return f"('¥' || {self.grouped2(self.half_up(self.exact(money)))})"

    def half_up(self, exact: str) -> str:
        """Round half-up to 0.01 once, by multiplying and taking the floor (no division of money)."""
        return self.money(f"{self.floor(f'({exact}) * {self.hundred} + 0.5')} * 0.01")

    def ceil_cents(self, exact: str) -> str:
        return self.money(f"{self.ceil(f'({exact}) * {self.hundred}')} * 0.01")


DIALECTS = {name: Dialect(name) for name in ENGINES}
