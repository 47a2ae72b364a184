"""What differs between the SQL engines: literals, types, regular expressions, figures with separators.

The compiler (sqlmatch.compiler) writes every clause with these few functions, so one policy
compiles to DuckDB, PostgreSQL and Spark SQL alike. Money stays DECIMAL from the cell to the
output (never a float); figures are written from integers (`1,234,567` and the two cents), so a
printed amount is exact in every engine.
"""

from __future__ import annotations

from decimal import Decimal


class Dialect:
    name = "ansi"
    text = "VARCHAR"
    big = "BIGINT"

    # ------------------------------------------------------------ literals and types

    def s(self, value: str) -> str:
        """A string literal."""
        return "'" + value.replace("'", "''") + "'"

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
        return f"CAST({expr} AS DECIMAL(38,10))"

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.text})"

    def try_money(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DECIMAL(18,2))"

    def try_big(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS BIGINT)"

    def try_date(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DATE)"

    # ------------------------------------------------------------ functions

    def full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {self.s(pattern)})"

    def contains_re(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {self.s(pattern)})"

    def strpos(self, haystack: str, needle: str) -> str:
        return f"strpos({haystack}, {needle})"

    def grouped_int(self, expr: str) -> str:
        """A non-negative number's whole part with thousands separators, as int() and f"{:,}" give: 1,234,567."""
        return f"format('{{:,}}', CAST(trunc({expr}) AS BIGINT))"

    def lpad2(self, expr: str) -> str:
        return f"lpad({self.as_text(expr)}, 2, '0')"

    def mod(self, a: str, b: str) -> str:
        return f"(({a}) % ({b}))"

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
        return f"trim({expr}, {self.s(chars)})"

    def concat_ws(self, sep: str, parts: list[str]) -> str:
        if not parts:
            return "''"
        return f"concat_ws({self.s(sep)}, {', '.join(parts)})"

    def agg_join(self, piece: str, order: str, sep: str) -> str:
        """The pieces of a group joined in order."""
        return f"string_agg({piece}, {self.s(sep)} ORDER BY {order})"

    # ------------------------------------------------------------ money as people read it

    def cents(self, money: str) -> str:
        return f"CAST(({money}) * 100 AS {self.big})"

    def grouped2(self, money: str) -> str:
        """A non-negative amount with separators and two decimals: 1,234.50 (exact: from integers)."""
        c = self.cents(money)
        return f"({self.grouped_int(f'({c}) // 100')} || '.' || {self.lpad2(self.mod(c, '100'))})"

    def yuan(self, money: str) -> str:
        """fmt_yuan: ¥1,234.50 (rounded half-up to the fen first, as fmt_yuan does)."""
        return f"('¥' || {self.grouped2(self.half_up(self.exact(money)))})"

    hundred = "100"

    def half_up(self, exact: str) -> str:
        """Round half-up to 0.01 once, by multiplying and taking the floor (no division of money)."""
        return self.money(f"{self.floor(f'({exact}) * {self.hundred} + 0.5')} * 0.01")

    def ceil_cents(self, exact: str) -> str:
        return self.money(f"{self.ceil(f'({exact}) * {self.hundred}')} * 0.01")


class DuckDB(Dialect):
    name = "duckdb"

    def cents(self, money: str) -> str:
        return f"CAST(({money}) * 100 AS BIGINT)"


class PostgreSQL(Dialect):
    name = "postgresql"
    text = "TEXT"

    def try_money(self, expr: str) -> str:
        return f"(CASE WHEN {expr} ~ '^[0-9]{{1,15}}(\\.[0-9]{{1,2}})?$' THEN CAST({expr} AS NUMERIC(18,2)) END)"

    def try_big(self, expr: str) -> str:
        return f"(CASE WHEN {expr} ~ '^[0-9]{{1,18}}$' THEN CAST({expr} AS BIGINT) END)"

    def try_date(self, expr: str) -> str:
        return f"pg_temp.zz_try_date({expr})"

    def full_match(self, expr: str, pattern: str) -> str:
        return f"({expr} ~ {self.s('^(?:' + pattern + ')$')})"

    def contains_re(self, expr: str, pattern: str) -> str:
        return f"({expr} ~ {self.s(pattern)})"

    def grouped_int(self, expr: str) -> str:
        return f"to_char(CAST(trunc({expr}) AS BIGINT), 'FM999,999,999,999,999,999,990')"

    def grouped2(self, money: str) -> str:
        return f"to_char(CAST({money} AS NUMERIC(18,2)), 'FM999,999,999,999,999,990.00')"

    def cents(self, money: str) -> str:
        return f"CAST(({money}) * 100 AS BIGINT)"

    def mod(self, a: str, b: str) -> str:
        return f"mod({a}, {b})"

    def month_day(self, expr: str) -> str:
        return f"(CAST(EXTRACT(MONTH FROM {expr}) AS INTEGER) * 100 + CAST(EXTRACT(DAY FROM {expr}) AS INTEGER))"

    def trim(self, expr: str, chars: str) -> str:
        return f"btrim({expr}, {self.s(chars)})"


class Spark(Dialect):
    name = "spark"
    text = "STRING"
    hundred = "CAST(100 AS DECIMAL(3,0))"  # Spark narrows the scale of a product beyond 38 digits: stay within

    def exact(self, expr: str) -> str:
        return f"CAST({expr} AS DECIMAL(26,8))"

    def s(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def try_money(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DECIMAL(18,2))"

    def try_big(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS BIGINT)"

    def try_date(self, expr: str) -> str:
        return f"TRY_CAST({expr} AS DATE)"

    def full_match(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {self.s('^(?:' + pattern + ')$')})"

    def contains_re(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {self.s(pattern)})"

    def strpos(self, haystack: str, needle: str) -> str:
        return f"instr({haystack}, {needle})"

    def grouped_int(self, expr: str) -> str:
        return f"format_number(CAST({expr} AS BIGINT), 0)"  # a cast to BIGINT truncates, as int() does

    def grouped2(self, money: str) -> str:
        return f"format_number(CAST({money} AS DECIMAL(18,2)), 2)"

    def mod(self, a: str, b: str) -> str:
        return f"pmod({a}, {b})"

    def trim(self, expr: str, chars: str) -> str:
        return f"trim(BOTH {self.s(chars)} FROM {expr})"

    def agg_join(self, piece: str, order: str, sep: str) -> str:
        return (
            f"array_join(transform(array_sort(collect_list(named_struct('o', {order}, 'p', {piece}))), "
            f"x -> x.p), {self.s(sep)})"
        )


DIALECTS = {"duckdb": DuckDB(), "postgresql": PostgreSQL(), "spark": Spark()}
