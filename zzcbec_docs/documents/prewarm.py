"""Importing this module warms the renderers: WeasyPrint, fonts, stylesheet, templates, python-docx.

`zzcbec batch` names it as the preload of its fork server, which imports it once, early (while
the main process checks the bundles); every rendering worker is then forked from that warm
process and starts with all of it in memory instead of paying for it again. Warming is only
an optimisation: if it fails here, the worker loads what it needs itself and reports any error
against the bundle it was rendering.
"""

from zzcbec_docs.documents.content import KINDS
from zzcbec_docs.documents.parallel import warm

try:
    warm(("pdf", "docx"), KINDS)
except Exception:  # noqa: BLE001 - see above: the workers report real errors
    pass
