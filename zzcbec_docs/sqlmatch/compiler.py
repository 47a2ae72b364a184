"""The policy compiled to SQL: every clause of the data file as column expressions.

The compiler walks the typed policy (policy.model) the way the row engine does (rules.engine →
rules.clauses → conditions, amounts, caps, funding; calculator.match for gaps, missing facts and
notes) and writes, per claimable clause, the status, amount, city and local shares, gaps, missing
facts and notes of `zzcbec match TABLE` as SQL over one row per enterprise and year. Nothing is
written per clause number: a condition kind, an amount method, a cap frequency is compiled once,
and a policy variant compiles to its own query. Every policy word and number in the SQL comes from
the policy object (labels, boundary words, thresholds, rates, citations); the figures of a row are
formatted in SQL from integers, so they are exact.

Money is DECIMAL(18,2) from the cell on. A rate is applied by multiplication and rounded half-up to
the fen once, by floor(x × 100 + 0.5) — never a division of money (DuckDB's exact decimal division
rounds ties to even).

The input relation has, per row: `_row` (the spreadsheet row number), `uscc`, `name`, `district`
(as written), `year`, the exclusion declaration `f_<exclusion fact>` when the table has it,
`_listed` (on the exclusion list), and `f_<field>` per fact column, typed (see `typed_columns`).
Prior awards (the ledger's standing awards) are a relation `prior(uscc, clause, year, amount,
ckey, ord, which_piece, note_piece)` when counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from zzcbec_docs.bundle import contract as contracts
from zzcbec_docs.bundle.contract import DISTRICT_ALIASES
from zzcbec_docs.calculator.match import _threshold_words, _unit_step, growth_pct
from zzcbec_docs.calculator.table_read import APPLICANT_FIELDS, FALSE_WORDS, TRUE_WORDS, table_fields
from zzcbec_docs.money import fmt_yuan
from zzcbec_docs.policy.model import (
    Clause,
    Condition,
    FeeTierAmount,
    FixedAmount,
    Flag,
    FullYear,
    Growth,
    OneOf,
    PerUnitAmount,
    Policy,
    RateAmount,
    RequestedAmount,
    Threshold,
    TierAmount,
)
from zzcbec_docs.rules import caps
from zzcbec_docs.rules import conditions as cond
from zzcbec_docs.rules import wording as W
from zzcbec_docs.rules.context import DEFAULT_CAP, ClaimContext
from zzcbec_docs.rules.engine import term_end
from zzcbec_docs.sqlmatch.dialect import Dialect

OUT_FIELDS = ("status", "amount", "city", "local", "gaps", "missing", "notes")
# what str.strip() removes (the row engine strips every cell with it)
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
MONEY_DIGITS = 15  # quick_schema.MONEY_LIMIT = 10**15: at most 15 digits before the point


class Sql(str):
    """An SQL expression that fills a wording's field (any other value is the policy's words: a literal)."""


def say(d: Dialect, wording: W.Wording, **fields: object) -> str:
    """The row engine's wording (rules.wording) as an SQL text expression: its words as literals, merged
    where no row's value comes between them, and the fields that vary by row as the expressions given."""
    parts: list[str] = []
    words = ""
    for literal, name in wording.pieces():
        words += literal
        if name is None:
            continue
        value = fields[name]
        if isinstance(value, Sql):
            if words:
                parts.append(d.s(words))
                words = ""
            parts.append(value)
        else:
            words += str(value)
    if words or not parts:
        parts.append(d.s(words))
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def col(name: str) -> str:
    """The SQL column of a contract field: f_import_export, f_service_fees__rent."""
    return "f_" + name.replace(".", "__")


def raw(name: str) -> str:
    return "r_" + name.replace(".", "__")


@dataclass
class Compiled:
    policy: Policy
    dialect: Dialect
    fields: dict[str, str]  # present field → kind
    clauses: list[int]
    prior: bool
    columns: dict[int, dict[str, str]] = field(default_factory=dict)  # clause → {status: sql, ...}
    helpers: list[tuple[str, str]] = field(default_factory=list)  # (name, sql) computed one level down


class _Clause:
    """The SQL of one claimable clause (conditions, amount, cap, funding, messages)."""

    def __init__(self, comp: Compiler, clause: Clause) -> None:
        self.c = comp
        self.d = comp.d
        self.clause = clause
        self.n = clause.number
        self.policy = comp.policy

    # ------------------------------------------------------------ facts

    def present(self, fact: str) -> str:
        f = self.policy.facts.get(fact)
        if f is not None and f.type == "fee_items":
            items = [f"{col(k)} IS NOT NULL" for k in self.c.fields if k.startswith(fact + ".")]
            return "(" + " OR ".join(items) + ")" if items else "FALSE"
        return f"({col(fact)} IS NOT NULL)" if fact in self.c.fields else "FALSE"

    def value(self, fact: str) -> str:
        if fact in self.c.fields:
            return col(fact)
        kind = self.c.kinds.get(fact, "text")  # a column the table does not have: unknown, typed
        sql = {
            "money": "DECIMAL(18,2)",
            "quantity": "DECIMAL(18,2)",
            "count": "BIGINT",
            "flag": "BOOLEAN",
            "date": "DATE",
        }.get(kind, self.d.text)
        return f"CAST(NULL AS {sql})"

    def kind(self, fact: str) -> str:
        return self.c.kinds.get(fact, "money")

    # ------------------------------------------------------------ conditions (rules.conditions)

    def ok(self, c: Condition) -> str:
        d = self.d
        if isinstance(c, Threshold):
            return f"({self.value(c.fact)} {c.operator} {d.dec_lit(c.value)})"
        if isinstance(c, Flag):
            return f"({self.value(c.fact)} IS TRUE)"
        if isinstance(c, OneOf):
            return f"({self.value(c.fact)} IN ({', '.join(d.s(v) for v in c.values)}))"
        if isinstance(c, FullYear):
            return f"({self.value(c.fact)} <= {d.make_date('year')})"
        assert isinstance(c, Growth)
        now, prior = self.value(c.fact), self.value(c.prior_fact)
        return f"({prior} > 0 AND ({now} - {prior}) {c.operator} {d.exact(f'{d.dec_lit(c.value)} * {prior}')})"

    def facts_of(self, c: Condition) -> list[str]:
        return [f for f in (getattr(c, "fact", None), getattr(c, "prior_fact", None)) if f is not None]

    def show(self, expr: str, kind: str, unit: str | None, fen_exact: bool = False) -> Sql:
        """calculator.match._show."""
        d = self.d
        if kind == "count":
            return Sql(f"({d.grouped_int(expr)}{' || ' + d.s(' ' + unit) if unit else ''})")
        if kind == "quantity":
            return Sql(f"({d.grouped2(expr)}{' || ' + d.s(' ' + unit) if unit else ''})")
        return Sql(d.yuan(expr, fen_exact))

    def gap(self, c: Condition) -> str:
        """calculator.match.gap_for, as SQL text."""
        d = self.d
        if isinstance(c, Threshold):
            kind = self.kind(c.fact)
            target = c.value if c.operator == ">=" else c.value + _unit_step(kind)
            return say(
                d,
                W.GAP_THRESHOLD,
                label=c.label,
                gap=self.show(f"({d.dec_lit(target)} - {self.value(c.fact)})", kind, c.unit, _in_fen(target)),
                verb=W.VERB[c.operator],
                target=_threshold_words(c, kind),
                boundary=c.boundary_word,
            )
        if isinstance(c, Growth):
            prior, now = self.value(c.prior_fact), self.value(c.fact)
            needed = d.ceil_cents(d.exact(f"{prior} * {d.dec_lit(1 + c.value)}"))
            short = say(
                d,
                W.GAP_GROWTH,
                label=c.label,
                pct=growth_pct(c),
                fact_label=self.c.labels.get(c.fact, c.fact),
                gap=Sql(d.yuan(f"({needed} - {now})", fen_exact=True)),  # needed: rounded up to the fen
                needed=Sql(d.yuan(needed, fen_exact=True)),
                boundary=c.boundary_word,
            )
            base = say(d, W.GAP_GROWTH_BASE, prior_label=c.prior_label or c.prior_fact)
            return f"(CASE WHEN {prior} <= 0 THEN {base} ELSE {short} END)"
        if isinstance(c, Flag):
            return say(d, W.GAP_FLAG, label=c.label)
        if isinstance(c, OneOf):
            return say(d, W.GAP_ONE_OF, label=c.label, allowed=W.ONE_OF_OR.join(c.name_of(v) for v in c.values))
        assert isinstance(c, FullYear)
        v = self.value(c.fact)
        first = f"({d.year_of(v)} + CASE WHEN {d.month_day(v)} = 101 THEN 0 ELSE 1 END)"
        return say(
            d,
            W.GAP_FULL_YEAR,
            label=c.label,
            date=Sql(d.as_text(v)),
            first=Sql(d.as_text(first)),
            boundary=c.boundary_word,
        )

    # ------------------------------------------------------------ prior awards (rules.context, caps)

    def prior_cols(self, scope: str, min_amount: Decimal | None = None) -> tuple[str, str, str]:
        """(already, hits, which) for this clause's earlier awards in a scope: all | year | item."""
        if not self.c.prior:
            return "CAST(0 AS DECIMAL(18,2))", "0", "''"
        key = (scope, min_amount)
        name = self.c.prior_helper(self.n, scope, min_amount)
        del key
        return f"{name}_sum", f"{name}_hits", f"{name}_which"

    # ------------------------------------------------------------ the amount (rules.amounts, caps)

    def compile(self) -> dict[str, str]:
        if self.policy.is_referred(self.n):
            return self._referred()
        d, clause = self.d, self.clause
        h = self.c.helper
        n = self.n
        excluded = h(f"x{n}", self.c.excluded_sql())
        present_all = h(f"p{n}", " AND ".join(self.present(f) for f in clause.facts) or "TRUE")
        # --- the decided path: the term (rules.engine), then the clause's own assessment (rules.clauses)
        term = self.c.term_fail()
        reasons: list[tuple[str, str]] = []  # (failed?, the gap text), in the order of the steps
        oks = []
        for i, c in enumerate(clause.conditions):
            ok = h(f"c{n}_{i}", self.ok(c))
            oks.append(ok)
            reasons.append((f"NOT {ok}", self.gap(c)))
        rule = clause.amount
        tier_rate = tier_cap = None
        if isinstance(rule, FeeTierAmount):
            hits = [h(f"t{n}_{k}", " OR ".join(self.ok(a) for a in t.any_of)) for k, t in enumerate(rule.tiers)]
            fee_none = "NOT (" + " OR ".join(hits) + ")"
            alternatives = f" || {d.s(W.ALTERNATIVES_JOIN)} || ".join(self.gap(a) for a in rule.tiers[-1].any_of)
            reasons.append((fee_none, say(d, W.GAP_ANY_OF, alternatives=Sql(f"({alternatives})"))))
            tier_rate = (
                "CASE "
                + " ".join(f"WHEN {hk} THEN {d.dec_lit(t.rate)}" for hk, t in zip(hits, rule.tiers, strict=True))
                + " END"
            )
            tier_cap = (
                "CASE "
                + " ".join(
                    f"WHEN {hk} THEN {d.money(d.dec_lit(t.cap))}" for hk, t in zip(hits, rule.tiers, strict=True)
                )
                + " END"
            )
        pre_fail = h(f"f{n}", " OR ".join(f"({r})" for r, _ in reasons) if reasons else "FALSE")
        # --- the gate (rules.caps.gate): only when nothing failed before
        cap = clause.cap or DEFAULT_CAP
        frequency, word = cap.frequency, cap.boundary_word
        later: list[tuple[str, str]] = []  # failures after the conditions, each only if none before it
        gate_fail = "FALSE"
        if frequency in ("one_time", "once_per_year") and rule is not None and self.c.prior:
            same_year = frequency == "once_per_year"
            already, hits_n, which = self.prior_cols("year" if same_year else "all")
            scope = W.ONCE_THIS_YEAR[0] if same_year else ""
            gate_fail = h(f"g{n}", f"(NOT {pre_fail} AND {hits_n} > 0)")
            later.append((gate_fail, say(d, W.ONCE_ONLY, word=word, scope=scope, which=Sql(which))))
        # --- the computed amount
        tier_fail = "FALSE"
        computed: str
        if rule is None:
            computed = "CAST(0 AS DECIMAL(18,2))"
        elif isinstance(rule, RateAmount):
            base = " + ".join(f"COALESCE({self.value(f)}, 0)" for f in rule.base)
            computed = d.half_up(d.exact(f"({base}) * {d.dec_lit(rule.rate)}"))
        elif isinstance(rule, FixedAmount):
            computed = d.money(d.dec_lit(rule.value))
        elif isinstance(rule, TierAmount):
            v = self.value(rule.fact)
            reached = sorted(rule.tiers, key=lambda t: t.value, reverse=True)
            computed = (
                "CASE "
                + " ".join(
                    f"WHEN {v} {t.operator} {d.dec_lit(t.value)} THEN {d.money(d.dec_lit(t.amount))}" for t in reached
                )
                + " ELSE CAST(0 AS DECIMAL(18,2)) END"
            )
            low = min(rule.tiers, key=lambda t: t.value)
            none = " AND ".join(f"NOT ({v} {t.operator} {d.dec_lit(t.value)})" for t in rule.tiers)
            tier_fail = h(f"tf{n}", f"(NOT {pre_fail} AND NOT {gate_fail} AND {none})")
            shown = Sql(f"({d.grouped2(v)} || {d.s(' ' + W.YUAN)})")  # rules.conditions.show(value, None)
            later.append(
                (
                    tier_fail,
                    say(
                        d,
                        W.NO_TIER,
                        label=rule.label,
                        value=shown,
                        symbol=cond.SYMBOL[low.operator],
                        lowest=cond.show(low.value, None),
                        boundary=low.boundary_word,
                    ),
                )
            )
        elif isinstance(rule, PerUnitAmount):
            computed = d.half_up(d.exact(f"{self.value(rule.fact)} * {d.dec_lit(rule.unit_amount)}"))
        elif isinstance(rule, RequestedAmount):
            computed = d.money(self.value(rule.fact))
        else:
            assert isinstance(rule, FeeTierAmount) and tier_rate is not None
            counted = [
                k
                for k in self.c.fields
                if k.startswith(rule.fee_fact + ".") and k.split(".", 1)[1] not in rule.excluded_fees
            ]
            base = " + ".join(f"COALESCE({col(k)}, 0)" for k in counted) or "0"
            computed = d.half_up(d.exact(f"({base}) * ({tier_rate})"))
        computed = h(f"v{n}", computed)
        alive = h(
            f"al{n}", f"(NOT {pre_fail} AND NOT {gate_fail} AND NOT {tier_fail})" if rule is not None else "FALSE"
        )
        # --- the cap (rules.caps.limit)
        amounts = [
            x
            for x in ((d.money(d.dec_lit(cap.amount)) if cap and cap.amount is not None else None), tier_cap)
            if x is not None
        ]
        ceiling = (amounts[0] if len(amounts) == 1 else f"LEAST({', '.join(amounts)})") if amounts else None
        paid = computed
        first_limit = len(later)
        if frequency == "one_time_per_tier":
            paid = h(f"tp{n}", self._top_up(computed, alive, later))
            if ceiling is not None:
                paid = self._capped(paid, ceiling, "all", W.CAP_SCOPE_ONCE, f"({alive} AND {paid} > 0)", later, word)
        elif ceiling is not None:
            if frequency == "one_time":
                paid = self._capped(paid, ceiling, "all", W.CAP_SCOPE_ONCE, alive, later, word)
            elif frequency == "per_competition":
                item = self.value(cap.item_fact) if cap and cap.item_fact else "NULL"
                scope = Sql(say(d, W.CAP_SCOPE_ITEM, item=Sql(f"COALESCE({item}, '')")))
                paid = self._capped(paid, ceiling, "item", scope, alive, later, word)
            else:
                paid = self._capped(paid, ceiling, "year", W.CAP_SCOPE_YEAR, alive, later, word)
        paid = h(f"pd{n}", f"(CASE WHEN {alive} THEN {paid} ELSE CAST(0 AS DECIMAL(18,2)) END)")
        limit_fail = " OR ".join(f for f, _ in later[first_limit:]) or "FALSE"
        term_sql = term[0] if term is not None else "FALSE"
        if term is not None:
            reasons.insert(0, term)
        ok_so_far = f"(NOT {term_sql} AND {alive} AND NOT ({limit_fail}))" if rule is not None else "FALSE"
        zero = h(
            f"z{n}",
            f"(NOT {term_sql} AND NOT {pre_fail} AND NOT {gate_fail} AND NOT {tier_fail} "
            f"AND NOT ({limit_fail}) AND {paid} <= 0)",
        )
        later.append((zero, say(d, W.ZERO_AMOUNT)))
        eligible = h(f"e{n}", f"({ok_so_far} AND NOT {zero})")
        # --- status
        known_fail = (
            " OR ".join(
                f"({' AND '.join(self.present(f) for f in self.facts_of(c))} AND NOT {ok})"
                for c, ok in zip(clause.conditions, oks, strict=True)
            )
            or "FALSE"
        )
        status = (
            f"CASE WHEN {excluded} THEN 'excluded' WHEN NOT {present_all} THEN "
            f"(CASE WHEN {known_fail} THEN 'not_eligible' ELSE 'undecided' END) "
            f"WHEN {eligible} THEN 'eligible' ELSE 'not_eligible' END"
        )
        amount = (
            f"(CASE WHEN NOT {excluded} AND {present_all} AND {eligible} THEN {paid} ELSE CAST(0 AS DECIMAL(18,2)) END)"
        )
        is_eligible = f"(NOT {excluded} AND {present_all} AND {eligible})"
        # --- funding (rules.funding)
        city, local = self._funding(is_eligible, paid)
        # --- gaps, missing, notes (calculator.match)
        known_gaps = d.concat_ws(
            W.JOIN,
            [
                f"CASE WHEN {' AND '.join(self.present(f) for f in self.facts_of(c))} AND NOT {ok} THEN {self.gap(c)} END"
                for c, ok in zip(clause.conditions, oks, strict=True)
            ],
        )
        decided_gaps = d.concat_ws(W.JOIN, [f"CASE WHEN {f} THEN {g} END" for f, g in reasons + later])
        gaps = (
            f"CASE WHEN {excluded} THEN '' WHEN NOT {present_all} THEN {known_gaps} "
            f"WHEN {eligible} THEN '' ELSE {decided_gaps} END"
        )
        labels = self.c.labels
        missing = d.concat_ws(
            W.LIST_JOIN,
            [
                f"CASE WHEN NOT {self.present(f)} THEN {say(d, W.MISSING_FACT, label=labels.get(f, f), fact=f)} END"
                for f in clause.facts
            ],
        )
        missing = f"CASE WHEN {excluded} OR {present_all} THEN '' ELSE {missing} END"
        notes = self._notes(excluded, is_eligible, computed, paid, city)
        return {
            "status": status,
            "amount": amount,
            "city": city,
            "local": local,
            "gaps": gaps,
            "missing": missing,
            "notes": notes,
        }

    def _referred(self) -> dict[str, str]:
        p = self.policy
        note = say(self.d, W.NOTE_REFERRED, cite=p.cite(p.referring_clause(self.n)))
        return {
            "status": "'referred'",
            "amount": "CAST(0 AS DECIMAL(18,2))",
            "city": "CAST(NULL AS DECIMAL(18,2))",
            "local": "CAST(NULL AS DECIMAL(18,2))",
            "gaps": "''",
            "missing": "''",
            "notes": note,
        }

    def _top_up(self, value: str, alive: str, later: list[tuple[str, str]]) -> str:
        """caps.top_up (and each_tier when the clause's reading says so)."""
        d = self.d
        reading = caps.reading(ClaimContext(self.policy, self.clause, {}, 0, ()))  # the rules' own choice
        if not self.c.prior:
            return value
        h = self.c.helper
        n = self.n
        if reading == "each_tier":
            rule = self.clause.amount
            tiers = sorted({t.amount for t in rule.tiers}) if isinstance(rule, TierAmount) else []
            if not tiers:
                return value
            cases_hits = " ".join(f"WHEN {value} = {d.dec_lit(a)} THEN {self.prior_cols('all', a)[1]}" for a in tiers)
            cases_which = " ".join(f"WHEN {value} = {d.dec_lit(a)} THEN {self.prior_cols('all', a)[2]}" for a in tiers)
            fail = h(f"et{n}", f"({alive} AND (CASE {cases_hits} ELSE 0 END) > 0)")
            which: str = Sql(f"(CASE {cases_which} ELSE '' END)")
            later.append((fail, say(d, W.EACH_TIER_PAID, value=Sql(d.yuan(value)), which=which)))
            return f"(CASE WHEN {fail} THEN CAST(0 AS DECIMAL(18,2)) ELSE {value} END)"
        already, hits, which = self.prior_cols("all")
        # the highest tier reached: this claim's, or the tier a standing earlier award was decided under
        reached = f"GREATEST({value}, COALESCE({self.c.prior_helper(self.n, 'all', None)}_maxtier, {value}))"
        rest = h(f"tr{n}", d.money(f"LEAST({value}, {reached} - {already})"))
        fail = h(f"tu{n}", f"({alive} AND {hits} > 0 AND {rest} <= 0)")
        later.append((fail, say(d, W.TOP_UP_PAID, value=Sql(d.yuan(value)), which=Sql(which))))
        return f"(CASE WHEN {hits} = 0 THEN {value} WHEN {fail} THEN CAST(0 AS DECIMAL(18,2)) ELSE {rest} END)"

    def _capped(
        self,
        amount: str,
        cap: str,
        scope: str,
        scope_word: str,
        alive: str,
        later: list[tuple[str, str]],
        word: str,
    ) -> str:
        """rules.context.capped: what is left of the cap in its scope."""
        d = self.d
        if not self.c.prior:
            return f"LEAST({amount}, {cap})"
        already, _, which = self.prior_cols(scope)
        remaining = f"GREATEST({cap} - {already}, CAST(0 AS DECIMAL(18,2)))"
        fail = self.c.helper(f"cu{self.n}_{len(later)}", f"({alive} AND {remaining} <= 0 AND {already} > 0)")
        used_up = say(d, W.CAP_USED_UP, scope=scope_word, cap=Sql(d.yuan(cap)), word=word, which=Sql(which))
        later.append((fail, used_up))
        return (
            f"(CASE WHEN {fail} THEN CAST(0 AS DECIMAL(18,2)) WHEN {amount} > {remaining} THEN {d.money(remaining)} "
            f"ELSE {amount} END)"
        )

    def _funding(self, eligible: str, paid: str) -> tuple[str, str]:
        d, p = self.d, self.policy
        null = "CAST(NULL AS DECIMAL(18,2))"
        if p.funding_rule is None:
            return null, null
        if self.n in p.city_only_clauses or self.clause.funding == "city":
            return (
                f"(CASE WHEN {eligible} THEN {paid} END)",
                f"(CASE WHEN {eligible} THEN CAST(0 AS DECIMAL(18,2)) END)",
            )
        city = (
            "CASE "
            + " ".join(
                f"WHEN district_c IN ({', '.join(d.s(x) for x in g.districts)}) THEN "
                f"{d.half_up(d.exact(f'{paid} * {d.dec_lit(g.city_ratio)}'))}"
                for g in p.funding_groups
            )
            + " END"
        )
        city = self.c.helper(f"cy{self.n}", f"(CASE WHEN {eligible} THEN {city} END)")
        return city, f"{d.money(f'{paid} - {city}')}"

    def _notes(self, excluded: str, eligible: str, computed: str, paid: str, city: str) -> str:
        d, p, clause = self.d, self.policy, self.clause
        ex = p.exclusion
        parts_excl: list[str] = []
        if ex is not None:
            parts_excl.append(say(d, W.NOTE_EXCLUDED, label=ex.label, cite=p.cite(ex.clause)))
            etrade = self.c.etrade
            contradicts = d.s(W.JOIN + W.NOTE_CONTRADICTS.zh(label=ex.label))
            parts_excl.append(
                f"CASE WHEN _listed AND NOT ({etrade} IS TRUE) THEN {say(d, W.NOTE_LISTED, label=ex.label)} || "
                f"(CASE WHEN {etrade} IS FALSE THEN {contradicts} ELSE '' END) END"
            )
        binds = say(d, W.NOTE_CAP_BINDS, computed=Sql(d.yuan(computed)), paid=Sql(d.yuan(paid)))
        parts: list[str] = [f"CASE WHEN {computed} > {paid} THEN {binds} END"]
        rule = clause.amount
        if isinstance(rule, TierAmount):
            v = self.value(rule.fact)
            cases = []
            for t in sorted(rule.tiers, key=lambda t: t.value):
                step = Decimal("0.01") if t.operator == ">" else Decimal(0)
                gap = Sql(d.yuan(f"({d.dec_lit(t.value + step)} - {v})", _in_fen(t.value + step)))
                note = say(
                    d, W.NOTE_NEXT_TIER, amount=fmt_yuan(t.amount), label=rule.label, gap=gap, boundary=t.boundary_word
                )
                cases.append(f"WHEN NOT ({v} {t.operator} {d.dec_lit(t.value)}) THEN {note}")
            parts.append("CASE " + " ".join(cases) + " END")
        rule_f = p.funding_rule
        unsettled = say(
            d, W.FUNDING_UNSETTLED, cite=p.cite(rule_f.clause if rule_f else None), district=Sql("district_c")
        )
        parts.append(f"CASE WHEN {city} IS NULL THEN {unsettled} END")
        if ex is not None:
            undeclared = say(d, W.NOTE_UNDECLARED, label=ex.label, cite=p.cite(ex.clause))
            parts.append(f"CASE WHEN {self.c.etrade} IS NULL THEN {undeclared} END")
        if self.c.prior:
            counted = self.c.prior_helper(self.n, "note", None)
            ledger = say(d, W.NOTE_LEDGER, awards=Sql(f"{counted}_which"))
            parts.append(f"CASE WHEN {counted}_hits > 0 THEN {ledger} END")
        return (
            f"CASE WHEN {excluded} THEN {d.concat_ws(W.JOIN, parts_excl)} WHEN {eligible} THEN "
            f"{d.concat_ws(W.JOIN, parts)} ELSE '' END"
        )


class Compiler:
    def __init__(self, policy: Policy, fields: dict[str, str], dialect: Dialect, *, prior: bool = False) -> None:
        self.policy = policy
        self.d = dialect
        self.fields = fields
        self.prior = prior
        self.kinds = {name: f.type for name, f in contracts.facts(policy).items()}
        self.labels = {name: f.label for name, f in contracts.facts(policy).items()}
        self.helpers: dict[str, str] = {}
        self.priors: dict[tuple[int, str, Decimal | None], str] = {}
        ex = policy.exclusion_fact
        self.etrade = col(ex) if ex in fields else "CAST(NULL AS BOOLEAN)"

    def helper(self, name: str, sql: str) -> str:
        """A sub-expression computed once, one level below the columns that use it."""
        self.helpers[name] = sql
        return name

    def prior_helper(self, clause: int, scope: str, min_amount: Decimal | None) -> str:
        key = (clause, scope, min_amount)
        if key not in self.priors:
            self.priors[key] = f"pr{clause}_{len(self.priors)}"
        return self.priors[key]

    def excluded_sql(self) -> str:
        if self.policy.exclusion is None:
            return "FALSE"
        return f"({self.etrade} IS TRUE OR _listed)"

    def term_fail(self) -> tuple[str, str] | None:
        p = self.policy
        if p.issued_on is None or p.term_clause is None:
            return None
        start, end = p.issued_on, term_end(p.issued_on, p.term_years)
        last_year = end.year if end > dt.date(end.year, 1, 1) else end.year - 1
        last = end - dt.timedelta(days=1)
        n = p.term_clause
        d = self.d
        fail = f"(year < {start.year} OR year > {last_year})"
        msg = say(
            d,
            W.TERM,
            year=Sql(d.as_text("year")),
            where=W.TERM_OUTSIDE[0],
            start=start.isoformat(),
            last=last.isoformat(),
            cite=p.cite(n),
            years=p.term_years,
        )
        return fail, msg

    def compile(self) -> Compiled:
        out = Compiled(self.policy, self.d, self.fields, self.policy.claimable(), self.prior)
        for n in out.clauses:
            out.columns[n] = _Clause(self, self.policy.clauses[n]).compile()
        out.helpers = list(self.helpers.items())
        return out

    # ------------------------------------------------------------ prior awards, as joins

    def prior_select(self, source: str) -> str:
        """Per row, every prior-award aggregate a clause asks for (sum, count, highest tier, the awards named),
        each a conditional aggregate: the rows joined once to the applicant's awards (and once to each
        competition's, for a per-item cap) and grouped by row — two aggregations in all, not one per
        clause and scope (Spark plans each on its own)."""
        d = self.d
        groups: dict[str, list[str]] = {}  # the join key of the prior awards → the aggregates over it
        names: dict[str, list[str]] = {}
        for (clause, scope, min_amount), name in self.priors.items():
            where = [f"p.clause = {clause}"]
            if scope == "year":
                where.append("p.year = s.year")
            if min_amount is not None:  # each tier once: an award decided under this tier or a higher one
                where.append(f"COALESCE(p.tier, p.amount) >= {d.dec_lit(min_amount)}")
            item = self.policy.item_fact(clause) if scope == "item" else None
            on = f"p.ckey = s.{col(item)}_key" if item else ("p.uscc = s.uscc" if scope != "item" else "FALSE")
            when = " AND ".join(where)
            piece = "p.note_piece" if scope == "note" else "p.which_piece"
            sep = W.LIST_JOIN if scope == "note" else W.JOIN
            groups.setdefault(on, []).extend(
                [
                    f"sum(CASE WHEN {when} THEN p.amount END) AS {name}_s",
                    f"count(CASE WHEN {when} THEN 1 END) AS {name}_h",
                    f"max(CASE WHEN {when} THEN p.tier END) AS {name}_mt",
                    f"{d.agg_join(f'CASE WHEN {when} THEN {piece} END', 'p.ord', sep)} AS {name}_w",
                ]
            )
            names.setdefault(on, []).append(name)
        cols, joins = [], []
        for i, (on, aggs) in enumerate(groups.items()):
            g = f"g{i}"
            joins.append(
                f"LEFT JOIN (SELECT s._row, {', '.join(aggs)} FROM {source} s JOIN prior p ON {on} GROUP BY s._row) "
                f"{g} ON {g}._row = {source}._row"
            )
            for name in names[on]:
                cols += [
                    f"COALESCE({g}.{name}_s, 0) AS {name}_sum",
                    f"COALESCE({g}.{name}_h, 0) AS {name}_hits",
                    f"{g}.{name}_mt AS {name}_maxtier",
                    f"COALESCE({g}.{name}_w, '') AS {name}_which",
                ]
        return f"SELECT {source}.*, {', '.join(cols)} FROM {source} {' '.join(joins)}"


def compile_policy(
    policy: Policy, fields: dict[str, str], dialect: Dialect, *, prior: bool = False
) -> tuple[Compiler, Compiled]:
    c = Compiler(policy, fields, dialect, prior=prior)
    return c, c.compile()


# ---------------------------------------------------------------- the whole query


def wide_steps(
    policy: Policy, fields: dict[str, str], dialect: Dialect, source: str, *, prior: bool = False
) -> list[tuple[str, str]]:
    """The decisions as a chain of relations, each built from the one before: the prior awards joined,
    the helper expressions layer by layer, then `w` — per row: _row, uscc, name, district_c, year and,
    per clause n, s_n, a_n, ci_n, lo_n, g_n, m_n, no_n (status, amount, city, local, gaps, missing, notes).

    `source` is a relation of typed rows (see the module's docstring)."""
    comp, compiled = compile_policy(policy, fields, dialect, prior=prior)
    steps: list[tuple[str, str]] = []
    prev = source
    if prior and comp.priors:
        steps.append(("wb", comp.prior_select(source)))
        prev = "wb"
    for i, layer in enumerate(_layers(compiled.helpers)):  # a helper uses only helpers of the layers below it
        steps.append((f"wl{i}", f"SELECT l.*, {', '.join(f'{sql} AS {name}' for name, sql in layer)} FROM {prev} l"))
        prev = f"wl{i}"
    cols = []
    for n in compiled.clauses:
        c = compiled.columns[n]
        cols += [
            f"{c['status']} AS s_{n}",
            f"{c['amount']} AS a_{n}",
            f"{c['city']} AS ci_{n}",
            f"{c['local']} AS lo_{n}",
            f"{c['gaps']} AS g_{n}",
            f"{c['missing']} AS m_{n}",
            f"{c['notes']} AS no_{n}",
        ]
    steps.append(("w", f"SELECT _row, uscc, name, district_c, year, {', '.join(cols)} FROM {prev} l1"))
    return steps


def wide_query(policy: Policy, fields: dict[str, str], dialect: Dialect, source: str, *, prior: bool = False) -> str:
    """wide_steps as one query (each step a subquery of the next)."""
    steps = wide_steps(policy, fields, dialect, source, prior=prior)
    sql: dict[str, str] = {}
    for name, select in steps:
        for earlier, text in sql.items():
            select = select.replace(f" FROM {earlier} ", f" FROM ({text}) ")
        sql[name] = select
    return sql["w"]


def _layers(helpers: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    import re

    names = {name for name, _ in helpers}
    depth: dict[str, int] = {}
    for name, sql in helpers:  # in the order they were made: every helper used is made before
        used = {w for w in re.findall(r"\b[a-z]+[0-9]+(?:_[0-9]+)?\b", sql) if w in names and w != name}
        depth[name] = 1 + max((depth[u] for u in used), default=-1)
    out: list[list[tuple[str, str]]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name, sql in helpers:
        out[depth[name]].append((name, sql))
    return out


# ---------------------------------------------------------------- typing the cells


def fields_of(policy: Policy, present: list[str]) -> dict[str, str]:
    kinds = table_fields(policy)
    return {f: kinds[f] for f in present}


def canonical_district_sql(d: Dialect, expr: str) -> str:
    cases = " ".join(f"WHEN {d.s(a)} THEN {d.s(b)}" for a, b in DISTRICT_ALIASES.items())
    return f"(CASE {expr} {cases} ELSE {expr} END)"


def typed_columns(policy: Policy, fields: dict[str, str], d: Dialect) -> list[str]:
    """`expr AS f_x` from trimmed text columns r_x (NULL when the cell is empty)."""
    out = []
    for name, kind in fields.items():
        r = raw(name)
        if name in APPLICANT_FIELDS:
            continue
        if kind == "flag":
            t = f"lower({r})"
            expr = (
                f"(CASE WHEN {t} IN ({', '.join(d.s(w) for w in TRUE_WORDS)}) THEN TRUE "
                f"WHEN {t} IN ({', '.join(d.s(w) for w in FALSE_WORDS)}) THEN FALSE END)"
            )
        elif kind in ("money", "quantity"):
            expr = d.try_money(r)
        elif kind == "count":
            expr = d.try_big(r)
        elif kind == "date":
            expr = d.try_date(r)
        else:
            expr = r
        out.append(f"{expr} AS {col(name)}")
    return out


def _in_fen(value: Decimal) -> bool:
    """A policy literal of at most two decimals: its difference from an amount is a whole number of fen."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2


def suspect_sql(policy: Policy, fields: dict[str, str], d: Dialect) -> str:
    """True for a row that may hold a bad cell: a superset of what the row engine refuses (the
    row engine then names each bad cell, with its own messages). A row it accepts is decided here."""
    from zzcbec_docs.bundle import uscc as uscc_mod

    root = contracts.contract(policy).schema
    year = root["properties"]["year"]
    districts = root["$defs"]["applicant"]["properties"]["district"]["enum"]
    checks = []
    for name, kind in fields.items():
        r = raw(name)
        if kind == "flag":
            bad = f"lower({r}) NOT IN ({', '.join(d.s(w) for w in TRUE_WORDS + FALSE_WORDS)})"
        elif kind in ("money", "quantity"):
            amount_re = "(0|[1-9][0-9]{0," + str(MONEY_DIGITS - 1) + "})(\\.[0-9]{1,2})?"
            bad = f"NOT {d.full_match(r, amount_re)}"
        elif kind == "count":
            limit = contracts.BASE_TYPES["count"]["maximum"]
            bad = f"(NOT {d.full_match(r, '[0-9]{1,13}')} OR {d.try_big(r)} > {limit})"
        elif kind == "year":
            bad = (
                f"(NOT {d.full_match(r, '[0-9]{1,4}')} OR {d.try_big(r)} < {year['minimum']} OR "
                f"{d.try_big(r)} > {year['maximum']})"
            )
        elif kind == "date":
            bad = (
                f"(NOT {d.full_match(r, '[0-9]{4}-[0-9]{2}-[0-9]{2}')} OR {d.try_date(r)} IS NULL OR "
                f"substr({r}, 1, 4) = '0000')"
            )
        elif kind == "uscc":
            u = f"upper({r})"
            total = " + ".join(
                f"({d.strpos(d.s(uscc_mod.ALPHABET), f'substr({u}, {i + 1}, 1)')} - 1) * {w}"
                for i, w in enumerate(uscc_mod.WEIGHTS)
            )
            rest = d.mod(total, "31")
            check = f"substr({d.s(uscc_mod.ALPHABET)}, {d.mod(f'31 - {rest}', '31')} + 1, 1)"
            bad = f"(NOT {d.full_match(u, '[0-9A-HJ-NPQRTUWXY]{18}')} OR substr({u}, 18, 1) <> {check} OR {r} <> {u})"
        elif kind == "district":
            bad = f"{r} NOT IN ({', '.join(d.s(x) for x in districts)})"
        elif kind in ("short_text", "text"):
            limit = contracts.BASE_TYPES[kind]["maxLength"]
            bad = f"(length({r}) > {limit} OR {d.contains_re(r, d.illegal_chars())})"
        else:  # a choice
            f = contracts.facts(policy).get(name)
            values = [v for v, _ in f.choices] if f is not None else []
            bad = f"{r} NOT IN ({', '.join(d.s(v) for v in values) or 'NULL'})"
        if name in APPLICANT_FIELDS:
            checks.append(f"({r} IS NULL OR {bad})")
        else:
            checks.append(f"({r} IS NOT NULL AND {bad})")
    return "(" + " OR ".join(checks) + ")"
