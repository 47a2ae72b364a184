"""Reading YAML and JSON safely: size limits, no duplicate keys, numbers kept exact.

Numbers are never read through float. Both parsers hand back the text of each number, which
`plain_numbers` turns into `int` (whole numbers) or `Decimal` (decimals) and refuses anything
else (1e7, NaN, Infinity, 0x1F, 1_000, 007), naming the JSON pointer.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from zzcbec_docs.errors import ZzcbecError

MAX_BYTES = 1024 * 1024  # a bundle is a form, not a data dump
MAX_NODES = 100_000  # after alias expansion
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40  # 千万亿 has 16 digits; 400 digits is an attack, not an amount


class Num(str):
    """The literal text of a number as it stood in the file."""


def pointer(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """JSON pointer (RFC 6901) for a path."""
    out = ""
    for p in parts:
        out += "/" + str(p).replace("~", "~0").replace("/", "~1")
    return out or "/"


if TYPE_CHECKING:
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present, same rules


class _StrictLoader(_Base):
    """SafeLoader that refuses duplicate keys and keeps numbers and dates as text."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    loader.flatten_mapping(node)
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _construct_number(loader: _StrictLoader, node: yaml.ScalarNode) -> Num:
    return Num(loader.construct_scalar(node))


def _construct_bool(loader: _StrictLoader, node: yaml.ScalarNode) -> bool | str:
    text: str = loader.construct_scalar(node)
    # YAML 1.1 also reads yes/no/on/off as booleans; we keep only true/false so a stray
    # "no" is reported instead of silently meaning False.
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _construct_text(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    text: str = loader.construct_scalar(node)
    return text


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_number)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_number)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number here")


def read_limited(path: Path, error: type[ZzcbecError], limit: int = MAX_BYTES) -> bytes:
    """The bytes of a file, refusing directories and files over `limit` before reading them."""
    name = str(path)
    if path.is_dir():
        raise error("这是一个目录，不是文件", "this is a directory, not a file", file=name)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise error("文件不存在", "no such file", file=name) from None
    except OSError as exc:
        raise error(f"无法读取文件（{exc.strerror}）", f"cannot read the file ({exc.strerror})", file=name) from None
    if len(data) > limit:
        raise error(
            f"文件超过 {limit // 1024} KiB 上限，拒绝读取",
            f"the file is larger than the {limit // 1024} KiB limit and was not read",
            file=name,
        )
    return data


def decode_text(data: bytes, name: str, error: type[ZzcbecError]) -> str:
    """UTF-8 (a BOM is accepted); GBK/GB18030 is recognised and refused with the fix."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
            hint_zh, hint_en = "文件似乎是 GBK/GB18030 编码", "the file looks GBK/GB18030-encoded"
        except UnicodeDecodeError:
            hint_zh, hint_en = "文件不是 UTF-8 文本", "the file is not UTF-8 text"
        raise error(
            f"{hint_zh}（第 {exc.start} 字节）；请另存为 UTF-8，例如 iconv -f GB18030 -t UTF-8",
            f"{hint_en} (byte {exc.start}); save it as UTF-8, e.g. iconv -f GB18030 -t UTF-8",
            file=name,
        ) from None
    if not text.strip():
        raise error("文件为空", "the file is empty", file=name)
    return text


def parse_text(text: str, name: str, error: type[ZzcbecError], fmt: str | None = None) -> Any:
    """Parse YAML or JSON (by `fmt`, else by the file name, else by the first character)."""
    if fmt is None:
        lower = name.lower()
        if lower.endswith(".json"):
            fmt = "json"
        elif lower.endswith((".yaml", ".yml")):
            fmt = "yaml"
        else:
            fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    try:
        if fmt == "json":
            data = json.loads(
                text,
                object_pairs_hook=_json_pairs,
                parse_float=Num,
                parse_int=Num,
                parse_constant=_json_constant,
            )
        else:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise error("嵌套层级过深", "nesting is too deep", file=name) from None
    except json.JSONDecodeError as exc:
        raise error(
            f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}",
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            file=name,
        ) from None
    except ValueError as exc:  # duplicate keys, NaN/Infinity in JSON
        raise error(f"JSON 内容不合规：{exc}", f"JSON refused: {exc}", file=name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        where_zh = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(
            f"YAML 格式错误：{where_zh}：{problem}",
            f"malformed YAML at {where}: {problem}",
            file=name,
        ) from None
    return plain_numbers(data, name, error)


_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_DEC = re.compile(r"^-?(0|[1-9][0-9]*)\.[0-9]+$")


def plain_numbers(data: Any, name: str, error: type[ZzcbecError]) -> Any:
    """Copy the tree, turning number text into int/Decimal and bounding its size and depth.

    The copy also defuses YAML alias bombs: shared nodes are counted each time they appear.
    """
    count = 0

    def walk(node: Any, path: list[str | int]) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise error(
                f"内容展开后超过 {MAX_NODES} 个节点（可能是 YAML 别名炸弹）",
                f"the content expands beyond {MAX_NODES} nodes (a YAML alias bomb?)",
                file=name,
            )
        if len(path) > MAX_DEPTH:
            raise error("嵌套层级过深", "nesting is too deep", file=name, pointer=pointer(path))
        if isinstance(node, Num):
            text = str(node)
            if len(text) > MAX_NUMBER_CHARS:
                raise error(
                    f"数字过长（{len(text)} 位），不是合理的金额或数量",
                    f"the number is {len(text)} characters long: not a plausible amount or count",
                    file=name,
                    pointer=pointer(path),
                )
            if _INT.match(text):
                return int(text)
            if _DEC.match(text):
                return Decimal(text)
            raise error(
                f"数字“{text[:40]}”写法不被接受：只接受普通十进制写法（不接受科学计数法、NaN、进制前缀等）",
                f"the number {text[:40]!r} is not accepted: write plain decimals "
                "(no exponent notation, NaN, Infinity or base prefixes)",
                file=name,
                pointer=pointer(path),
            )
        if isinstance(node, dict):
            return {k: walk(v, [*path, k]) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, [*path, i]) for i, v in enumerate(node)]
        return node

    try:
        return walk(data, [])
    except RecursionError:
        raise error("嵌套层级过深", "nesting is too deep", file=name) from None


def load_file(path: Path, error: type[ZzcbecError], limit: int = MAX_BYTES) -> tuple[Any, bytes]:
    """Read, decode and parse a YAML/JSON file; returns the data and the raw bytes."""
    raw = read_limited(path, error, limit)
    text = decode_text(raw, str(path), error)
    return parse_text(text, str(path), error), raw
