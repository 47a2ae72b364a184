"""CJK fonts for the documents: found through fontconfig, mapped by role, cached as working copies.

Roles (documents.md): 仿宋 body, 小标宋 title, 黑体 level-1 headings, 楷体 level-2 headings.
The DOCX names the fonts Chinese offices have; the PDF embeds what this machine has, preferring
the office fonts and falling back to Noto Serif/Sans CJK SC (Debian's fonts-noto-cjk) and, for
楷体, AR PL UKai CN (fonts-arphic-ukai; without it 楷体 falls back to the body font).

Embedding from the system's Noto CJK collection is slow and large (a notice: 150 ms, 252 KB).
So each font is copied once into a cache, subset to GB 2312 plus what the templates and the
policy use, with TrueType outlines (fontTools); a notice then takes ~50 ms and ~40 KB. The full
system font stays the CSS fallback for rare characters in names.
"""

from __future__ import annotations

import ctypes.util
import fcntl
import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from zzcbec_docs.errors import RenderError
from zzcbec_docs.resources import cache_root, resource_dir

WORKING_COPY_VERSION = "2"


@dataclass(frozen=True)
class Role:
    key: str
    docx_name: str  # what the DOCX asks for (w:eastAsia)
    docx_latin: str
    preferred: tuple[str, ...]  # office fonts, if this machine has them
    fallback_family: str  # fontconfig family of the Noto fallback
    fallback_style: str


ROLES = {
    "fangsong": Role("fangsong", "仿宋_GB2312", "FangSong", ("FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋"),
                     "Noto Serif CJK SC", "Regular"),
    "xiaobiaosong": Role("xiaobiaosong", "方正小标宋简体", "FZXiaoBiaoSong-B05S",
                         ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK"), "Noto Serif CJK SC", "Bold"),
    "heiti": Role("heiti", "黑体", "SimHei", ("SimHei", "黑体"), "Noto Sans CJK SC", "Regular"),
    "kaiti": Role("kaiti", "楷体_GB2312", "KaiTi", ("KaiTi_GB2312", "楷体_GB2312", "KaiTi", "楷体", "AR PL UKai CN"),
                  "Noto Serif CJK SC", "Regular"),
}


@dataclass(frozen=True)
class FontFile:
    family: str
    style: str
    path: str
    index: int


FC_LIST = ["fc-list", ":lang=zh", "--format", "%{family[0]}|%{style[0]}|%{file}|%{index}\n"]
_pending: list[subprocess.Popen] = []


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
    "未找到中文字体，无法生成 PDF；请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）或仿宋、黑体等字体",
    "no CJK font found, so no PDF can be made; install fonts-noto-cjk "
    "(apt-get install fonts-noto-cjk) or the office fonts (FangSong, SimHei)",
)


@cache
def font_for(role_key: str) -> FontFile:
    """The font this machine has for a role: an office font if present, else Noto CJK SC."""
    role = ROLES[role_key]
    fonts = _chinese_fonts()
    for name in role.preferred:
        for f in fonts:
            if f.family == name:
                return f
    for f in fonts:
        if f.family == role.fallback_family and f.style == role.fallback_style:
            return f
    if role_key == "kaiti":
        return font_for("fangsong")
    for f in fonts:  # any Chinese font beats boxes
        if "CJK" in f.family or "Song" in f.family or "Hei" in f.family:
            return f
    raise NO_FONT


def harfbuzz_subset_available() -> bool:
    """WeasyPrint subsets with HarfBuzz only when libharfbuzz-subset is installed (else ~70× slower)."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


HARFBUZZ_WARNING = (
    "未安装 libharfbuzz-subset0，PDF 字体子集化会慢约 70 倍；请执行 apt-get install libharfbuzz-subset0",
    "libharfbuzz-subset0 is missing: PDF font subsetting is about 70 times slower; "
    "apt-get install libharfbuzz-subset0",
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
    for part in (WORKING_COPY_VERSION, font.path, str(font.index), str(st.st_size), str(int(st.st_mtime)),
                 working_charset()):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


def _build(font: FontFile, target: Path) -> None:
    """Subset to the working charset, convert CFF outlines to TrueType (cu2qu), common glyphs first.

    WeasyPrint keeps glyph ids when it subsets (HarfBuzz RETAIN_GIDS), so a document's font
    carries empty slots up to its highest glyph id: putting the characters every document uses
    at the lowest ids keeps those subsets small (measured: ~15% faster notices). The OpenType
    layout tables are dropped: horizontal Chinese needs none, and reordering would unsort them.
    """
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
        for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                     "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
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
        out[key] = working_copy(f)
    return out
