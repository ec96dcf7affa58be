"""`searchapp search` with an ONNX backend starts without torch, open_clip,
sentence-transformers or transformers, and a collection records the backend that
made its vectors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.model]

HEAVY = ("torch", "open_clip", "sentence_transformers", "transformers")
# Runs the command in this interpreter, then reports which heavy modules it imported.
_SEARCH_AND_REPORT = """
import json, sys
from searchapp.cli import app
sys.argv = ["searchapp", "search", "why is the red planet red", "-k", "1", "--json"]
try:
    app()
except SystemExit as exc:
    assert not exc.code, exc.code
print("IMPORTED", json.dumps([m for m in {heavy!r} if m in sys.modules]))
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_text_search_with_onnx_imports_no_torch(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mars.md").write_text("# Mars\n\nIron oxide dust makes the planet look red.\n")
    (docs / "bread.md").write_text("# Bread\n\nFeed a sourdough starter flour and water.\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEARCHAPP_")},
        "PYTHONPATH": os.pathsep.join(sys.path),
        "HF_HUB_OFFLINE": "1",
        "SEARCHAPP_STATE_DIR": str(tmp_path / "state"),
        "SEARCHAPP_LITE_SHARED": "false",
        "SEARCHAPP_CLIP_TEXT_WINDOWS": "0",
        "SEARCHAPP_INGEST_BACKEND": "onnx",
        "SEARCHAPP_QUERY_BACKEND": "onnx-int8",
    }
    cli = [sys.executable, "-m", "searchapp.cli"]
    ingested = _run([*cli, "ingest", str(docs)], env)
    assert ingested.returncode == 0, ingested.stderr

    stats = _run([*cli, "stats", "--json"], env)
    assert stats.returncode == 0, stats.stderr
    (text,) = [c for c in json.loads(stats.stdout)["collections"] if c["space"] == "text"]
    assert text["backend"] == "onnx"  # recorded by the ingest, not the query backend

    searched = _run([sys.executable, "-c", _SEARCH_AND_REPORT.format(heavy=HEAVY)], env)
    assert searched.returncode == 0, searched.stderr
    hits, _, imported = searched.stdout.rpartition("IMPORTED ")
    # Another backend of the same model searches the collection: not refused.
    assert json.loads(hits)[0]["source"].endswith("mars.md")
    assert json.loads(imported) == []
