"""Jinja2 → the one HTML content both writers read (the PDF as is, the DOCX by parsing it).

Autoescaped, StrictUndefined, sandboxed: bundle text is data and comes out literally.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from zzcbec_docs.resources import resource_dir

LAYOUTS = {"application": "form", "opinion": "gongwen", "notice": "gongwen", "publicity": "gongwen"}


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(resource_dir("templates"))),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


# Line breaking (UAX #14) never breaks next to a quotation mark, so "“以上”“以下”“以内”" would stand
# as one unbreakable block and leave short lines; Chinese text may break between a closing and the
# next opening mark: a <wbr> there gives the break without adding any character to the text.
_QUOTE_PAIR = re.compile(r"([”’])(?=[“‘])")


def render_html(kind: str, context: dict[str, Any], created: str) -> str:
    template = environment().get_template(f"{kind}.html.j2")
    html = template.render(**context, layout=LAYOUTS[kind], created=created)
    head, sep, body = html.partition("<body")
    return head + sep + _QUOTE_PAIR.sub(r"\1<wbr>", body)
