"""Charts drawn on the server as inline SVG (no script, no external assets, no inline styles)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from zzcbec_docs.money import fmt_amount

PALETTE = ("#b22222", "#2f5f8a")  # city, local


def _wan(v: Decimal) -> str:
    return f"{(v / 10000).quantize(Decimal('0.01')):,}万"


def bars(title: str, rows: list[tuple[str, Decimal]], *, unit: str = "yuan", width: int = 640) -> str:
    """Horizontal bars, one per row, labelled with the value."""
    row_h, label_w, pad = 26, 250, 90
    h = 34 + row_h * max(1, len(rows))
    top = max((v for _, v in rows), default=Decimal(0)) or Decimal(1)
    span = width - label_w - pad
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{h}" '
        f'viewBox="0 0 {width} {h}" aria-label="{escape(title)}">',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    if not rows:
        out.append('<text x="0" y="50" font-size="13" fill="#666">暂无数据 / no data yet</text>')
    for i, (label, value) in enumerate(rows):
        y = 30 + i * row_h
        w = int(span * (value / top)) if top else 0
        shown = f"{value:.0%}" if unit == "share" else _wan(value)
        out.append(f'<text x="{label_w - 6}" y="{y + 16}" font-size="13" text-anchor="end">{escape(label)}</text>')
        out.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="{row_h - 8}" fill="{PALETTE[1]}">'
            f"<title>{escape(label)}: {escape(shown if unit == 'share' else fmt_amount(value))}</title></rect>"
        )
        out.append(f'<text x="{label_w + max(w, 1) + 6}" y="{y + 16}" font-size="12">{escape(shown)}</text>')
    out.append("</svg>")
    return "".join(out)


def split_bar(title: str, city: Decimal, local: Decimal, width: int = 640) -> str:
    """One bar split into the city's and the districts' shares (clause 16)."""
    total = city + local
    span = width - 20
    cw = int(span * (city / total)) if total else 0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="96" '
        f'viewBox="0 0 {width} 96" aria-label="{escape(title)}">',
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    if total:
        out.append(
            f'<rect x="0" y="30" width="{cw}" height="26" fill="{PALETTE[0]}"><title>市级 {fmt_amount(city)}</title></rect>'
        )
        out.append(
            f'<rect x="{cw}" y="30" width="{span - cw}" height="26" fill="{PALETTE[1]}">'
            f"<title>区县（市）{fmt_amount(local)}</title></rect>"
        )
        out.append(
            f'<text x="0" y="78" font-size="13" fill="{PALETTE[0]}">市级 {_wan(city)}（{city / total:.0%}）</text>'
        )
        out.append(
            f'<text x="{span}" y="78" font-size="13" text-anchor="end" fill="{PALETTE[1]}">'
            f"区县（市）{_wan(local)}（{local / total:.0%}）</text>"
        )
    else:
        out.append('<text x="0" y="50" font-size="13" fill="#666">暂无数据 / no data yet</text>')
    out.append("</svg>")
    return "".join(out)
