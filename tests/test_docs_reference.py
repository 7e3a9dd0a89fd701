"""The reference pages in docs/ say what the code does: the exchange format's columns and
enumerations in docs/exchange-format.md are those declared in ``exchange.format``. The repository is
self-contained: no file cites a document outside it, and every relative link of the docs resolves."""

import re
import subprocess
from pathlib import Path

import pytest

from exchange.format import SHEETS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _sheet_tables(text: str) -> dict[str, list[list[str]]]:
    """Rows of the table under each "## Sheet `name`" heading, split into cells."""
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## Sheet `(\w+)`", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
        elif line.startswith("## "):
            current = None
        elif current is not None and line.startswith("| `"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return tables


@pytest.fixture(scope="module")
def documented():
    return _sheet_tables((DOCS / "exchange-format.md").read_text(encoding="utf-8"))


def test_the_format_reference_documents_every_sheet(documented):
    assert sorted(documented) == sorted(sheet.name for sheet in SHEETS)


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_format_reference_lists_each_column_with_its_label_and_requirement(documented, sheet):
    rows = documented[sheet.name]
    assert [row[0].strip("`") for row in rows] == sheet.keys
    for row, column in zip(rows, sheet.columns, strict=True):
        assert row[1] == column.label, column.key
        if column.required:
            assert row[2] == "yes", column.key
        else:
            assert row[2] != "yes", column.key


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_the_format_reference_lists_every_enumeration_value(documented, sheet):
    rows = {row[0].strip("`"): row for row in documented[sheet.name]}
    for column in sheet.columns:
        if column.choices is None:
            continue
        described = rows[column.key][3]
        for value, label in column.choices.choices:
            assert f"`{value}` {label}" in described, (sheet.name, column.key, value)


# --- the repository is self-contained ------------------------------------------------------------

ROOT = DOCS.parent
# Documents this project once cited that are not part of the repository. A reference to one of them
# is a dead end for a reader of a clone; the project's own pages replace them (exchange-format.md,
# metrics.md, domain.md in docs/).
OUTSIDE_DOCUMENTS = re.compile(r"data-spec|source-paper|domain\.md")
# Writing the project's own page's path, or linking it from a page beside it, is not outside.
OWN_PAGES = re.compile(r"docs/domain\.md|\[domain\.md\](?=\()|(?<=\])\(domain\.md(?=[)#])")
SKIPPED_DIRS = {".git", ".venv", "node_modules", "staticfiles", "media", "__pycache__"}


def _repository_files() -> list[Path]:
    """The tracked files (``git ls-files``), or every file of the tree where git is not available."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout.decode()
        files = [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        files = [
            path
            for path in ROOT.rglob("*")
            if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
        ]
    return [path for path in files if path.is_file()]


def test_no_file_points_to_a_document_outside_the_repository():
    this_file = Path(__file__).resolve()
    offenders = []
    for path in _repository_files():
        if path.resolve() == this_file:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE_DOCUMENTS.search(OWN_PAGES.sub("", line)):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "references to documents outside the repository:\n" + "\n".join(offenders)


def test_the_outside_document_check_finds_a_citation():
    """The check above cannot pass vacuously: it recognises each old name, and the own pages."""
    for line in ("see data-spec.md §2", "(domain.md, figures)", "(domain.md)", "source-paper p. 3"):
        assert OUTSIDE_DOCUMENTS.search(OWN_PAGES.sub("", line)), line
    for line in ("see docs/domain.md", "[domain.md](domain.md#vocabulary)", "docs/metrics.md"):
        assert not OUTSIDE_DOCUMENTS.search(OWN_PAGES.sub("", line)), line


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, in_code = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


MARKDOWN_PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]


@pytest.mark.parametrize("page", MARKDOWN_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # absolute URLs (https:, mailto:) and anchors in the same page
        name, _, anchor = target.partition("#")
        linked = (page.parent / name).resolve()
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading with this anchor in {name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_heading_anchors_follow_github():
    assert _slug(" Figures the demo data reproduces") == "figures-the-demo-data-reproduces"
    assert _slug("Faults: cache and broker down or frozen") == "faults-cache-and-broker-down-or-frozen"
    assert _slug("Sheet `units`") == "sheet-units"
