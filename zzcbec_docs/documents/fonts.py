"""CJK fonts for the documents: real faces under their own names, mapped by role.

Roles (documents.md): 仿宋 body, 小标宋 title and 发文机关标志, 黑体 level-1 headings, 楷体 level-2
headings, 宋体 page numbers. The DOCX names the fonts Chinese offices have (仿宋_GB2312, 方正小标宋简体,
黑体, 楷体_GB2312, 宋体). The PDF embeds, for each role, the first of:

1. a file the bureau configured (issuer profile `fonts:` or ZZCBEC_FONT_<ROLE>, e.g. its own 仿宋_GB2312);
2. the office font itself, if this machine has it (fontconfig);
3. the Fandol face from Debian's texlive-lang-chinese (FandolFang, FandolSong-Bold as the heavy serif
   for 小标宋, FandolHei, FandolKai, FandolSong), taken out of the package by `make fonts` into
   fandol_dir() without installing TeX;
4. Noto Serif/Sans CJK SC (fonts-noto-cjk), subset once into a cached working copy.

Each face is embedded under its own family name; none is renamed to look like another. Noto CJK is
always the next family in the stack, in the same weight, so a rare character outside GB 2312 (a
name such as 䶮) is drawn by Noto rather than shown as a box.
"""

from __future__ import annotations

import ctypes.util
import fcntl
import hashlib
import os
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from zzcbec_docs.errors import RenderError
from zzcbec_docs.resources import cache_root, resource_dir

WORKING_COPY_VERSION = "6"  # 6: outlines on a grid of 1/250 em


@dataclass(frozen=True)
class Role:
    key: str
    docx_name: str  # what the DOCX asks for (w:eastAsia)
    docx_latin: str
    preferred: tuple[str, ...]  # office fonts, if this machine has them
    fandol: str  # the Fandol file taken from texlive-lang-chinese
    fallback_family: str  # fontconfig family of the Noto fallback
    fallback_style: str
    weight: str = "normal"  # the CSS weight the role is drawn in (小标宋: a heavy face)


ROLES = {
    "fangsong": Role(
        "fangsong",
        "仿宋_GB2312",
        "FangSong",
        ("FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋"),
        "FandolFang-Regular.otf",
        "Noto Serif CJK SC",
        "Regular",
    ),
    "xiaobiaosong": Role(
        "xiaobiaosong",
        "方正小标宋简体",
        "FZXiaoBiaoSong-B05S",
        ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK"),
        "FandolSong-Bold.otf",
        "Noto Serif CJK SC",
        "Bold",
        "bold",
    ),
    "heiti": Role(
        "heiti", "黑体", "SimHei", ("SimHei", "黑体"), "FandolHei-Regular.otf", "Noto Sans CJK SC", "Regular"
    ),
    "kaiti": Role(
        "kaiti",
        "楷体_GB2312",
        "KaiTi",
        ("KaiTi_GB2312", "楷体_GB2312", "KaiTi", "楷体"),
        "FandolKai-Regular.otf",
        "Noto Serif CJK SC",
        "Regular",
    ),
    "songti": Role(
        "songti", "宋体", "SimSun", ("SimSun", "宋体"), "FandolSong-Regular.otf", "Noto Serif CJK SC", "Regular"
    ),
}


@dataclass(frozen=True)
class FontFile:
    family: str
    style: str
    path: str
    index: int
    source: str = "system"  # configured | system | fandol | fallback


def fandol_dir() -> Path:
    """Where `make fonts` puts the Fandol faces (ZZCBEC_FONT_DIR, else the cache's fandol/)."""
    explicit = os.environ.get("ZZCBEC_FONT_DIR")
    return Path(explicit) if explicit else cache_dir().parent / "fandol"


_configured: dict[str, str] = {}


def configure(files: dict[str, str]) -> None:
    """A bureau's own font files by role (from its issuer profile), e.g. {"fangsong": ".../仿宋_GB2312.ttf"}."""
    for role, path in files.items():
        if role not in ROLES:
            raise RenderError(
                f"未知的字体角色“{role}”（可用：{'、'.join(ROLES)}）",
                f"unknown font role {role!r} (known: {', '.join(ROLES)})",
            )
        if not Path(path).is_file():
            raise RenderError(
                f"配置的{ROLES[role].docx_name}字体文件不存在：{path}",
                f"the configured {role} font file does not exist: {path}",
            )
    if files != {k: v for k, v in _configured.items() if k in files} or len(files) != len(_configured):
        _configured.clear()
        _configured.update(files)
        font_for.cache_clear()


def configured() -> dict[str, str]:
    """The font files configured now (see configure), to hand to another process."""
    return dict(_configured)


def _family_of(path: str, index: int = 0) -> str:
    """The face's own family name, read from its name table (typographic family, else family)."""
    try:
        family = _name_table_family(path, index)
    except (OSError, struct.error, UnicodeDecodeError, IndexError):
        family = None
    return family or _family_of_by_fonttools(path, index)


def _name_table_family(path: str, index: int) -> str | None:
    """The family name straight from the file's 'name' table (what fontTools' getDebugName gives:
    English, Windows or Mac records), without importing fontTools (~40 ms a process)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        offset = 0
        if head[:4] == b"ttcf":
            fh.seek(12 + 4 * index)
            (offset,) = struct.unpack(">I", fh.read(4))
            fh.seek(offset)
            head = fh.read(12)
        (tables,) = struct.unpack_from(">H", head, 4)
        directory = fh.read(16 * tables)
        for i in range(tables):
            tag, _, start, length = struct.unpack_from(">4sIII", directory, 16 * i)
            if tag == b"name":
                fh.seek(start)
                table = fh.read(length)
                break
        else:
            return None
    _, count, strings = struct.unpack_from(">HHH", table, 0)
    found: dict[tuple[int, int], str] = {}
    for i in range(count):
        platform, encoding, language, name_id, size, at = struct.unpack_from(">HHHHHH", table, 6 + 12 * i)
        if name_id not in (1, 16):
            continue
        raw = table[strings + at : strings + at + size]
        if platform == 3 or platform == 0:
            text = raw.decode("utf-16-be")
            english = platform == 0 or language == 0x409
        elif platform == 1 and encoding == 0:
            text, english = raw.decode("mac-roman"), language == 0
        else:
            continue
        rank = 0 if english else 1
        found.setdefault((name_id, rank), text)
    for key in ((16, 0), (16, 1), (1, 0), (1, 1)):
        if found.get(key):
            return found[key]
    return None


def _family_of_by_fonttools(path: str, index: int = 0) -> str:
    from fontTools.ttLib import TTFont

    try:
        f = TTFont(path, fontNumber=index, lazy=True)
        name = f["name"]
        family: str | None = name.getDebugName(16) or name.getDebugName(1)
        f.close()
    except Exception as exc:  # noqa: BLE001 - any unreadable font file is one clear error
        raise RenderError(f"无法读取字体文件 {path}：{exc}", f"cannot read the font file {path}: {exc}") from None
    if not family:
        raise RenderError(f"字体文件 {path} 没有字体名称", f"the font file {path} has no family name")
    return family


FC_LIST = ["fc-list", ":lang=zh", "--format", "%{family[0]}|%{style[0]}|%{file}|%{index}\n"]
_pending: list[subprocess.Popen[str]] = []


def prefetch_font_list() -> None:
    """Start fc-list now, to read its answer later (it runs while this process goes on)."""
    if not _pending and _chinese_fonts.cache_info().currsize == 0:
        try:
            _pending.append(subprocess.Popen(FC_LIST, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        except OSError:
            pass


@lru_cache(maxsize=1)
def _chinese_fonts() -> tuple[FontFile, ...]:
    try:
        if _pending:
            out = _pending.pop().communicate(timeout=30)[0]
        else:
            out = subprocess.run(FC_LIST, capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    fonts = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[2]:
            fonts.append(FontFile(parts[0], parts[1], parts[2], int(parts[3] or 0)))
    return tuple(sorted(fonts, key=lambda f: (f.family, f.style, f.path, f.index)))


NO_FONT = RenderError(
    "未找到中文字体，无法生成 PDF；请运行 make fonts（从 texlive-lang-chinese 取 Fandol 仿宋等字体）"
    "或安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）",
    "no CJK font found, so no PDF can be made; run `make fonts` (takes the Fandol faces out of "
    "texlive-lang-chinese) or install fonts-noto-cjk (apt-get install fonts-noto-cjk)",
)


@cache
def fallback_for(role_key: str) -> FontFile | None:
    """Noto CJK SC in the role's weight: the family for characters the main face lacks."""
    role = ROLES[role_key]
    for f in _chinese_fonts():
        if f.family == role.fallback_family and f.style == role.fallback_style:
            return FontFile(f.family, f.style, f.path, f.index, "fallback")
    return None


@cache
def font_for(role_key: str) -> FontFile:
    """The face for a role: configured file, office font, Fandol, then Noto CJK SC."""
    role = ROLES[role_key]
    if role_key in _configured:
        path = _configured[role_key]
        return FontFile(_family_of(path), "Regular", path, 0, "configured")
    fonts = _chinese_fonts()
    for name in role.preferred:
        for f in fonts:
            if f.family == name:
                return f
    fandol = fandol_dir() / role.fandol
    if fandol.is_file():
        return FontFile(
            _family_of(str(fandol)), "Bold" if role.weight == "bold" else "Regular", str(fandol), 0, "fandol"
        )
    fallback = fallback_for(role_key)
    if fallback is not None:
        return fallback
    for f in fonts:  # any Chinese font beats boxes
        if "CJK" in f.family or "Song" in f.family or "Hei" in f.family:
            return f
    raise NO_FONT


def harfbuzz_subset_available() -> bool:
    """WeasyPrint subsets with HarfBuzz only when libharfbuzz-subset is installed (else ~70× slower)."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


HARFBUZZ_WARNING = (
    "未安装 libharfbuzz-subset0，PDF 字体子集化会慢约 70 倍；请执行 apt-get install libharfbuzz-subset0",
    "libharfbuzz-subset0 is missing: PDF font subsetting is about 70 times slower; apt-get install libharfbuzz-subset0",
)


def cache_dir() -> Path:
    return cache_root() / "fonts"


@lru_cache(maxsize=1)
def common_characters() -> str:
    """What nearly every document uses: ASCII, 公文 punctuation, the templates' and the policy's text.

    Only data files count (not code), so the cached fonts stay valid across code changes.
    """
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars.update("〔〕—–¥￥‰·…“”‘’《》（）【】〈〉、。，；：？！　×÷≥≤＞＜")
    chars.update("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整人民币满足不符合核实申报审核待定市级区县承担金额条款")
    sources = list(resource_dir("templates").rglob("*"))
    sources += list((Path(__file__).resolve().parent.parent / "policy" / "data").glob("*.yaml"))
    for p in sorted(sources):
        if p.is_file():
            chars.update(p.read_text(encoding="utf-8"))
    return "".join(sorted(c for c in chars if c.isprintable() or c == "\u3000"))


@lru_cache(maxsize=1)
def working_charset() -> str:
    """The common characters and all of GB 2312; anything rarer falls back to the full system font."""
    chars = set(common_characters())
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(sorted(c for c in chars if c.isprintable() or c == "\u3000"))


def _key(font: FontFile) -> str:
    st = os.stat(font.path)
    h = hashlib.sha256()
    # the working charset is GB 2312 (fixed, named by the version) and common_characters() (which
    # follows the templates and the policy): hashing the latter is enough, and skips 8,000 decodes
    for part in (
        WORKING_COPY_VERSION,
        "GB2312",
        font.path,
        str(font.index),
        str(st.st_size),
        str(int(st.st_mtime)),
        common_characters(),
    ):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


_HB_CDEF = """
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create_from_file(const char *file_name);
void hb_blob_destroy(hb_blob_t *blob);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""


def _hb_subset(font: FontFile) -> bytes | None:
    """The working charset of a face, cut out with HarfBuzz (well under a second a face, where
    fontTools takes half a minute for a Fandol face): outlines kept as they are (CFF stays CFF),
    glyphs renumbered densely, no hinting. None if HarfBuzz (libharfbuzz-subset) is absent."""
    import cffi

    hb_name, sub_name = ctypes.util.find_library("harfbuzz"), ctypes.util.find_library("harfbuzz-subset")
    if not hb_name or not sub_name:
        return None
    ffi = cffi.FFI()
    ffi.cdef(_HB_CDEF)
    hb, hbs = ffi.dlopen(hb_name), ffi.dlopen(sub_name)
    blob = hb.hb_blob_create_from_file(font.path.encode())
    face = hb.hb_face_create(blob, font.index)
    subset_input = hbs.hb_subset_input_create_or_fail()
    unicodes = hbs.hb_subset_input_unicode_set(subset_input)
    for ch in working_charset():
        hb.hb_set_add(unicodes, ord(ch))
    hbs.hb_subset_input_set_flags(subset_input, 0x1 | 0x40)  # NO_HINTING | NOTDEF_OUTLINE
    result = hbs.hb_subset_or_fail(face, subset_input)
    data = b""
    if result != ffi.NULL:
        out_blob = hb.hb_face_reference_blob(result)
        length = ffi.new("unsigned int *")
        data = ffi.buffer(hb.hb_blob_get_data(out_blob, length), length[0])[:]
        hb.hb_blob_destroy(out_blob)
        hb.hb_face_destroy(result)
    hbs.hb_subset_input_destroy(subset_input)
    hb.hb_face_destroy(face)
    hb.hb_blob_destroy(blob)
    return data or None


# Tables a horizontal Chinese document never reads (vertical metrics, OpenType layout).
UNUSED_TABLES = ("GPOS", "GSUB", "GDEF", "BASE", "JSTF", "VORG", "vhea", "vmtx", "DSIG")


def _cid_keyed_in_order(data: bytes) -> bytes:
    """A CFF face with each glyph's CID equal to its glyph id, the characters of common_characters() first.

    A PDF draws text by glyph id (WeasyPrint writes Identity-H codes that are glyph ids); a
    CID-keyed CFF font maps codes to glyphs through its charset, and Acrobat, Preview and
    Ghostscript follow the charset while poppler and PDFium take the code as a glyph id. The
    Fandol and Noto faces are CID-keyed (Adobe-GB1) with CIDs that are not their glyph ids, so the
    two families of viewers drew different characters. Renaming glyph n to CID n makes them agree.

    WeasyPrint subsets with glyph ids kept (empty slots up to the highest id used); putting what
    nearly every document uses at the lowest ids keeps those subsets small. No bounding box is
    recomputed (~0.4 s a face). The outlines of a face without subroutines (Fandol) are put on a
    grid of 1/250 em (OUTLINE_GRID; cff_fonts.on_grid, ~3 s a Fandol face, once): each point moves by
    at most 1/500 em (a thirtieth of a point in 16 pt text), about the precision of Windows' 宋体 (SimSun, 256
    units to the em), and the glyphs, most of a notice's bytes, deflate to a fifth less (a
    seven-clause notice's four faces 97.1 → 75.3 KB).
    """
    import io

    from fontTools.ttLib import TTFont

    f = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
    for tag in UNUSED_TABLES:
        if tag in f:
            del f[tag]
    order = f.getGlyphOrder()
    cmap = f.getBestCmap()
    first = [order[0]]  # .notdef
    taken = {order[0]}
    for ch in common_characters():
        glyph = cmap.get(ord(ch))
        if glyph and glyph not in taken:
            first.append(glyph)
            taken.add(glyph)
    new_order = first + [g for g in order if g not in taken]
    names = [".notdef"] + [f"cid{i:05d}" for i in range(1, len(new_order))]
    rename = dict(zip(new_order, names, strict=True))
    top = f["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    if not (hasattr(top, "ROS") and charstrings.charStringsAreIndexed):
        raise RenderError("字体不是 CID 字库", "not a CID-keyed CFF font")
    if hasattr(top, "FDSelect"):  # which font dict (hints, local subroutines) each glyph uses, in the new order
        from fontTools.cffLib import FDSelect

        reordered = FDSelect(None, None, top.FDSelect.format)  # a new one: the charstrings index reads the old
        reordered.gidArray = [top.FDSelect.gidArray[charstrings.charStrings[name]] for name in new_order]
        top.FDSelect = reordered
    charstrings.charStrings = {rename[name]: index for name, index in charstrings.charStrings.items()}
    top.charset = names
    top.CIDCount = max(getattr(top, "CIDCount", 0), len(names))
    f["hmtx"].metrics = {rename[name]: m for name, m in f["hmtx"].metrics.items()}
    for table in f["cmap"].tables:
        if table.format == 14:  # variation sequences: glyph names, or None for the default glyph
            table.uvsDict = {
                selector: [(code, None if name is None else rename[name]) for code, name in pairs]
                for selector, pairs in table.uvsDict.items()
            }
        else:
            table.cmap = {code: rename[name] for code, name in table.cmap.items()}
    f.setGlyphOrder(names)
    f["post"].formatType = 3.0  # no glyph names
    _outlines_on_grid(f)
    out = io.BytesIO()
    f.save(out)
    return out.getvalue()


OUTLINE_GRID = 250  # units an em of the working copies' CFF outlines is cut into (see _cid_keyed_in_order)


def _outlines_on_grid(f: Any) -> None:
    """Every charstring of the TTFont's CFF face with its points on a grid of 1/OUTLINE_GRID em,
    unless the face calls subroutines (Noto CJK: its outlines are left as they are)."""
    from zzcbec_docs.documents.cff_fonts import on_grid

    cff = f["CFF "].cff
    top = cff.topDictIndex[0]
    grid = f["head"].unitsPerEm // OUTLINE_GRID
    fonts = top.FDArray if hasattr(top, "FDArray") else [top]
    if grid <= 1 or len(cff.GlobalSubrs) or any(getattr(fd.Private, "Subrs", None) for fd in fonts):
        return
    index = top.CharStrings.charStringsIndex
    for i in range(len(index)):
        charstring = index[i]
        charstring.bytecode = on_grid(charstring.bytecode, grid)


def _write(data: bytes, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _build(font: FontFile, target: Path) -> None:
    """The working copy: the face cut to the working charset, common glyphs first.

    A CFF face (Fandol, Noto CJK) is cut by HarfBuzz and, if CID-keyed, renumbered so that CID and
    glyph id agree (see _cid_keyed_in_order). Without HarfBuzz, and for TrueType faces, fontTools
    subsets it (converting CFF outlines to TrueType with cu2qu) and puts common glyphs first:
    WeasyPrint keeps glyph ids when it subsets (HarfBuzz RETAIN_GIDS), so a document's font
    carries empty slots up to its highest glyph id (measured: ~15% faster notices). The OpenType
    layout tables are dropped: horizontal Chinese needs none, and reordering would unsort them.
    """
    from zzcbec_docs.documents.cff_fonts import face_kind

    kind = face_kind(Path(font.path).read_bytes(), font.index)
    data = _hb_subset(font) if kind != "other" else None
    if data is not None:
        _write(data if kind == "name" else _cid_keyed_in_order(data), target)
        return
    import logging

    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" and the like
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    f = TTFont(font.path, fontNumber=font.index, lazy=False)
    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in working_charset()])
    sub.subset(f)
    if "CFF " in f:
        order = f.getGlyphOrder()
        glyphs = f.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[name] = pen.glyph()
        f["glyf"] = glyf
        f["loca"] = newTable("loca")
        maxp = f["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in (
            "maxZones",
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
        ):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        f["head"].glyphDataFormat = 0
        post = f["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        post.glyphOrder = order
        del f["CFF "]
        if "VORG" in f:
            del f["VORG"]
        f.sfntVersion = "\0\1\0\0"
    cmap = f.getBestCmap()
    order = f.getGlyphOrder()
    first = [order[0]]  # .notdef
    for ch in common_characters():
        glyph = cmap.get(ord(ch))
        if glyph and glyph not in first:
            first.append(glyph)
    taken = set(first)
    new_order = first + [g for g in order if g not in taken]
    for tag in f.keys():  # load every table by name before the ids change
        f[tag]
    f.setGlyphOrder(new_order)
    if "glyf" in f:
        f["glyf"].glyphOrder = new_order
    if "post" in f and hasattr(f["post"], "glyphOrder"):
        f["post"].glyphOrder = new_order
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        f.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def working_copy(font: FontFile) -> Path | None:
    """The cached working copy of a font, built once (under a lock); None if it cannot be made."""
    if not font.path.lower().endswith((".ttc", ".otf", ".ttf")):
        return None
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    target = directory / f"{Path(font.path).stem}-{font.index}-{_key(font)}.ttf"
    if target.exists():
        return target
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time, across processes
        if not target.exists():
            _build(font, target)
            for old in directory.glob(f"{Path(font.path).stem}-{font.index}-*.ttf"):
                if old != target:
                    old.unlink(missing_ok=True)
    return target


def prepare_working_copies() -> dict[str, Path | None]:
    """Build (or find) the working copy of each role's font; the first run takes about a minute."""
    out: dict[str, Path | None] = {}
    for key in ROLES:
        f = font_for(key)
        out[key] = working_copy(f) if f.source != "configured" else Path(f.path)
    return out
