"""The examples in docs/ are answers of this registry on the demo data.

A fenced block in docs/*.md preceded by a marker comment is checked against the answer the API gives
on the test session's demo data (``demo_data`` in conftest.py, ``seed_demo`` with its default seed):

    <!-- demo-example: GET /api/v1/stats/summary/?year=2023 ignore=computed_at -->
    ```json
    {"year": 2023, ...}
    ```

- ``demo-example: GET PATH``: the block is the JSON answer of that request. A path may name a record
  by its natural key, ``{achievement:UNIT_CODE:REF}`` or ``{transformation:UNIT_CODE:REF}``, which is
  replaced by the record's id.
- ``demo-example`` alone, before a ``console`` block: every ``$ curl … "https://…/api/v1/…"`` line
  followed by a JSON answer is that request and its answer.
- ``ignore=a,b``: keys not compared, at any depth (ids, URLs and times that depend on the database).

The documented JSON must list every key of the answer, with the same values; the string ``"…"``
stands for any value, and as the last element of a list for "more rows follow".

Statements of the demo data's size ("demo data (104 units, 45,130 achievements, 54,302 contracts)")
are checked against the seeded counts.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from achievements.models import Achievement, Transformation, Unit

DOCS = Path(__file__).resolve().parent.parent / "docs"
ANY = "…"
MARKER = re.compile(r"^<!-- demo-example(?::\s*GET\s+(?P<path>\S+))?(?:\s+ignore=(?P<ignore>[\w,]+))?\s*-->$")
FENCE = re.compile(r"^```(\w*)$")
CURL = re.compile(r"""^\$ curl\b.*?["']https?://[^/"']*(?P<path>/api/v1/[^"']*)["']""")
RECORD = re.compile(r"\{(achievement|transformation):([0-9A-Z]{18}):([^}]+)\}")
SIZE = re.compile(
    r"demo[^.;]{0,60}?(?:(?P<units>[\d,]+) units,\s+)?(?P<achievements>[\d,]+) achievements,\s+"
    r"(?P<contracts>[\d,]+) contracts"
)


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    path: str
    documented: object
    ignore: frozenset

    def __str__(self):
        return f"{self.page}:{self.line} GET {self.path}"


def _blocks(lines):
    """(line number of the marker, marker match, language, block lines) for each marked block."""
    for index, line in enumerate(lines):
        marker = MARKER.match(line.strip())
        if not marker:
            continue
        fence = FENCE.match(lines[index + 1].strip()) if index + 1 < len(lines) else None
        assert fence, f"line {index + 1}: a demo-example marker must be followed by a fenced block"
        end = next(i for i in range(index + 2, len(lines)) if lines[i].strip() == "```")
        yield index + 1, marker, fence.group(1), lines[index + 2 : end]


def _console_examples(block):
    """(path, answer text) for each curl line of a console block followed by a JSON answer."""
    examples, current, answer = [], None, []
    for line in [*block, ""]:
        if line.startswith("$") or not line.strip():
            if current and answer and answer[0].startswith("{"):
                examples.append((current, "\n".join(answer)))
            curl = CURL.match(line)
            current, answer = (curl.group("path") if curl else None), []
        else:
            answer.append(line)
    return examples


def collect_examples() -> list[Example]:
    examples = []
    for page in sorted(DOCS.glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, marker, language, block in _blocks(lines):
            ignore = frozenset(filter(None, (marker.group("ignore") or "").split(",")))
            where = f"docs/{page.name}"
            if marker.group("path"):
                assert language == "json", f"{where}:{number}: a demo-example request needs a json block"
                examples.append(
                    Example(where, number, marker.group("path"), json.loads("\n".join(block)), ignore)
                )
                continue
            assert language == "console", f"{where}:{number}: a bare demo-example needs a console block"
            found = _console_examples(block)
            assert found, (
                f"{where}:{number}: a bare demo-example marker needs a console block with curl answers"
            )
            for path, answer in found:
                examples.append(Example(where, number, path, json.loads(answer), ignore))
    return examples


EXAMPLES = collect_examples()


def differences(documented, actual, ignore, where="$"):
    """Where the documented JSON differs from the answer (empty when it matches)."""
    if documented == ANY:
        return []
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{where}: documented an object, the answer is {actual!r}"]
        problems = [f"{where}.{key}: not in the answer" for key in documented if key not in actual]
        problems += [
            f"{where}.{key}: in the answer ({actual[key]!r}) but not documented"
            for key in actual
            if key not in documented and key not in ignore
        ]
        for key in documented:
            if key in actual and key not in ignore:
                problems += differences(documented[key], actual[key], ignore, f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{where}: documented a list, the answer is {actual!r}"]
        more = bool(documented) and documented[-1] == ANY
        shown = documented[:-1] if more else documented
        if len(actual) < len(shown) or (not more and len(actual) != len(shown)):
            return [f"{where}: {len(shown)} elements documented, {len(actual)} in the answer"]
        problems = []
        for index, (doc_item, item) in enumerate(zip(shown, actual[: len(shown)], strict=True)):
            problems += differences(doc_item, item, ignore, f"{where}[{index}]")
        return problems
    if documented != actual or type(documented) is not type(actual):
        return [f"{where}: documented {documented!r}, the answer is {actual!r}"]
    return []


def _resolve(path: str) -> str:
    def record_id(match):
        model = Achievement if match.group(1) == "achievement" else Transformation
        return str(model.objects.get(unit__code=match.group(2), ref=match.group(3)).pk)

    return RECORD.sub(record_id, path)


@pytest.fixture
def demo_staff_client(demo_data, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="staff"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_the_documented_example_is_the_answer_on_the_demo_data(example, demo_staff_client):
    url = urlsplit(_resolve(example.path))
    response = demo_staff_client.get(url.path, data=dict(parse_qsl(url.query)))
    assert response.status_code == 200, (str(example), response.content[:300])
    problems = differences(example.documented, response.json(), example.ignore)
    assert not problems, f"{example} does not match the demo data:\n" + "\n".join(problems)


def test_the_pages_with_answers_have_their_examples_checked():
    pages = {example.page for example in EXAMPLES}
    assert {"docs/statistics.md", "docs/api.md"} <= pages
    assert any("/stats/summary/" in example.path for example in EXAMPLES)
    assert any("/stats/breakdown/" in example.path for example in EXAMPLES)


def test_the_comparison_finds_a_changed_figure_a_missing_field_and_a_missing_row():
    answer = {"year": 2023, "amount": "1.00", "rows": [{"key": "a"}, {"key": "b"}], "computed_at": "x"}
    assert not differences(
        {"year": 2023, "amount": "1.00", "rows": [{"key": "a"}, ANY]}, answer, {"computed_at"}
    )
    assert differences({"year": 2023, "amount": "2.00", "rows": ANY}, answer, {"computed_at"})
    assert differences({"year": 2023, "rows": ANY}, answer, {"computed_at"})  # amount not documented
    assert differences({"year": 2023, "amount": "1.00", "rows": [{"key": "a"}]}, answer, {"computed_at"})
    assert differences({"year": 2023.0, "amount": "1.00", "rows": ANY}, answer, {"computed_at"})


def _size_statements():
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in SIZE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield f"docs/{page.name}:{line}", match


@pytest.mark.django_db
def test_the_demo_data_size_stated_in_the_docs_is_the_seeded_size(demo_data):
    statements = list(_size_statements())
    assert statements, "no statement of the demo data's size found"
    counts = {
        "units": Unit.objects.filter(synthetic=True).count(),
        "achievements": Achievement.objects.filter(synthetic=True).count(),
        "contracts": Transformation.objects.filter(synthetic=True).count(),
    }
    wrong = [
        f"{where}: {name} {match.group(name)} (seeded: {counts[name]:,})"
        for where, match in statements
        for name in counts
        if match.group(name) and int(match.group(name).replace(",", "")) != counts[name]
    ]
    assert not wrong, "\n".join(wrong)
