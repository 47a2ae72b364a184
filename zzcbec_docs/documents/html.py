"""Jinja2 → the one HTML content both writers read (the PDF as is, the DOCX by parsing it).

Autoescaped, StrictUndefined, sandboxed: bundle text is data and comes out literally.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from zzcbec_docs.resources import resource_dir

LAYOUTS = {"application": "form", "opinion": "gongwen", "notice": "gongwen"}


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(resource_dir("templates"))),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(kind: str, context: dict[str, Any], created: str) -> str:
    template = environment().get_template(f"{kind}.html.j2")
    return template.render(**context, layout=LAYOUTS[kind], created=created)
