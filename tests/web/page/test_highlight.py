"""Snippet highlighting: everything escaped, the query's words marked."""

from __future__ import annotations

from searchapp.web.highlight import highlight


def test_markup_in_the_text_is_escaped() -> None:
    marked = str(highlight("<script>alert('x')</script> & more", "script"))
    assert marked == (
        "&lt;<mark>script</mark>&gt;alert(&#39;x&#39;)&lt;/<mark>script</mark>&gt; &amp; more"
    )


def test_entity_names_in_the_query_do_not_break_escaping() -> None:
    # Matching inside already-escaped text would split "&amp;" for a query "amp".
    assert str(highlight("salt & pepper", "amp quot lt")) == "salt &amp; pepper"


def test_markup_in_the_query_is_inert() -> None:
    marked = str(highlight("a <b> tag", "<b>"))
    assert "<b>" not in marked
    assert marked == "a &lt;<mark>b</mark>&gt; tag"


def test_words_and_their_forms_are_marked() -> None:
    marked = str(
        highlight("Keeping the starter: do not double it. Cats and a catalog.", "keep do cat")
    )
    assert "<mark>Keeping</mark>" in marked
    assert "<mark>do</mark> not double" in marked  # short words mark only themselves
    assert "<mark>Cats</mark>" in marked and "catalog" in marked and "<mark>catalog" not in marked


def test_stop_words_are_not_marked() -> None:
    assert str(highlight("a cup of coffee", "cup of")) == "a <mark>cup</mark> of coffee"
    assert str(highlight("nothing to mark", "")) == "nothing to mark"


def test_marks_what_the_keyword_analyser_matches() -> None:
    # Stems, as keyword search indexes them: "bees" for "bee", "harvesting" for "harvest".
    marked = str(
        highlight("Bees and the harvest: harvesting honey", "how do bees harvest the honey")
    )
    assert marked == (
        "<mark>Bees</mark> and the <mark>harvest</mark>: <mark>harvesting</mark> <mark>honey</mark>"
    )
    # A word that only begins like a query word is not the same term.
    assert str(highlight("hives hiveless", "hive")) == "<mark>hives</mark> hiveless"


def test_only_stop_words_mark_nothing() -> None:
    assert str(highlight("the cat of the house", "the of")) == "the cat of the house"
