"""Decoding: formats, bounded windows, and the reasons a file gives no audio."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from searchapp.errors import ExtractError, FileSkipped
from searchapp.media import SAMPLE_RATE, audio_windows, probe

LONG_ENOUGH = 3600.0


def decoded(path, window_seconds=300.0, max_seconds=LONG_ENOUGH):
    return list(audio_windows(path, window_seconds=window_seconds, max_seconds=max_seconds))


@pytest.mark.parametrize("name", ["speech_wav", "mp3", "ogg", "webm", "m4a", "flac"])
def test_formats_decode_to_16k_mono_of_the_right_length(media, name) -> None:
    more = {path.suffix.lstrip("."): path for path in media.more_formats}
    windows = decoded(more[name] if name in more else getattr(media, name))
    assert len(windows) == 1
    samples = windows[0].samples
    assert samples.dtype == np.float32 and samples.ndim == 1
    # Encoders pad a little (mp3 frames, opus pre-skip): within a tenth of a second.
    assert abs(len(samples) / SAMPLE_RATE - media.speech_seconds) < 0.1
    assert np.abs(samples).max() > 0.05  # sound, not silence


def test_probe_tells_audio_from_video(media) -> None:
    assert (probe(media.mp3).has_audio, probe(media.mp3).has_video) == (True, False)
    assert (probe(media.video).has_audio, probe(media.video).has_video) == (True, True)
    info = probe(media.picture_only)
    assert (info.has_audio, info.has_video) == (False, True)
    assert info.duration == pytest.approx(2.0, abs=0.2)


def test_a_window_is_cut_at_a_quiet_moment_near_its_end(media) -> None:
    from searchapp.media import audio as audio_module

    whole = decoded(media.speech_wav)[0].samples
    window = 3 * SAMPLE_RATE
    cut = audio_module._quiet_cut(whole, window)
    assert window - 0.75 * SAMPLE_RATE <= cut <= window
    # At the cut the sound is quieter than the window's average.
    frame = whole[cut - 160 : cut + 160]
    assert np.square(frame).mean() <= np.square(whole[:window]).mean()


def test_windows_are_contiguous_and_bounded(media, monkeypatch) -> None:
    from searchapp.media import audio as audio_module

    monkeypatch.setattr(audio_module, "_QUIET_SEARCH_SECONDS", 0.5)
    windows = decoded(media.speech_wav, window_seconds=2.0)
    assert len(windows) >= 4
    whole = decoded(media.speech_wav)[0].samples
    assert np.array_equal(np.concatenate([w.samples for w in windows]), whole)
    for before, after in pairwise(windows):
        assert after.offset == pytest.approx(before.offset + before.seconds)
    # No window holds more than its size plus one decoded frame's worth.
    assert max(w.seconds for w in windows) < 2.0 + 0.2


def test_a_corrupt_file_says_it_cannot_be_decoded(media) -> None:
    with pytest.raises(ExtractError, match="not a readable audio or video file: "):
        decoded(media.corrupt)


def test_a_video_without_sound_has_no_audio_track(media) -> None:
    with pytest.raises(FileSkipped, match="no audio track"):
        decoded(media.picture_only)


def test_a_file_over_the_duration_cap_is_skipped_before_decoding(media) -> None:
    with pytest.raises(FileSkipped, match=r"longer than SEARCHAPP_MEDIA_MAX_SECONDS \(5 s\)"):
        decoded(media.speech_wav, max_seconds=5.0)


def test_the_cap_holds_when_the_container_does_not_know_the_duration(media, monkeypatch) -> None:
    from searchapp.media import audio as audio_module

    monkeypatch.setattr(audio_module, "check_duration", lambda info, max_seconds: None)
    with pytest.raises(FileSkipped, match="longer than"):
        decoded(media.speech_wav, max_seconds=5.0)


def test_media_files_and_their_types(media) -> None:
    from pathlib import Path

    from searchapp.media import is_media_file, media_type

    assert is_media_file(Path("talk.MP3")) and is_media_file(Path("clip.webm"))
    assert not is_media_file(Path("photo.jpg")) and not is_media_file(Path("notes.txt"))
    assert media_type(Path("a.ogg")) == "audio/ogg"
    assert media_type(media.video, has_video=probe(media.video).has_video) == "video/mp4"
    assert media_type(Path("voice.webm"), has_video=False) == "audio/webm"
