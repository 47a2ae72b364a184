"""The QR code in the notice's 版记: the verification URL (the issuer profile's `verify_url` plus the
notice's 核验码), which the desk answers without a login (desk/verify_page.py).

One tiny 1-bit PNG (segno, pure Python), one pixel a module, is the content's QR code: the PDF draws
it 18 mm square without interpolation (CSS image-rendering: pixelated; about 200 bytes in the
file), the DOCX as an inline picture enlarged without smoothing (`docx_png`), so that Word and
WPS print sharp modules. segno is imported only when a numbered notice is made.
"""

from __future__ import annotations

import base64
import re

CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")
QR_MM = 18  # the square in the 版记: the URL's modules stay over half a millimetre, a phone reads it


def verification_url(base: str, code: str) -> str:
    """http://desk.example/verify/ + K7QX-M2PA (a base without the slash gets one)."""
    return (base if base.endswith("/") else base + "/") + code


def qr_png(text: str, scale: int = 1) -> bytes:
    """The QR code of `text` as a 1-bit PNG (error correction M, two modules of quiet zone)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False, boost_error=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def docx_png(png: bytes, scale: int = 8) -> bytes:
    """The content's PNG enlarged module by module (nearest neighbour) for the DOCX."""
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(png))
    out = io.BytesIO()
    img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")


def png_of_data_uri(uri: str) -> bytes | None:
    """The PNG bytes of a data: URI made by `qr_data_uri` (None for anything else)."""
    prefix = "data:image/png;base64,"
    if not uri.startswith(prefix):
        return None
    try:
        return base64.b64decode(uri[len(prefix) :], validate=True)
    except ValueError:
        return None
