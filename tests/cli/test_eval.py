"""`searchapp eval` on a tiny BEIR-layout fixture: the numbers it prints are the
metrics of the search service's own rankings, and the keyword ones are worked
out by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.cli import app as cli
from searchapp.config import get_settings
from searchapp.embed import Embedders
from searchapp.evaluate import BeirDataset, Evaluator
from searchapp.evaluate.evaluator import fit_query, mean_metrics
from searchapp.search import Retrieval
from searchapp.search.service import MAX_QUERY_CHARS

pytestmark = [pytest.mark.integration, pytest.mark.model]

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "beir_tiny"
runner = CliRunner()


def test_eval_prints_the_metrics_of_the_service_rankings(env: Path, embedders: Embedders) -> None:
    first = runner.invoke(cli, ["eval", str(TINY), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert (report["dataset"], report["queries"], report["k"]) == ("beir_tiny", 4, 10)
    assert report["reused"] is False and report["unavailable"] == {}
    metrics = report["metrics"]
    assert set(metrics) == {"dense", "keyword", "hybrid"}

    # By hand: keyword search ranks the one judged abstract first for q1 (yeast),
    # q2 (planet) and q4 (water, leaves); q3 shares no word with any abstract.
    # So every metric is (1 + 1 + 0 + 1) / 4.
    assert metrics["keyword"] == {
        "ndcg@10": 0.75,
        "recall@10": 0.75,
        "recall@100": 0.75,
        "mrr@10": 0.75,
    }
    # Dense search puts a relevant abstract first for every query (MRR 1) and finds
    # everything judged among the 6 abstracts (recall 1).
    assert metrics["dense"]["mrr@10"] == 1.0
    assert metrics["dense"]["recall@100"] == 1.0

    # Each printed number is the metric of the rankings the search service gives.
    evaluator = Evaluator(get_settings(), embedders, BeirDataset.load(TINY))
    try:
        assert evaluator.prepare() is True  # the CLI's scratch collection is reused
        for retrieval in Retrieval:
            expected = mean_metrics(evaluator.rankings(retrieval), evaluator.dataset.qrels, 10)
            assert metrics[retrieval.value] == expected
    finally:
        evaluator.close()

    again = runner.invoke(cli, ["eval", str(TINY), "--retrieval", "keyword", "-k", "1"])
    assert again.exit_code == 0, again.output
    assert "ndcg@1" in again.stdout and "0.7500" in again.stdout
    assert "dense" not in again.stdout
    assert "reused" in again.stderr


def test_eval_names_what_is_missing(env: Path) -> None:
    result = runner.invoke(cli, ["eval", str(env)])
    assert result.exit_code == 1
    assert "corpus.jsonl" in result.output


def test_a_query_longer_than_the_api_accepts_is_cut_and_the_run_goes_on(env: Path) -> None:
    # One public IR collection has a 2,023-character query; the API refuses more
    # than 2,000. The evaluation cuts it to the model's window, warns, and goes on.
    dataset = env / "long"
    shutil.copytree(TINY, dataset)
    long = "how do I keep my bread yeast culture alive " + "sourdough starter feeding " * 80
    assert len(long) > MAX_QUERY_CHARS
    with (dataset / "queries.jsonl").open("a") as queries:
        queries.write(json.dumps({"_id": "q9", "text": long}) + "\n")
    with (dataset / "qrels" / "test.tsv").open("a") as qrels:
        qrels.write("q9\td1\t1\n")

    result = runner.invoke(cli, ["eval", str(dataset), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["queries"] == 5
    assert list(report["cut_queries"]) == ["q9"]
    assert "1 queries longer than 2000 characters were cut" in result.stderr
    # The cut query still finds its abstract (the yeast words are at its start).
    assert report["metrics"]["dense"]["recall@100"] == 1.0


def test_fit_query_keeps_the_model_window(embedders: Embedders) -> None:
    model = embedders.query_text()
    short = "what makes the red planet red"
    assert fit_query(short, model.window_prefix) == short
    long = "word " * 1000
    cut = fit_query(long, model.window_prefix)
    assert len(cut) <= MAX_QUERY_CHARS
    assert cut == model.window_prefix(long.strip())
    assert cut.split() == ["word"] * model.max_tokens
