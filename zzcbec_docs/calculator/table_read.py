"""Reading the bureau's table for 免申即享: one row per enterprise and year, streamed.

A CSV (UTF-8, with or without BOM) is read with the csv module, an XLSX with openpyxl's
read-only mode, so a table of any length is read in constant memory. The header names the
columns by the bundle contract's names (`uscc`, `name`, `district`, `year`, the facts,
`service_fees.rent` …); `--columns MAP.yaml` renames an extract's own headers to those names.
Each cell is checked against the same JSON Schema definitions as a bundle's field, so a table
and a bundle accept exactly the same values; an empty cell is an unknown fact.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zzcbec_docs import schema
from zzcbec_docs.bundle import contract as contracts
from zzcbec_docs.bundle.model import Problem
from zzcbec_docs.bundle.validate import DISTRICT_ALIASES, SCHEMA, _control_chars, _semantic
from zzcbec_docs.errors import ArgumentError
from zzcbec_docs.money import parse_money
from zzcbec_docs.policy.model import Policy

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

APPLICANT_FIELDS = ("uscc", "name", "district", "year")  # required columns
TRUE_WORDS = ("true", "是", "1")
FALSE_WORDS = ("false", "否", "0")
SNIFF_BYTES = 1 << 16


def table_fields(policy: Policy) -> dict[str, str]:
    """Every column name a table may have → the kind of value it holds (a `$defs` name of the
    policy's bundle contract). A fee-items fact (clause 9's `service_fees`) is one column per item:
    `service_fees.rent` …"""
    key = policy.digest or str(id(policy))
    if key not in _FIELDS:
        fields = {
            "uscc": "uscc",
            "name": "short_text",
            "district": "district",
            "year": "year",
            policy.exclusion_fact: "flag",
        }
        for name, f in contracts.facts(policy).items():
            if f.type == "unused":
                continue
            if f.type == "fee_items":
                fields.update({f"{name}.{item}": "money" for item, _ in f.items})
            else:
                fields[name] = f.kind
        _FIELDS[key] = fields
    return _FIELDS[key]


_FIELDS: dict[str, dict[str, str]] = {}
_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}


def _validator(policy: Policy, kind: str) -> Draft202012Validator:
    """The contract's own definition of a kind of value, compiled once per policy."""
    key = (policy.digest or str(id(policy)), kind)
    found = _VALIDATORS.get(key)
    if found is None:
        from jsonschema import Draft202012Validator

        root = contracts.contract(policy).schema
        defs = root["$defs"]
        if kind in ("uscc", "district"):
            sub = defs["applicant"]["properties"][kind]
        elif kind == "year":
            sub = root["properties"]["year"]
        else:
            sub = defs[kind]
        found = _VALIDATORS[key] = Draft202012Validator(schema.inline_refs(sub, defs), format_checker=schema.FORMATS)
    return found


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written in the table
    field: str  # the contract name
    kind: str

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # letter, "" for the whole row
    header: str
    zh: str
    en: str

    @property
    def where_zh(self) -> str:
        return f"第 {self.row} 行" + (f" {self.column} 列（{self.header}）" if self.column else "")

    @property
    def where_en(self) -> str:
        return f"row {self.row}" + (f", column {self.column} ({self.header})" if self.column else "")

    @property
    def message(self) -> str:
        return f"{self.where_zh}：{self.zh} / {self.where_en}: {self.en}"


@dataclass
class TableRow:
    """One enterprise and year, every known fact typed as a bundle's (Decimal, int, bool, date)."""

    row: int
    uscc: str
    name: str
    district: str  # as written
    year: int
    etrade: bool | None  # None: not in the table (or the cell is empty)
    facts: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- the header


def read_columns_map(path: Path, policy: Policy) -> dict[str, str | None]:
    """`--columns MAP.yaml`: the table's header → a contract name (null: ignore that column)."""
    from zzcbec_docs.loading import load_file

    data, _ = load_file(path, ArgumentError)
    if not isinstance(data, dict):
        raise ArgumentError(
            "列名映射应为“表头: 字段名”形式的 YAML 映射",
            "the column map must be a YAML mapping of `header: contract name`",
            file=str(path),
        )
    fields = table_fields(policy)
    out: dict[str, str | None] = {}
    for header, name in data.items():
        if name is not None and name not in fields:
            raise ArgumentError(
                f"“{header}”映射到未知字段“{name}”；可用字段：{'、'.join(fields)}（或 null 表示忽略该列）",
                f"{header!r} maps to the unknown field {name!r}; known: {', '.join(fields)} (or null to ignore it)",
                file=str(path),
                pointer=f"/{header}",
            )
        out[str(header).strip()] = name
    return out


def map_header(
    headers: list[str], columns_map: dict[str, str | None] | None, source: str, policy: Policy
) -> list[Column]:
    """The columns the matcher reads; a header that is neither a contract name nor mapped is refused."""
    fields = table_fields(policy)
    mapping = columns_map or {}
    columns: list[Column] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(headers):
        header = raw.strip()
        if not header:
            continue  # an unnamed column (often an empty trailing one) holds nothing we read
        name = mapping[header] if header in mapping else (header if header in fields else "?")
        if name is None:
            continue
        if name == "?":
            unknown.append(f"{column_letter(i)}“{header}”")
            continue
        if name in seen:
            raise ArgumentError(
                f"表头中“{header}”与“{seen[name]}”都对应字段 {name}",
                f"the headers {header!r} and {seen[name]!r} both give the field {name}",
                file=source,
            )
        seen[name] = header
        columns.append(Column(i, header, name, fields[name]))
    if unknown:
        raise ArgumentError(
            f"表头中有无法识别的列：{'、'.join(unknown)}；请用字段名（{', '.join(fields)}）作表头，"
            "或用 --columns 映射文件把表头对应到字段名（映射为 null 则忽略该列）",
            f"unrecognised columns in the header: {', '.join(unknown)}; name them by the contract's fields "
            "or map them with --columns MAP.yaml (map to null to ignore a column)",
            file=source,
        )
    missing = [f for f in APPLICANT_FIELDS if f not in seen]
    if missing:
        raise ArgumentError(
            f"表中缺少必需的列：{'、'.join(missing)}（可用 --columns 映射）",
            f"the table lacks the required columns: {', '.join(missing)} (map them with --columns)",
            file=source,
        )
    return columns


# ---------------------------------------------------------------- the file


class Table:
    """A table opened for streaming: `columns`, an estimate of its rows, and `rows()`."""

    def __init__(self, path: Path, columns_map: dict[str, str | None] | None, policy: Policy) -> None:
        self.path = path
        self.source = str(path)
        suffix = path.suffix.lower()
        if not path.is_file():
            raise ArgumentError("文件不存在", "no such file", file=self.source)
        if suffix == ".csv":
            self._open_csv()
        elif suffix in (".xlsx", ".xlsm"):
            self._open_xlsx()
        else:
            raise ArgumentError(
                "只接受 .csv 或 .xlsx 表格（.xls 请在 Excel 中另存为 .xlsx）",
                "only .csv and .xlsx tables are read (save an .xls as .xlsx in Excel)",
                file=self.source,
            )
        try:
            first = next(self._rows, None)
        except ArgumentError:
            self.close()
            raise
        if first is None:
            self.close()
            raise ArgumentError("表格为空（没有表头）", "the table is empty (no header row)", file=self.source)
        self.columns = map_header([_text(c) for c in first[1]], columns_map, self.source, policy)
        self.width = len(first[1])

    # CSV: refuse GBK up front, with the fix; decode errors later in the file name the row.
    def _open_csv(self) -> None:
        fh = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        head = fh.read(SNIFF_BYTES)
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
        except UnicodeDecodeError as exc:
            fh.close()
            raise gbk_error(head, exc.start, self.source) from None
        fh.seek(0)
        size = self.path.stat().st_size
        lines = head.count(b"\n")
        self.estimate = max(0, round(size / max(len(head), 1) * lines) - 1) if lines else None
        self._fh = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        self._rows = self._csv_rows(csv.reader(self._fh, strict=True))

    def _csv_rows(self, reader: Iterator[list[str]]) -> Iterator[tuple[int, list[Any]]]:
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                line = _first_bad_line(self.path) or number + 1
                raise ArgumentError(
                    f"第 {line} 行附近不是 UTF-8 文本；请将整个文件另存为 UTF-8",
                    f"around row {line} the file is not UTF-8 text; save the whole file as UTF-8",
                    file=self.source,
                ) from None
            except csv.Error as exc:
                raise ArgumentError(
                    f"第 {number + 1} 行 CSV 格式错误：{exc}",
                    f"row {number + 1}: malformed CSV: {exc}",
                    file=self.source,
                ) from None
            number += 1
            yield number, cells

    def _open_xlsx(self) -> None:
        import zipfile

        from openpyxl import load_workbook

        try:
            self._wb = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise ArgumentError(
                f"无法作为 XLSX 读取（{type(exc).__name__}）；请在 Excel 中另存为 .xlsx 或 CSV UTF-8",
                f"cannot be read as XLSX ({type(exc).__name__}); save it from Excel as .xlsx or CSV UTF-8",
                file=self.source,
            ) from None
        ws = self._wb.worksheets[0]
        self.estimate = (ws.max_row - 1) if ws.max_row else None
        self._rows = ((n, list(cells)) for n, cells in enumerate(ws.iter_rows(values_only=True), 1))

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number as a spreadsheet shows it, the raw cells) for every non-blank data row."""
        for number, cells in self._rows:
            if any(_text(c) for c in cells):
                yield number, cells

    def close(self) -> None:
        if hasattr(self, "_fh"):
            self._fh.close()
        if hasattr(self, "_wb"):
            self._wb.close()


def _first_bad_line(path: Path) -> int | None:
    """The line (1 the header) holding the file's first byte that is not UTF-8: the csv reader decodes the
    file a block at a time, so the row it stopped at may lie many rows before the bad one."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                pending = len(decoder.getstate()[0])  # bytes of the block before it held back by the decoder
                return lines + block[: max(exc.start - pending, 0)].count(b"\n")
            lines += block.count(b"\n")
    return None


def gbk_error(head: bytes, at: int, source: str) -> ArgumentError:
    try:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UnicodeDecodeError("utf-16", head, 0, 2, "a UTF-16 BOM")  # Excel's "Unicode 文本"
        head.decode("gb18030")
        what_zh, what_en = (
            "文件似乎是 GBK/GB18030 编码（Excel 默认的“CSV（逗号分隔）”）",
            'the file looks GBK/GB18030-encoded (Excel\'s default "CSV (Comma delimited)")',
        )
    except UnicodeDecodeError:
        what_zh, what_en = "文件不是 UTF-8 文本", "the file is not UTF-8 text"
    return ArgumentError(
        f"{what_zh}（第 {at} 字节）；请另存为 UTF-8：在 Excel 中“另存为”选择“CSV UTF-8（逗号分隔）”，"
        "或用 iconv -f GB18030 -t UTF-8 转换，或直接使用 .xlsx",
        f'{what_en} (byte {at}); save it as UTF-8: in Excel choose Save As → "CSV UTF-8 (Comma delimited)", '
        "or convert it with iconv -f GB18030 -t UTF-8, or give the .xlsx instead",
        file=source,
    )


# ---------------------------------------------------------------- cells


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    return str(cell)


def _number_text(cell: Any) -> str:
    """An XLSX number as decimal text: the shortest decimal that is the cell's value (never via
    arithmetic on the float), so a typed 1234.56 is "1234.56"."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if cell != cell or cell in (float("inf"), float("-inf")):
            return repr(cell)
        d = Decimal(repr(cell))
        if d == d.to_integral_value():
            return str(d.quantize(Decimal(1)))
        return format(d, "f")
    return _text(cell)


class _Bad(Exception):
    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en


@lru_cache(maxsize=1 << 12)
def _valid(key: str, kind: str, value: Any) -> bool:  # flags, levels, dates and counts repeat down a column
    return _VALIDATORS[key, kind].is_valid(value)


def _check(policy: Policy, kind: str, value: Any) -> None:
    validator = _validator(policy, kind)
    if not _valid(policy.digest or str(id(policy)), kind, value):
        _, zh, en = schema.errors(SCHEMA, value, using=validator)[0]
        raise _Bad(zh, en)


_INT = re.compile(r"^[0-9]+$")


def _typed_cell(policy: Policy, kind: str, cell: Any) -> tuple[Any, Any]:
    """(the typed value, its JSON form for a bundle) or _Bad."""
    if kind == "flag":
        if isinstance(cell, bool):
            return cell, cell
        word = _number_text(cell).lower()
        if word in TRUE_WORDS:
            return True, True
        if word in FALSE_WORDS:
            return False, False
        raise _Bad(
            f"应为 true/false 或 是/否（也接受 1/0），收到“{word[:40]}”",
            f"takes true/false or 是/否 (also 1/0), got {word[:40]!r}",
        )
    if kind in ("count", "year"):
        text = _number_text(cell)
        if not _INT.match(text):
            raise _Bad(f"应为整数，收到“{text[:40]}”", f"takes a whole number, got {text[:40]!r}")
        _check(policy, kind, int(text))
        return int(text), int(text)
    if kind in ("money", "quantity"):
        text = _number_text(cell)
        amount = parse_money(text)  # the schema's "money" format, without the validator's overhead
        if amount is None or amount >= schema.MONEY_LIMIT:
            _check(policy, kind, text)  # says what is wrong, as for a bundle
            raise _Bad(f"不是金额：“{text[:40]}”", f"not an amount: {text[:40]!r}")
        return amount, text
    if kind == "date":
        if isinstance(cell, dt.datetime):
            if cell.time() != dt.time(0):
                raise _Bad("日期单元格带有时刻；请只写日期", "the date cell holds a time of day; give the date only")
            cell = cell.date()
        if isinstance(cell, dt.date):
            return cell, cell.isoformat()
        text = _text(cell)
        _check(policy, kind, text)
        return dt.date.fromisoformat(text), text
    text = _text(cell)
    if kind == "uscc":
        text = text.upper()
    _check(policy, kind, text)
    return text, text


def parse_row(
    policy: Policy, columns: list[Column], header_width: int, number: int, cells: list[Any]
) -> tuple[TableRow | None, list[CellError], dict[str, Any]]:
    """(the row, [], its facts in bundle form) or (None, every bad cell, {})."""
    errors: list[CellError] = []
    values: dict[str, Any] = {}
    plain: dict[str, Any] = {}
    width = len(cells)
    for col in columns:
        cell = cells[col.index] if col.index < width else None
        if _text(cell) == "":
            continue  # unknown
        try:
            values[col.field], plain[col.field] = _typed_cell(policy, col.kind, cell)
        except _Bad as bad:
            errors.append(CellError(number, col.letter, col.header, bad.zh, bad.en))
    by_field = {c.field: c for c in columns}
    for f in APPLICANT_FIELDS:
        if f not in values and not any(e.column == by_field[f].letter for e in errors):
            errors.append(CellError(number, by_field[f].letter, by_field[f].header, "不能为空", "must not be empty"))
    texts = {k: v for k, v in plain.items() if isinstance(v, str)}
    found: list[Problem] = []
    _control_chars(texts, [], found)
    if "uscc" in values:
        found += _semantic({"applicant": {"uscc": values["uscc"]}}, policy)
    for p in found:
        name = p.path.split("/")[-1]
        named = by_field.get(name)
        errors.append(CellError(number, named.letter if named else "", named.header if named else name, p.zh, p.en))
    if any(_text(c) for c in cells[header_width:]):
        errors.append(
            CellError(
                number,
                "",
                "",
                f"该行有 {width} 个单元格，表头只有 {header_width} 列（文本中的逗号未加引号？）",
                f"the row has {width} cells but the header only {header_width} (an unquoted comma in a text?)",
            )
        )
    if errors:
        return None, sorted(errors, key=lambda e: (len(e.column), e.column)), {}
    exclusion = policy.exclusion_fact
    row = TableRow(
        row=number,
        uscc=values["uscc"],
        name=values["name"],
        district=values["district"],
        year=values["year"],
        etrade=values.get(exclusion),
        facts=_facts(values, exclusion),
    )
    return row, [], _facts(plain, exclusion)


def _facts(values: dict[str, Any], exclusion: str) -> dict[str, Any]:
    """The row's facts as a profile holds them: fee items (`service_fees.rent`) gathered under their fact."""
    facts: dict[str, Any] = {}
    for k, v in values.items():
        if k in APPLICANT_FIELDS or k == exclusion:
            continue
        if "." in k:
            fact, item = k.split(".", 1)
            facts.setdefault(fact, {})[item] = v
        else:
            facts[k] = v
    return facts


def canonical_district(district: str) -> str:
    return DISTRICT_ALIASES.get(district, district)
