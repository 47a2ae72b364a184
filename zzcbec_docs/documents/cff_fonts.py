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
