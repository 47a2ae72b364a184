"""CID-keyed CFF faces in the PDF: the same glyphs in every viewer, and only the glyphs used.

WeasyPrint draws text with Identity-H codes equal to glyph ids and embeds an OpenType/CFF face
(FontFile3 /OpenType) subset with its glyph ids kept, the unused ones left as empty slots. For a
CID-keyed CFF face — Fandol, Noto CJK, most Chinese OpenType faces — viewers disagree on what a
code means: Acrobat, Preview and Ghostscript look the code up as a CID in the face's charset,
poppler and PDFium take it as a glyph id (see fschutt/printpdf#281, which met the same split).
Where CID and glyph id differ, one family of viewers draws the wrong characters.

Here such a face is embedded as a bare CID-keyed CFF program (FontFile3 /CIDFontType0C), cut to the
glyphs the document uses, renumbered densely, with a charset that gives each glyph the code the
page uses for it as its CID. For a bare CID-keyed program every viewer reads the charset, so they
all draw the same glyph, and the empty slots are gone (the notice: 132.8 KB → 90 KB).

The working copies of fonts.py have CID = glyph id already, so HarfBuzz's dense subset (which keeps
each glyph's CID) is the answer as it comes; a face whose charset is not the identity gets its
subset's charset rewritten with fontTools (a few milliseconds for a document's glyphs). Name-keyed
CFF and TrueType faces are left to WeasyPrint: their codes are glyph ids for every viewer.

WeasyPrint is taught this by the patches "weasyprint-cid-cff" and "weasyprint-face-bytes" of
patches.py (where every patch to a library is, checked against its version); here is what they call.

At the end, on_grid: a charstring's points on a coarser grid, which fonts.py applies to the working
copies' outlines once (a notice's bytes are nearly all glyphs; issue 20, point 4).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

BARE_CFF = b"\x01\x00\x04"  # CFF header: major 1, minor 0, header size 4


def is_bare_cff(data: bytes) -> bool:
    """Whether `data` is a bare CFF program (version 1.0, 4-byte header), not an OpenType file."""
    return data[:3] == BARE_CFF


_kinds: dict[tuple[int, int, bytes, bytes, bytes], str] = {}


def charset_kind(data: bytes, index: int) -> str:
    """What kind of face this is (see face_kind); read once per face and process, known again by
    size and samples."""
    mid = len(data) // 2
    key = (len(data), index, data[:4096], data[mid : mid + 4096], data[-4096:])
    if key not in _kinds:
        _kinds[key] = face_kind(data, index)
    return _kinds[key]


def face_kind(data: bytes, index: int) -> str:
    """'identity' (CID-keyed CFF, CID = glyph id), 'cid' (CID-keyed, other CIDs), 'name' (name-keyed
    CFF) or 'other' (TrueType outlines, or nothing this reader takes), read from the OpenType file's
    bytes (face `index` of a collection) without fontTools."""
    try:
        cff = cff_table(data, index)
        if cff is None:
            return "other"
        top = top_dict(cff)
        if (12, 30) not in top:  # no ROS
            return "name"
        return (
            "identity" if charset_is_identity(cff, int(top[(15,)][0]), glyph_count(cff, int(top[(17,)][0]))) else "cid"
        )
    except (struct.error, IndexError, KeyError, ValueError):  # not a CFF fontTools or HarfBuzz would take
        return "other"


def cff_table(data: bytes, index: int) -> memoryview | None:
    """The 'CFF ' table of an OpenType face (face `index` of a collection), not copied."""
    offset = 0
    if data[:4] == b"ttcf":
        offset = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    if data[offset : offset + 4] != b"OTTO":
        return None
    (tables,) = struct.unpack_from(">H", data, offset + 4)
    for i in range(tables):
        tag, _checksum, start, length = struct.unpack_from(">4sIII", data, offset + 12 + 16 * i)
        if tag == b"CFF ":
            return memoryview(data)[start : start + length]
    return None


def cff_index(cff: memoryview, pos: int) -> tuple[list[memoryview], int]:
    """The items of the CFF INDEX at `pos`, and where it ends."""
    (count,) = struct.unpack_from(">H", cff, pos)
    if count == 0:
        return [], pos + 2
    size = cff[pos + 2]
    offsets = [int.from_bytes(cff[pos + 3 + i * size : pos + 3 + (i + 1) * size], "big") for i in range(count + 1)]
    base = pos + 3 + (count + 1) * size - 1
    return [cff[base + offsets[i] : base + offsets[i + 1]] for i in range(count)], base + offsets[-1]


Operator = tuple[int, ...]  # a DICT operator: (b,), or (12, b) for the two-byte ones


def dict_entries(raw: memoryview | bytes) -> list[tuple[Operator, bytes, list[float]]]:
    """A CFF DICT's entries in order: operator, its operands' bytes as written, their values (a
    real's value is read as 0.0: no offset or count is a real)."""
    out: list[tuple[Operator, bytes, list[float]]] = []
    operands: list[float] = []
    i = start = 0
    while i < len(raw):
        b = raw[i]
        if b <= 21:
            op = (12, raw[i + 1]) if b == 12 else (b,)
            out.append((op, bytes(raw[start:i]), operands))
            i += 2 if b == 12 else 1
            operands, start = [], i
        elif b == 28:
            operands.append(struct.unpack_from(">h", raw, i + 1)[0])
            i += 3
        elif b == 29:
            operands.append(struct.unpack_from(">i", raw, i + 1)[0])
            i += 5
        elif b == 30:  # a real: nibbles up to 0xf
            i += 1
            while raw[i] & 0x0F != 0x0F and raw[i] >> 4 != 0x0F:
                i += 1
            i += 1
            operands.append(0.0)
        elif b <= 246:
            operands.append(b - 139)
            i += 1
        elif b <= 250:
            operands.append((b - 247) * 256 + raw[i + 1] + 108)
            i += 2
        else:
            operands.append(-(b - 251) * 256 - raw[i + 1] - 108)
            i += 2
    return out


def top_dict(cff: memoryview) -> dict[Operator, list[float]]:
    """The first Top DICT: operator → operands (operators of two bytes as (12, b))."""
    _names, end = cff_index(cff, cff[2])
    tops, _ = cff_index(cff, end)
    return {op: values for op, _raw, values in dict_entries(tops[0])}


def glyph_count(cff: memoryview, charstrings: int) -> int:
    """The number of glyphs: the count of the CharStrings INDEX at `charstrings` (the Top DICT's operator 17)."""
    return int(struct.unpack_from(">H", cff, charstrings)[0])


def charset_is_identity(cff: memoryview, pos: int, glyphs: int) -> bool:
    """Whether glyph n has CID n for every glyph (charset formats 0, 1 and 2)."""
    if pos <= 2:  # a predefined charset: not a CID font's
        return False
    fmt, pos, expected = cff[pos], pos + 1, 1
    while expected < glyphs:
        if fmt == 0:
            (cid,) = struct.unpack_from(">H", cff, pos)
            count, pos = 1, pos + 2
        else:
            cid, count = struct.unpack_from(">HB" if fmt == 1 else ">HH", cff, pos)
            count, pos = count + 1, pos + (3 if fmt == 1 else 4)
        if cid != expected:
            return False
        expected += count
    return expected == glyphs


def _dense_subset(font: Any, glyph_ids: list[int], hinting: bool) -> bytes | None:
    """The face's CFF table cut to `glyph_ids` (and .notdef), glyphs renumbered densely in that order."""
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    if not harfbuzz_subset or not harfbuzz.hb_version_atleast(4, 1, 0):  # no libharfbuzz-subset: WeasyPrint's way
        return None
    plan = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    glyphs = harfbuzz_subset.hb_subset_input_glyph_set(plan)
    array = ffi.new(f"hb_codepoint_t[{len(glyph_ids)}]", glyph_ids)
    harfbuzz.hb_set_add_sorted_array(glyphs, array, len(glyph_ids))
    flags = harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    if font.missing:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
    harfbuzz_subset.hb_subset_input_set_flags(plan, flags)
    face = harfbuzz_subset.hb_subset_or_fail(font.hb_face, plan)
    if face == ffi.NULL:
        return None
    face = ffi.gc(face, harfbuzz.hb_face_destroy)
    blob = harfbuzz.hb_face_reference_table(face, harfbuzz.hb_tag_from_string(b"CFF ", -1))
    length = ffi.new("unsigned int *")
    data = bytes(ffi.buffer(harfbuzz.hb_blob_get_data(blob, length), length[0]))
    harfbuzz.hb_blob_destroy(blob)
    return data if is_bare_cff(data) else None


def _int5(v: int) -> bytes:
    """A DICT integer in its 5-byte form: an offset written before it is known keeps its size."""
    return b"\x1d" + struct.pack(">i", v)


def _dict_bytes(entries: list[tuple[Operator, bytes, list[float]]], replace: dict[Operator, bytes]) -> bytes:
    out = bytearray()
    for op, raw, _values in entries:
        out += replace.get(op, raw) + (bytes(op) if op[0] == 12 else bytes(op))
    return bytes(out)


def _index_bytes(items: list[bytes]) -> bytes:
    """A CFF INDEX of the items (its offsets count from the INDEX itself: its size is known before its place)."""
    if not items:
        return b"\x00\x00"
    offsets = [1]
    for item in items:
        offsets.append(offsets[-1] + len(item))
    size = (offsets[-1].bit_length() + 7) // 8
    return struct.pack(">HB", len(items), size) + b"".join(o.to_bytes(size, "big") for o in offsets) + b"".join(items)


def _fd_select(cff: memoryview, pos: int, glyphs: int) -> list[int]:
    """The Font DICT of each glyph (FDSelect formats 0 and 3)."""
    if cff[pos] == 0:
        return list(cff[pos + 1 : pos + 1 + glyphs])
    (ranges,) = struct.unpack_from(">H", cff, pos + 1)
    out: list[int] = []
    for r in range(ranges):
        first, fd = struct.unpack_from(">HB", cff, pos + 3 + 3 * r)
        (nxt,) = struct.unpack_from(">H", cff, pos + 3 + 3 * (r + 1))
        out += [fd] * (nxt - first)
    return out[:glyphs]


def with_cids(cff: bytes, cids: list[int]) -> bytes:
    """The bare CID-keyed CFF program with glyph n given the CID cids[n] (cids[0] = 0, .notdef; all
    different, below 65,536), its glyphs put in the order of their CIDs. Rebuilt from the program's
    own parts, without fontTools: the Top DICT (charset, CharStrings, FDSelect, FDArray, CIDCount),
    the Font DICTs' Private offsets, a format-0 charset and FDSelect; charstrings, Private DICTs and
    their subroutines are copied as they are."""
    view = memoryview(cff)
    names, end = cff_index(view, view[2])
    tops, end = cff_index(view, end)
    strings, end = cff_index(view, end)
    gsubrs, _ = cff_index(view, end)
    top = dict_entries(tops[0])
    ops = {op: values for op, _raw, values in top}
    if (12, 30) not in ops or (12, 36) not in ops or (12, 37) not in ops:
        raise ValueError("not a CID-keyed CFF program")
    charstrings, _ = cff_index(view, int(ops[(17,)][0]))
    glyphs = len(charstrings)
    if len(cids) != glyphs or cids[0] != 0 or len(set(cids)) != glyphs or max(cids) > 0xFFFF:
        raise ValueError("one CID below 65,536 for each glyph, .notdef's 0")
    fds = _fd_select(view, int(ops[(12, 37)][0]), glyphs)
    order = sorted(range(glyphs), key=cids.__getitem__)
    fd_dicts, _ = cff_index(view, int(ops[(12, 36)][0]))
    privates: list[bytes] = []  # each Font DICT's Private DICT with its local subroutines after it
    fd_entries = []
    for raw in fd_dicts:
        entries = dict_entries(raw)
        fd_entries.append(entries)
        private = {op: values for op, _r, values in entries}.get((18,))
        if not private:
            privates.append(b"")
            continue
        size, at = int(private[0]), int(private[1])
        block = bytes(view[at : at + size])
        subrs = {op: values for op, _r, values in dict_entries(block)}.get((19,))
        if subrs:
            _, subrs_end = cff_index(view, at + int(subrs[0]))
            block = bytes(view[at:subrs_end])
        privates.append(block)
    # the parts in their order: header, Name, Top DICT, String, Global Subr INDEX, charset, FDSelect,
    # CharStrings, FDArray, Private DICTs; every offset in a DICT is a 5-byte integer
    if (12, 34) not in ops:  # CIDCount, 8720 unless said
        top.append(((12, 34), _int5(8720), [8720]))
    offsets: list[Operator] = [(15,), (17,), (12, 36), (12, 37), (12, 34)]
    placeholder: dict[Operator, bytes] = {op: _int5(0) for op in offsets}
    head = bytes(view[: view[2]]) + _index_bytes([bytes(n) for n in names])
    top_size = len(_index_bytes([_dict_bytes(top, placeholder)]))
    tail = _index_bytes([bytes(x) for x in strings]) + _index_bytes([bytes(x) for x in gsubrs])
    charset = b"\x00" + b"".join(struct.pack(">H", cids[g]) for g in order[1:])
    fd_select = b"\x00" + bytes(fds[g] for g in order)
    strings_index = _index_bytes([bytes(charstrings[g]) for g in order])
    at_charset = len(head) + top_size + len(tail)
    at_fd_select = at_charset + len(charset)
    at_charstrings = at_fd_select + len(fd_select)
    at_fd_array = at_charstrings + len(strings_index)
    fd_placeholder = [_index_bytes([_dict_bytes(e, {(18,): _int5(0) + _int5(0)}) for e in fd_entries])]
    at = at_fd_array + len(fd_placeholder[0])
    fd_items = []
    for entries, block in zip(fd_entries, privates, strict=True):
        private_op = {op: values for op, _r, values in entries}.get((18,))
        moved: dict[Operator, bytes] = {(18,): _int5(int(private_op[0])) + _int5(at)} if private_op else {}
        fd_items.append(_dict_bytes(entries, moved))
        at += len(block)
    new_top = _dict_bytes(
        top,
        {
            (15,): _int5(at_charset),
            (17,): _int5(at_charstrings),
            (12, 36): _int5(at_fd_array),
            (12, 37): _int5(at_fd_select),
            (12, 34): _int5(max(int(ops.get((12, 34), [8720])[0]), max(cids) + 1)),
        },
    )
    out = head + _index_bytes([new_top]) + tail + charset + fd_select + strings_index
    return out + _index_bytes(fd_items) + b"".join(privates)


def charset_as_codes(cff: bytes, codes: list[int]) -> bytes:
    """The bare CID-keyed CFF program with glyph n renamed to CID codes[n]; the codes WeasyPrint
    gave to characters the face lacks come after every real glyph id, are not in it, and keep
    drawing .notdef."""
    glyphs = glyph_count(memoryview(cff), int(top_dict(memoryview(cff))[(17,)][0]))
    return with_cids(cff, codes[:glyphs])


def bare_cid_cff(font: Any, to_unicode: dict[int, str], hinting: bool) -> bytes | None:
    """The document's glyphs of a CID-keyed CFF face as a bare CFF program whose CIDs are the codes
    on the page; None for any other face (WeasyPrint subsets it as before)."""
    kind = getattr(font, "_zz_charset_kind", None)  # read from the face as loaded, before any subset
    if kind is None:
        cff_flavour = font.file_content[:4] in (b"OTTO", b"ttcf")  # an OpenType face, or a collection
        kind = font._zz_charset_kind = charset_kind(font.file_content, font.index) if cff_flavour else "other"
    if kind not in ("identity", "cid") or not to_unicode:
        return None
    codes = sorted({0, *to_unicode})
    cff = _dense_subset(font, codes, hinting)
    if cff is None:
        return None
    return cff if kind == "identity" else charset_as_codes(cff, codes)


_blobs: dict[tuple[int, int], bytes] = {}


def face_bytes(original: Callable[..., Any]) -> Callable[..., Any]:
    """WeasyPrint copies a face's whole file (5 MB for a Fandol working copy) for every font of every
    document. The file behind a face does not change while the face lives, so one copy per file
    serves them all: known by where HarfBuzz holds it, its length and its first and last bytes."""
    from weasyprint.text.ffi import ffi, harfbuzz

    def get_hb_object_data(hb_object: Any, ot_color: Any = None, glyph: Any = None) -> Any:
        if ot_color is not None:
            return original(hb_object, ot_color, glyph)
        blob = harfbuzz.hb_face_reference_blob(hb_object)
        try:
            length = ffi.new("unsigned int *")
            data = harfbuzz.hb_blob_get_data(blob, length)
            if data == ffi.NULL or length[0] < 256:
                return original(hb_object)
            size = int(length[0])
            key = (int(ffi.cast("uintptr_t", data)), size)
            known = _blobs.get(key)
            if (
                known is None
                or known[:128] != ffi.buffer(data, 128)[:]
                or known[-128:] != ffi.buffer(data + (size - 128), 128)[:]
            ):
                if len(_blobs) >= 16:  # a new font configuration loads its faces anew: forget the old
                    _blobs.clear()
                known = _blobs[key] = ffi.unpack(data, size)
            return known
        finally:
            harfbuzz.hb_blob_destroy(blob)

    return get_hb_object_data


# ------------------------------------------------------------------ outlines on a grid

# Type 2 charstring operators that draw (one byte, or (12, b) as 12 * 256 + b): which operands are
# x and which are y is known from the operator and the number of its operands (see _axes).
_RMOVETO, _HMOVETO, _VMOVETO, _ENDCHAR = 21, 22, 4, 14
_RLINETO, _HLINETO, _VLINETO, _RRCURVETO, _RCURVELINE, _RLINECURVE = 5, 6, 7, 8, 24, 25
_VVCURVETO, _HHCURVETO, _VHCURVETO, _HVCURVETO = 26, 27, 30, 31
_HFLEX, _FLEX, _HFLEX1, _FLEX1 = 3072 + 34, 3072 + 35, 3072 + 36, 3072 + 37  # 3072: 12 * 256
_X, _Y, _NOT = 0, 1, 2  # an operand is a dx, a dy, or neither (the width, flex's depth)
_XY = (_X, _Y)


def _curves(n: int, horizontal: bool) -> list[int] | None:
    """hvcurveto / vhcurveto: curves of 4 operands starting alternately horizontal and vertical, the
    last one with a fifth (its end point's other coordinate) when n is 4k + 1."""
    if n < 4 or n % 4 not in (0, 1):
        return None
    out: list[int] = []
    for _ in range(n // 4):
        out += [_X, _X, _Y, _Y] if horizontal else [_Y, _X, _Y, _X]
        horizontal = not horizontal
    if n % 4:
        out.append(_Y if horizontal else _X)  # the last curve's start was the other way round
    return out


def _axes(op: int, n: int) -> list[int] | None:
    """The axis of each of an operator's n operands (no width among them), or None where this is
    not a drawing operator with a count it takes (hints, subroutines, arithmetic, seac)."""
    if op == _RMOVETO:
        return [_X, _Y] if n == 2 else None
    if op in (_HMOVETO, _VMOVETO):
        return [_X if op == _HMOVETO else _Y] if n == 1 else None
    if op == _ENDCHAR:
        return [] if n == 0 else None
    if op in (_RLINETO, _RCURVELINE, _RLINECURVE):
        ok = n >= 2 and n % 2 == 0
        if op == _RCURVELINE:
            ok = ok and n >= 8 and (n - 2) % 6 == 0
        elif op == _RLINECURVE:
            ok = ok and n >= 8
        return [_XY[k % 2] for k in range(n)] if ok else None
    if op in (_HLINETO, _VLINETO):
        first = 0 if op == _HLINETO else 1
        return [_XY[(first + k) % 2] for k in range(n)] if n else None
    if op == _RRCURVETO:
        return [_XY[k % 2] for k in range(n)] if n and n % 6 == 0 else None
    if op in (_HHCURVETO, _VVCURVETO):
        if n < 4 or n % 4 not in (0, 1):
            return None
        if op == _HHCURVETO:  # dy1? {dxa dxb dyb dxc}+
            return ([_Y] if n % 4 else []) + [_X, _X, _Y, _X] * (n // 4)
        return ([_X] if n % 4 else []) + [_Y, _X, _Y, _Y] * (n // 4)  # vvcurveto: dx1? {dya dxb dyb dyc}+
    if op in (_HVCURVETO, _VHCURVETO):
        return _curves(n, op == _HVCURVETO)
    if op == _FLEX:
        return [_XY[k % 2] for k in range(12)] + [_NOT] if n == 13 else None
    if op == _HFLEX:
        return [_X, _X, _Y, _X, _X, _X, _X] if n == 7 else None
    if op == _HFLEX1:
        return [_X, _Y, _X, _Y, _X, _X, _X, _Y, _X] if n == 9 else None
    if op == _FLEX1:
        return [_XY[k % 2] for k in range(10)] + [_NOT] if n == 11 else None  # d6: its axis comes later
    return None


def _int_bytes(v: int) -> bytes:
    """A charstring integer operand in its shortest form."""
    if -107 <= v <= 107:
        return bytes((v + 139,))
    if 108 <= v <= 1131:
        return bytes((247 + ((v - 108) >> 8), (v - 108) & 0xFF))
    if -1131 <= v <= -108:
        return bytes((251 + ((-v - 108) >> 8), (-v - 108) & 0xFF))
    return b"\x1c" + struct.pack(">h", v)


_INTS: dict[float, bytes] = {v: _int_bytes(v) for v in range(-1131, 1132)}  # float: 12.0 finds 12


def on_grid(charstring: bytes, grid: int) -> bytes:
    """The Type 2 charstring with every point it draws moved to the nearest multiple of `grid` font
    units (in each axis, from the glyph's origin): the same operators, each delta the difference of
    two rounded points, so that no error adds up along a contour. A point moves by at most grid / 2.
    A charstring with anything else than drawing operators (hints, subroutine calls, arithmetic,
    seac) is kept as it is; so is one whose flex1 would read its last operand on the other axis
    once rounded, and one this cannot read to its end.

    For the working copies (fonts.OUTLINE_GRID): on a 1000-unit em and a grid of 4, a point moves by
    1/500 em at most (a thirtieth of a point in 16 pt text, a quarter of a 600-dpi printer's dot). The operands keep
    their count and mostly their size, but far fewer distinct deltas deflate to a fifth less:
    the FandolFang program of a seven-clause notice (202 glyphs) from 75.7 to 58.1 KB. Lossless
    ways found little: fontTools' specializer 0.2 %, a subroutinizer (cffsubr, compreffor) nothing
    (Fandol's outlines share no runs: the deflated program grew), zlib level 9 nothing.
    """
    if grid <= 1:
        return charstring
    try:
        out = _grid_program(charstring, grid)
    except (StopIteration, struct.error):  # cut short, or a point beyond the 16-bit range
        return charstring
    return charstring if out is None else out


_patterns: dict[tuple[int, int], tuple[int, ...] | None] = {}


def _pattern(op: int, n: int) -> tuple[int, ...] | None:
    key = (op, n)
    if key not in _patterns:
        axes = _axes(op, n)
        _patterns[key] = None if axes is None else tuple(axes)
    return _patterns[key]


def _operand_bytes(v: float) -> bytes:
    """An operand written again as it was read (a width, flex's depth): an integer, or 16.16 fixed."""
    return _int_bytes(v) if isinstance(v, int) else b"\xff" + struct.pack(">i", round(v * 65536))


def _grid_program(cs: bytes, grid: int) -> bytes | None:
    """on_grid's work: the new charstring, or None where it keeps the old one."""
    out = bytearray()
    vals: list[float] = []  # the operands since the last operator
    push = vals.append
    x: float = 0  # the current point, exact,
    y: float = 0
    sx: float = 0  # and on the grid
    sy: float = 0
    first = True  # the first stack-clearing operator may carry the width before its operands
    half = grid // 2
    ints = _INTS
    it = iter(cs)
    for b in it:
        if b >= 32:
            if b <= 246:
                push(b - 139)
            elif b <= 250:
                push((b - 247) * 256 + next(it) + 108)
            elif b <= 254:
                push(-(b - 251) * 256 - next(it) - 108)
            else:  # 255: a 16.16 fixed-point number
                push(int.from_bytes(bytes((next(it), next(it), next(it), next(it))), "big", signed=True) / 65536)
            continue
        if b == 28:
            push(int.from_bytes(bytes((next(it), next(it))), "big", signed=True))
            continue
        op = 3072 + next(it, -3072) if b == 12 else b  # 12 * 256 + the second byte
        n = len(vals)
        lead = 0
        if first:
            expected = _FIRST.get(op)
            if expected is None:
                return None  # a charstring starts with a moveto or endchar (hints: kept as they are)
            if n == expected + 1:
                lead = 1
                out += _operand_bytes(vals[0])
            first = False
        axes = _pattern(op, n - lead)
        if axes is None:
            return None
        if op < 3072:  # no operand but dx and dy ones
            for axis, v in zip(axes, vals[lead:] if lead else vals, strict=True):
                if axis:
                    y += v
                    q = (y + half) // grid * grid  # a float where a 16.16 operand came before
                    d, sy = q - sy, q
                else:
                    x += v
                    q = (x + half) // grid * grid
                    d, sx = q - sx, q
                out += ints.get(d) or _int_bytes(int(d))
            out.append(op)
        else:
            flex = _grid_flex(op, axes, vals[lead:], grid, (x, y, sx, sy))
            if flex is None:
                return None
            code, (x, y, sx, sy) = flex
            out += code
        vals.clear()
    return None if vals else bytes(out)  # operands after the last operator: not a charstring this reads


def _grid_flex(
    op: int, axes: tuple[int, ...], vals: list[float], grid: int, at: tuple[float, float, float, float]
) -> tuple[bytes, tuple[float, float, float, float]] | None:
    """A flex operator on the grid, from the current point `at` (exact x, y, then on the grid): its
    bytes and the point after it, whose y (hflex, hflex1; x or y for flex1) is the starting one
    again without an operand for it. None where flex1's rounded deltas would read d6 on the other
    axis than the exact ones."""
    half = grid // 2
    pos, snapped = [at[0], at[1]], [at[2], at[3]]
    if op == _FLEX1:  # d6 is dx6 where the first five points moved farther in x than in y, else dy6
        d6x = abs(sum(vals[0:10:2])) > abs(sum(vals[1:10:2]))
        axes = axes[:10] + ((_X,) if d6x else (_Y,))
    out = bytearray()
    for k, (axis, v) in enumerate(zip(axes, vals, strict=True)):
        if axis == _NOT:
            out += _operand_bytes(v)
            continue
        pos[axis] += v
        q = int((pos[axis] + half) // grid) * grid
        out += _int_bytes(int(q - snapped[axis]))
        snapped[axis] = q
        if op == _FLEX1 and k == 9 and (abs(snapped[0] - at[2]) > abs(snapped[1] - at[3])) != d6x:
            return None
    if op in (_HFLEX, _HFLEX1) or (op == _FLEX1 and d6x):  # back on the starting y
        pos[1], snapped[1] = at[1], at[3]
    elif op == _FLEX1:  # or x
        pos[0], snapped[0] = at[0], at[2]
    out += bytes((12, op - 3072))
    return bytes(out), (pos[0], pos[1], snapped[0], snapped[1])


_FIRST = {_RMOVETO: 2, _HMOVETO: 1, _VMOVETO: 1, _ENDCHAR: 0}  # operands of the first operator, width aside
