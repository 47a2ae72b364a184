"""The award notice as the fixed form GB/T 9704-2012 draws, laid out here and handed to WeasyPrint
as placed lines (documents.md, "The notice's geometry").

A 公文 is a fixed form: a 22 × 28 grid, a 版头 at set distances, a 版记 on the last page's lower
edge. WeasyPrint's general layout (the cascade of a large stylesheet, line breaking that knows no
28-character grid, a table with collapsed borders, the 版记 as a footnote float, margin boxes for
the page numbers) cost most of a notice's time and still could not place the 版头 or the 版记 where
the standard puts them. Here the notice's content (the same HTML the DOCX is made from) is read,
every line is broken on the grid and every element given its page and position; WeasyPrint then
only shapes and draws absolutely placed blocks (a flat stylesheet of a few rules).

Positions (pt from the page's top-left; the 版心 is 156 × 225 mm at 28 mm / 37 mm), as GB/T 9704:

- §7.2.4 发文机关标志: centred, its upper edge 35 mm below the 版心's upper edge;
- §7.2.5 发文字号: 空二行 below the 标志 (two empty lines of the grid between them), centred;
- §7.2.7 the red 分隔线: 4 mm below the 文号, as wide as the 版心;
- §7.3.1 title: 空二行 under the rule, 2号小标宋, centred, lines broken between words (gongwen.py);
- §7.3.2 主送机关: 空一行 under the title, 顶格; §7.3.3 正文: each paragraph 左空二字, 回行顶格;
  §5.2.3 every line 28 characters filling the 版心: lines are broken here, between any two
  characters (a number too), never before a closing or after an opening mark (such a mark is
  pushed in by taking its blank half, the standard Chinese practice, or the last character is
  pushed out); only a paragraph's last line is short, and no line is spread;
- §7.3.5 署名 and 成文日期: the date 右空四字, the 署名 centred over it, three empty lines under
  the body for the 印章 (a 42 mm seal, its top within a line of the body, presses both below its
  centre); §7.3.5.5 the closing never stands alone: the body's last two lines go with it;
- §7.3.6 附注: 左空二字 in brackets, the line under the date;
- §7.4 版记: on the last page, its last (thick) rule on the 版心's lower edge; 印发机关 左空一字 and
  印发日期 右空一字 on the last line, 抄送 above it (左右各空一字, 回行 under the colon's next
  character), the 核验码 (and its QR code, where given) as a further element above, each element
  between rules (thick first and last, thin between); nothing printed below the last rule;
  where the 版记 cannot share the last page with the body it takes a page of its own, an even one:
  a blank page goes before it when needed, and then neither page is numbered (§7.5);
- §7.5 页码: 4号宋体 "— n —", its top 7 mm below the 版心, odd pages right 空一字, even left 空一字.
"""

from __future__ import annotations

import html as html_lib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from zzcbec_docs.documents.content_tree import Node, parse, squash

if TYPE_CHECKING:
    from zzcbec_docs.documents.pdf_draw import Elem, Rect, Text

MM = 72 / 25.4
LEFT, TOP = 28 * MM, 37 * MM
WIDTH, HEIGHT = 156 * MM, 225 * MM
BOTTOM = TOP + HEIGHT  # the 版心's lower edge, from the page top
PITCH = 28.95  # 22 lines in the 225 mm 版心
BODY = 16.0  # 3号
CELL = WIDTH / 28  # 28 characters a line
SPACING = CELL - BODY  # each 3号 character gives back 0.21 pt
TITLE, TITLE_LINE = 22.0, 35.0  # 2号
MARK = 36.0
BANJI = 14.0  # 4号
SMALL, SMALL_LINE = 10.5, 15.0  # 5号, the table and the unit line
SEAL_MM = 42  # a 市级机关's seal: the room kept for it (and where a signature's appearance goes)
QR_MM = 18  # the verification QR code's square in the 版记
RED = "#e60012"
# where a line's text stands in its 28.95 pt: 3.6 pt below the middle, as Word and LibreOffice set a
# 3号 line of exact height (the DOCX then shows the same positions); the grid itself is unchanged
DROP = 3.6
BANJI_DROP = 2.8  # the same for the 版记's 4号 lines
QR_TEXT_DROP = 7.9  # and for the 核验码 in the taller line beside its QR code

# line breaking (GB/T 15834's 标点 and the usual 禁则)
NO_START = set("，。、；：？！）》」』】〕〉”’…—·%‰℃～,.;:?!)]}")
NO_END = set("（《「『【〔〈“‘([{")
SQUEEZE_RIGHT = set("，。、）》」』】〕〉”’")  # the glyph in the left half: the right half may go
SQUEEZE_LEFT = set("（《「『【〔〈“‘")  # the glyph in the right half: the left half may go


@dataclass
class Atom:
    ch: str
    width: float  # advance at the size, without letter spacing

    @property
    def squeezable(self) -> float:
        return self.width / 2 if self.ch in SQUEEZE_RIGHT or self.ch in SQUEEZE_LEFT else 0.0


@dataclass
class Line:
    atoms: list[Atom]
    indent: float = 0.0
    squeeze: dict[int, float] = field(default_factory=dict)  # atom index → pt taken from its blank half
    spacing: float = SPACING  # letter spacing of the line
    last: bool = False

    @property
    def text(self) -> str:
        return "".join(a.ch for a in self.atoms)


# ------------------------------------------------------------------ metrics


@lru_cache(maxsize=8)
def _advances(path: str, index: int) -> tuple[dict[int, int], int]:
    """character → advance (font units) and units per em of a face; read with fontTools once (0.2 s
    for a CJK face) and kept beside the fonts' cache as a small marshal file (a millisecond to load)."""
    import hashlib
    import marshal
    import os

    from zzcbec_docs.documents import fonts

    st = os.stat(path)
    key = hashlib.sha256(f"1\0{path}\0{index}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cached = fonts.cache_dir() / f"advances-{key}.marshal"
    try:
        table, upem = marshal.loads(cached.read_bytes())
        if isinstance(table, dict) and isinstance(upem, int):
            return table, upem
    except (OSError, ValueError, EOFError, TypeError):
        pass
    from fontTools.ttLib import TTFont

    face = TTFont(path, fontNumber=index, lazy=True)
    cmap = face.getBestCmap() or {}
    metrics = face["hmtx"].metrics
    upem = face["head"].unitsPerEm
    table = {cp: metrics[name][0] for cp, name in cmap.items() if name in metrics}
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((table, upem)))
        os.replace(tmp, cached)
    except OSError:
        pass  # a cache only: without it the table is read again next time
    return table, upem


@lru_cache(maxsize=16)
def _face_file(role: str, _faces: tuple[object, ...] = ()) -> tuple[str, int]:
    from zzcbec_docs.documents import fonts

    font = fonts.font_for(role)
    copy = fonts.working_copy(font) if font.source != "configured" else None
    return (str(copy), 0) if copy is not None else (font.path, font.index)


_role_tables: dict[str, tuple[object, dict[int, int], int]] = {}  # role → (its face, advances, units per em)


def advance(ch: str, size: float, role: str = "fangsong") -> float:
    """The character's advance in the role's face at the size (a character the face lacks is drawn
    by the Noto fallback: a full cell if it is wide, half one if not)."""
    from zzcbec_docs.documents import fonts

    font = fonts.font_for(role)
    known = _role_tables.get(role)
    if known is None or known[0] is not font:
        known = _role_tables[role] = (font, *_advances(*_face_file(role, (font,))))
    _, table, upem = known
    units = table.get(ord(ch))
    if units is None:
        return size if unicodedata.east_asian_width(ch) in "WF" else size / 2
    return units / upem * size


def atoms(text: str, size: float = BODY, role: str = "fangsong") -> list[Atom]:
    """The text's characters with their advances (as `advance`, the face's table read once)."""
    advance("一", size, role)  # the role's table, current
    _, table, upem = _role_tables[role]
    out = []
    for ch in text:
        units = table.get(ord(ch))
        if units is None:
            width = size if unicodedata.east_asian_width(ch) in "WF" else size / 2
        else:
            width = units / upem * size
        out.append(Atom(ch, width))
    return out


# ------------------------------------------------------------------ line breaking on the grid


def _ascii_word(a: Atom | None) -> bool:
    return a is not None and a.ch.isascii() and a.ch.isalnum()


def _can_break(items: list[Atom], j: int) -> bool:
    """A break between items[j-1] and items[j] keeps the 禁则."""
    if j <= 0 or j >= len(items):
        return j >= len(items)
    before, after = items[j - 1], items[j]
    return after.ch not in NO_START and before.ch not in NO_END


def _in_number(items: list[Atom], j: int) -> bool:
    return 0 < j < len(items) and _ascii_word(items[j - 1]) and (_ascii_word(items[j]) or items[j].ch in ".,")


def _width(items: list[Atom], spacing: float) -> float:
    """The cells the characters take: each one's advance and the spacing after it (28 × 15.79 pt
    of 3号 fill the 156 mm line exactly)."""
    return sum(a.width for a in items) + spacing * len(items)


def _squeeze(items: list[Atom], overflow: float) -> dict[int, float] | None:
    """Take `overflow` pt from the blank halves of the line's marks, the last ones first; None if
    they do not hold that much."""
    out: dict[int, float] = {}
    left = overflow
    for i in range(len(items) - 1, -1, -1):
        if left <= 1e-6:
            break
        room = items[i].squeezable
        if room and not (i == 0 and items[i].ch in SQUEEZE_LEFT):
            take = min(room, left)
            out[i] = take
            left -= take
    return out if left <= 1e-6 else None


def break_lines(
    items: list[Atom], width: float = WIDTH, indent: float = 0.0, spacing: float = SPACING, justify: bool = True
) -> list[Line]:
    """A paragraph in lines of the given width, each but the last filling it.

    At the point where the next character no longer fits: break there if the 禁则 and the number
    allow it; else push a mark in (taking blank halves of the line's marks, as many as needed);
    else break inside the number; else push the last character out (the only case where a line is
    spread, by less than a character over the line)."""
    lines: list[Line] = []
    start = 0
    first = True
    n = len(items)
    while start < n:
        room = width - (indent if first else 0.0)
        end = start
        while end < n and _width(items[start : end + 1], spacing) <= room + 0.01:
            end += 1
        if end >= n:
            lines.append(Line(items[start:], indent if first else 0.0, last=True))
            break
        if end == start:  # one character wider than the line: it stands alone
            end = start + 1
        chosen: tuple[int, dict[int, float]] | None = None
        if _can_break(items, end) and not _in_number(items, end):
            chosen = (end, {})
            slack = room - _width(items[start:end], spacing)
            if (
                slack > CELL / 4
                and end + 1 <= n
                and (_can_break(items, end + 1) or end + 1 == n)
                and not _in_number(items, end + 1)
            ):
                # half a cell left (a half-width character on the line): push the next one in
                squeezed = _squeeze(items[start : end + 1], _width(items[start : end + 1], spacing) - room)
                if squeezed is not None:
                    chosen = (end + 1, squeezed)
        if chosen is None:  # push in: the next few characters, squeezed into the line
            for j in range(end + 1, min(n, end + 4) + 1):
                if _can_break(items, j) and not _in_number(items, j):
                    squeezed = _squeeze(items[start:j], _width(items[start:j], spacing) - room)
                    if squeezed is not None:
                        chosen = (j, squeezed)
                    break
        if chosen is None and _in_number(items, end) and _can_break(items, end):
            chosen = (end, {})  # inside a number: it fills the line
        if chosen is None:  # push out
            j = end - 1
            while j > start + 1 and not _can_break(items, j):
                j -= 1
            chosen = (max(j, start + 1), {})
        j, squeezed = chosen
        line = Line(items[start:j], indent if first else 0.0, squeezed)
        if justify:
            natural = _width(line.atoms, spacing) - sum(squeezed.values())
            line.spacing = spacing + (room - natural) / len(line.atoms)
        lines.append(line)
        start = j
        first = False
    return lines


# ------------------------------------------------------------------ the placed blocks


@dataclass
class Item:
    """One unbreakable piece of the flow: a line, a table row, the unit line, empty lines."""

    height: float
    kind: str  # line | row | unit | space | closing-line
    keep: bool = False  # goes on the same page as the next item
    data: object = None
    group: int = 0  # the paragraph or table it belongs to


@dataclass
class Placed:
    top: float  # from the 版心's upper edge
    item: Item


@dataclass
class Page:
    placed: list[Placed] = field(default_factory=list)
    numbered: bool = True
    extra: list[str] = field(default_factory=list)  # HTML of the 版头 / 版记 placed on it


def _esc(text: str) -> str:
    return html_lib.escape(text, quote=False)


def line_html(line: Line, spacing_default: float = SPACING) -> str:
    """A line as text with its letter spacing and squeezed marks (margins, so no glyph moves over
    another)."""
    out = []
    for i, a in enumerate(line.atoms):
        take = line.squeeze.get(i)
        ch = _esc(a.ch)
        if take:
            side = "left" if a.ch in SQUEEZE_LEFT else "right"
            out.append(f'<span style="margin-{side}:{-take:.3f}pt">{ch}</span>')
        else:
            out.append(ch)
    text = "".join(out)
    if abs(line.spacing - spacing_default) > 5e-4:  # pt
        text = f'<span style="letter-spacing:{line.spacing:.4f}pt">{text}</span>'
    return text


class NoticeLayout:
    """The pages of one notice: which element where."""

    def __init__(self, html: str) -> None:
        root = parse(html)
        body = root.find("body")
        assert body is not None
        self.head = root.find("head")
        self.section = body.find("section") or body
        self.items: list[Item] = []
        self.group = 0
        self.header_row: Item | None = None
        self.banji: Node | None = None
        self.qr: str | None = None
        self.pages: list[Page] = []
        self.first_top = 0.0  # where the flow starts on page 1 (under the 版头)
        self.head_html: list[str] = []
        self.head_items: list[tuple[Any, ...]] = []  # the same, for the PDF drawer (drawing())
        self._read()
        self._paginate()

    # ------------------------------------------------------------ reading the content
    def _read(self) -> None:
        y = 0.0
        head: list[str] = []
        for el in self.section.elements():
            cls = el.classes
            if el.tag == "p" and "specimen" in cls:
                head.append(f'<p class="specimen" style="top:{5 * MM:.3f}pt">{_esc(squash(el.text()))}</p>')
                self.head_items.append(("specimen", squash(el.text())))
            elif el.tag == "div" and "banhead" in cls:
                y = self._banhead(el, head)
            elif el.tag == "h1":
                y = self._title(el, y, head)
            elif el.tag == "p" and "addressee" in cls:
                self._paragraph(el, indent=0.0, keep_all=False)
            elif el.tag == "p" and "unit" in cls:
                text = squash(el.text())
                self.items.append(Item(SMALL_LINE + 2, "unit", keep=True, data=text))
            elif el.tag == "p":
                self._paragraph(el, indent=2 * CELL, keep_last="last" in cls)
            elif el.tag == "table":
                self._table(el)
            elif el.tag == "div" and "closing" in cls:
                self._closing(el)
            elif el.tag == "div" and "banji" in cls:
                self.banji = el
        self.first_top = y
        self.head_html = head

    def _banhead(self, el: Node, head: list[str]) -> float:
        mark = next((p for p in el.elements() if "mark" in p.classes), None)
        docno = next((p for p in el.elements() if "docno" in p.classes), None)
        mark_top = 35 * MM  # §7.2.4, from the 版心's upper edge
        size = MARK
        if mark is not None:
            text = squash(mark.text())
            natural = sum(advance(ch, MARK, "xiaobiaosong") for ch in text) + 2 * (len(text) - 1)
            if natural > WIDTH:  # a long name: smaller, still on one line
                size = MARK * WIDTH / natural
            head.append(
                f'<p class="mark" style="top:{mark_top:.3f}pt;font-size:{size:.3f}pt;'
                f'line-height:{size:.3f}pt">{_esc(text)}</p>'
            )
            self.head_items.append(("mark", text, mark_top, size))
        mark_bottom = mark_top + size
        docno_top = mark_bottom + 2 * PITCH + (PITCH - BODY)  # §7.2.5 空二行
        if docno is not None:
            head.append(f'<p class="docno" style="top:{docno_top:.3f}pt">{_esc(squash(docno.text()))}</p>')
            self.head_items.append(("docno", squash(docno.text()), docno_top))
        rule = docno_top + BODY + 4 * MM  # §7.2.7: the rule's middle 4 mm under the 文号
        head.append(f'<div class="red-rule" style="top:{rule - 0.75:.3f}pt"></div>')
        self.head_items.append(("rule", rule - 0.75))
        return rule

    def _title(self, el: Node, rule: float, head: list[str]) -> float:
        lines = [squash(x) for x in el.text().split("\n")]
        lines = [x for x in lines if x]
        top = rule + 2 * PITCH  # §7.3.1 空二行 under the rule (the line box; the text 6.5 pt lower)
        inner = "<br>".join(_esc(x) for x in lines)
        room = HEIGHT - top - 3 * PITCH  # the title stays on the first page, with the addressee and a line
        scale = min(1.0, room / (TITLE_LINE * max(len(lines), 1)))  # < 1 only for a name of a hundred letters
        size = "" if scale == 1.0 else f";font-size:{TITLE * scale:.3f}pt;line-height:{TITLE_LINE * scale:.3f}pt"
        head.append(f'<h1 style="top:{top:.3f}pt{size}">{inner}</h1>')
        self.head_items.append(("title", lines, top, scale))
        bottom = top + TITLE_LINE * scale * len(lines)
        return bottom + PITCH  # §7.3.2 空一行: the addressee's line box starts one line lower

    def _paragraph(self, el: Node, indent: float, keep_last: bool = False, keep_all: bool = False) -> None:
        text = squash(el.text()).replace("\n", "")
        self.group += 1
        lines = break_lines(atoms(text), indent=indent)
        for i, line in enumerate(lines):
            n = len(lines)
            keep = keep_all or (i == 0 and n > 1) or (i == n - 2) or (keep_last and i == n - 1)
            self.items.append(Item(PITCH, "line", keep=keep, data=line, group=self.group))

    def _closing(self, el: Node) -> None:
        """特此通知, the seal's room, 署名 and date, 附注: one piece, kept with the body's end."""
        self.group += 1
        for child in el.elements():
            cls = child.classes
            if child.tag == "p" and "fuzhu" in cls:
                text = squash(child.text())
                for line in break_lines(atoms(text), indent=2 * CELL):
                    self.items.append(Item(PITCH, "line", keep=True, data=line, group=self.group))
            elif child.tag == "p":
                for line in break_lines(atoms(squash(child.text())), indent=2 * CELL):
                    self.items.append(Item(PITCH, "line", keep=True, data=line, group=self.group))
            elif child.tag == "div" and "seal-space" in cls:
                self.items.append(Item(3 * PITCH, "space", keep=True, data="seal", group=self.group))
            elif child.tag == "div" and "signoff" in cls:
                for p in child.elements():
                    self.items.append(
                        Item(PITCH, "sign", keep=True, data=(squash(p.text()), p.classes), group=self.group)
                    )
        if self.items:
            self.items[-1].keep = False

    def _table(self, el: Node) -> None:
        self.group += 1
        rows: list[tuple[Node, bool]] = []
        for child in el.elements():
            if child.tag == "tr":
                rows.append((child, False))
            elif child.tag in ("thead", "tbody"):
                rows.extend((tr, child.tag == "thead") for tr in child.elements() if tr.tag == "tr")
        header = next((tr for tr, head in rows if head), None)
        shares = [COLUMN_SHARES.get(next(iter(c.classes), ""), 0) for c in (header.elements() if header else [])]
        if not shares or not all(shares):
            ncols = max(len(tr.elements()) for tr, _ in rows)
            shares = [1] * ncols
        widths = [WIDTH * s / sum(shares) for s in shares]
        for k, (tr, head) in enumerate(rows):
            cells = []
            col = 0
            for cell in tr.elements():
                span = int(cell.attrs.get("colspan", "1"))
                w = sum(widths[col : col + span])
                role = "heiti" if cell.tag == "th" or ("sum" in tr.classes and col == 0) else "fangsong"
                text = squash(cell.text())
                lines = break_lines(atoms(text, SMALL, role), width=w - 10 - 0.75, spacing=0.0, justify=False)
                align = (
                    "right"
                    if "num" in cell.classes
                    else ("center" if ("sum" in tr.classes and col == 0) or "center" in cell.classes else "left")
                )
                cells.append((cell.tag, w, [ln.text for ln in lines] or [""], align, role))
                col += span
            height = max(len(c[2]) for c in cells) * SMALL_LINE + 6 + 0.75  # padding, the bottom border
            item = Item(height + (0.75 if k == 0 else 0), "row", keep=head, data=cells, group=self.group)  # + the top
            if head:
                self.header_row = item
            self.items.append(item)
        self.items.append(Item(8.0, "space", group=self.group))  # the table's margin below

    # ------------------------------------------------------------ pages
    def _paginate(self) -> None:
        pages = [Page()]
        y = self.first_top
        i = 0
        items = self.items
        page_start_index = 0
        while i < len(items):
            it = items[i]
            if y + it.height <= HEIGHT + 0.01 or i == page_start_index:
                pages[-1].placed.append(Placed(y, it))
                y += it.height
                i += 1
                continue
            # does not fit: move the chain of kept items before it along (never the whole page)
            j = i
            while j > page_start_index and items[j - 1].keep:
                j -= 1
            if j == page_start_index:
                j = i
            moved = len(pages[-1].placed) - (i - j)
            del pages[-1].placed[moved:]
            pages.append(Page())
            y = 0.0
            if items[j].kind == "row" and self.header_row is not None and items[j] is not self.header_row:
                pages[-1].placed.append(Placed(0.0, self.header_row))  # the header row repeats
                y = self.header_row.height
            i = j
            page_start_index = j
            if items[j].kind == "space":  # a space at a page's top is dropped
                i += 1
        self.pages = pages
        self._place_banji(y)

    def banji_height(self) -> float:
        if self.banji is None:
            return 0.0
        h = 0.0
        for p in self.banji.elements():
            if "vcode" in p.classes:
                h += max(PITCH, QR_MM * MM + 6) if p.find("img") is not None else PITCH
            elif "cc" in p.classes:
                h += PITCH * len(self._cc_lines(p))
            else:
                h += PITCH
        return h

    def _cc_lines(self, p: Node) -> list[Line]:
        text = squash(p.text())
        head = text[:3] if text.startswith("抄送：") else ""
        rest = text[len(head) :]
        lead = sum(advance(ch, BANJI) for ch in head)
        lines = break_lines(atoms(rest, BANJI), width=WIDTH - 2 * BANJI - lead, spacing=0.0)
        for ln in lines:
            ln.indent = lead
        if lines and head:
            lines[0].atoms = atoms(head, BANJI) + lines[0].atoms
            lines[0].indent = 0.0
            shift = {k + len(head): v for k, v in lines[0].squeeze.items()}
            lines[0].squeeze = shift
            if not lines[0].last:
                natural = _width(lines[0].atoms, 0.0) - sum(shift.values())
                lines[0].spacing = (WIDTH - 2 * BANJI - natural) / len(lines[0].atoms)
        return lines

    def _place_banji(self, y: float) -> None:
        self.flow_end, self.flow_page = y, len(self.pages) - 1
        self.banji_page = self.flow_page
        if self.banji is None:
            return
        h = self.banji_height()
        if y + h > HEIGHT + 0.01:  # a page of its own, an even one (§7.4, §7.5)
            if len(self.pages) % 2 == 0:  # the next page would be odd: a blank page first
                self.pages.append(Page(numbered=False))
                self.pages.append(Page(numbered=False))
            else:
                self.pages.append(Page())
        self.banji_page = len(self.pages) - 1

    # ------------------------------------------------------------ HTML for WeasyPrint
    def html(self) -> str:
        head = self.head
        meta = []
        title = ""
        if head is not None:
            for el in head.elements():
                if el.tag == "meta" and el.attrs.get("name"):
                    meta.append(
                        f'<meta name="{html_lib.escape(el.attrs["name"])}" '
                        f'content="{html_lib.escape(el.attrs.get("content", ""))}">'
                    )
                elif el.tag == "title":
                    title = el.text()
        out = [
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
            f"<title>{_esc(title)}</title>",
            *meta,
            "</head><body>",
        ]
        for n, page in enumerate(self.pages, start=1):
            last = n == len(self.pages)
            out.append(f'<section class="page{"" if last else " brk"}">')
            if n == 1:
                out.extend(self.head_html)
            out.extend(self._page_blocks(page))
            if n - 1 == getattr(self, "banji_page", -1):
                out.append(self._banji_html())
            if page.numbered:
                side = "odd" if n % 2 else "even"
                out.append(f'<p class="pn {side}">— {n} —</p>')
            out.append("</section>")
        out.append("</body></html>")
        return "".join(out)

    def _page_blocks(self, page: Page) -> list[str]:
        out: list[str] = []
        k = 0
        placed = page.placed
        while k < len(placed):
            pl = placed[k]
            it = pl.item
            if it.kind == "line":
                group = it.group
                lines: list[Line] = []
                top = pl.top
                while k < len(placed) and placed[k].item.kind == "line" and placed[k].item.group == group:
                    lines.append(placed[k].item.data)  # type: ignore[arg-type]
                    k += 1
                first = lines[0]
                style = f"top:{top + DROP:.3f}pt"
                if first.indent:
                    style += f";text-indent:{first.indent:.3f}pt"
                inner = "<br>".join(line_html(ln) for ln in lines)
                out.append(f'<p style="{style}">{inner}</p>')
                continue
            if it.kind == "row":
                rows = []
                top = pl.top
                while k < len(placed) and placed[k].item.kind == "row":
                    rows.append(placed[k].item)
                    k += 1
                out.append(self._table_html(top, rows))
                continue
            if it.kind == "unit":
                out.append(f'<p class="unit" style="top:{pl.top:.3f}pt">{_esc(str(it.data))}</p>')
            elif it.kind == "space" and it.data == "seal":
                # the seal's room: a signature's appearance goes here (documents.md)
                out.append(f'<div class="seal-room" style="top:{pl.top:.3f}pt"></div>')
            elif it.kind == "sign":
                assert isinstance(it.data, tuple)  # (text, classes)
                out.append(self._sign_html(pl.top, str(it.data[0])))
            k += 1
        return out

    def seal_box(self) -> tuple[int, float, float, float, float] | None:
        """Where the seal goes (and a signature's visible appearance): (page index, x0, y0, x1, y1) in
        pt from the page's top-left corner. A 42 mm square centred on the date, its lower edge 2 pt
        under the date, so that its top stays within a line of the body and the 署名 and the date
        stand below its centre (§7.3.5.1)."""
        for index, page in enumerate(self.pages):
            for pl in page.placed:
                if pl.item.kind == "space" and pl.item.data == "seal":
                    size = SEAL_MM * MM
                    date_bottom = TOP + pl.top + pl.item.height + PITCH + DROP + (PITCH - BODY) / 2 + BODY
                    centre = LEFT + WIDTH - 4 * CELL - self._date_width / 2
                    y1 = date_bottom + 2
                    return index, centre - size / 2, y1 - size, centre + size / 2, y1
        return None

    def _sign_html(self, top: float, text: str) -> str:
        """署名 and date: the date 右空四字; the 署名 centred on the date (its centre, the same)."""
        centre = WIDTH - 4 * CELL - self._date_width / 2
        return f'<p class="sign" style="top:{top + DROP:.3f}pt;left:{centre - WIDTH / 2:.3f}pt">{_esc(text)}</p>'

    @property
    def _date_width(self) -> float:
        signs = [it for it in self.items if it.kind == "sign"]
        if not signs:
            return 0.0
        text = signs[-1].data[0]  # type: ignore[index]
        return _width(atoms(text), SPACING) - SPACING

    def _table_html(self, top: float, rows: list[Item]) -> str:
        """A table of separate borders (the table's left, each cell's right and bottom, the first
        row's top), each row as high as the layout made it."""
        out = [f'<table style="top:{top:.3f}pt">']
        for item in rows:
            out.append("<tr>")
            for tag, w, lines, align, role in item.data:  # type: ignore[attr-defined]
                cls = f"a-{align} h" if role == "heiti" else f"a-{align}"
                out.append(
                    f'<{tag} class="{cls}" style="width:{w:.3f}pt;height:{item.height:.3f}pt">'
                    + "<br>".join(_esc(x) for x in lines)
                    + f"</{tag}>"
                )
            out.append("</tr>")
        out.append("</table>")
        return "".join(out)

    def _banji_html(self) -> str:
        """The 版记 from the bottom up: the last rule on the 版心's lower edge."""
        assert self.banji is not None
        h = self.banji_height()
        top = HEIGHT - h
        out = [f'<div class="banji" style="top:{top:.3f}pt;height:{h:.3f}pt">']
        y = 0.0
        elements = self.banji.elements()
        order = (
            [p for p in elements if "vcode" in p.classes]
            + [p for p in elements if "cc" in p.classes]
            + [p for p in elements if "printed" in p.classes]
        )
        for k, p in enumerate(order):
            first = k == 0
            rule = "thick" if first else "thin"
            if "vcode" in p.classes:
                img = p.find("img")
                rh = max(PITCH, QR_MM * MM + 6) if img is not None else PITCH
                text = squash(p.text())
                qr = ""
                if img is not None:
                    qr = (
                        f'<img class="qr" src="{html_lib.escape(img.attrs.get("src", ""))}" '
                        f'alt="{html_lib.escape(img.attrs.get("alt", "核验二维码"))}">'
                    )
                out.append(
                    f'<div class="row {rule} vcode" style="top:{y:.3f}pt;height:{rh:.3f}pt">'
                    f'<p style="line-height:{rh:.3f}pt;padding-top:{BANJI_DROP + (QR_TEXT_DROP if qr else 0)}pt">'
                    f"{_esc(text)}</p>{qr}</div>"
                )
                y += rh
            elif "cc" in p.classes:
                lines = self._cc_lines(p)
                rh = PITCH * len(lines)
                inner = "<br>".join(line_html(ln, 0.0) for ln in lines)
                lead = lines[-1].indent if len(lines) > 1 else 0.0
                out.append(
                    f'<div class="row {rule} cc" style="top:{y:.3f}pt;height:{rh:.3f}pt">'
                    f'<p style="padding-left:{BANJI + lead:.3f}pt;text-indent:{-lead:.3f}pt">{inner}</p></div>'
                )
                y += rh
            else:
                spans = [s for s in p.elements() if s.tag == "span"]
                printer = squash(spans[0].text()) if spans else squash(p.text())
                printed = squash(spans[1].text()) if len(spans) > 1 else ""
                out.append(
                    f'<div class="row {rule} printed" style="top:{y:.3f}pt;height:{PITCH:.3f}pt">'
                    f'<p class="printer">{_esc(printer)}</p><p class="printed-on">{_esc(printed)}</p></div>'
                )
                y += PITCH
        out.append('<div class="last-rule"></div></div>')
        return "".join(out)


COLUMN_SHARES = {"c-item": 37, "c-num": 21, "c-item2": 64, "c-num2": 36}


def notice_html(html: str) -> str:
    """The notice's content as placed blocks for WeasyPrint (see the module's docstring)."""
    return NoticeLayout(html).html()


def seal_box(html: str) -> tuple[int, float, float, float, float] | None:
    """Where the notice's seal goes (see NoticeLayout.seal_box): for a signature's visible appearance."""
    return NoticeLayout(html).seal_box()


# ------------------------------------------------------------------ the same pages as drawing operations


def _positions(items: list[Atom], x0: float, spacing: float, squeeze: dict[int, float] | None = None) -> list[float]:
    """Each character's pen position from x0: its advance and the letter spacing after it (the last
    one's too, as a browser counts it); a squeezed mark gives back its blank half (an opening mark
    moves left itself, any other the characters after it)."""
    xs, pen = [], x0
    squeeze = squeeze or {}
    for i, a in enumerate(items):
        take = squeeze.get(i, 0.0)
        if take and a.ch in SQUEEZE_LEFT:
            pen -= take
        xs.append(pen)
        pen += a.width + spacing
        if take and a.ch not in SQUEEZE_LEFT:
            pen -= take
    return xs + [pen]


def _run(
    items: list[Atom],
    top: float,
    height: float,
    size: float,
    role: str,
    *,
    x: float,
    width: float = 0.0,
    align: str = "left",
    spacing: float = 0.0,
    squeeze: dict[int, float] | None = None,
    color: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Text:
    """A line of text in a box (x, width) of the page: its characters' positions, left, centred or
    right (the trailing letter spacing counted, as a browser does)."""
    from zzcbec_docs.documents.pdf_draw import Text

    xs = _positions(items, 0.0, spacing, squeeze)
    total = xs[-1]
    start = x if align == "left" else (x + (width - total) / 2 if align == "center" else x + width - total)
    return Text("".join(a.ch for a in items), [start + v for v in xs], top, height, size, role, color)


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)


def drawing(layout: NoticeLayout) -> list[list[Elem]]:
    """The notice's pages as what pdf_draw draws: per page the structure elements in reading order,
    each with its text runs (characters at their positions), rules and images, in pt from the page's
    top-left corner — the positions the placed blocks of notice_html() take in WeasyPrint."""
    from zzcbec_docs.documents.pdf_draw import Elem, Rect

    red = _rgb(RED)
    pages: list[list[Elem]] = []
    for n, page in enumerate(layout.pages, start=1):
        out: list[Elem] = []
        if n == 1:
            for item in layout.head_items:
                kind = item[0]
                if kind == "specimen":
                    text = item[1]
                    box_x, box_w, box_y = LEFT + 0.3 * WIDTH, 0.4 * WIDTH, TOP + 5 * MM
                    c = _rgb("#c00")
                    out.append(
                        Elem(
                            "Artifact",
                            [Rect(box_x, box_y, box_w, 34.0, c, hole=(box_x + 2, box_y + 2, box_w - 4, 30.0))],
                        )
                    )
                    run = _run(
                        atoms(text, 22.0),
                        box_y + 2,
                        30.0,
                        22.0,
                        "fangsong",
                        x=box_x + 2,
                        width=box_w - 4,
                        align="center",
                        spacing=11.0,
                        color=c,
                    )
                    out.append(Elem("P", [run]))
                elif kind == "mark":
                    _, text, top, size = item
                    run = _run(
                        atoms(text, size, "xiaobiaosong"),
                        TOP + top,
                        size,
                        size,
                        "xiaobiaosong",
                        x=LEFT,
                        width=WIDTH,
                        align="center",
                        spacing=2.0,
                        color=red,
                    )
                    out.append(Elem("P", [run]))
                elif kind == "docno":
                    _, text, top = item
                    run = _run(
                        atoms(text),
                        TOP + top,
                        BODY,
                        BODY,
                        "fangsong",
                        x=LEFT,
                        width=WIDTH,
                        align="center",
                        spacing=SPACING,
                    )
                    out.append(Elem("P", [run]))
                elif kind == "rule":
                    out.append(Elem("Artifact", [Rect(LEFT, TOP + item[1], WIDTH, 1.5, red)]))
                elif kind == "title":
                    _, lines, top, scale = item
                    size, height = TITLE * scale, TITLE_LINE * scale
                    runs = [
                        _run(
                            atoms(line, size, "xiaobiaosong"),
                            TOP + top + k * height,
                            height,
                            size,
                            "xiaobiaosong",
                            x=LEFT,
                            width=WIDTH,
                            align="center",
                        )
                        for k, line in enumerate(lines)
                    ]
                    out.append(Elem("H1", runs))
        out.extend(_page_elems(layout, page))
        if n - 1 == layout.banji_page:
            out.extend(_banji_elems(layout))
        if page.numbered:
            text = f"— {n} —"
            run = _run(
                atoms(text, BANJI, "songti"),
                TOP + 657.638,
                BANJI,
                BANJI,
                "songti",
                x=LEFT + (0 if n % 2 else BANJI),
                width=WIDTH - BANJI,
                align="right" if n % 2 else "left",
            )
            out.append(Elem("Pagination", [run]))
        pages.append(out)
    return pages


def _page_elems(layout: NoticeLayout, page: Page) -> list[Elem]:
    from zzcbec_docs.documents.pdf_draw import Elem

    out: list[Elem] = []
    placed = page.placed
    k = 0
    while k < len(placed):
        pl = placed[k]
        it = pl.item
        if it.kind == "line":
            group = it.group
            runs = []
            j = 0
            while k < len(placed) and placed[k].item.kind == "line" and placed[k].item.group == group:
                line: Line = placed[k].item.data  # type: ignore[assignment]
                top = TOP + pl.top + DROP + j * PITCH
                runs.append(
                    _run(
                        line.atoms,
                        top,
                        PITCH,
                        BODY,
                        "fangsong",
                        x=LEFT + (line.indent if j == 0 else 0.0),
                        spacing=line.spacing,
                        squeeze=line.squeeze,
                    )
                )
                j += 1
                k += 1
            out.append(Elem("P", runs))
            continue
        if it.kind == "row":
            rows = []
            top = TOP + pl.top
            while k < len(placed) and placed[k].item.kind == "row":
                rows.append(placed[k].item)
                k += 1
            table, borders = _table_elems(top, rows)
            out.append(table)
            out.append(Elem("Artifact", borders))
            continue
        if it.kind == "unit":
            text = str(it.data)
            run = _run(
                atoms(text, SMALL), TOP + pl.top, SMALL_LINE, SMALL, "fangsong", x=LEFT, width=WIDTH, align="right"
            )
            out.append(Elem("P", [run]))
        elif it.kind == "sign":
            text, _cls = it.data  # type: ignore[misc]
            centre = LEFT + WIDTH - 4 * CELL - layout._date_width / 2
            run = _run(
                atoms(text),
                TOP + pl.top + DROP,
                PITCH,
                BODY,
                "fangsong",
                x=centre - WIDTH / 2,
                width=WIDTH,
                align="center",
                spacing=SPACING,
            )
            out.append(Elem("P", [run]))
        k += 1
    return out


def _table_elems(top: float, rows: list[Item]) -> tuple[Elem, list[Rect]]:
    """Rows of separate borders (the table's left, each cell's right and bottom, the first row's
    top), each as high as the layout made it; cell text middle-aligned in 3 × 5 pt of padding."""
    from zzcbec_docs.documents.pdf_draw import Elem, Rect

    rule = 0.75
    black = (0.0, 0.0, 0.0)
    trs: list[Elem] = []
    borders: list[Rect] = []
    y = top
    for r, item in enumerate(rows):
        x = LEFT + rule
        cells: list[Elem] = []
        for tag, w, lines, align, role in item.data:  # type: ignore[attr-defined]
            border_top = rule if r == 0 else 0.0
            inner_top = y + border_top + 3
            inner_h = item.height - border_top - rule - 6
            offset = (inner_h - SMALL_LINE * len(lines)) / 2
            runs = [
                _run(
                    atoms(text, SMALL, role),
                    inner_top + offset + j * SMALL_LINE,
                    SMALL_LINE,
                    SMALL,
                    role,
                    x=x + 5,
                    width=w - 10 - rule,
                    align=align,
                )
                for j, text in enumerate(lines)
                if text
            ]
            cells.append(Elem("TH" if tag == "th" else "TD", runs))
            borders.append(Rect(x + w - rule, y, rule, item.height, black))  # right
            borders.append(Rect(x, y + item.height - rule, w, rule, black))  # bottom
            if r == 0:
                borders.append(Rect(x, y, w, rule, black))
            x += w
        trs.append(Elem("TR", cells))
        y += item.height
    borders.append(Rect(LEFT, top, rule, y - top, black))  # the table's left
    return Elem("Table", trs), borders


def _banji_elems(layout: NoticeLayout) -> list[Elem]:
    """The 版记 as _banji_html places it: from its top, each element under its rule, the last (thick)
    rule on the 版心's lower edge."""
    from zzcbec_docs.documents.pdf_draw import Elem, Image, Rect

    assert layout.banji is not None
    black = (0.0, 0.0, 0.0)
    h = layout.banji_height()
    top = TOP + HEIGHT - h
    elements = layout.banji.elements()
    order = (
        [p for p in elements if "vcode" in p.classes]
        + [p for p in elements if "cc" in p.classes]
        + [p for p in elements if "printed" in p.classes]
    )
    kids: list[Elem] = []
    rules: list[Rect] = []
    y = top
    for k, p in enumerate(order):
        width = 1.0 if k == 0 else 0.7
        rules.append(Rect(LEFT, y - width / 2, WIDTH, width, black))
        inner = y + width / 2  # under the rule's lower half
        if "vcode" in p.classes:
            img = p.find("img")
            rh = max(PITCH, QR_MM * MM + 6) if img is not None else PITCH
            text = squash(p.text())
            drop = BANJI_DROP + (QR_TEXT_DROP if img is not None else 0)
            kids.append(Elem("P", [_run(atoms(text, BANJI), inner + drop, rh, BANJI, "fangsong", x=LEFT + BANJI)]))
            if img is not None:
                from zzcbec_docs.documents.qr import png_of_data_uri

                png = png_of_data_uri(img.attrs.get("src", ""))
                if png is None:
                    raise ValueError("the 版记's QR code is not a PNG data URI")
                side = QR_MM * MM
                kids.append(
                    Elem(
                        "Figure",
                        [Image(LEFT + WIDTH - BANJI - side, inner + 3, side, side, png)],
                        alt=img.attrs.get("alt", "核验二维码"),
                    )
                )
            y += rh
        elif "cc" in p.classes:
            lines = layout._cc_lines(p)
            lead = lines[-1].indent if len(lines) > 1 else 0.0
            runs = [
                _run(
                    ln.atoms,
                    inner + 2.8 + j * PITCH,
                    PITCH,
                    BANJI,
                    "fangsong",
                    x=LEFT + BANJI + (lead if j else 0.0),
                    spacing=ln.spacing,
                    squeeze=ln.squeeze,
                )
                for j, ln in enumerate(lines)
            ]
            kids.append(Elem("P", runs))
            y += PITCH * len(lines)
        else:
            spans = [s for s in p.elements() if s.tag == "span"]
            printer = squash(spans[0].text()) if spans else squash(p.text())
            printed = squash(spans[1].text()) if len(spans) > 1 else ""
            runs = [_run(atoms(printer, BANJI), inner + 2.8, PITCH, BANJI, "fangsong", x=LEFT + BANJI)]
            if printed:
                runs.append(
                    _run(
                        atoms(printed, BANJI),
                        inner + 2.8,
                        PITCH,
                        BANJI,
                        "fangsong",
                        x=LEFT,
                        width=WIDTH - BANJI,
                        align="right",
                    )
                )
            kids.append(Elem("P", runs))
            y += PITCH
    rules.append(Rect(LEFT, top + h - 0.5, WIDTH, 1.0, black))
    return [Elem("Div", kids), Elem("Artifact", rules)]
