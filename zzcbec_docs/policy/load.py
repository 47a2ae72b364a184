"""Loading a policy data file: its schema, then what a schema cannot say, then typed objects.

Structural mistakes (a clause that refers to a missing clause, a reading that is not a setting,
a fact used as two different things) are refused here, naming the file and the JSON pointer,
so that the engine never meets them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from zzcbec_docs.errors import PolicyError
from zzcbec_docs.loading import load_file
from zzcbec_docs.policy.model import (
    Amount,
    Cap,
    Clause,
    Condition,
    Exclusion,
    Fact,
    FeeTier,
    FeeTierAmount,
    FixedAmount,
    Flag,
    FullYear,
    FundingGroup,
    FundingRule,
    Growth,
    OneOf,
    PerUnitAmount,
    Policy,
    RateAmount,
    RequestedAmount,
    Setting,
    Threshold,
    Tier,
    TierAmount,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_ID = "zz-cbec-measures-draft"
POLICY_DIRS_ENV = "ZZCBEC_POLICY_DIRS"  # more folders of installed policy files (os.pathsep between)

# Units that count whole things (家, 单, 人…): a threshold with one of them takes an integer.
COUNT_UNITS = frozenset("家 单 人 个 项 次 件 名 户 场 票 笔 套 台 座 间".split())
NUMERIC = ("count", "quantity", "money")  # narrowest first: a fact used as two of them is the wider
# Frequencies that cap a computed amount: an open-ended method needs a cap amount with them.
AMOUNT_CAPPED = ("per_year", "one_time", "per_competition")
OPEN_ENDED = (RateAmount, PerUnitAmount, RequestedAmount)
DEFAULT_ITEM_FACT = "competition_name"


def default_policy_path() -> Path:
    return DATA_DIR / f"{DEFAULT_ID}.yaml"


def policy_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(POLICY_DIRS_ENV, "").split(os.pathsep) if p]
    return [DATA_DIR, *extra]


def installed_policies() -> dict[str, Path]:
    """Every installed policy file by its id (the packaged ones and those in $ZZCBEC_POLICY_DIRS)."""
    found: dict[str, Path] = {}
    for d in policy_dirs():
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.y*ml")):
            try:
                pid = _peek_id(f)
            except (OSError, ValueError):
                continue
            if pid and pid not in found:
                found[pid] = f
    return found


def _peek_id(path: Path) -> str | None:
    """The `id:` line of a policy file, without loading it whole."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("id:"):
                return line[3:].split("#", 1)[0].strip().strip("'\"") or None
    return None


def resolve_policy(ref: str | Path | None) -> Path:
    """A policy file path from a path or an installed id (None: the packaged draft)."""
    if ref is None:
        return default_policy_path()
    p = Path(ref)
    if p.is_file():
        return p
    text = str(ref)
    installed = installed_policies()
    if text in installed:
        return installed[text]
    if p.suffix.lower() in (".yaml", ".yml", ".json") or os.sep in text or "/" in text:
        raise PolicyError("政策文件不存在或无法读取", "the policy file does not exist or cannot be read", file=text)
    raise PolicyError(
        f"没有名为“{text}”的政策文件或已安装政策；已安装：{'、'.join(sorted(installed)) or '（无）'}",
        f"no policy file or installed policy {text!r}; installed: {', '.join(sorted(installed)) or '(none)'}",
    )


# ---------------------------------------------------------------- building the typed policy


class _Builder:
    def __init__(self, data: dict[str, Any], name: str) -> None:
        self.data = data
        self.name = name

    def fail(self, zh: str, en: str, pointer: str, clause: int | None = None) -> PolicyError:
        return PolicyError(zh, en, file=self.name, pointer=pointer, clause=clause)

    # -------------------------------------------------------- pieces

    def condition(self, d: dict[str, Any], choices: dict[str, dict[str, str]]) -> Condition:
        kind = d["kind"]
        if kind == "threshold":
            return self.threshold(d)
        if kind == "flag":
            return Flag(id=d["id"], fact=d["fact"], label=d["label"])
        if kind == "one_of":
            known = choices.get(d["fact"], {})
            labels = tuple((v, known.get(v, v)) for v in (list(known) or d["values"]))
            return OneOf(id=d["id"], fact=d["fact"], label=d["label"], values=tuple(d["values"]), choice_labels=labels)
        if kind == "full_year":
            return FullYear(id=d["id"], fact=d["fact"], label=d["label"], boundary_word=d["boundary_word"])
        if kind == "growth":
            return Growth(
                id=d["id"],
                fact=d["fact"],
                label=d["label"],
                prior_fact=d["prior_fact"],
                operator=d["operator"],
                value=Decimal(d["value"]),
                boundary_word=d["boundary_word"],
                prior_label=d.get("prior_label", ""),
            )
        raise AssertionError(kind)  # the schema admits no other kind

    @staticmethod
    def threshold(d: dict[str, Any]) -> Threshold:
        return Threshold(
            id=d["id"],
            fact=d["fact"],
            label=d["label"],
            operator=d["operator"],
            value=Decimal(d["value"]),
            boundary_word=d["boundary_word"],
            unit=d.get("unit"),
        )

    def amount(self, d: dict[str, Any]) -> Amount:
        m = d["method"]
        if m == "rate":
            return RateAmount(base=tuple(d["base"]), base_label=d["base_label"], rate=Decimal(d["rate"]))
        if m == "fixed":
            return FixedAmount(value=Decimal(d["value"]))
        if m == "tiers":
            return TierAmount(
                fact=d["fact"],
                label=d["label"],
                tiers=tuple(
                    Tier(
                        operator=t["operator"],
                        value=Decimal(t["value"]),
                        amount=Decimal(t["amount"]),
                        boundary_word=t["boundary_word"],
                    )
                    for t in d["tiers"]
                ),
            )
        if m == "per_unit":
            return PerUnitAmount(
                fact=d["fact"], base_label=d["base_label"], unit=d["unit"], unit_amount=Decimal(d["unit_amount"])
            )
        if m == "requested":
            return RequestedAmount(fact=d["fact"], base_label=d["base_label"])
        if m == "fee_tiers":
            return FeeTierAmount(
                fee_fact=d["fee_fact"],
                base_label=d["base_label"],
                excluded_fees=tuple(d["excluded_fees"]),
                excluded_label=d.get("excluded_label", ""),
                counted_label=d.get("counted_label", ""),
                tiers=tuple(
                    FeeTier(
                        id=t["id"],
                        any_of=tuple(self.threshold(c) for c in t["any_of"]),
                        rate=Decimal(t["rate"]),
                        cap=Decimal(t["cap"]),
                    )
                    for t in d["tiers"]
                ),
            )
        raise AssertionError(m)

    def cap(self, d: dict[str, Any]) -> Cap:
        item = d.get("item_fact")
        if d["frequency"] == "per_competition" and item is None:
            item = DEFAULT_ITEM_FACT
        return Cap(
            frequency=d["frequency"],
            boundary_word=d["boundary_word"],
            amount=Decimal(d["amount"]) if "amount" in d else None,
            reading=d.get("reading"),
            item_fact=item,
        )

    # -------------------------------------------------------- facts

    def facts(
        self, clauses: list[tuple[int, dict[str, Any], Clause]]
    ) -> tuple[dict[str, Fact], dict[int, tuple[str, ...]]]:
        """The bundle vocabulary: each fact's type, label and unit, from its uses and the glossary."""
        glossary: dict[str, Any] = self.data.get("facts", {})
        uses: dict[str, list[tuple[str, str, str | None, str]]] = {}
        per_clause: dict[int, list[str]] = {}

        for i, raw, cl in clauses:
            order = per_clause.setdefault(cl.number, [])
            where = f"/clauses/{i}"

            def use(
                fact: str, type_: str | None, label: str, unit: str | None, ptr: str, order: list[str] = order
            ) -> None:
                if fact not in order:
                    order.append(fact)
                if type_ is not None:
                    uses.setdefault(fact, []).append((type_, label, unit, ptr))

            if cl.cap is not None and cl.cap.frequency == "per_competition" and cl.cap.item_fact:
                use(cl.cap.item_fact, "text", cl.cap.item_fact, None, f"{where}/cap")
            for j, c in enumerate(cl.conditions):
                self._use_condition(c, use, f"{where}/conditions/{j}")
            a = cl.amount
            ptr = f"{where}/amount"
            if isinstance(a, RateAmount):
                for f in a.base:
                    use(f, "money", a.base_label if len(a.base) == 1 else f, None, ptr)
            elif isinstance(a, TierAmount):
                use(a.fact, "money", a.label, None, ptr)
            elif isinstance(a, PerUnitAmount):
                use(a.fact, "quantity", a.base_label, a.unit, ptr)
            elif isinstance(a, RequestedAmount):
                use(a.fact, "money", a.base_label, None, ptr)
            elif isinstance(a, FeeTierAmount):
                for k, t in enumerate(a.tiers):
                    for m, c in enumerate(t.any_of):
                        self._use_condition(c, use, f"{ptr}/tiers/{k}/any_of/{m}")
                use(a.fee_fact, "fee_items", a.base_label, None, ptr)
            for k, f in enumerate(raw.get("facts", ())):
                if f not in glossary:
                    raise self.fail(
                        f"条款列出的事实“{f}”未在 facts 中定义（类型、名称）",
                        f"the clause lists the fact {f!r}, which `facts` does not define",
                        f"{where}/facts/{k}",
                        cl.number,
                    )
                use(f, None, f, None, f"{where}/facts/{k}")

        out: dict[str, Fact] = {}
        names = list(dict.fromkeys([*(f for o in per_clause.values() for f in o), *glossary]))
        for name in names:
            g = glossary.get(name, {})
            found = uses.get(name, [])
            type_ = self._unify(name, found, g)
            if not any(name in o for o in per_clause.values()):
                # in the vocabulary, but no clause takes it (a condition dropped by an amendment):
                # a bundle may still give it; it is accepted and ignored
                type_ = "unused"
            label = g.get("label") or (found[0][1] if found else name)
            unit = g.get("unit") or next((u for _, _, u, _ in found if u), None)
            choices = tuple((str(k), str(v)) for k, v in g.get("choices", {}).items())
            items = tuple((str(k), str(v)) for k, v in g.get("items", {}).items())
            out[name] = Fact(name=name, type=type_ or "unused", label=label, unit=unit, choices=choices, items=items)
        return out, {n: tuple(o) for n, o in per_clause.items()}

    def _use_condition(self, c: Condition, use: Any, ptr: str) -> None:
        if isinstance(c, Threshold):
            type_ = "money" if not c.unit else ("count" if c.unit in COUNT_UNITS else "quantity")
            use(c.fact, type_, c.label, c.unit, ptr)
        elif isinstance(c, Flag):
            use(c.fact, "flag", c.label, None, ptr)
        elif isinstance(c, OneOf):
            use(c.fact, "choice", c.label, None, ptr)
        elif isinstance(c, FullYear):
            use(c.fact, "date", c.label, None, ptr)
        elif isinstance(c, Growth):
            use(c.fact, "money", c.label, None, ptr)
            use(c.prior_fact, "money", c.prior_label or c.prior_fact, None, ptr)

    def _unify(self, name: str, found: list[tuple[str, str, str | None, str]], g: dict[str, Any]) -> str | None:
        types = {t for t, _, _, _ in found}
        numeric = [t for t in NUMERIC if t in types]
        if len(numeric) > 1:
            # counted in a threshold and multiplied per unit: a decimal quantity; used as money anywhere: money
            types = (types - set(NUMERIC)) | {numeric[-1]}
        stated = g.get("type")
        if len(types) > 1:
            first, where = found[0][0], found[0][3]
            clash = next(p for t, _, _, p in found if t != first and not (t in NUMERIC and first in NUMERIC))
            raise self.fail(
                f"事实“{name}”在 {where} 与此处被当作不同类型使用（{'、'.join(sorted(types))}）",
                f"the fact {name!r} is used here and at {where} as different types ({', '.join(sorted(types))})",
                clash,
            )
        derived = next(iter(types), None)
        if (
            stated is not None
            and derived is not None
            and stated != derived
            and not (stated in NUMERIC and derived in NUMERIC)
        ):
            raise self.fail(
                f"facts 中“{name}”的类型为 {stated}，但条款把它当作 {derived} 使用（{found[0][3]}）",
                f"`facts` gives {name!r} the type {stated}, but a clause uses it as {derived} ({found[0][3]})",
                f"/facts/{name}/type",
            )
        return stated or derived or "unused"

    # -------------------------------------------------------- the whole policy

    def build(self) -> Policy:
        data, name = self.data, self.name
        glossary = data.get("facts", {})
        choices = {k: {str(a): str(b) for a, b in v.get("choices", {}).items()} for k, v in glossary.items()}
        clauses: dict[int, Clause] = {}
        built: list[tuple[int, dict[str, Any], Clause]] = []
        index: dict[int, int] = {}
        roles: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, c in enumerate(data["clauses"]):
            n = c["number"]
            if n in clauses:
                raise self.fail(
                    f"条款 {n} 重复（另见 /clauses/{index[n]}）",
                    f"clause {n} appears twice (see /clauses/{index[n]})",
                    f"/clauses/{i}/number",
                    n,
                )
            if c["kind"] in ("exclusion", "funding", "term"):
                if c["kind"] in roles:
                    other = roles[c["kind"]][0]
                    raise self.fail(
                        f"{c['kind']} 类条款只能有一条（已有 /clauses/{other}）",
                        f"only one {c['kind']} clause is allowed (see /clauses/{other})",
                        f"/clauses/{i}/kind",
                        n,
                    )
                roles[c["kind"]] = (i, c)
            clause = Clause(
                number=n,
                name=c["name"],
                name_en=c["name_en"],
                kind=c["kind"],
                text=c["text"],
                conditions=tuple(self.condition(x, choices) for x in c.get("conditions", ())),
                amount=self.amount(c["amount"]) if "amount" in c else None,
                cap=self.cap(c["cap"]) if "cap" in c else None,
                funding=c.get("funding"),
                referred_by=c.get("referred_by"),
            )
            clauses[n] = clause
            index[n] = i
            built.append((i, c, clause))
        self._check_references(clauses, index, roles, data)
        facts, per_clause = self.facts(built)
        self._check_choices(built, facts)
        clauses = {n: replace(cl, facts=per_clause.get(n, ())) for n, cl in clauses.items()}

        exclusion = funding = None
        if "exclusion" in roles:
            _, e = roles["exclusion"]
            exclusion = Exclusion(
                clause=e["number"],
                fact=e["excluded_if"],
                label=e["excluded_label"],
                label_en=e.get("excluded_label_en", e["excluded_if"]),
                referred_clauses=frozenset(e["referred_clauses"]),
            )
        if "funding" in roles:
            _, f = roles["funding"]
            funding = FundingRule(
                clause=f["number"],
                city_only_clauses=frozenset(f["city_only_clauses"]),
                groups=tuple(
                    FundingGroup(g["id"], Decimal(g["city_ratio"]), tuple(g["districts"])) for g in f["groups"]
                ),
                unsettled_districts=frozenset(f["unsettled_districts"]),
            )
        settings = {
            k: Setting(name=k, value=v["value"], explanation=v["explanation"], explanation_en=v["explanation_en"])
            for k, v in data["settings"].items()
        }
        issued = data.get("issued_on")
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
        return Policy(
            id=data["id"],
            title=data["title"],
            status=data["status"],
            status_label=data["status_label"],
            issued_on=dt.date.fromisoformat(issued) if issued else None,
            term_years=data["term_years"],
            clauses=clauses,
            settings=settings,
            facts=facts,
            exclusion=exclusion,
            funding_rule=funding,
            term_clause=roles["term"][1]["number"] if "term" in roles else None,
            document_number=data.get("document_number"),
            source_path=name,
            digest=digest,
            raw=data,
        )

    def _check_references(
        self,
        clauses: dict[int, Clause],
        index: dict[int, int],
        roles: dict[str, tuple[int, dict[str, Any]]],
        data: dict[str, Any],
    ) -> None:
        def must_exist(number: int, ptr: str, what_zh: str, what_en: str, kinds: tuple[str, ...] = ()) -> None:
            target = clauses.get(number)
            if target is None:
                raise self.fail(
                    f"{what_zh}引用了不存在的条款 {number}",
                    f"{what_en} refers to clause {number}, which the policy does not have",
                    ptr,
                    number,
                )
            if kinds and target.kind not in kinds:
                raise self.fail(
                    f"{what_zh}引用的条款 {number} 类型为 {target.kind}，应为 {'/'.join(kinds)}",
                    f"{what_en} refers to clause {number}, a {target.kind} clause (expected {'/'.join(kinds)})",
                    ptr,
                    number,
                )

        for n, cl in clauses.items():
            i = index[n]
            if cl.referred_by is not None:
                must_exist(cl.referred_by, f"/clauses/{i}/referred_by", "referred_by ", "referred_by")
            if cl.cap is not None:
                if cl.cap.reading is not None and cl.cap.reading not in data["settings"]:
                    raise self.fail(
                        f"上限引用的理解“{cl.cap.reading}”不在 settings 中",
                        f"the cap's reading {cl.cap.reading!r} is not a setting",
                        f"/clauses/{i}/cap/reading",
                        n,
                    )
                if cl.cap.frequency in AMOUNT_CAPPED and cl.cap.amount is None and isinstance(cl.amount, OPEN_ENDED):
                    raise self.fail(
                        f"条款 {n} 的上限缺少金额", f"clause {n}'s cap has no amount", f"/clauses/{i}/cap", n
                    )
        if "exclusion" in roles:
            i, e = roles["exclusion"]
            for k, r in enumerate(e["referred_clauses"]):
                must_exist(
                    r,
                    f"/clauses/{i}/referred_clauses/{k}",
                    "referred_clauses ",
                    "referred_clauses",
                    ("award", "referred"),
                )
        if "funding" in roles:
            i, f = roles["funding"]
            for k, r in enumerate(f["city_only_clauses"]):
                must_exist(
                    r, f"/clauses/{i}/city_only_clauses/{k}", "city_only_clauses ", "city_only_clauses", ("award",)
                )
            seen: dict[str, str] = {}
            for gi, g in enumerate(f["groups"]):
                for d in g["districts"]:
                    if d in seen:
                        raise self.fail(
                            f"区县 {d} 同时属于两个分担组",
                            f"district {d} is in two funding groups",
                            f"/clauses/{i}/groups/{gi}/districts",
                        )
                    seen[d] = g["id"]

    def _check_choices(self, built: list[tuple[int, dict[str, Any], Clause]], facts: dict[str, Fact]) -> None:
        for i, _, cl in built:
            for j, c in enumerate(cl.conditions):
                if isinstance(c, OneOf) and facts[c.fact].choices:
                    allowed = [v for v, _ in facts[c.fact].choices]
                    bad = [v for v in c.values if v not in allowed]
                    if bad:
                        raise self.fail(
                            f"取值 {bad[0]} 不在事实“{c.fact}”的选项（{'、'.join(allowed)}）中",
                            f"{bad[0]!r} is not one of the choices of {c.fact!r} ({', '.join(allowed)})",
                            f"/clauses/{i}/conditions/{j}/values",
                            cl.number,
                        )
            a = cl.amount
            if isinstance(a, FeeTierAmount) and facts[a.fee_fact].items:
                items = [k for k, _ in facts[a.fee_fact].items]
                for k, fee in enumerate(a.excluded_fees):
                    if fee not in items:
                        raise self.fail(
                            f"不计入的费用“{fee}”不是“{a.fee_fact}”的费用项（{'、'.join(items)}）",
                            f"the excluded fee {fee!r} is not an item of {a.fee_fact!r}",
                            f"/clauses/{i}/amount/excluded_fees/{k}",
                            cl.number,
                        )


def build_policy(data: dict[str, Any], name: str = "<policy>") -> Policy:
    """Check a policy's data against its schema and its structure; the typed policy."""
    from zzcbec_docs import schema

    problems = schema.errors("policy.schema.json", data)
    if problems:
        ptr, zh, en = problems[0]
        more = f"（另有 {len(problems) - 1} 处）" if len(problems) > 1 else ""
        raise PolicyError(zh + more, en, file=name, pointer=ptr)
    return _Builder(data, name).build()


_CACHE: dict[tuple[str, str], Policy] = {}


def _load(path: str) -> Policy:
    """A policy file, parsed and checked once per content (a file rewritten in place is read again)."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raw = b""
    key = (path, hashlib.sha256(raw).hexdigest())
    found = _CACHE.get(key)
    if found is None:
        from zzcbec_docs.policy.ready import load_ready

        found = load_ready(path, _parse, Policy)  # checked once, then kept ready between commands (issue 14)
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def _parse(path: str) -> Policy:
    data, _ = load_file(Path(path), PolicyError)
    if not isinstance(data, dict):
        raise PolicyError(
            "政策文件应为一个映射（YAML 对象）", "a policy file holds one mapping", file=path, pointer="/"
        )
    return build_policy(data, path)


def load_policy(ref: str | Path | None = None) -> Policy:
    """Load and check a policy: a file, or the id of an installed one (the packaged draft by default)."""
    p = resolve_policy(ref)
    return _load(str(p.resolve()) if p.exists() else str(p))
