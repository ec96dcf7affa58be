"""Key frames: one at each scene change, with its time, spaced and capped."""

from __future__ import annotations

import pytest

from searchapp.errors import ExtractError
from searchapp.media import key_frames
from searchapp.media.keyframes import frame_at
from tests.media.conftest import COLOURS, SCENE_SECONDS


def frames(path, **overrides):
    options = {"min_gap": 1.0, "max_frames": 10, "scene_change": 0.25} | overrides
    return key_frames(path, **options)


def test_a_key_frame_at_each_colour_change(media) -> None:
    found = frames(media.video)
    assert [f.time for f in found] == pytest.approx(
        [i * SCENE_SECONDS for i in range(len(COLOURS))], abs=0.11
    )
    for frame, colour in zip(found, COLOURS, strict=True):
        assert frame.image.mode == "RGB"
        centre = frame.image.getpixel((frame.image.width // 2, frame.image.height // 2))
        assert all(abs(a - b) < 20 for a, b in zip(centre, colour, strict=True)), centre


def test_the_frame_at_a_key_frame_time_is_that_scene(media) -> None:
    # What a key frame's thumbnail shows: decoded again from its time alone.
    for found in frames(media.video):
        picture = frame_at(media.video, found.time)
        centre = picture.getpixel((picture.width // 2, picture.height // 2))
        expected = COLOURS[round(found.time / SCENE_SECONDS)]
        assert all(abs(a - b) < 20 for a, b in zip(centre, expected, strict=True)), centre
    with pytest.raises(ExtractError, match="no video stream"):
        frame_at(media.mp3, 0.0)


def test_at_most_one_key_frame_per_gap(media) -> None:
    found = frames(media.video, min_gap=3.0)
    # 0 s; the change at 2 s is too soon; by 3 s the scene differs from red: a frame.
    assert [f.time for f in found] == pytest.approx([0.0, 3.0], abs=0.11)


def test_the_cap_stops_decoding(media) -> None:
    assert len(frames(media.video, max_frames=2)) == 2


def test_a_still_video_has_one_key_frame(media) -> None:
    assert len(frames(media.video, scene_change=0.99)) == 1


def test_frames_are_shrunk_for_clip(media) -> None:
    found = key_frames(media.video, min_gap=1.0, max_frames=1, scene_change=0.25, max_side=64)
    assert max(found[0].image.size) == 64


def test_audio_has_no_key_frames(media) -> None:
    assert frames(media.mp3) == []


def test_a_corrupt_file_says_so(media) -> None:
    with pytest.raises(ExtractError):
        frames(media.corrupt)
