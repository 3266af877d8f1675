"""The worked examples in docs/questions run, and print exactly what the pages show."""

import doctest
from pathlib import Path

import pytest

PAGES = sorted((Path(__file__).parent.parent / "docs" / "questions").glob("*.md"))


def test_there_are_five_worked_examples() -> None:
    assert len(PAGES) == 5


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_examples_print_what_the_page_shows(page: Path) -> None:
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted > 5
    assert result.failed == 0


def test_readme_links_every_page() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for page in PAGES:
        assert f"docs/questions/{page.name}" in readme
