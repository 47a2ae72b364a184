"""The notice drawn straight to PDF: placed text, rules and the QR code, without a browser engine.

A 公文 is a fixed form: fixed_form.py lays out every line of the notice on the GB/T 9704 grid and
gives each character its position (`fixed_form.drawing`). What is left to do is what a PDF
writer does, and that is all this module does:

- **Text.** Each role's face (fonts.py: the working copy, the bureau's own file, or Noto CJK for a
  character the face lacks) is opened with HarfBuzz (ctypes, no Python font library): its
  character map, advances and vertical extents. A run of text becomes one `TJ` whose numbers put
  every glyph where the layout says. A line box's baseline is where CSS puts it: half the leading
  above the face's ascent.
- **Fonts.** Each face is embedded as a dense subset cut by HarfBuzz. A CID-keyed CFF face is
  embedded as a bare CFF program (`/CIDFontType0C`) whose charset gives each glyph the code the
  page uses for it as its CID (cff_fonts.py explains why: Acrobat, Preview and Ghostscript read
  codes through the charset, poppler and PDFium as glyph ids; here they agree). A working copy's
  CIDs are its glyph ids already, so the codes are the working copy's glyph ids; another CID-keyed
  face gets its subset's charset rewritten to the codes. A TrueType or name-keyed face is embedded
  whole-subset (`FontFile2` or `FontFile3 /OpenType`) and its codes are the subset's glyph ids.
  Each font has its `/W` widths and a `ToUnicode` map, so the text extracts as it reads.
- **PDF/A-2b and tags.** XMP metadata (`pdfaid:part=2`, `conformance=B`, the same title, author,
  subject, keywords, creator tool and dates as the document information), an sRGB output intent,
  a structure tree (Document → P, H1, Table → TR → TH/TD, Div, Figure with its alternative text)
  with marked content; rules, borders and page numbers are artifacts.
- **Bytes.** Objects are written in one order, compressed object streams and a cross-reference
  stream; the file identifier is a digest of the document's identity, the dates those of its
  content (SOURCE_DATE_EPOCH): the same notice gives the same bytes.

What it cannot draw is an error (RenderError), never another renderer.
"""

from __future__ import annotations

import ctypes
import hashlib
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from zzcbec_docs.documents.cff_fonts import charset_as_codes, glyph_count, top_dict, with_cids
from zzcbec_docs.errors import RenderError

PAGE_W, PAGE_H = 595.275591, 841.889764  # A4 in pt


# ------------------------------------------------------------------ what is drawn


@dataclass
class Text:
    """A line of text: its characters, each one's pen position (pt from the page's left edge, one
    more for the pen after the last), the top and height of its line box (pt from the page's top),
    the size, the font role and the colour."""

    text: str
    xs: list[float]
    top: float
    height: float
    size: float
    role: str
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class Rect:
    """A filled rectangle (pt from the page's top-left); `hole`: a rectangle left out of it (a frame)."""

    x: float
    y: float
    w: float
    h: float
    color: tuple[float, float, float]
    hole: tuple[float, float, float, float] | None = None


@dataclass
class Image:
    """A PNG (1-bit grey, as qr.py makes) drawn in the box, module by module."""

    x: float
    y: float
    w: float
    h: float
    png: bytes


@dataclass
class Elem:
    """A structure element (P, H1, Table, TR, TH, TD, Div, Figure) or, as "Artifact" and "Pagination",
    decoration outside the structure. Its kids: elements, or what is drawn (Text, Rect, Image)."""

    tag: str
    kids: Sequence[Elem | Text | Rect | Image] = field(default_factory=list)
    alt: str | None = None


# ------------------------------------------------------------------ HarfBuzz, through ctypes


class _Extents(ctypes.Structure):
    _fields_ = [("ascender", ctypes.c_int32), ("descender", ctypes.c_int32), ("line_gap", ctypes.c_int32)] + [
        (f"reserved{i}", ctypes.c_int32) for i in range(9)
    ]


def _tag(name: bytes) -> int:
    return int.from_bytes(name, "big")


@lru_cache(maxsize=1)
def _harfbuzz() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    import ctypes.util

    libs = []
    for soname, name in (("libharfbuzz.so.0", "harfbuzz"), ("libharfbuzz-subset.so.0", "harfbuzz-subset")):
        try:
            libs.append(ctypes.CDLL(soname))
        except OSError:
            found = ctypes.util.find_library(name)
            if found is None:
                raise RenderError(
                    f"未找到 {name} 库，无法生成通知书 PDF；请安装 libharfbuzz0b 与 libharfbuzz-subset0",
                    f"the {name} library is missing, so no notice PDF can be made: "
                    "apt-get install libharfbuzz0b libharfbuzz-subset0",
                ) from None
            libs.append(ctypes.CDLL(found))
    hb, hbs = libs
    p, u, i = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
    for fn, res, args in (
        ("hb_blob_create_from_file", p, [ctypes.c_char_p]),
        ("hb_blob_destroy", None, [p]),
        ("hb_blob_get_data", p, [p, ctypes.POINTER(u)]),
        ("hb_face_create", p, [p, u]),
        ("hb_face_destroy", None, [p]),
        ("hb_face_get_upem", u, [p]),
        ("hb_face_get_glyph_count", u, [p]),
        ("hb_face_reference_blob", p, [p]),
        ("hb_face_reference_table", p, [p, ctypes.c_uint32]),
        ("hb_font_create", p, [p]),
        ("hb_font_set_scale", None, [p, i, i]),
        ("hb_font_get_nominal_glyph", i, [p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32)]),
        ("hb_font_get_glyph_h_advance", ctypes.c_int32, [p, ctypes.c_uint32]),
        ("hb_font_get_h_extents", i, [p, ctypes.POINTER(_Extents)]),
        ("hb_set_add", None, [p, ctypes.c_uint32]),
    ):
        f = getattr(hb, fn)
        f.restype, f.argtypes = res, args
    for fn, res, args in (
        ("hb_subset_input_create_or_fail", p, []),
        ("hb_subset_input_destroy", None, [p]),
        ("hb_subset_input_glyph_set", p, [p]),
        ("hb_subset_input_set", p, [p, ctypes.c_int]),
        ("hb_subset_input_set_flags", None, [p, u]),
        ("hb_subset_or_fail", p, [p, p]),
    ):
        f = getattr(hbs, fn)
        f.restype, f.argtypes = res, args
    return hb, hbs


NO_HINTING, DESUBROUTINIZE, NOTDEF_OUTLINE = 0x1, 0x4, 0x40
DROP_TABLE_TAG = 3  # hb_subset_sets_t


def _blob_bytes(blob: int) -> bytes:
    hb, _ = _harfbuzz()
    length = ctypes.c_uint()
    data = hb.hb_blob_get_data(blob, ctypes.byref(length))
    return ctypes.string_at(data, length.value) if data and length.value else b""


class Face:
    """A font file's face as HarfBuzz reads it: glyphs of characters, advances, extents, subsets."""

    def __init__(self, path: str, index: int, family: str, bold: bool) -> None:
        hb, _ = _harfbuzz()
        self.path, self.index, self.family, self.bold = path, index, family, bold
        blob = hb.hb_blob_create_from_file(path.encode())
        self.face = hb.hb_face_create(blob, index)
        hb.hb_blob_destroy(blob)
        self.upem = hb.hb_face_get_upem(self.face) or 1000
        self.glyph_count = hb.hb_face_get_glyph_count(self.face)
        if not self.glyph_count:
            raise RenderError(f"无法读取字体文件 {path}", f"cannot read the font file {path}")
        self.font = hb.hb_font_create(self.face)
        hb.hb_font_set_scale(self.font, self.upem, self.upem)
        ext = _Extents()
        hb.hb_font_get_h_extents(self.font, ctypes.byref(ext))
        self.ascent, self.descent = ext.ascender / self.upem, -ext.descender / self.upem  # of the em
        self._glyph: dict[str, int | None] = {}
        self._advance: dict[int, float] = {}
        self.kind = self._kind()

    def _kind(self) -> str:
        """'identity' / 'cid' (CID-keyed CFF, CIDs = glyph ids or not), 'name' (name-keyed CFF) or 'ttf',
        read from the face's CFF table where HarfBuzz holds it (not copied)."""
        import struct

        from zzcbec_docs.documents import cff_fonts

        hb, _ = _harfbuzz()
        blob = hb.hb_face_reference_table(self.face, _tag(b"CFF "))
        try:
            length = ctypes.c_uint()
            data = hb.hb_blob_get_data(blob, ctypes.byref(length))
            if not data or not length.value:
                return "ttf"
            cff = memoryview((ctypes.c_char * length.value).from_address(data)).cast("B")
            try:
                top = cff_fonts.top_dict(cff)
                if (12, 30) not in top:  # no ROS
                    return "name"
                glyphs = cff_fonts.glyph_count(cff, int(top[(17,)][0]))
                identity = cff_fonts.charset_is_identity(cff, int(top[(15,)][0]), glyphs)
            except (struct.error, IndexError, KeyError, ValueError):
                raise RenderError(
                    f"字体文件 {self.path} 的 CFF 字形无法读取", f"the CFF outlines of {self.path} cannot be read"
                ) from None
            finally:
                cff.release()
            return "identity" if identity else "cid"
        finally:
            hb.hb_blob_destroy(blob)

    def glyph(self, ch: str) -> int | None:
        if ch not in self._glyph:
            hb, _ = _harfbuzz()
            gid = ctypes.c_uint32()
            found = hb.hb_font_get_nominal_glyph(self.font, ord(ch), ctypes.byref(gid))
            self._glyph[ch] = gid.value if found else None
        return self._glyph[ch]

    def width(self, gid: int) -> float:
        """The glyph's advance in thousandths of the em (PDF glyph space)."""
        width = self._advance.get(gid)
        if width is None:
            hb, _ = _harfbuzz()
            width = self._advance[gid] = round(hb.hb_font_get_glyph_h_advance(self.font, gid) * 1000 / self.upem, 3)
        return width

    def subset(self, gids: list[int], notdef: bool) -> bytes:
        """The face cut to `gids` (sorted, with .notdef), glyphs renumbered densely in that order:
        the bare CFF table for a CFF face, the whole font file for a TrueType one."""
        hb, hbs = _harfbuzz()
        plan = hbs.hb_subset_input_create_or_fail()
        if not plan:
            raise RenderError("HarfBuzz 无法创建字体子集", "HarfBuzz could not start a font subset")
        try:
            glyphs = hbs.hb_subset_input_glyph_set(plan)
            for g in gids:
                hb.hb_set_add(glyphs, g)
            # no layout tables, and so no glyphs added by their closure (a face's GSUB alternates):
            # the subset holds exactly `gids`, in order
            dropped = hbs.hb_subset_input_set(plan, DROP_TABLE_TAG)
            for tag in (b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"MATH", b"COLR", b"CPAL", b"morx", b"kerx"):
                hb.hb_set_add(dropped, _tag(tag))
            flags = NO_HINTING | DESUBROUTINIZE | (NOTDEF_OUTLINE if notdef else 0)
            hbs.hb_subset_input_set_flags(plan, flags)
            sub = hbs.hb_subset_or_fail(self.face, plan)
        finally:
            hbs.hb_subset_input_destroy(plan)
        if not sub:
            raise RenderError(f"无法为字体 {self.family} 生成子集", f"cannot subset the font {self.family}")
        try:
            if self.kind in ("identity", "cid"):
                blob = hb.hb_face_reference_table(sub, _tag(b"CFF "))
            else:
                blob = hb.hb_face_reference_blob(sub)
            try:
                data = _blob_bytes(blob)
            finally:
                hb.hb_blob_destroy(blob)
        finally:
            hb.hb_face_destroy(sub)
        if not data:
            raise RenderError(f"无法为字体 {self.family} 生成子集", f"cannot subset the font {self.family}")
        return data


_faces: dict[tuple[str, int, str, bool], Face] = {}


def _face(path: str, index: int, family: str, bold: bool) -> Face:
    key = (path, index, family, bold)
    if key not in _faces:
        _faces[key] = Face(path, index, family, bold)
    return _faces[key]


@lru_cache(maxsize=16)
def _role_face(role: str, _font: object) -> Face:
    from zzcbec_docs.documents import fonts

    font = fonts.font_for(role)
    bold = fonts.ROLES[role].weight == "bold"
    copy = fonts.working_copy(font) if font.source != "configured" else None
    path, index = (str(copy), 0) if copy is not None else (font.path, font.index)
    return _face(path, index, font.family, bold)


_role_faces: dict[str, tuple[object, Face]] = {}


def role_face(role: str) -> Face:
    """The role's face as the documents embed it: the working copy, or the bureau's own file."""
    from zzcbec_docs.documents import fonts

    font = fonts.font_for(role)
    known = _role_faces.get(role)
    if known is None or known[0] is not font:
        known = _role_faces[role] = (font, _role_face(role, font))
    return known[1]


def fallback_face(role: str) -> Face | None:
    """Noto CJK in the role's weight, for a character the role's face lacks (opened when first needed)."""
    from zzcbec_docs.documents import fonts

    fallback = fonts.fallback_for(role)
    main = role_face(role)
    if fallback is None or (fallback.path, fallback.index) == (main.path, main.index):
        return None
    return _face(fallback.path, fallback.index, fallback.family, main.bold)


# ------------------------------------------------------------------ the PDF's objects


def _num(v: float) -> str:
    """A number as PDF writes it: at most 4 decimals, no trailing zeros, no '-0'."""
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_string(s: str) -> bytes:
    """A PDF text string: literal if ASCII, else UTF-16BE with its byte-order mark."""
    data = s.encode("ascii") if s.isascii() else b"\xfe\xff" + s.encode("utf-16-be")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b"\\r") + b")"


class _Pdf:
    """Objects in the order made; non-stream objects go into compressed object streams."""

    def __init__(self) -> None:
        self.objects: list[tuple[bytes, bytes | None]] = [(b"", None)]  # number → (dictionary, stream data)

    def reserve(self) -> int:
        self.objects.append((b"null", None))
        return len(self.objects) - 1

    def put(self, num: int, body: bytes, stream: bytes | None = None) -> int:
        self.objects[num] = (body, stream)
        return num

    def add(self, body: bytes, stream: bytes | None = None) -> int:
        return self.put(self.reserve(), body, stream)

    def add_stream(self, extra: bytes, data: bytes, compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data, 6)
            extra = b"/Filter /FlateDecode " + extra
        return self.add(b"<< " + extra + b"/Length " + str(len(data)).encode() + b" >>", data)

    def write(self, root: int, info: int, identifier: bytes) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        n = len(self.objects)
        loose = [i for i in range(1, n) if self.objects[i][1] is None]
        # object streams of up to 200 objects each
        offsets: dict[int, int] = {}
        in_stream: dict[int, tuple[int, int]] = {}
        packs = [loose[k : k + 200] for k in range(0, len(loose), 200)]
        pack_nums: list[tuple[int, list[int]]] = []
        for pack in packs:
            num = len(self.objects) + len(pack_nums)
            pack_nums.append((num, pack))
        total = n + len(pack_nums) + 1  # + the xref stream
        xref_num = total - 1
        for i in range(1, n):
            body, data = self.objects[i]
            if data is None:
                continue
            offsets[i] = len(out)
            out += b"%d 0 obj\n" % i + body + b"\nstream\n" + data + b"\nendstream\nendobj\n"
        for num, pack in pack_nums:
            heads, bodies, pos = [], [], 0
            for index, i in enumerate(pack):
                in_stream[i] = (num, index)
                heads.append(b"%d %d" % (i, pos))
                body = self.objects[i][0] + b"\n"
                bodies.append(body)
                pos += len(body)
            head = b" ".join(heads) + b"\n"
            data = zlib.compress(head + b"".join(bodies), 6)
            offsets[num] = len(out)
            out += (
                b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
                % (num, len(pack), len(head), len(data))
                + data
                + b"\nendstream\nendobj\n"
            )
        offsets[xref_num] = len(out)
        entries = [b"\x00\x00\x00\x00\x00\xff\xff"]
        for i in range(1, total):
            if i in in_stream:
                s, k = in_stream[i]
                entries.append(b"\x02" + s.to_bytes(4, "big") + k.to_bytes(2, "big"))
            else:
                entries.append(b"\x01" + offsets[i].to_bytes(4, "big") + b"\x00\x00")
        rows = bytearray()  # PNG "Up" prediction, row by row: the entries compress to a few bytes each
        previous = bytes(7)
        for entry in entries:
            rows += b"\x02" + bytes((a - b) & 0xFF for a, b in zip(entry, previous, strict=True))
            previous = entry
        digest = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().encode()
        ids = b"[<" + identifier + b"> <" + digest + b">]"
        data = zlib.compress(bytes(rows), 6)
        out += (
            b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Info %d 0 R /ID %s"
            b" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length %d >>\nstream\n"
            % (xref_num, total, root, info, ids, len(data))
            + data
            + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_num]
        )
        return bytes(out)


# ------------------------------------------------------------------ fonts


class _FontUse:
    """The glyphs one face draws in the document: code → (glyph id, the text it stands for)."""

    def __init__(self, face: Face, name: str) -> None:
        self.face, self.name = face, name
        self.gids: dict[int, str] = {}  # glyph id → text (first one wins)
        self.missing: dict[str, int] = {}  # characters no face has → the code that draws .notdef
        self.ref = 0
        self.res = ""  # its name in the pages' resources
        self.codes: dict[int, int] = {}
        self.unicode = face.kind in ("identity", "cid")  # codes are the characters' own (see finish)
        self.extra: dict[int, str] = {}  # codes that are not their character's: code → text
        self.program = b""  # the embedded program, where finish cut it

    def code_of(self, gid: int) -> int:
        return self.codes[gid]

    def finish(self, spare: Iterator[int]) -> None:
        """The code of each glyph. A CID-keyed CFF face's codes are its characters' own UTF-16 code
        units (the embedded program's CIDs are rewritten to match), so that one ToUnicode of ranges
        serves every such font; a character outside the BMP takes a code from `spare` (private-use
        codes no font of the document uses as a character). A TrueType or name-keyed face's code is
        the glyph's dense index."""
        used = sorted({0, *self.gids})
        if self.unicode:
            self.program = self.face.subset(used, notdef=bool(self.missing))
            view = memoryview(self.program)
            if glyph_count(view, int(top_dict(view)[(17,)][0])) != len(used):  # glyphs added by a closure
                self.unicode = False
        if not self.unicode:
            kind = self.face.kind
            self.codes = {g: g for g in used} if kind in ("identity", "cid") else {g: k for k, g in enumerate(used)}
            return
        self.codes = {0: 0}
        for g in used[1:]:
            self.codes[g] = self._code(self.gids[g], spare)
        for ch in self.missing:
            self.missing[ch] = self._code(ch, spare)

    def _code(self, text: str, spare: Iterator[int]) -> int:
        if len(text) == 1 and 0x20 <= ord(text) <= 0xFFFF and not 0xD800 <= ord(text) <= 0xDFFF:
            return ord(text)
        code = next(spare, None)
        if code is None:
            raise RenderError("通知书中生僻字过多，无法编码", "the notice has too many characters outside the BMP")
        self.extra[code] = text
        return code


def _unicode_pages(uses: list[_FontUse]) -> set[int]:
    """The high bytes of the characters the CID-keyed CFF fonts draw (the pages ToUnicode maps as they are)."""
    pages: set[int] = set()
    for use in uses:
        if use.unicode:
            for text in [*use.gids.values(), *use.missing]:
                if len(text) == 1 and ord(text) <= 0xFFFF:
                    pages.add(ord(text) >> 8)
    return pages


def _spare_codes(pages: set[int]) -> Iterator[int]:
    """Private-use codes (U+E000–U+F8FF) on pages no character of the document is on (made when needed)."""
    return (p << 8 | k for p in range(0xE0, 0xF9) if p not in pages for k in range(256))


def _to_unicode(pairs: list[tuple[int, str]], pages: list[int]) -> bytes:
    """A ToUnicode CMap: each page in `pages` mapped to itself (bfrange), and `pairs` one by one."""
    lines = [
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n<< /Registry (Adobe)\n"
        b"/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange"
    ]
    for k in range(0, len(pages), 100):
        ranges = pages[k : k + 100]
        lines.append(b"%d beginbfrange" % len(ranges))
        lines.extend(b"<%04x> <%02xff> <%04x>" % (max(p << 8, 0x20), p, max(p << 8, 0x20)) for p in ranges)
        lines.append(b"endbfrange")
    for k in range(0, len(pairs), 100):
        batch = pairs[k : k + 100]
        lines.append(b"%d beginbfchar" % len(batch))
        lines.extend(f"<{c:04x}> <{t.encode('utf-16-be').hex()}>".encode() for c, t in batch)
        lines.append(b"endbfchar")
    lines.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
    return b"\n".join(lines)


Glyphs = list[tuple[int, str, float]]  # (glyph id, character, pen x) of one font's piece of a line
Pieces = list[tuple[_FontUse, Glyphs]]
Runs = list[tuple[Text, Pieces]]


def _font_objects(pdf: _Pdf, use: _FontUse, shared_to_unicode: int) -> None:
    """The font's objects; `shared_to_unicode`: the ToUnicode of the fonts whose codes are their characters'."""
    face = use.face
    used = sorted({0, *use.gids})
    if use.unicode:
        program = with_cids(use.program, [use.code_of(g) for g in used])
    else:
        program = face.subset(used, notdef=bool(use.missing))
        if face.kind == "cid":
            program = charset_as_codes(program, used)
    glyph_names = "".join(f"{g:x}" for g in used)
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(f"{use.name}:{glyph_names}".encode()).digest()[:6])
    base = f"/{tag}+{use.name}".encode()
    if face.kind in ("identity", "cid"):
        file_ref = pdf.add_stream(b"/Subtype /CIDFontType0C ", program)
        file_key, subtype = b"/FontFile3", b"/CIDFontType0"
    elif program[:4] == b"OTTO":
        file_ref = pdf.add_stream(b"/Subtype /OpenType ", program)
        file_key, subtype = b"/FontFile3", b"/CIDFontType0"
    else:
        file_ref = pdf.add_stream(b"/Length1 %d " % len(program), program)
        file_key, subtype = b"/FontFile2", b"/CIDFontType2"
    codes = {use.code_of(g): t for g, t in use.gids.items()}
    widths = {use.code_of(g): face.width(g) for g in use.gids}
    for ch, code in use.missing.items():
        codes.setdefault(code, ch)
        widths[code] = face.width(0)
    to_unicode = shared_to_unicode if use.unicode else pdf.add_stream(b"", _to_unicode(sorted(codes.items()), []))
    max_w = max(widths.values()) if widths else 0
    ascent, descent = round(face.ascent * 1000), -round(face.descent * 1000)
    fixed = len(widths) > 1 and len(set(widths.values())) == 1
    flags = 4 + (1 if fixed else 0) + (2 if "Serif" in face.family.split() else 0)
    descriptor = pdf.add(
        b"<< /Type /FontDescriptor /FontName "
        + base
        + b" /FontFamily "
        + _text_string(face.family)
        + f" /Flags {flags} /FontBBox [0 {descent} {_num(max_w)} {ascent}] /ItalicAngle 0 /Ascent {ascent}"
        f" /Descent {descent} /CapHeight {ascent} /StemV 80 /StemH 80 ".encode()
        + file_key
        + b" %d 0 R >>" % file_ref
    )
    w = bytearray(b"[")
    prev = None
    for c in sorted(k for k, v in widths.items() if v != 1000):  # 1000: the default width (/DW)
        if prev is None or c != prev + 1:
            w += (b"] " if prev is not None else b"") + b"%d [" % c
        else:
            w += b" "
        w += _num(widths[c]).encode()
        prev = c
    w += b"]]" if prev is not None else b"]"
    cid_font = pdf.add(
        b"<< /Type /Font /Subtype "
        + subtype
        + b" /BaseFont "
        + base
        + b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /CIDToGIDMap /Identity /DW 1000 /W "
        + bytes(w)
        + b" /FontDescriptor %d 0 R >>" % descriptor
    )
    pdf.put(
        use.ref,
        b"<< /Type /Font /Subtype /Type0 /BaseFont "
        + base
        + b" /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cid_font, to_unicode),
    )


# ------------------------------------------------------------------ pages


class _Page:
    def __init__(self) -> None:
        self.ops: list[bytes] = []
        self.mcids: list[int] = []  # MCID → structure element number


@dataclass
class _Node:
    """A structure element being written: its tag, kids (nodes or (page index, MCID)), alt text."""

    tag: str
    kids: list[_Node | tuple[int, int]] = field(default_factory=list)
    alt: str | None = None
    page: int = 0
    num: int = 0


class _Drawer:
    def __init__(self) -> None:
        self.fonts: dict[tuple[str, int, str, bool], _FontUse] = {}
        self.images: list[tuple[int, bytes]] = []  # (object, PNG)
        self.pdf = _Pdf()

    def font_for(self, face: Face) -> _FontUse:
        key = (face.path, face.index, face.family, face.bold)
        if key not in self.fonts:
            name = face.family.replace(" ", "-") + ("-Bold" if face.bold else "")
            use = self.fonts[key] = _FontUse(face, name)
            use.ref = self.pdf.reserve()
            use.res = f"F{len(self.fonts)}"
        return self.fonts[key]

    def shape(self, run: Text) -> Pieces:
        """The run as pieces of one font each: (font, [(glyph id, character, pen x)])."""
        main = role_face(run.role)
        pieces: Pieces = []
        for i, ch in enumerate(run.text):
            face, gid = main, main.glyph(ch)
            if gid is None:
                second = fallback_face(run.role)
                g2 = second.glyph(ch) if second is not None else None
                if second is not None and g2 is not None:
                    face, gid = second, g2
            use = self.font_for(face)
            if gid is None:  # no face has it: .notdef, under a code of its own that extracts as the character
                if ch not in use.missing:
                    use.missing[ch] = face.glyph_count + len(use.missing)
                gid = -1 - list(use.missing).index(ch)
            elif gid not in use.gids:
                use.gids[gid] = ch
            if not pieces or pieces[-1][0] is not use:
                pieces.append((use, []))
            pieces[-1][1].append((gid, ch, run.xs[i]))
        return pieces


def _colour(c: tuple[float, float, float]) -> bytes:
    return f"{_num(c[0])} {_num(c[1])} {_num(c[2])} rg".encode()


def draw(pages: list[list[Elem]], *, identity: str, meta: dict[str, str], lang: str = "zh-CN") -> bytes:
    """The PDF/A-2b file of the drawn pages; `meta`: title, author, description, keywords,
    generator, created and modified as the content's <head> says them."""
    d = _Drawer()
    pdf = d.pdf
    catalog = pdf.reserve()
    pages_ref = pdf.reserve()
    page_refs = [pdf.reserve() for _ in pages]
    document = _Node("Document")
    runs_later: list[tuple[_Page, int, Runs]] = []
    out_pages: list[_Page] = []
    for index, elems in enumerate(pages):
        page = _Page()
        out_pages.append(page)
        for elem in elems:
            _emit(d, page, index, elem, document, runs_later)
    uses = list(d.fonts.values())
    pages_used = _unicode_pages(uses)
    spare = _spare_codes(pages_used)
    for use in uses:
        use.finish(spare)
    # the text, now that each font's codes are known
    states: dict[int, _TextState] = {}
    for page, slot, runs in runs_later:  # in the order of the content: each state set only when it changes
        page.ops[slot] = _text_object(runs, states.setdefault(id(page), _TextState()))
    resources_fonts = b" ".join(b"/%s %d 0 R" % (u.res.encode(), u.ref) for u in d.fonts.values())
    images = b" ".join(b"/Im%d %d 0 R" % (k + 1, ref) for k, (ref, _) in enumerate(d.images))
    resources = pdf.add(
        b"<< /ProcSet [/PDF /Text /ImageB] /Font << "
        + resources_fonts
        + b" >>"
        + (b" /XObject << " + images + b" >>" if images else b"")
        + b" >>"
    )
    for ref, png in d.images:
        _image_object(pdf, ref, png)
    shared = 0
    if any(u.unicode for u in uses):  # one ToUnicode for every font whose codes are its characters'
        extra = sorted((c, t) for u in uses for c, t in u.extra.items())
        shared = pdf.add_stream(b"", _to_unicode(extra, sorted(pages_used)))
    for use in uses:
        _font_objects(pdf, use, shared)
    # structure tree
    struct_root = pdf.reserve()
    parent_tree: list[list[int]] = [[] for _ in pages]
    _number(pdf, document)
    _write_struct(pdf, document, struct_root, page_refs, parent_tree)
    for index, page in enumerate(out_pages):
        content = pdf.add_stream(b"", b"\n".join(page.ops))
        pdf.put(
            page_refs[index],
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources %d 0 R /Contents %d 0 R"
            b" /StructParents %d /Tabs /S >>"
            % (pages_ref, _num(PAGE_W).encode(), _num(PAGE_H).encode(), resources, content, index),
        )
    nums = b" ".join(b"%d [%s]" % (i, b" ".join(b"%d 0 R" % n for n in refs)) for i, refs in enumerate(parent_tree))
    parent_tree_ref = pdf.add(b"<< /Nums [" + nums + b"] >>")
    pdf.put(
        struct_root,
        b"<< /Type /StructTreeRoot /K [%d 0 R] /ParentTree %d 0 R /ParentTreeNextKey %d >>"
        % (document.num, parent_tree_ref, len(pages)),
    )
    pdf.put(
        pages_ref,
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % r for r in page_refs) + b"] /Count %d >>" % len(pages),
    )
    # an outline entry for the title, as a reader's bookmarks show it
    outlines = b""
    title = meta.get("title", "")
    h1 = next((e for e in document.kids if isinstance(e, _Node) and e.tag == "H1"), None)
    if title and h1 is not None:
        root_ref = pdf.reserve()
        top = next((r.top for r in _texts_of(pages[0]) if r.size >= 22 * 0.5 and r.role == "xiaobiaosong"), 0.0)
        item = pdf.add(
            b"<< /Title "
            + _text_string(title)
            + b" /Parent %d 0 R /Dest [%d 0 R /XYZ 0 %s 0] >>" % (root_ref, page_refs[0], _num(PAGE_H - top).encode())
        )
        pdf.put(root_ref, b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count 1 >>" % (item, item))
        outlines = b" /Outlines %d 0 R" % root_ref
    icc = _srgb_icc()
    icc_ref = pdf.add_stream(b"/N 3 ", icc)
    xmp_ref = pdf.add_stream(b"/Type /Metadata /Subtype /XML ", _xmp(meta))
    pdf.put(
        catalog,
        b"<< /Type /Catalog /Pages %d 0 R" % pages_ref
        + outlines
        + b" /Lang "
        + _text_string(lang)
        + b" /StructTreeRoot %d 0 R /MarkInfo << /Marked true >> /ViewerPreferences << /DisplayDocTitle true >>"
        % struct_root
        + b" /OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier "
        b"(IEC 61966-2-1 Default RGB Colour Space - sRGB) /Info (IEC 61966-2-1 Default RGB Colour Space - sRGB)"
        b" /DestOutputProfile %d 0 R >>] /Metadata %d 0 R >>" % (icc_ref, xmp_ref),
    )
    info = pdf.add(_info(meta))
    identifier = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32].encode()
    return pdf.write(catalog, info, identifier)


def _texts_of(elems: list[Elem]) -> list[Text]:
    out: list[Text] = []
    for e in elems:
        for k in e.kids:
            if isinstance(k, Text):
                out.append(k)
            elif isinstance(k, Elem):
                out.extend(_texts_of([k]))
    return out


def _emit(d: _Drawer, page: _Page, index: int, elem: Elem, parent: _Node, later: list[tuple[_Page, int, Runs]]) -> None:
    if elem.tag in ("Artifact", "Pagination"):
        page.ops.append(b"/Artifact <</Type /Pagination>> BDC" if elem.tag == "Pagination" else b"/Artifact BMC")
        rects = [k for k in elem.kids if isinstance(k, Rect) and k.hole is None]
        for colour in dict.fromkeys(r.color for r in rects):  # plain rules of one colour: one path
            page.ops.append(
                b"q "
                + _colour(colour)
                + b" "
                + b" ".join(_rect(r.x, r.y, r.w, r.h) for r in rects if r.color == colour)
                + b" f Q"
            )
        for kid in elem.kids:
            if not (isinstance(kid, Rect) and kid.hole is None):
                _draw(d, page, kid, later)
        page.ops.append(b"EMC")
        return
    node = _Node(elem.tag, alt=elem.alt, page=index)
    parent.kids.append(node)
    drawn = [k for k in elem.kids if not isinstance(k, Elem)]
    if drawn:
        mcid = len(page.mcids)
        page.mcids.append(0)
        node.kids.append((index, mcid))
        page.ops.append(b"/%s <</MCID %d>> BDC" % (elem.tag.encode(), mcid))
        texts = [k for k in drawn if isinstance(k, Text) and k.text]
        if texts and len(texts) == len(drawn):  # lines of text only: one text object
            page.ops.append(b"")
            later.append((page, len(page.ops) - 1, [(t, d.shape(t)) for t in texts]))
        else:
            for kid in drawn:
                _draw(d, page, kid, later)
        page.ops.append(b"EMC")
    for kid in elem.kids:
        if isinstance(kid, Elem):
            _emit(d, page, index, kid, node, later)


def _draw(d: _Drawer, page: _Page, kid: object, later: list[tuple[_Page, int, Runs]]) -> None:
    if isinstance(kid, Text):
        if kid.text:
            page.ops.append(b"")
            later.append((page, len(page.ops) - 1, [(kid, d.shape(kid))]))
    elif isinstance(kid, Rect):
        ops = [_colour(kid.color), _rect(kid.x, kid.y, kid.w, kid.h)]
        if kid.hole is not None:
            ops.append(_rect(*kid.hole))
            ops.append(b"f*")
        else:
            ops.append(b"f")
        page.ops.append(b"q " + b" ".join(ops) + b" Q")
    elif isinstance(kid, Image):
        ref = d.pdf.reserve()
        d.images.append((ref, kid.png))
        name = b"/Im%d" % len(d.images)
        page.ops.append(
            b"q %s 0 0 %s %s %s cm %s Do Q"
            % (
                _num(kid.w).encode(),
                _num(kid.h).encode(),
                _num(kid.x).encode(),
                _num(PAGE_H - kid.y - kid.h).encode(),
                name,
            )
        )
    else:
        raise RenderError("通知书中有无法绘制的内容", f"the notice holds something the PDF drawer cannot draw: {kid!r}")


def _rect(x: float, y: float, w: float, h: float) -> bytes:
    return f"{_num(x)} {_num(PAGE_H - y - h)} {_num(w)} {_num(h)} re".encode()


@dataclass
class _TextState:
    """What a page's content has set so far (colour, font, character spacing persist between text objects)."""

    colour: tuple[float, float, float] | None = None
    font: bytes = b""
    tc: str = "0"


def _text_object(runs: Runs, state: _TextState) -> bytes:
    """BT … ET of lines of text: each piece of a line in its font, every glyph at its pen position.
    Lines start with Td (moves in units of 1/10000 pt, counted exactly); the spacing most glyphs of
    a piece share is its character spacing (Tc); TJ numbers move the others (in tenths of 1/1000 em,
    the rounding carried on so that no position drifts)."""
    ops = [b"BT"]
    at = (0, 0)  # the line start (Tlm) in 1/10000 pt
    for run, pieces in runs:
        if state.colour != run.color:
            ops.append(_colour(run.color))
            state.colour = run.color
        main = role_face(run.role)
        # the baseline where CSS puts it in the line box: half the leading, then the face's ascent
        baseline = run.top + (run.height - (main.ascent + main.descent) * run.size) / 2 + main.ascent * run.size
        y = round((PAGE_H - baseline) * 10000)
        for use, glyphs in pieces:
            font = b"/%s %s Tf" % (use.res.encode(), _num(run.size).encode())
            if state.font != font:
                ops.append(font)
                state.font = font
            x = round(glyphs[0][2] * 10000)
            ops.append(b"%s %s Td" % (_num((x - at[0]) / 10000).encode(), _num((y - at[1]) / 10000).encode()))
            at = (x, y)
            width, scale = use.face.width, 1000 / run.size
            gaps = [
                (glyphs[j + 1][2] - glyphs[j][2]) * scale - width(max(glyphs[j][0], 0)) for j in range(len(glyphs) - 1)
            ]
            common = Counter(round(g, 1) for g in gaps).most_common(1)
            tc = _num(common[0][0] * run.size / 1000) if common and common[0][1] >= 3 else "0"
            if state.tc != tc:
                ops.append(tc.encode() + b" Tc")
                state.tc = tc
            base = float(tc) * scale  # what Tc moves each glyph, in thousandths of the em
            parts = bytearray(b"[<")
            carry = 0.0
            for j, (gid, ch, _x) in enumerate(glyphs):
                parts += b"%04x" % (use.missing[ch] if gid < 0 else use.code_of(gid))
                if j < len(gaps):
                    exact = base - gaps[j] + carry
                    adjust = round(exact, 1)
                    carry = exact - adjust
                    if adjust:
                        parts += b">" + (b"%d" % adjust if adjust == int(adjust) else b"%.1f" % adjust) + b"<"
            parts += b">] TJ"
            ops.append(bytes(parts))
    ops.append(b"ET")
    return b" ".join(ops)


def _image_object(pdf: _Pdf, ref: int, png: bytes) -> None:
    """A 1-bit grey PNG as an image XObject: its IDAT data as they are (Flate with PNG predictors)."""
    import struct

    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise RenderError("二维码图片不是 PNG", "the QR code image is not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        chunk = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    if header is None or header[2:5] != (1, 0, 0) or header[6] != 0:
        raise RenderError("二维码图片须为 1 位灰度 PNG", "the QR code image must be a 1-bit grey PNG")
    width, height = header[0], header[1]
    pdf.put(
        ref,
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1"
        b" /Interpolate false /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent 1"
        b" /Columns %d >> /Length %d >>" % (width, height, width, len(idat)),
        bytes(idat),
    )


def _number(pdf: _Pdf, node: _Node) -> None:
    node.num = pdf.reserve()
    for kid in node.kids:
        if isinstance(kid, _Node):
            _number(pdf, kid)


def _write_struct(pdf: _Pdf, node: _Node, parent: int, page_refs: list[int], tree: list[list[int]]) -> None:
    kids = []
    for kid in node.kids:
        if isinstance(kid, _Node):
            kids.append(b"%d 0 R" % kid.num)
            _write_struct(pdf, kid, node.num, page_refs, tree)
        else:
            index, mcid = kid
            while len(tree[index]) <= mcid:
                tree[index].append(0)
            tree[index][mcid] = node.num
            kids.append(b"%d" % mcid)
    body = b"<< /S /%s /P %d 0 R" % (node.tag.encode(), parent)  # (/Type /StructElem is optional)
    if any(not isinstance(k, _Node) for k in node.kids):  # marked content on a page: that page
        body += b" /Pg %d 0 R" % page_refs[node.page]
    if node.alt is not None:
        body += b" /Alt " + _text_string(node.alt)
    if node.tag == "TH":
        body += b" /A << /O /Table /Scope /Column >>"
    body += b" /K [" + b" ".join(kids) + b"] >>"
    pdf.put(node.num, body)


SRGB_PRIMARIES = (  # sRGB's colorants adapted to D50 (Bradford), as in IEC 61966-2-1's own profile
    (0.4360657, 0.2224884, 0.0139160),
    (0.3851471, 0.7168732, 0.0970764),
    (0.1430664, 0.0606079, 0.7140961),
)
D50 = (0.9642029, 1.0, 0.8249054)


@lru_cache(maxsize=1)
def _srgb_icc() -> bytes:
    """The output intent's profile: sRGB (IEC 61966-2-1) as a compact ICC v2 display profile, made
    here — D50-adapted colorants, the sRGB tone curve sampled at 64 points (linear between them, as
    every colour engine reads a 'curv'), 0.6 KB where the ICC's own sRGB2014.icc is 3 KB."""
    import struct

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(v: tuple[float, float, float]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)

    def srgb(x: float) -> float:
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    points = 64
    curve = b"curv\0\0\0\0" + struct.pack(">I", points)
    curve += b"".join(struct.pack(">H", round(srgb(i / (points - 1)) * 65535)) for i in range(points))
    name = b"sRGB IEC61966-2.1 (compact)"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(name) + 1) + name + b"\0" + bytes(4 + 4 + 2 + 1 + 67)
    cprt = b"text\0\0\0\0No copyright, use freely\0"
    tags = [
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", xyz(D50)),
        (b"rXYZ", xyz(SRGB_PRIMARIES[0])),
        (b"gXYZ", xyz(SRGB_PRIMARIES[1])),
        (b"bXYZ", xyz(SRGB_PRIMARIES[2])),
        (b"rTRC", curve),
    ]
    table_size = 4 + 12 * (len(tags) + 2)
    offset = 128 + table_size
    entries, data = [], bytearray()
    for sig, body in tags:
        entries.append(sig + struct.pack(">II", offset + len(data), len(body)))
        data += body + bytes(-len(body) % 4)
    trc = entries[-1][4:]
    entries += [b"gTRC" + trc, b"bTRC" + trc]  # one tone curve for the three channels
    size = 128 + table_size + len(data)
    header = (
        struct.pack(">I", size)
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(4 + 4 + 4 + 4 + 8)
        + struct.pack(">I", 0)
        + b"".join(s15(c) for c in D50)
        + bytes(4 + 16 + 28)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(entries)) + b"".join(entries) + bytes(data)


def _pdf_date(text: str) -> str:
    """A W3C date-time (2026-01-01T00:00:00Z) as a PDF date (D:20260101000000Z)."""
    import datetime as dt

    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    out = when.strftime("D:%Y%m%d%H%M%S")
    offset = when.utcoffset()
    if offset is None or not offset:
        return out + "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return out + f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _producer() -> str:
    from zzcbec_docs import __version__

    return f"zzcbec-docs {__version__}"


def _keywords(meta: dict[str, str]) -> str:
    return ", ".join(k.strip() for k in meta.get("keywords", "").split(",") if k.strip())


def _info(meta: dict[str, str]) -> bytes:
    parts = [b"/Producer " + _text_string(_producer())]
    for key, name in (("title", b"Title"), ("author", b"Author"), ("description", b"Subject")):
        if meta.get(key):
            parts.append(b"/" + name + b" " + _text_string(meta[key]))
    if _keywords(meta):
        parts.append(b"/Keywords " + _text_string(_keywords(meta)))
    if meta.get("generator"):
        parts.append(b"/Creator " + _text_string(meta["generator"]))
    for key, name in (("created", b"CreationDate"), ("modified", b"ModDate")):
        if meta.get(key):
            parts.append(b"/" + name + b" " + _text_string(_pdf_date(meta[key])))
    return b"<< " + b" ".join(parts) + b" >>"


def _xmp(meta: dict[str, str]) -> bytes:
    """The XMP packet: PDF/A-2b's identification and the same facts as the document information."""

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def quoteattr(text: str) -> str:
        return '"' + escape(text).replace('"', "&quot;") + '"'

    def desc(inner: str) -> str:
        return f'<rdf:Description rdf:about="">{inner}</rdf:Description>'

    parts = [
        '<rdf:Description rdf:about="" pdfaid:part="2" pdfaid:conformance="B" />',
        f'<rdf:Description rdf:about="" pdf:Producer={quoteattr(_producer())} />',
    ]
    if meta.get("title"):
        parts.append(
            desc(
                f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(meta["title"])}</rdf:li></rdf:Alt></dc:title>'
            )
        )
    if meta.get("author"):
        parts.append(desc(f"<dc:creator><rdf:Seq><rdf:li>{escape(meta['author'])}</rdf:li></rdf:Seq></dc:creator>"))
    if meta.get("description"):
        parts.append(
            desc(
                '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
                f"{escape(meta['description'])}</rdf:li></rdf:Alt></dc:description>"
            )
        )
    if _keywords(meta):
        parts.append(desc(f"<pdf:Keywords>{escape(_keywords(meta))}</pdf:Keywords>"))
    if meta.get("generator"):
        parts.append(desc(f"<xmp:CreatorTool>{escape(meta['generator'])}</xmp:CreatorTool>"))
    if meta.get("created"):
        parts.append(desc(f"<xmp:CreateDate>{escape(meta['created'])}</xmp:CreateDate>"))
    if meta.get("modified"):
        parts.append(desc(f"<xmp:ModifyDate>{escape(meta['modified'])}</xmp:ModifyDate>"))
    rdf = (
        '<rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
        'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">' + "".join(parts) + "</rdf:RDF>"
    )
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        + rdf
        + '\n</x:xmpmeta>\n<?xpacket end="r"?>'
    ).encode("utf-8")


def warm() -> None:
    """The faces a notice draws with, open (and the layout's advances read): a worker's head start."""
    from zzcbec_docs.documents import fixed_form

    for role in ("fangsong", "xiaobiaosong", "heiti", "songti"):
        role_face(role)
        fixed_form.advance("一", 16.0, role)
    _srgb_icc()


def notice_pdf(html: str, identity: str) -> bytes:
    """The notice's PDF from its content (the HTML the DOCX is made from too)."""
    from zzcbec_docs.documents.fixed_form import NoticeLayout, drawing

    layout = NoticeLayout(html)
    meta: dict[str, str] = {}
    lang = "zh-CN"
    if layout.head is not None:
        for el in layout.head.elements():
            if el.tag == "meta" and el.attrs.get("name"):
                key = el.attrs["name"].replace("dcterms.", "")
                meta.setdefault(key, el.attrs.get("content", ""))
            elif el.tag == "title":
                meta["title"] = el.text().strip()
    return draw(drawing(layout), identity=identity, meta=meta, lang=lang)
