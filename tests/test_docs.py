"""The documentation stays true: the CLI reference is the commands' own --help, the README stays short
and its links lead to files of the repository."""

from __future__ import annotations

import re

from zzcbec_docs.cli.reference import REGENERATE, reference

from conftest import ROOT

DOCS = ROOT / "docs"


def test_the_cli_reference_is_the_help_of_every_command_as_it_is_now():
    on_disk = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert on_disk == reference(), f"docs/cli.md is out of date: run `make docs` (or `{REGENERATE}`) and commit it"


def test_the_cli_reference_has_every_command_and_subcommand():
    from zzcbec_docs.cli.main import LAZY_COMMANDS

    text = reference()
    for name in LAZY_COMMANDS:
        assert f"## `zzcbec {name}`" in text, name
    for sub in ("ledger init", "ledger export", "case show", "policy diff", "users add"):
        assert f"## `zzcbec {sub}`" in text, sub
    assert "--ledger" in text and "[env var: ZZCBEC_LEDGER]" in text


def test_the_readme_is_short_and_names_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 8 * 1024
    assert "make demo" in readme and "make test" in readme


def _links(text: str) -> list[str]:
    return [m for m in re.findall(r"\]\(([^)\s]+)\)", text) if not m.startswith(("http://", "https://", "#"))]


def test_every_link_of_the_readme_and_the_docs_is_a_file_of_the_repository():
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        for link in _links(page.read_text(encoding="utf-8")):
            target = (page.parent / link.split("#")[0]).resolve()
            if not target.is_relative_to(ROOT.resolve()) or not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
    assert broken == []


def test_the_readme_names_only_packages_the_makefile_installs():
    """A Debian package the README says `make` installs is one the Makefile's SYSTEM_PACKAGES lists."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"SYSTEM_PACKAGES :=(.*?)\n\n", makefile, re.S)
    assert listed
    installed = set(listed.group(1).replace("\\", " ").split()) | {"chromium", "texlive-lang-chinese"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:fonts|lib|poppler|python3)[a-z0-9.-]*)`", readme))
    assert named and named <= installed, named - installed
