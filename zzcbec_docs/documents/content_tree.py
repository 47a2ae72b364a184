"""The rendered HTML, parsed into a small tree of blocks that the DOCX writer and tests read.

Only the vocabulary the templates use is understood: section, h1–h3, p, hr, div, table/tr/th/td, br.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "link", "wbr", "img"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        out = []
        for c in self.children:
            if isinstance(c, str):
                out.append(c)
            elif c.tag == "br":
                out.append("\n")
            else:
                out.append(c.text())
        return "".join(out)

    def find(self, tag: str) -> Node | None:
        for c in self.children:
            if isinstance(c, Node):
                if c.tag == tag:
                    return c
                hit = c.find(tag)
                if hit:
                    return hit
        return None

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    p = _Parser()
    p.feed(html)
    p.close()
    return p.root


_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def squash(text: str) -> str:
    """Whitespace as HTML renders it: runs of ASCII white space collapse to one space, ends trimmed.

    The ideographic space U+3000 is text, not white space, in HTML: it is kept (郑商务〔2026〕　　号).
    """
    return _HTML_SPACE.sub(" ", text).strip(" ")
