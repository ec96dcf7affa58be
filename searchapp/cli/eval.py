"""`searchapp eval`: measure retrieval quality on a labelled dataset (BEIR layout)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from searchapp.cli.ingest_progress import IngestBar, ingest_progress
from searchapp.cli.output import command_errors, err, out
from searchapp.search import Retrieval
from searchapp.search.service import MAX_QUERY_CHARS


class Choice(StrEnum):
    DENSE = "dense"
    KEYWORD = "keyword"
    HYBRID = "hybrid"
    ALL = "all"


def eval_command(
    dataset: Annotated[
        Path,
        typer.Argument(
            help="Folder in the BEIR layout: corpus.jsonl[.gz], queries.jsonl, qrels/test.tsv."
        ),
    ],
    retrieval: Annotated[
        Choice, typer.Option(help="Which retrieval to measure (all: each in turn).")
    ] = Choice.ALL,
    k: Annotated[
        int, typer.Option("--k", "-k", min=1, max=100, help="Cut-off of nDCG, Recall and MRR.")
    ] = 10,
    split: Annotated[str, typer.Option(help="Which qrels file to judge by.")] = "test",
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Embed the corpus again even if a scratch copy exists."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Measure nDCG, Recall and MRR of dense, keyword and hybrid search on labelled data.

    The corpus is ingested into a scratch collection (reused on later runs with
    the same corpus, model and chunking), then every judged query runs through
    the search service, relevance floor off.
    """
    from searchapp.app import App
    from searchapp.evaluate import BeirDataset, Evaluator

    chosen = list(Retrieval) if retrieval is Choice.ALL else [Retrieval(retrieval.value)]
    with command_errors():
        loaded = BeirDataset.load(dataset, split)
        with App() as app:
            evaluator = Evaluator(app.settings, app.embedders, loaded)
            try:
                with ingest_progress() as progress:
                    bar = IngestBar(progress, loaded.corpus.stat().st_size, 1)
                    reused = evaluator.prepare(rebuild=rebuild, progress=bar)
                with _query_progress() as progress:
                    total = len(loaded.queries)
                    tasks = {
                        r: progress.add_task(f"{r.value} queries", total=total) for r in chosen
                    }
                    report = evaluator.run(
                        chosen,
                        k=k,
                        reused=reused,
                        progress=lambda r, done, _total: progress.update(tasks[r], completed=done),
                    )
            finally:
                evaluator.close()
    if report.cut_queries:
        err.print(
            f"warning: {len(report.cut_queries)} queries longer than {MAX_QUERY_CHARS} "
            f"characters were cut to the model's window: {', '.join(report.cut_queries)}",
            markup=False,
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    table = Table(title=f"{report.dataset}: {report.queries} queries ({split} qrels)")
    table.add_column("retrieval")
    names = list(next(iter(report.metrics.values()), {}))
    for name in names:
        table.add_column(name, justify="right")
    for name, values in report.metrics.items():
        table.add_row(name, *(f"{values[m]:.4f}" for m in names))
    out.print(table)
    for name, reason in report.unavailable.items():
        out.print(f"{name}: not measured: {reason}", markup=False)
    err.print(
        f"scratch collection {report.collection} ({'reused' if report.reused else 'built'})",
        markup=False,
    )


def _query_progress() -> Progress:
    return Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
