"""docs/check-your-backprop.md runs and prints exactly the reports it shows; the README links it."""

import doctest
from pathlib import Path

import pytest

from tests.test_docs import examples

REPO = Path(__file__).parent.parent
PAGE = REPO / "docs" / "check-your-backprop.md"


def test_the_page_prints_the_reports_it_shows() -> None:
    pytest.importorskip("numpy")
    test = doctest.DocTestParser().get_doctest(examples(PAGE), {}, PAGE.stem, str(PAGE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 10
    assert result.failed == 0


def test_the_page_names_every_exercise_and_the_readme_links_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for template in (REPO / "docs" / "exercises").glob("*.py"):
        assert f"`{template.name}`" in text
    assert "docs/check-your-backprop.md" in (REPO / "README.md").read_text(encoding="utf-8")
