"""Award notice rendering speed and size (issue 3 targets on this machine):

- PDF ≤ 0.08 s median for a one-page notice, ≤ 100 KB with its fonts embedded (since issue 12 the
  notice carries its GB/T 9704 版头 and 版记 and runs to two pages, in the Fandol faces, as PDF/A-2b
  and tagged: compare per page, and with the previous version on the same machine);
- at least 3× faster than LibreOffice converting the same DOCX notices in one
  `soffice --headless --convert-to pdf` call (batch mode, start-up amortised), when installed.

Renders the notice of one sample N times in one process (fonts and templates warm after the
first) and prints the figures.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zzcbec_docs.bundle import load_bundle  # noqa: E402
from zzcbec_docs.documents.content import NoticeOptions  # noqa: E402
from zzcbec_docs.documents.fonts import harfbuzz_subset_available  # noqa: E402
from zzcbec_docs.documents.render import build_html  # noqa: E402
from zzcbec_docs.documents.writers import write_format  # noqa: E402
from zzcbec_docs.policy import load_policy  # noqa: E402

SAMPLE = ROOT / "samples" / "clause01-eligible.yaml"


def main(n: int = 50) -> None:
    from zzcbec_docs.documents.writers import tune_for_rendering

    tune_for_rendering()  # as `zzcbec render` and the batch workers do
    policy = load_policy()
    bundle = load_bundle(SAMPLE, load_policy())
    notice = NoticeOptions(number="郑商务〔2026〕15号")
    t0 = time.perf_counter()
    html, _ = build_html(bundle, policy, "notice", notice=notice)
    write_format(html, "pdf", bundle, policy, "notice")  # warm-up: fonts, stylesheet
    write_format(html, "docx", bundle, policy, "notice")
    warm = time.perf_counter() - t0
    pdf_times, docx_times, content_times = [], [], []
    pdf = docx = b""
    for _ in range(n):  # each notice made from scratch: decisions, content, PDF
        t = time.perf_counter()
        html, _ = build_html(bundle, policy, "notice", notice=notice)
        content_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        pdf = write_format(html, "pdf", bundle, policy, "notice")
        pdf_times.append(time.perf_counter() - t)
    for _ in range(n):
        html, _ = build_html(bundle, policy, "notice", notice=notice)
        t = time.perf_counter()
        docx = write_format(html, "docx", bundle, policy, "notice")
        docx_times.append(time.perf_counter() - t)
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    med_pdf = statistics.median(pdf_times)
    print(f"HarfBuzz subsetting: {'yes' if harfbuzz_subset_available() else 'NO (install libharfbuzz-subset0)'}")
    print(f"first notice (fonts, templates, stylesheet warm-up): {warm:.3f} s")
    print(f"content (rules + template), median of {n}: {statistics.median(content_times) * 1000:.1f} ms")
    print(
        f"PDF  median of {n}: {med_pdf * 1000:.1f} ms  (min {min(pdf_times) * 1000:.1f}, "
        f"max {max(pdf_times) * 1000:.1f}); {len(pdf) / 1024:.1f} KB, {pages} page(s)"
    )
    print(f"DOCX median of {n}: {statistics.median(docx_times) * 1000:.1f} ms; {len(docx) / 1024:.1f} KB")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("LibreOffice: not installed (apt-get install libreoffice-writer-nogui to compare)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i in range(n):
            (src / f"notice-{i:03d}.docx").write_bytes(docx)
        profile = Path(tmp) / "profile"
        cmd = [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(Path(tmp) / "out"),
            *sorted(str(p) for p in src.iterdir()),
        ]
        warm = [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(Path(tmp) / "warm"),
            str(src / "notice-000.docx"),
        ]
        subprocess.run(warm, capture_output=True, timeout=300, env=dict(os.environ, HOME=tmp))  # profile set-up
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, timeout=600, check=True, env=dict(os.environ, HOME=tmp))
        total = time.perf_counter() - t
        made = list((Path(tmp) / "out").glob("*.pdf"))
        per_doc = total / n
        size = statistics.median(p.stat().st_size for p in made) / 1024 if made else 0
        print(
            f"LibreOffice batch: {n} DOCX → PDF in one call: {total:.2f} s, {per_doc * 1000:.0f} ms per document, "
            f"{size:.0f} KB each ({len(made)} made)"
        )
        print(f"zzcbec PDF vs LibreOffice batch: {per_doc / med_pdf:.1f}× faster")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
