"""The level of a render: one gain for a mix, its stems and its tail, to a sample peak or to a loudness target."""

from __future__ import annotations

from composer.output.audio_files import Audio
from composer.output.loudness import loudness_gain, true_peak


def peak_gain(peaks: list[float], peak_dbfs: float) -> float:
    """The gain that brings the loudest of `peaks` to `peak_dbfs` (1.0 for silence)."""
    loudest = max(peaks)
    return 10 ** (peak_dbfs / 20) / loudest if loudest > 0 else 1.0


def normalise(mix: Audio, stems: list[Audio], peak_dbfs: float, loudness_lufs: float | None = None,
              true_peak_dbtp: float = -1.0) -> None:
    """Scale the mix, its stems and its tail in place by one gain: the loudest sample of them all to
    `peak_dbfs`, or (given `loudness_lufs`) the mix to that integrated loudness with every file's true
    peak under `true_peak_dbtp`, limited where it would not be (Audio.loudness says what was done).

    One gain, or one gain envelope, for all: the stems still add up to the mix.
    """
    if loudness_lufs is None:
        gain = peak_gain([mix.peak] + [s.peak for s in stems], peak_dbfs)
        for audio in (mix, *stems):
            audio.samples *= gain
            if audio.tail is not None:
                audio.tail *= gain
        return
    envelope, mix.loudness = loudness_gain(mix.samples, mix.sample_rate, loudness_lufs, true_peak_dbtp,
                                           [s.samples for s in stems], wrap=mix.loop is not None)
    for audio in (mix, *stems):
        audio.samples *= envelope[:, None]
        if audio.tail is not None:
            audio.tail *= envelope[-1]  # the tail goes on from the loop's end
    if mix.tail is not None and len(mix.tail):
        ceiling, peak = 10 ** (true_peak_dbtp / 20), true_peak(mix.tail)
        if peak > ceiling:  # rare: the release rings louder than the loop's end
            mix.tail *= ceiling / peak
