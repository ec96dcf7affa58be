"""Audio and video hits on the search page, in a real browser: the player starts
where the hit's words are said, and a video's key frame is its poster.

A recording of three spoken sentences (espeak-ng, as in tests/media) and a short
video with one of them as its sound, ingested and served by real `searchapp`
processes (the bundled Whisper tiny.en, the tiny random CLIP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.media.conftest import COLOURS, PAUSE, SCENE_SECONDS, SENTENCES
from tests.media.samples import colour_video, join_wavs, reencode, speak
from tests.web.browser.serving import BROWSER_MARKS, screenshot, serving

pytestmark = BROWSER_MARKS

# The player's position and the span its hit gives, read in the page.
PLAYER = """(id) => {
    const player = document.getElementById(id);
    return {time: player.currentTime, start: parseFloat(player.dataset.start),
            end: parseFloat(player.dataset.end), ready: player.readyState};
}"""


def played_from_its_start(page: Any, button: Any, player_id: str) -> None:
    """Click "play from" once the player knows its length; the first position read
    after the click is inside the hit's span. Read once, not polled: a player that
    played from 0 would pass through the span later."""
    page.wait_for_function(
        "(id) => document.getElementById(id).readyState >= 1", arg=player_id, timeout=60_000
    )
    button.click()
    state = page.evaluate(PLAYER, player_id)
    # From the start; playback may have moved on since, but the #t= fragment
    # pauses it at the span's end.
    assert state["start"] - 0.05 <= state["time"] <= state["end"] + 0.5, state


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    voice = tmp_path_factory.mktemp("voice")
    parts = [speak(text, voice / f"sentence{i}.wav") for i, text in enumerate(SENTENCES)]
    root = tmp_path_factory.mktemp("media-corpus")
    reencode(join_wavs(parts, voice / "talk.wav", pause=PAUSE), root / "talk.mp3")
    colour_video(root / "scenes.mp4", COLOURS, seconds_each=SCENE_SECONDS, audio=parts[0])
    return root


@pytest.fixture(scope="module")
def server(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A chunk per sentence or two, so a hit starts after the recording's start.
    with serving(
        corpus,
        tmp_path_factory.mktemp("media-server"),
        SEARCHAPP_CHUNK_TOKENS="24",
        SEARCHAPP_CHUNK_OVERLAP="0",
        SEARCHAPP_KEYFRAME_MIN_GAP_SECONDS="1",
    ) as (url, _):
        yield url


def test_an_audio_hit_plays_from_where_its_words_are_said(page: Any, server: str) -> None:
    page.goto(f"{server}/?q=take+a+loaf+and+some+cheese+to+our+outdoor+meal")
    first = page.locator("ol.docs > li").first
    assert "talk.mp3" in first.inner_text()
    audio = first.locator("audio.media-player")
    player_id = audio.get_attribute("id")
    start = float(audio.get_attribute("data-start"))
    assert start > 0  # the third sentence, not the recording's start
    assert "/file#t=" in audio.get_attribute("src")
    played_from_its_start(page, first.locator("button.play-from"), player_id)
    screenshot(page, "media-audio-hit")


def test_a_video_key_frame_hit_shows_its_frame_and_starts_there(page: Any, server: str) -> None:
    page.goto(f"{server}/?q=a+coloured+wall&mode=text-to-image")
    # A key frame after the video's start (the first one is at 0 s).
    tile = page.locator(".tile").filter(has=page.locator('video:not([data-start="0.0"])')).first
    video = tile.locator("video.media-player")
    poster = video.get_attribute("poster")
    assert poster and poster.endswith("/thumbnail")
    # The poster is the key frame, decoded again at its time: a real JPEG.
    answer = page.request.get(f"{server}{poster}")
    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
    player_id = video.get_attribute("id")
    assert float(video.get_attribute("data-start")) > 0
    played_from_its_start(page, tile.locator("button.play-from"), player_id)
    screenshot(page, "media-video-frame-hit")
