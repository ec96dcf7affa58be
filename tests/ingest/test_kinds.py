"""Sorting a run's files: documents, images, and caption sidecars."""

from __future__ import annotations

from pathlib import Path

from searchapp.ingest.discover import discover
from searchapp.ingest.kinds import sort_files


def test_sidecars_go_with_their_images(tmp_path: Path) -> None:
    for name in ("cat.jpg", "cat.txt", "dog.PNG", "dog.caption", "dog.txt", "notes.txt", "x.md"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cat.txt").write_text("another folder: a document")

    files = sort_files(list(discover([tmp_path])))

    assert {(i.found.path.name, i.sidecar.name if i.sidecar else None) for i in files.images} == {
        ("cat.jpg", "cat.txt"),
        ("dog.PNG", "dog.caption"),
    }
    assert sorted(f.path.name for f in files.sidecars) == ["cat.txt", "dog.caption"]
    # dog.txt is not dog.PNG's caption (.caption wins), so it is a document.
    assert sorted(str(f.path.relative_to(tmp_path)) for f in files.documents) == [
        "dog.txt",
        "notes.txt",
        "sub/cat.txt",
        "x.md",
    ]


def test_a_named_image_finds_its_sidecar_on_disk(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_text("x")
    (tmp_path / "a.txt").write_text("a caption")
    files = sort_files(list(discover([tmp_path / "a.jpg"])))
    assert files.images[0].sidecar == tmp_path / "a.txt"
    assert files.documents == [] and files.sidecars == []
