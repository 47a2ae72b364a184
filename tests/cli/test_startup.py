"""Fast from a cold start (issue 14), without giving up correctness.

What is kept between commands — the checked policy, WeasyPrint's parsed C declarations — is
used only when it is exactly what would be made again, and ignored when stale or damaged.
Documents made on several cores are the same bytes, in the same order, as made one by one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zzcbec_docs.errors import BundleError, PolicyError
from zzcbec_docs.policy import ready
from zzcbec_docs.policy.load import _parse, default_policy_path
from zzcbec_docs.policy.model import Policy

from bundle_strategies import claims
from conftest import ROOT, SAMPLES, make_bundle, run_cli

# ---------------------------------------------------------------- the policy, kept ready


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZZCBEC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ZZCBEC_NO_POLICY_CACHE", raising=False)
    return tmp_path / "cache" / "policy"


@pytest.fixture
def policy_file(tmp_path):
    p = tmp_path / "policy.yaml"
    p.write_bytes(default_policy_path().read_bytes())
    return p


class Counting:
    """The real loader, counting how often it really reads and checks the file."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: str) -> Policy:
        self.calls += 1
        return _parse(path)


def test_the_second_load_is_the_same_policy_without_reading_it_again(cache, policy_file):
    build = Counting()
    first = ready.load_ready(str(policy_file), build, Policy)
    second = ready.load_ready(str(policy_file), build, Policy)
    assert build.calls == 1
    assert second == first and second.raw == first.raw
    assert second.clauses[1].amount.rate == first.clauses[1].amount.rate  # Decimal, as built
    assert len(list(cache.glob("*.pickle"))) == 1


def test_an_edited_policy_file_is_read_again_never_served_stale(cache, policy_file):
    build = Counting()
    before = ready.load_ready(str(policy_file), build, Policy)
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text.replace(f"title: {before.raw['title']}", "title: 改过的标题", 1), encoding="utf-8")
    after = ready.load_ready(str(policy_file), build, Policy)
    assert build.calls == 2 and after.title == "改过的标题"
    # an edit that breaks the file is reported, even though a good version was cached
    policy_file.write_text(text.replace("clauses:", "clauses: 7\nold_clauses:", 1), encoding="utf-8")
    with pytest.raises(PolicyError):
        ready.load_ready(str(policy_file), build, Policy)


def test_a_broken_policy_is_never_cached(cache, policy_file):
    policy_file.write_text("id: 1\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PolicyError):
            ready.load_ready(str(policy_file), Counting(), Policy)
    assert not list(cache.glob("*.pickle"))


def test_a_damaged_cache_file_is_ignored_and_replaced(cache, policy_file):
    good = ready.load_ready(str(policy_file), Counting(), Policy)
    (entry,) = cache.glob("*.pickle")
    for damage in (b"", b"garbage", entry.read_bytes()[:100]):
        entry.write_bytes(damage)
        build = Counting()
        assert ready.load_ready(str(policy_file), build, Policy) == good
        assert build.calls == 1
        (entry,) = cache.glob("*.pickle")
        assert entry.read_bytes() != damage


def test_another_tool_version_or_changed_code_is_a_new_key(cache, policy_file, monkeypatch, tmp_path):
    build = Counting()
    ready.load_ready(str(policy_file), build, Policy)
    monkeypatch.setattr(ready, "__version__", "99.0.0")
    ready.load_ready(str(policy_file), build, Policy)
    assert build.calls == 2
    # the code: any module of the package changed (here a copy of it, so the real one is untouched)
    fake = tmp_path / "pkg"
    fake.mkdir()
    module = fake / "rules.py"
    module.write_text("x = 1\n")
    monkeypatch.setattr(ready, "PACKAGE_DIR", fake)
    ready.load_ready(str(policy_file), build, Policy)
    ready.load_ready(str(policy_file), build, Policy)
    assert build.calls == 3
    module.write_text("x = 22\n")
    ready.load_ready(str(policy_file), build, Policy)
    assert build.calls == 4


def test_a_cache_file_others_can_write_is_not_trusted(cache, policy_file):
    ready.load_ready(str(policy_file), Counting(), Policy)
    (entry,) = cache.glob("*.pickle")
    os.chmod(entry, 0o666)
    build = Counting()
    ready.load_ready(str(policy_file), build, Policy)
    assert build.calls == 1


class _Unpicklable:
    def __init__(self) -> None:
        self.rule = lambda x: x  # a policy object holding a function cannot be kept


def test_a_policy_that_cannot_be_kept_is_simply_built_each_time(cache, policy_file):
    calls = []

    def build(path: str) -> _Unpicklable:
        calls.append(path)
        return _Unpicklable()

    for _ in range(2):
        assert isinstance(ready.load_ready(str(policy_file), build, _Unpicklable), _Unpicklable)
    assert len(calls) == 2 and not list(cache.glob("*.pickle"))


@pytest.mark.slow
def test_check_gives_the_same_answer_from_the_cache(tmp_path):
    env = {"ZZCBEC_CACHE": str(tmp_path / "cache")}
    sample = str(SAMPLES / "clause01-eligible.yaml")
    cold = run_cli("check", "--json", sample, extra_env=env)
    warm = run_cli("check", "--json", sample, extra_env=env)
    assert list((tmp_path / "cache" / "policy").glob("*.pickle"))
    assert cold.returncode == warm.returncode == 0
    assert cold.stdout == warm.stdout and b'"eligible"' in warm.stdout


# ---------------------------------------------------------------- WeasyPrint's declarations, kept ready

PROBE = """
import sys
from zzcbec_docs.documents.weasy import import_weasyprint
wp = import_weasyprint()
html = '<p style="font-family: serif">奖励通知书 Award notice 1,234.00</p>'
pdf = wp.HTML(string=html).write_pdf(pdf_identifier=b"0" * 32)
deferred = "fontTools.varLib.merger" not in sys.modules
sys.stdout.write(f"{type(wp.text.ffi.ffi).__name__} {deferred} {len(pdf)}\\n")
sys.stdout.flush()
sys.stdout.buffer.write(pdf)
"""


def _probe(cache: Path, plain: bool = False, fallback: bool = False) -> tuple[str, bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ZZCBEC_CACHE=str(cache), SOURCE_DATE_EPOCH="0")
    env.pop("ZZCBEC_PLAIN_IMPORT", None)
    if plain:
        env["ZZCBEC_PLAIN_IMPORT"] = "1"
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr.decode()
    head, _, pdf = r.stdout.partition(b"\n")
    kind, deferred, size = head.decode().split()
    assert int(size) == len(pdf) and pdf.startswith(b"%PDF")
    # the font tools WeasyPrint does not need here are not loaded, unless it was imported plainly
    assert deferred == str(not (plain or fallback))
    return kind, pdf


@pytest.mark.slow
def test_weasyprint_gets_the_ready_declarations_and_makes_the_same_pdf(tmp_path):
    ffi_dir = tmp_path / "ffi"
    kind, plain = _probe(tmp_path, plain=True)  # WeasyPrint imported the ordinary way
    assert kind == "FFI" and not ffi_dir.exists()
    kind, first = _probe(tmp_path)  # first use: the declarations parsed as usual, then kept
    assert kind == "FFI"
    (kept,) = ffi_dir.glob("weasyprint-ffi-*.py")
    kind, fast = _probe(tmp_path)
    assert kind == "ReadyFFI"
    assert plain == first == fast


@pytest.mark.slow
def test_a_deferred_font_tool_is_the_real_one_when_used():
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            """
import sys
from zzcbec_docs.documents.weasy import Deferred, import_weasyprint
wp = import_weasyprint()
import weasyprint.pdf.fonts as f
assert isinstance(sys.modules["fontTools.subset"], Deferred)
from fontTools import subset
options = subset.Options(hinting=False)          # first use: the real module
import fontTools.subset as real
assert not isinstance(real, Deferred) and type(options) is real.Options and f.subset.Subsetter is real.Subsetter
from fontTools.varLib.instancer import instantiateVariableFont
from fontTools.ttLib import TTFont
try:
    instantiateVariableFont(TTFont(), {})           # forwarded to the real function, which refuses
except Exception as e:
    print(type(e).__module__)
import fontTools.varLib.instancer as inst
assert not isinstance(inst, Deferred)
""",
        ],
        capture_output=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.strip() != b""


@pytest.mark.slow
def test_stale_or_damaged_declarations_are_never_used(tmp_path):
    _probe(tmp_path)
    (kept,) = (tmp_path / "ffi").glob("weasyprint-ffi-*.py")
    good = kept.read_text(encoding="utf-8")
    header, _, body = good.partition("\n")
    stale = "# cdef-sha256: " + "0" * 64 + "\n" + body  # declarations of some other WeasyPrint
    for bad in (stale, "garbage(", "", good.replace("_cffi_backend.FFI(", "dict(")):
        kept.write_text(bad, encoding="utf-8")
        kind, _ = _probe(tmp_path, fallback=bad == stale)
        assert kind == "FFI"  # the ordinary import, not the bad file
        assert kept.read_text(encoding="utf-8") == good  # and the good one is made again
    assert _probe(tmp_path)[0] == "ReadyFFI"


# ---------------------------------------------------------------- many documents on all cores


def _crash_on_three(factor: int, item: int) -> int:
    if item == 3:
        os._exit(1)
    return item * factor


def test_workers_keep_the_order_and_isolate_a_crash():
    from zzcbec_docs.documents.parallel import WorkerCrashed, Workers, run_ordered

    out = list(run_ordered(Workers(2, (), ()), _crash_on_three, [(10, i) for i in range(8)]))
    assert [r for r in out if not isinstance(r, WorkerCrashed)] == [0, 10, 20, 40, 50, 60, 70]
    assert isinstance(out[3], WorkerCrashed) and len(out) == 8


@pytest.mark.slow
def test_parallel_render_makes_the_same_bytes_and_lines_as_serial(tmp_path):
    sources = [
        str(SAMPLES / n)
        for n in (
            "clause01-eligible.yaml",
            "clause06-eligible.yaml",
            "multi-clause-eligible.yaml",
            "clause10-eligible.yaml",
        )
    ]
    sources.insert(2, str(SAMPLES / "invalid" / "wrong-uscc-check.yaml"))
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        r = run_cli(
            "render",
            *sources,
            "--doc",
            "opinion,notice",
            "--out",
            str(out),
            "--jobs",
            jobs,
            extra_env={"SOURCE_DATE_EPOCH": "1767225600"},
        )
        assert r.returncode == 1  # the invalid bundle
        runs[jobs] = (r, out)
    (serial, out1), (parallel, out2) = runs["1"], runs["2"]
    files = sorted(p.name for p in out1.iterdir())
    assert len(files) == 4 * 2 * 2 and files == sorted(p.name for p in out2.iterdir())
    for name in files:
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name

    def lines(r, out):  # without the timings and the output folder
        return [line.rsplit(" (", 1)[0].replace(str(out), "OUT") for line in r.stdout.decode().splitlines()]

    assert lines(serial, out1) == lines(parallel, out2)
    assert len(lines(serial, out1)) == 4 * 2
    assert serial.stderr == parallel.stderr and b"wrong-uscc-check.yaml" in parallel.stderr


@pytest.mark.slow
def test_one_bundle_shared_with_warming_workers_makes_the_same_bytes(tmp_path):
    """One bundle: checked and its content built here while the workers warm up, files written there."""
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        r = run_cli(
            "render",
            str(SAMPLES / "multi-clause-eligible.yaml"),
            "--out",
            str(out),
            "--jobs",
            jobs,
            extra_env={"SOURCE_DATE_EPOCH": "1767225600"},
        )
        assert r.returncode == 0, r.stderr.decode()
        assert [line.split(" → ")[0] for line in r.stdout.decode().splitlines()] == [
            "✓ " + str(SAMPLES / "multi-clause-eligible.yaml")
        ] * 3
        outs.append(out)
    files = sorted(p.name for p in outs[0].iterdir())
    assert len(files) == 6 and files == sorted(p.name for p in outs[1].iterdir())
    for name in files:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


@pytest.mark.slow
def test_parallel_render_counts_the_ledger_and_honours_a_rejecting_review_like_serial(tmp_path):
    """Several bundles against a ledger (its awards counted where they are decided) and one bundle
    with a rejecting review (an opinion, no notice): workers or not, the same files and lines."""
    sde = {"SOURCE_DATE_EPOCH": "1767225600"}
    ledger = str(tmp_path / "ledger.db")
    assert run_cli("ledger", "init", "--ledger", ledger).returncode == 0  # award refuses a ledger not made
    awarded = str(SAMPLES / "clause03-eligible.yaml")
    assert (
        run_cli(
            "award",
            awarded,
            "--ledger",
            ledger,
            "--out",
            str(tmp_path / "aw"),
            "--format",
            "docx",
            "--date",
            "2026-03-05",
            extra_env=sde,
        ).returncode
        == 0
    )
    src = SAMPLES / "clause01-eligible.yaml"
    review = tmp_path / "review.yaml"
    review.write_text(
        f"bundle: {{file: {src}, sha256: {hashlib.sha256(src.read_bytes()).hexdigest()}}}\n"
        "reviewer: 李审核\nreviewed_on: 2026-04-01\nconclusion: reject\nremarks: 材料不全。\n"
        "verified: []\n",
        encoding="utf-8",
    )
    runs: dict[str, list] = {"1": [], "2": []}
    for jobs in runs:
        for name, args in (
            ("ledger", [str(src), awarded, "--ledger", ledger]),
            ("review", [str(src), "--review", str(review)]),
        ):
            out = tmp_path / f"{name}-{jobs}"
            r = run_cli(
                "render",
                *args,
                "--doc",
                "opinion,notice",
                "--format",
                "docx",
                "--out",
                str(out),
                "--jobs",
                jobs,
                extra_env=sde,
            )
            # the awarded one is shown as awarded (its specimen too, issue 19); no notice for the rejected one
            assert r.returncode == (0 if name == "ledger" else 1), r.stderr.decode()
            runs[jobs].append((r, out))
    for (serial, out1), (parallel, out2) in zip(runs["1"], runs["2"], strict=True):
        files = sorted(p.name for p in out1.iterdir())
        assert files == sorted(p.name for p in out2.iterdir())
        for name in files:
            assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name
        assert [line.rsplit(" (", 1)[0].replace(str(out1), "OUT") for line in serial.stdout.decode().splitlines()] == [
            line.rsplit(" (", 1)[0].replace(str(out2), "OUT") for line in parallel.stdout.decode().splitlines()
        ]
        assert serial.stderr == parallel.stderr
    (with_ledger, out), (with_review, out_r) = runs["2"]
    assert "this very content was awarded" in with_ledger.stdout.decode()
    assert len(list(out.glob("*-notice-specimen.docx"))) == 2 and len(list(out.glob("*-opinion.docx"))) == 2
    assert "the review rejects the application" in with_review.stderr.decode()
    assert [p.name for p in out_r.iterdir()] == ["91410100MA46000016-2026-opinion.docx"]


# ---------------------------------------------------------------- valid bundles recognised without jsonschema


def _jsonschema_verdict(name: str, data) -> bool:  # type: ignore[no-untyped-def]
    from zzcbec_docs import schema

    return not any(True for _ in schema.validator(name).iter_errors(data))


def _parsed(path: Path):  # type: ignore[no-untyped-def]
    from zzcbec_docs.loading import decode_text, parse_text

    raw = path.read_bytes()
    return parse_text(decode_text(raw, str(path), BundleError), str(path), BundleError, None)


def test_quick_verdicts_match_jsonschema_on_every_file_we_have():
    from zzcbec_docs import quick_schema

    checked = 0
    cases = [("bundle.schema.json", p) for p in sorted(SAMPLES.rglob("*.y*ml")) + sorted(SAMPLES.rglob("*.json"))]
    cases += [
        ("bundle.schema.json", p) for p in sorted((ROOT / "tests" / "bundle" / "hostile").rglob("*")) if p.is_file()
    ]
    cases += [("review.schema.json", p) for p in sorted((ROOT / "examples").glob("review*.y*ml"))]
    cases += [("profile.schema.json", p) for p in sorted((ROOT / "examples").glob("profile*.y*ml"))]
    cases += [("policy.schema.json", default_policy_path())]
    for name, path in cases:
        try:
            data = _parsed(path)
        except BundleError:
            continue  # not readable as data at all: no schema question
        quick = quick_schema.valid(name, data)
        if quick is None:
            assert not quick_schema.supported(name)
            continue
        assert quick == _jsonschema_verdict(name, data), path
        checked += 1
    assert checked > 30
    assert quick_schema.supported("bundle.schema.json")


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**17), 10**17),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "0",
            "1.5",
            "1.555",
            "-3",
            "2026-02-30",
            "2026-02-28",
            "91410100MA46000016",
            "金水区",
            "national",
            "x" * 300,
        ]
    ),
    st.decimals(min_value=-(10**16), max_value=10**16, places=3, allow_nan=False),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["a", "file"]), st.integers(), max_size=2),
)


@settings(
    max_examples=int(os.environ.get("ZZCBEC_PROPERTY_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(claim=claims, mutations=st.lists(st.tuples(st.integers(0, 10**6), LEAVES, st.booleans()), max_size=3))
def test_quick_verdicts_match_jsonschema_on_random_bundles(claim, mutations):
    """Valid bundles of every clause, and the same with up to three values replaced or removed anywhere."""
    from zzcbec_docs import quick_schema

    bundle = json.loads(json.dumps(make_bundle(claim[0], claim[1], district="金水区")), parse_float=Decimal)
    for where, value, delete in mutations:
        nodes = []

        def walk(node, _out=nodes):  # type: ignore[no-untyped-def]
            if isinstance(node, dict):
                _out += [(node, k) for k in node]
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                _out += [(node, i) for i in range(len(node))]
                for v in node:
                    walk(v)

        walk(bundle)
        parent, key = nodes[where % len(nodes)]
        if delete and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = value
    assert quick_schema.valid("bundle.schema.json", bundle) == _jsonschema_verdict("bundle.schema.json", bundle)


@pytest.mark.slow
def test_check_of_a_valid_bundle_does_not_load_jsonschema_and_an_invalid_one_names_its_errors(tmp_path):
    probe = """
import sys
from zzcbec_docs.cli.main import main
code = main(sys.argv[1:])
print("jsonschema loaded:", "jsonschema" in sys.modules)
sys.exit(code)
"""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ok = subprocess.run(
        [sys.executable, "-c", probe, "check", str(SAMPLES / "clause01-eligible.yaml")],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert ok.returncode == 0 and b"jsonschema loaded: False" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-c", probe, "check", str(SAMPLES / "invalid" / "wrong-uscc-check.yaml")],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 1 and b"jsonschema loaded:" in bad.stdout


@pytest.mark.slow
def test_render_loads_no_ledger_library_without_a_ledger_and_its_writers_no_templates(tmp_path):
    """`render` without --ledger never imports SQLAlchemy (~0.2 s); a worker that only writes files
    needs the PDF writer, not Jinja2, the templates or the ledger."""
    probe = """
import sys
from zzcbec_docs.cli.main import main
code = main(sys.argv[1:])
print("sqlalchemy loaded:", "sqlalchemy" in sys.modules)
sys.exit(code)
"""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            "render",
            str(SAMPLES / "clause01-eligible.yaml"),
            "--doc",
            "notice",
            "--format",
            "pdf",
            "--out",
            str(tmp_path / "out"),
            "--jobs",
            "1",
        ],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0 and b"sqlalchemy loaded: False" in r.stdout, r.stderr.decode()[-500:]
    writer = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, zzcbec_docs.documents.pdf, zzcbec_docs.documents."
            "writers, zzcbec_docs.process.verified; print(sorted(m for m in ('jinja2', "
            "'sqlalchemy', 'zzcbec_docs.documents.content') if m in sys.modules))",
        ],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert writer.stdout.strip() == b"[]", writer.stderr.decode()[-500:]


@pytest.mark.slow
def test_workers_end_when_the_command_is_killed(tmp_path):
    import signal
    import time

    sources = [str(p) for p in sorted(SAMPLES.glob("clause*-eligible.yaml"))]
    proc = subprocess.Popen(
        [sys.executable, "-m", "zzcbec_docs", "render", *sources, "--out", str(tmp_path), "--jobs", "2"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def children() -> list[int]:
        try:
            return [int(x) for x in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        except OSError:
            return []

    deadline = time.monotonic() + 60
    while len(children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = children()
    assert len(workers) >= 2
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while (
        any(
            Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()
            for w in workers
            if Path(f"/proc/{w}").exists()
        )
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert not [
        w for w in workers if Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()
    ]


@pytest.mark.slow
def test_workers_started_early_use_the_fonts_the_command_configures(tmp_path):
    """The issuer's fonts (here ZZCBEC_FONT_FANGSONG) are read after the workers were forked: they
    still write with them, byte for byte as one process does."""
    from fontTools.ttLib import TTFont

    from zzcbec_docs.documents import fonts

    kai = fonts.fandol_dir() / "FandolKai-Regular.otf"
    if not kai.is_file():
        pytest.skip("needs the Fandol faces (make fonts)")
    face = TTFont(str(kai), recalcBBoxes=False, recalcTimestamp=False)  # a face of its own name, as a bureau's
    for record in face["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "Bureau Own Fang"
        elif record.nameID == 6:
            record.string = "BureauOwnFang"
    own = str(tmp_path / "bureau-own-fang.otf")
    face.save(own)
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        r = run_cli(
            "render",
            str(SAMPLES / "clause01-eligible.yaml"),
            "--doc",
            "notice",
            "--format",
            "pdf",
            "--out",
            str(out),
            "--jobs",
            jobs,
            extra_env={"SOURCE_DATE_EPOCH": "1767225600", "ZZCBEC_FONT_FANGSONG": own},
        )
        assert r.returncode == 0, r.stderr.decode()
        outs.append(next(out.glob("*.pdf")).read_bytes())
    assert outs[0] == outs[1]
    plain = tmp_path / "plain"
    assert (
        run_cli(
            "render",
            str(SAMPLES / "clause01-eligible.yaml"),
            "--doc",
            "notice",
            "--format",
            "pdf",
            "--out",
            str(plain),
            "--jobs",
            "1",
            extra_env={"SOURCE_DATE_EPOCH": "1767225600"},
        ).returncode
        == 0
    )
    assert next(plain.glob("*.pdf")).read_bytes() != outs[0]  # the configured font did change the document
