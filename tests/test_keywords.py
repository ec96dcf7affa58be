"""Keyword analysis: the same words for documents and queries, stemmed, no stop words."""

from __future__ import annotations

from searchapp.keywords import STOP_WORDS, analyze


def test_stems_lowercases_and_drops_stop_words() -> None:
    assert analyze("The dogs are running") == "dog run"
    assert analyze("Vitamin-D deficiency, 2019 STUDIES") == "vitamin d defici 2019 studi"


def test_query_and_document_forms_meet() -> None:
    assert analyze("runs") == analyze("running") == "run"
    assert analyze("studies") == analyze("study")


def test_only_stop_words_leave_nothing() -> None:
    assert analyze("to be or not to be") == ""
    assert analyze("") == ""
    assert "the" in STOP_WORDS and "vitamin" not in STOP_WORDS


def test_non_latin_words_are_kept() -> None:
    assert analyze("Größe café") == "größe café"
