"""Loudness to a target: integrated LUFS (ITU-R BS.1770-4 via pyloudnorm), 4x-oversampled true peak, a limiter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from composer.core.errors import ComposerError

OVERSAMPLE = 4  # BS.1770-4 Annex 2: true peak from the signal oversampled 4x (at 44.1/48 kHz)
BLOCK_FRAMES = 1 << 16  # frames oversampled at a time, so a long render needs no 4x copy of itself
PAD_FRAMES = 64  # context either side of a block: longer than half resample_poly's filter at 4x
LIMITER_SECONDS = 0.010  # the limiter's gain is lowest from this long before a peak until as long after
CEILING_MARGIN_DB = 0.1  # the limiter aims this far under the ceiling; the envelope's smoothing may overshoot
SETTLE_LU = 0.05  # stop adjusting the gain once the result is this close to the target
MAX_PASSES = 6


@dataclass(frozen=True)
class LoudnessFacts:
    """What loudness normalisation did: the target, the result, the true peak and the limiting it took."""

    target_lufs: float
    integrated_lufs: float  # the mix as written
    true_peak_dbtp: float  # the highest 4x-oversampled peak of the mix and every stem
    ceiling_dbtp: float
    gain_db: float  # the gain before limiting
    limited_db: float  # the most the limiter took off anywhere (0: no limiting)

    def as_json(self) -> dict[str, float]:
        return {name: round(float(value), 2) for name, value in self.__dict__.items()}


def _meter(sample_rate: int):  # type: ignore[no-untyped-def]
    try:
        import pyloudnorm
    except ImportError:
        raise ComposerError("loudness normalisation needs pyloudnorm: pip install pyloudnorm") from None
    return pyloudnorm.Meter(sample_rate)  # the K-weighting and gating of ITU-R BS.1770-4


def integrated_lufs(samples: np.ndarray, sample_rate: int) -> float:
    """The integrated, gated loudness of stereo samples (frames, 2) in LUFS; -inf for silence."""
    meter = _meter(sample_rate)
    if len(samples) < round(meter.block_size * sample_rate) + 1:
        raise ComposerError(f"{len(samples) / sample_rate:.2f} s of audio is too short to measure its loudness "
                            f"(at least {meter.block_size:g} s)")
    return float(meter.integrated_loudness(np.asarray(samples, dtype=np.float64)))


def frame_peaks(samples: np.ndarray, wrap: bool = False) -> np.ndarray:
    """Per frame, the highest absolute value over channels of the signal oversampled 4x around it; a looped
    signal (`wrap`) is oversampled as if its end ran on into its start."""
    from scipy.signal import resample_poly

    frames = len(samples)
    data = samples.reshape(frames, -1)
    if wrap and frames > PAD_FRAMES:
        padded = np.concatenate([data[-PAD_FRAMES:], data, data[:PAD_FRAMES]])
    else:
        silence = np.zeros((PAD_FRAMES, data.shape[1]), dtype=data.dtype)
        padded = np.concatenate([silence, data, silence])
    peaks = np.empty(frames, dtype=np.float32)
    for start in range(0, frames, BLOCK_FRAMES):
        stop = min(frames, start + BLOCK_FRAMES)
        block = resample_poly(padded[start:stop + 2 * PAD_FRAMES], OVERSAMPLE, 1, axis=0)
        middle = block[OVERSAMPLE * PAD_FRAMES:OVERSAMPLE * (PAD_FRAMES + stop - start)]
        peaks[start:stop] = np.abs(middle).reshape(stop - start, OVERSAMPLE, -1).max(axis=(1, 2))
    return peaks


def true_peak(samples: np.ndarray, wrap: bool = False) -> float:
    """The 4x-oversampled true peak, linear (1.0 is 0 dBTP)."""
    return float(frame_peaks(samples, wrap).max()) if len(samples) else 0.0


def limiter_envelope(peaks: np.ndarray, ceiling: float, window: int, wrap: bool) -> np.ndarray:
    """A smooth gain per frame that keeps `peaks` times it under `ceiling`: the running minimum of the
    needed gain over 2*window+1 frames, then its running mean over as many. Every mean is of minima whose
    windows hold the frame itself, so the gain never exceeds what that frame needs."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)).astype(np.float64)
    mode = "wrap" if wrap else "nearest"
    lowest = minimum_filter1d(needed, 2 * window + 1, mode=mode)
    return np.minimum(uniform_filter1d(lowest, 2 * window + 1, mode=mode), needed)


def loudness_gain(mix: np.ndarray, sample_rate: int, target_lufs: float, ceiling_dbtp: float,
                  others: Sequence[np.ndarray] = (), wrap: bool = False) -> tuple[np.ndarray, LoudnessFacts]:
    """A gain per frame that brings the mix's integrated loudness to `target_lufs` while the mix and the
    `others` (stems) stay under `ceiling_dbtp` true peak, limiting where they would not. `wrap`: the audio is
    a loop, so the limiter's envelope runs on across the seam. Returns the gain and what it did."""
    measured = integrated_lufs(mix, sample_rate)
    if not math.isfinite(measured):
        raise ComposerError("the audio is silent; its loudness cannot be brought to a target")
    peaks = frame_peaks(mix, wrap)
    for other in others:
        peaks = np.maximum(peaks, frame_peaks(other, wrap))
    ceiling = 10 ** ((ceiling_dbtp - CEILING_MARGIN_DB) / 20)
    window = max(1, round(LIMITER_SECONDS * sample_rate))
    gain = 10 ** ((target_lufs - measured) / 20)
    for _ in range(MAX_PASSES):
        envelope = gain * limiter_envelope(peaks * gain, ceiling, window, wrap)
        result = integrated_lufs(mix * envelope[:, None].astype(np.float32), sample_rate)
        if abs(result - target_lufs) <= SETTLE_LU:
            break
        gain *= 10 ** ((target_lufs - result) / 20)
    highest = max([true_peak(mix * envelope[:, None], wrap)]
                  + [true_peak(other * envelope[:, None], wrap) for other in others])
    limit = 10 ** (ceiling_dbtp / 20)
    if highest > limit:  # the envelope's smoothing overshot by a hair: take it off everywhere
        envelope *= limit / highest
        highest = limit
    written = integrated_lufs(mix * envelope[:, None].astype(np.float32), sample_rate)
    facts = LoudnessFacts(target_lufs, written, 20 * math.log10(max(highest, 1e-12)), ceiling_dbtp,
                          20 * math.log10(gain), max(0.0, -20 * math.log10(max(float(envelope.min()) / gain, 1e-12))))
    return envelope.astype(np.float32), facts
