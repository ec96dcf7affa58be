"""Real-time factors of audio and video ingest: audio seconds per wall second.

Generates ~1.5 minutes of speech with espeak-ng (a paragraph of sentences) and a
video of the same length (moving stripes, a new colour every few seconds, the
speech as its sound), then times, each on its own:

- decoding the audio to 16 kHz mono windows (PyAV),
- transcribing it with the bundled Whisper tiny.en (int8, VAD, word timestamps),
- extracting key frames from the video.

Run:  PYTHONPATH=. .venv/bin/python bench/media.py [--threads N] [--beam N]
Target: transcription at least 5x real time on 2 cores. Figures on a shared
machine are noisy: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from searchapp.config import Settings
from searchapp.media import SpeechModel, audio_windows, key_frames
from tests.media.samples import join_wavs, reencode, scene_video, speak

PARAGRAPH = (
    "Search should find what was said as easily as what was written.",
    "This recording talks about lighthouses, mountain trains and village bakeries.",
    "The keeper climbs one hundred and twelve steps every evening to light the lamp.",
    "In winter the sea is grey and the wind carries salt far inland.",
    "The morning train leaves the valley at nine and reaches the pass by noon.",
    "Passengers watch the glaciers while the conductor checks their tickets.",
    "At the bakery the first loaves come out of the oven before sunrise.",
    "Rye bread keeps for a week, but the croissants are gone by eight.",
    "A good archive keeps recordings, photographs and letters side by side.",
    "Each file is read once, and every model gets what it needs from it.",
    "Long lectures are decoded in windows so that memory stays small.",
    "Silence is skipped by a voice activity detector before the model runs.",
    "Every piece of the transcript remembers when it was spoken.",
    "The player then starts the recording exactly at that moment.",
    "Video frames are compared at a tiny size to notice a change of scene.",
    "Only a few frames per minute are kept and shown to the image model.",
    "This is the end of the benchmark recording. Thank you for listening.",
)


def timed(label: str, seconds: float, work) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    wall = time.perf_counter() - start
    print(f"{label:<34} {wall:7.2f} s wall   {seconds / wall:7.1f}x real time")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0, help="speech threads (0: all cores)")
    parser.add_argument("--beam", type=int, default=1, help="Whisper beam size")
    parser.add_argument("--repeat", type=int, default=1, help="say the paragraph N times")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        parts = [speak(s, folder / f"s{i}.wav") for i, s in enumerate(PARAGRAPH)]
        wav = join_wavs(parts * options.repeat, folder / "speech.wav", pause=0.8)
        mp3 = reencode(wav, folder / "speech.mp3")
        seconds = sum(w.seconds for w in audio_windows(wav, window_seconds=600, max_seconds=1e6))
        video = scene_video(folder / "video.mp4", seconds=seconds, scene_seconds=7.0, audio=wav)
        print(f"audio: {seconds:.1f} s of speech (espeak-ng), as mp3; video: 640x360, 25 fps")
        print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")

        def decode() -> int:
            windows = audio_windows(mp3, window_seconds=300, max_seconds=1e6)
            return sum(len(w.samples) for w in windows)

        timed("decode mp3 -> 16 kHz windows", seconds, decode)
        settings = Settings(speech_threads=options.threads, speech_beam_size=options.beam)
        start = time.perf_counter()
        model = SpeechModel.from_settings(settings)
        print(f"{'load ' + model.source.model_id:<34} {time.perf_counter() - start:7.2f} s")

        def transcribe():  # type: ignore[no-untyped-def]
            windows = audio_windows(mp3, window_seconds=300, max_seconds=1e6)
            return model.transcribe(windows)

        transcript = timed(
            f"transcribe (tiny.en, beam {options.beam}, {options.threads or 'all'} thr)",
            seconds,
            transcribe,
        )
        print(
            f"  {len(transcript.segments)} segments, {len(transcript.text.split())} words "
            f"(said {sum(len(s.split()) for s in PARAGRAPH) * options.repeat}), speech after "
            f"VAD {transcript.speech_seconds:.1f} s"
        )
        frames = timed(
            "key frames (video stream)",
            seconds,
            lambda: key_frames(
                video,
                min_gap=settings.keyframe_min_gap_seconds,
                max_frames=settings.keyframe_max_per_video,
                scene_change=settings.keyframe_scene_change,
            ),
        )
        print(
            f"  {len(frames)} key frames at "
            + ", ".join(f"{f.time:.1f}" for f in frames[:12])
            + (" ..." if len(frames) > 12 else "")
        )
        long_decode_memory(folder)
        print(f"load average after: {os.getloadavg()[0]:.1f} (the machine is shared)")


def long_decode_memory(folder: Path, minutes: int = 60) -> None:
    """Peak memory of decoding a long recording: one window, not the whole file."""
    import tracemalloc

    from tests.media.samples import noise

    wav = noise(folder / "long.wav", minutes * 60.0)
    tracemalloc.start()
    windows = 0
    for _ in audio_windows(wav, window_seconds=300, max_seconds=1e6):
        windows += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    whole = minutes * 60 * 16_000 * 4
    print(
        f"decode {minutes} min in {windows} windows of 300 s: peak {peak / 1e6:.0f} MB "
        f"(the whole file as 16 kHz float32 would be {whole / 1e6:.0f} MB)"
    )


if __name__ == "__main__":
    main()
