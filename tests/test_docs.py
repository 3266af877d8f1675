"""The worked examples in docs/questions run, and print exactly what the pages show."""

import doctest
import re
from pathlib import Path

import pytest

PAGES = sorted((Path(__file__).parent.parent / "docs" / "questions").glob("*.md"))
# the engine's pages: defining an op, and forward vs reverse mode; and training on digits
ENGINE_PAGES = [
    Path(__file__).parent.parent / "docs" / name
    for name in ("own-op.md", "forward-vs-reverse.md", "digits.md")
]


def test_there_are_seven_worked_examples() -> None:
    assert len(PAGES) == 7


def examples(page: Path) -> str:
    """The page's python code blocks, as one doctest text (the closing fences left out)."""
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    return "\n".join(blocks)


@pytest.mark.parametrize("page", PAGES + ENGINE_PAGES, ids=[p.stem for p in PAGES + ENGINE_PAGES])
def test_page_examples_print_what_the_page_shows(page: Path) -> None:
    test = doctest.DocTestParser().get_doctest(examples(page), {}, page.stem, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 5
    assert result.failed == 0


def test_readme_links_every_page() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for page in PAGES:
        assert f"docs/questions/{page.name}" in readme
    for page in ENGINE_PAGES:
        assert f"docs/{page.name}" in readme


def test_the_notation_glossary_is_generated_from_the_records() -> None:
    import nn.glossary

    page = Path(__file__).parent.parent / "docs" / "notation.md"
    assert page.read_text(encoding="utf-8") == nn.glossary.glossary(), (
        "docs/notation.md is out of date; regenerate it with "
        "python -c 'import nn.glossary as g; print(g.glossary(), end=\"\")' > docs/notation.md"
    )


def test_the_glossary_shows_each_notations_own_forms() -> None:
    import nn.glossary

    text = nn.glossary.glossary()
    # a cell per notation, written from the records: LFD's bias is a weight from node 0
    for form in (
        "w<sup>l</sup><sub>jk</sub>",
        "w<sup>(l)</sup><sub>ij</sub>",
        "w<sup>(l)</sup><sub>0j</sub>",
        "dz<sup>[l]</sup><sub>j</sub>",
        "a<sup>(l)</sup><sub>j</sub>",
        "E<sub>in</sub>",
    ):
        assert form in text, form
    for key in nn.notation.NOTATIONS:
        assert f"(`{key}`)" in text


def _forward_reverse_rows(text: str) -> list[list[str]]:
    """The rows of the forward-vs-reverse table: its header, then one row per n."""
    start = text.index("| inputs n | graph nodes | reverse:")
    lines = text[start:].splitlines()
    rows = [lines[0]] + [line for line in lines[2:4]]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_forward_vs_reverse_figures_are_the_readmes_one_run() -> None:
    # one run of the benchmark script gives the figures; the doc quotes the README's table
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    doc = (root / "docs" / "forward-vs-reverse.md").read_text(encoding="utf-8")
    table = _forward_reverse_rows(readme)
    assert _forward_reverse_rows(doc) == table
    # the prose's "about N times" is the n = 64 ratio, rounded to ten
    ratio = float(table[2][4].rstrip("×"))
    assert f"about {round(ratio, -1):.0f} times slower" in doc
