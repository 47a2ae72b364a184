"""The working copies' outlines on a grid of 1/250 em (issue 20, point 4: a notice's bytes are nearly
all glyphs): cff_fonts.on_grid moves every point a Type 2 charstring draws to the nearest multiple of
the grid, with the same operators, never more than half the grid from where it was; what it does
not read (hints, subroutines) it leaves as it is. Checked against fontTools' own charstring reader
on random programs that use every drawing operator, and on the Fandol working copies themselves."""

from __future__ import annotations

import random

import pytest

from zzcbec_docs.documents.cff_fonts import on_grid

GRID = 4  # a 1000-unit em on fonts.OUTLINE_GRID's 250


def _charstring(program: list):  # type: ignore[no-untyped-def, type-arg]
    from fontTools.cffLib import PrivateDict
    from fontTools.misc.psCharStrings import T2CharString

    private = PrivateDict()
    private.rawDict.update(nominalWidthX=0, defaultWidthX=0)
    return T2CharString(program=program, private=private)


def _drawn(bytecode: bytes) -> tuple[list, float]:  # type: ignore[type-arg]
    """What fontTools draws from the bytes: (operator, points) in order, and the width."""
    from fontTools.cffLib import PrivateDict
    from fontTools.misc.psCharStrings import T2CharString
    from fontTools.pens.recordingPen import RecordingPen

    private = PrivateDict()
    private.rawDict.update(nominalWidthX=0, defaultWidthX=0)
    charstring = T2CharString(bytecode=bytecode, private=private)
    pen = RecordingPen()
    charstring.draw(pen)
    return pen.value, charstring.width


def _bytes(program: list) -> bytes:  # type: ignore[type-arg]
    c = _charstring(program)
    c.compile()
    return bytes(c.bytecode)


def _random_program(rnd: random.Random) -> list:  # type: ignore[type-arg]
    def v() -> float:
        r = rnd.random()
        if r < 0.05:
            return rnd.choice([-1, 1]) * rnd.randint(1132, 3000)  # a 3-byte operand
        if r < 0.1:
            return rnd.randint(-4000, 4000) / 8  # a 16.16 fixed one
        return rnd.randint(-300, 300)

    counts = {
        "rlineto": lambda: 2 * rnd.randint(1, 4),
        "hlineto": lambda: rnd.randint(1, 5),
        "vlineto": lambda: rnd.randint(1, 5),
        "rrcurveto": lambda: 6 * rnd.randint(1, 3),
        "hhcurveto": lambda: 4 * rnd.randint(1, 3) + rnd.randint(0, 1),
        "vvcurveto": lambda: 4 * rnd.randint(1, 3) + rnd.randint(0, 1),
        "hvcurveto": lambda: 4 * rnd.randint(1, 4) + rnd.randint(0, 1),
        "vhcurveto": lambda: 4 * rnd.randint(1, 4) + rnd.randint(0, 1),
        "rcurveline": lambda: 6 * rnd.randint(1, 3) + 2,
        "rlinecurve": lambda: 2 * rnd.randint(1, 3) + 6,
        "flex": lambda: 12,
        "hflex": lambda: 7,
        "hflex1": lambda: 9,
        "flex1": lambda: 11,
    }
    program: list = [rnd.choice([600, 1000, 500.5])] if rnd.random() < 0.5 else []  # type: ignore[type-arg]
    for _ in range(rnd.randint(1, 3)):  # contours
        move = rnd.choice(["rmoveto", "hmoveto", "vmoveto"])
        program += [v() for _ in range(2 if move == "rmoveto" else 1)] + [move]
        for _ in range(rnd.randint(1, 6)):
            op = rnd.choice(list(counts))
            program += [v() for _ in range(counts[op]())] + ([50] if op == "flex" else []) + [op]
    return [*program, "endchar"]


def _assert_on_grid(before: bytes, after: bytes) -> None:
    (drawn, width), (moved, moved_width) = _drawn(before), _drawn(after)
    assert moved_width == width
    assert [op for op, _ in moved] == [op for op, _ in drawn]
    for (_, points), (_, new) in zip(drawn, moved, strict=True):
        for (x0, y0), (x1, y1) in zip(points, new, strict=True):
            assert x1 % GRID == 0 and y1 % GRID == 0, (x1, y1)
            assert abs(x1 - x0) <= GRID / 2 and abs(y1 - y0) <= GRID / 2, ((x0, y0), (x1, y1))


def test_every_drawing_operator_keeps_its_shape_with_its_points_on_the_grid():
    rnd = random.Random(20)
    kept = 0
    for _ in range(400):
        before = _bytes(_random_program(rnd))
        after = on_grid(before, GRID)
        if after == before:  # a flex1 whose rounded deltas read d6 on the other axis: left as it was
            kept += 1
            continue
        _assert_on_grid(before, after)
    assert kept < 20, kept


def test_hints_and_subroutine_calls_are_left_as_they_are():
    hinted = _bytes([10, 50, "hstem", 100, 100, "rmoveto", 300, "hlineto", "endchar"])
    calls = _bytes([100, 100, "rmoveto", 5, "callsubr", "endchar"])
    assert on_grid(hinted, GRID) == hinted and on_grid(calls, GRID) == calls
    plain = _bytes([101, 99, "rmoveto", 301, 3, "rlineto", "endchar"])
    assert on_grid(plain, 1) == plain
    assert _drawn(on_grid(plain, GRID))[0][:2] == [("moveTo", ((100, 100),)), ("lineTo", ((404, 104),))]


def test_the_fandol_working_copies_are_on_the_grid_with_their_metrics_and_characters():
    """Each Fandol face's working copy (as the documents embed it): every glyph's points on the
    grid, within half of it from the original face's, with the same advances and character map."""
    from fontTools.pens.recordingPen import DecomposingRecordingPen
    from fontTools.ttLib import TTFont

    from zzcbec_docs.documents import fonts

    for key in ("fangsong", "xiaobiaosong"):
        font = fonts.font_for(key)
        if font.source != "fandol":
            pytest.skip("needs the Fandol faces (make fonts)")
        copy = TTFont(fonts.working_copy(font))  # type: ignore[arg-type]
        original = TTFont(font.path)
        assert copy["head"].unitsPerEm == 1000 == fonts.OUTLINE_GRID * GRID
        ours, theirs = copy.getBestCmap(), original.getBestCmap()
        glyphs, source = copy.getGlyphSet(), original.getGlyphSet()
        for ch in "郑州市商务局关于给予奖励的通知第一条，0123456789：（）〔〕":
            assert copy["hmtx"][ours[ord(ch)]] == original["hmtx"][theirs[ord(ch)]], ch
            a, b = DecomposingRecordingPen(None), DecomposingRecordingPen(None)
            glyphs[ours[ord(ch)]].draw(a)
            source[theirs[ord(ch)]].draw(b)
            assert [op for op, _ in a.value] == [op for op, _ in b.value], ch
            for (_, new), (_, old) in zip(a.value, b.value, strict=True):
                for (x1, y1), (x0, y0) in zip(new, old, strict=True):
                    assert x1 % GRID == 0 and y1 % GRID == 0 and abs(x1 - x0) <= 2 and abs(y1 - y0) <= 2, ch
