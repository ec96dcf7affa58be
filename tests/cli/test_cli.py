"""The `searchapp` command end to end, in-process through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from searchapp.cli import app as cli

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "images"


@pytest.fixture
def any_env(backend_env, tmp_path: Path) -> Path:
    """Like ``env``, on Milvus Lite and on the real server."""
    return tmp_path


def test_help_explains_every_command() -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "search", "stats", "reindex", "doctor", "eval"):
        assert command in result.output
    for command, phrase in (
        ("ingest", "Unchanged files are skipped"),
        ("search", "--json"),
        ("stats", "HNSW"),
        ("reindex", "--keep-old"),
        ("doctor", "Exits 1 when an essential check fails"),
        ("search", "--retrieval"),
        ("eval", "BEIR layout"),
    ):
        sub = runner.invoke(cli, [command, "--help"])
        assert sub.exit_code == 0 and phrase in sub.output


def test_missing_path_is_a_one_line_error(env: Path) -> None:
    result = runner.invoke(cli, ["ingest", str(env / "nope")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


@pytest.mark.integration
@pytest.mark.model
def test_ingest_search_stats(any_env: Path) -> None:
    docs = any_env / "docs"
    docs.mkdir()
    (docs / "volcano.md").write_text(
        "# Volcanoes\n\nMagma rises through the crust and erupts as lava and ash."
    )
    (docs / "tea.txt").write_text("Green tea\n\nSteep green tea at 80 degrees for two minutes.")
    (docs / "junk.txt").write_bytes(b"\x00\x00\x00binary")

    ingested = runner.invoke(cli, ["ingest", str(docs), "--json"])
    assert ingested.exit_code == 0, ingested.output
    summary = json.loads(ingested.stdout)
    assert (summary["ingested"], summary["failed"], summary["files_seen"]) == (2, 1, 3)
    assert summary["problems"][0]["path"].endswith("junk.txt")

    found = runner.invoke(cli, ["search", "molten rock from a mountain", "-k", "2", "--json"])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert hits[0]["source"].endswith("volcano.md")
    assert set(hits[0]) == {  # the API's hit shape
        "id",
        "thumbnail_url",
        "file_url",
        "score",
        "relevance",
        "source",
        "record_id",
        "title",
        "snippet",
        "media_type",
        "chunk",
        "image",
        "start",
        "end",
    }
    assert set(hits[0]["chunk"]) == {"index", "start", "end"}
    assert hits[0]["image"] is None
    assert (hits[0]["start"], hits[0]["end"]) == (None, None)  # seconds: audio and video only
    assert hits[0]["title"] == "Volcanoes"

    text = runner.invoke(cli, ["search", "molten rock"])
    assert text.exit_code == 0 and "Volcanoes" in text.stdout and "score" in text.stdout

    stats = runner.invoke(cli, ["stats", "--json"])
    [collection] = json.loads(stats.stdout)["collections"]
    assert collection["rows"] == 2
    assert collection["media_rows"] == 0
    assert collection["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert collection["dim"] == 384


@pytest.mark.integration
def test_nothing_ingestible_exits_non_zero(env: Path) -> None:
    bad = env / "bad.txt"
    bad.write_bytes(b"\x00" * 10)
    result = runner.invoke(cli, ["ingest", str(bad)])
    assert result.exit_code == 1
    assert "failed" in result.output


def test_unreachable_store_exits_non_zero(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_MILVUS_URI", "http://127.0.0.1:9")
    result = runner.invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert "cannot reach Milvus" in result.output


@pytest.mark.integration
@pytest.mark.model
def test_search_before_ingest_says_so(any_env: Path) -> None:
    result = runner.invoke(cli, ["search", "anything"])
    assert result.exit_code == 0
    assert "nothing has been ingested yet" in result.stdout


def _mixed_folder(root: Path) -> Path:
    """The sample photos (with caption sidecars) next to two documents."""
    folder = root / "mixed"
    (folder / "images").mkdir(parents=True)
    for path in SAMPLES.iterdir():
        (folder / "images" / path.name).write_bytes(path.read_bytes())
    (folder / "bread.md").write_text("# Bread\n\nKnead the dough, then let it rise overnight.")
    (folder / "tea.txt").write_text("Green tea\n\nSteep green tea at 80 degrees.")
    return folder


@pytest.mark.integration
@pytest.mark.model
def test_without_clip_weights_text_still_works(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A checkpoint that is not there: fails at once, as a machine with no weights does.
    monkeypatch.setenv("SEARCHAPP_CLIP_CHECKPOINT", str(env / "no-weights.safetensors"))
    folder = _mixed_folder(env)
    ingested = runner.invoke(cli, ["ingest", str(folder)])
    assert ingested.exit_code == 0, ingested.output
    # The reason once, in a note; each image points at it.
    output = " ".join(ingested.output.split())  # unwrapped
    assert output.count("SEARCHAPP_CLIP_CHECKPOINT=") == 1
    assert "note: 10 image(s) skipped: CLIP weights cannot be loaded" in output
    assert output.count("no CLIP model (see the note above)") == 10
    summary = json.loads(runner.invoke(cli, ["ingest", str(folder), "--json"]).stdout)
    assert (summary["unchanged"], summary["skipped"], summary["failed"]) == (2, 10, 0)

    found = runner.invoke(cli, ["search", "dough rising", "--json"])
    assert found.exit_code == 0 and json.loads(found.stdout)[0]["source"].endswith("bread.md")
    refused = runner.invoke(cli, ["search", "a cat", "--mode", "text-to-image"])
    assert refused.exit_code == 1
    assert refused.output.startswith("error: CLIP weights cannot be loaded")
    assert len(refused.output.strip().splitlines()) <= 6  # one message, wrapped by the terminal


@pytest.mark.integration
@pytest.mark.model
def test_search_modes(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCHAPP_TEST_RANDOM_CLIP", "1")
    folder = _mixed_folder(env)
    ingested = runner.invoke(cli, ["ingest", str(folder), "--json"])
    assert ingested.exit_code == 0, ingested.output
    summary = json.loads(ingested.stdout)
    assert (summary["ingested"], summary["files_seen"]) == (12, 12)  # sidecars are no files
    assert summary["rows_written"]["clip_image"] == 10

    cat = folder / "images" / "chelsea-the-cat.png"
    by_path = runner.invoke(cli, ["search", str(cat), "--mode", "image", "-k", "3", "--json"])
    assert by_path.exit_code == 0, by_path.output
    hits = json.loads(by_path.stdout)
    assert hits[0]["source"] == str(cat)
    assert hits[0]["image"] == {
        "width": 451,
        "height": 300,
        "format": "PNG",
        "caption": (SAMPLES / "chelsea-the-cat.txt").read_text().strip(),
    }
    by_id = runner.invoke(cli, ["search", hits[0]["id"], "-m", "image-to-text", "--json"])
    assert by_id.exit_code == 0, by_id.output
    assert str(cat) not in {hit["source"] for hit in json.loads(by_id.stdout)}

    words = runner.invoke(cli, ["search", "a cup of coffee", "--mode", "text-to-image"])
    assert words.exit_code == 0 and "image 600 x 400 PNG" in words.stdout
    caption = runner.invoke(cli, ["search", "espresso on a red saucer", "--json"])
    assert json.loads(caption.stdout)[0]["source"].endswith("coffee.png")

    missing = runner.invoke(cli, ["search", str(env / "nope.jpg"), "--mode", "image"])
    assert missing.exit_code == 1
    assert "neither an image file nor the id" in " ".join(missing.output.split())

    stats = json.loads(runner.invoke(cli, ["stats", "--json"]).stdout)
    spaces = {c["name"]: c for c in stats["collections"]}
    assert set(spaces) == {"searchapp_text", "searchapp_clip_image", "searchapp_clip_text"}
    assert spaces["searchapp_clip_image"]["rows"] == 10
    assert "random-weights" in spaces["searchapp_clip_image"]["model"]
