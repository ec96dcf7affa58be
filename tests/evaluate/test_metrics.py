"""The ranking metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from searchapp.evaluate.metrics import mrr_at_k, ndcg_at_k, recall_at_k

LOG2_3 = math.log2(3)  # the discount of rank 2


def test_binary_judgements() -> None:
    ranking = ["a", "b", "c", "d"]
    judged = {"b": 1, "d": 1}
    # DCG@3 = 1/log2(3) (b at rank 2); ideal: both relevant at ranks 1 and 2.
    assert ndcg_at_k(ranking, judged, 3) == pytest.approx((1 / LOG2_3) / (1 + 1 / LOG2_3))
    assert ndcg_at_k(ranking, judged, 3) == pytest.approx(0.386853, abs=1e-6)
    assert recall_at_k(ranking, judged, 3) == 0.5
    assert recall_at_k(ranking, judged, 4) == 1.0
    assert mrr_at_k(ranking, judged, 3) == 0.5
    assert mrr_at_k(ranking, judged, 1) == 0.0


def test_graded_judgements_use_the_grade_as_gain() -> None:
    # x (grade 1) at rank 1, y (grade 2) at rank 2; z (grade 3) was never found.
    ranking = ["x", "y"]
    judged = {"x": 1, "y": 2, "z": 3}
    dcg = 1 + 2 / LOG2_3
    ideal = 3 + 2 / LOG2_3
    assert ndcg_at_k(ranking, judged, 2) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(ranking, judged, 2) == pytest.approx(0.530721, abs=1e-6)
    assert recall_at_k(ranking, judged, 2) == pytest.approx(2 / 3)
    assert mrr_at_k(ranking, judged, 2) == 1.0


def test_perfect_and_empty_rankings() -> None:
    judged = {"a": 1, "b": 1}
    assert ndcg_at_k(["a", "b", "c"], judged, 10) == pytest.approx(1.0)
    assert ndcg_at_k([], judged, 10) == 0.0
    assert recall_at_k([], judged, 10) == 0.0
    assert mrr_at_k(["c", "d"], judged, 10) == 0.0


def test_zero_grades_are_not_relevant() -> None:
    judged = {"a": 0}
    assert ndcg_at_k(["a"], judged, 10) == 0.0
    assert recall_at_k(["a"], judged, 10) == 0.0
    assert mrr_at_k(["a"], judged, 10) == 0.0


def test_a_document_counts_once_at_its_best_rank() -> None:
    # Two chunks of "a" must not push "b" out of the top 2.
    assert mrr_at_k(["a", "a", "b"], {"b": 1}, 2) == 0.5
    assert recall_at_k(["b", "b"], {"b": 1, "c": 1}, 10) == 0.5


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        ndcg_at_k(["a"], {"a": 1}, 0)
