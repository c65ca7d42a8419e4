"""Motion gating (streams/motion.py): the detector over thresholds, areas and masks (hypothesis), the gate's
max_idle_s, and the config checks (exit 2 naming streams.<name>.motion.<key>, the value and its source)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from coral_inference.streams.motion import HEIGHT, MotionDetector, MotionGate, watch_mask

ROWS, COLS = HEIGHT, 160  # at the motion frame's size: no resize, so areas are exact


def scene(background: int, square: tuple | None = None, value: int = 0) -> np.ndarray:
    """A gray BGR frame; ``square`` (x, y, side) painted with ``value``."""
    frame = np.full((ROWS, COLS, 3), background, np.uint8)
    if square is not None:
        x, y, side = square
        frame[y:y + side, x:x + side] = value
    return frame


def settle(detector, frame, n=3):
    for _ in range(n):
        detector(frame)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(threshold=st.integers(1, 255), background=st.integers(0, 255), contrast=st.integers(-255, 255),
       side=st.integers(1, 60), x=st.integers(0, 100), y=st.integers(0, 30),
       min_area=st.floats(1e-4, 0.3))
def test_a_square_moves_exactly_when_its_contrast_and_area_reach_the_settings(threshold, background, contrast, side,
                                                                              x, y, min_area):
    value = background + contrast
    if not 0 <= value <= 255:
        value = max(0, min(255, value))
        contrast = value - background
    detector = MotionDetector(threshold, min_area)
    still = scene(background)
    settle(detector, still)
    assert detector(still) is False  # nothing moves in a still scene
    side = min(side, ROWS - y, COLS - x)
    moved = detector(scene(background, (x, y, side), value))
    expected = abs(contrast) >= threshold and side * side >= min_area * ROWS * COLS
    assert moved is expected


@settings(max_examples=40, deadline=None)
@given(threshold=st.integers(1, 255), noise=st.integers(0, 40), seed=st.integers(0, 2**16))
def test_noise_below_the_threshold_is_never_motion(threshold, noise, seed):
    rng = np.random.default_rng(seed)
    detector = MotionDetector(threshold, 0.001)
    base = scene(128).astype(np.int16)
    assert detector(base.astype(np.uint8)) is True  # the first frame is always looked at
    amplitude = min(noise, (threshold - 1) // 2)  # frame-to-average differences stay below the threshold
    for _ in range(10):
        frame = np.clip(base + rng.integers(-amplitude, amplitude + 1, base.shape), 0, 255).astype(np.uint8)
        assert detector(frame) is False


@settings(max_examples=40, deadline=None)
@given(x=st.integers(0, 120), y=st.integers(0, 50), side=st.integers(5, 30))
def test_motion_inside_the_mask_is_ignored_and_outside_it_is_not(x, y, side):
    side = min(side, ROWS - y, COLS - x)
    polygon = [[x / COLS, y / ROWS], [(x + side) / COLS, y / ROWS], [(x + side) / COLS, (y + side) / ROWS],
               [x / COLS, (y + side) / ROWS]]
    masked = MotionDetector(25, 0.0005, [polygon])
    settle(masked, scene(50))
    assert masked(scene(50, (x, y, side), 250)) is False
    open_ = MotionDetector(25, 0.0005)
    settle(open_, scene(50))
    assert open_(scene(50, (x, y, side), 250)) is True


def test_a_higher_threshold_never_sees_more_motion():
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (360, 640, 3)).astype(np.uint8) for _ in range(6)]
    seen = []
    for threshold in (10, 40, 80, 160, 250):
        d = MotionDetector(threshold, 0.001)
        seen.append(sum(d(f) for f in frames))
    assert seen == sorted(seen, reverse=True) and seen[0] > seen[-1]


def test_a_png_mask_ignores_its_black_pixels(tmp_path):
    import cv2

    png = np.full((180, 320), 255, np.uint8)
    png[:, :160] = 0  # the left half is ignored
    cv2.imwrite(str(tmp_path / "m.png"), png)
    watch = watch_mask(str(tmp_path / "m.png"), (ROWS, COLS))
    assert watch[:, :80].max() == 0 and watch[:, 80:].min() == 255
    d = MotionDetector(25, 0.001, str(tmp_path / "m.png"))
    settle(d, scene(0))
    assert d(scene(0, (10, 10, 30), 255)) is False
    assert d(scene(0, (100, 10, 30), 255)) is True


class Stats:
    def __init__(self):
        self.counts = {}

    def motion(self, outcome):
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


class Cfg:
    def __init__(self, max_idle_s):
        self.threshold, self.min_area, self.mask, self.max_idle_s = 25, 0.001, None, max_idle_s


@settings(max_examples=40, deadline=None)
@given(max_idle_s=st.one_of(st.none(), st.floats(0.05, 5.0)), step=st.floats(0.01, 1.0), n=st.integers(2, 60))
def test_a_still_scene_is_inferred_once_then_every_max_idle_s(max_idle_s, step, n):
    stats = Stats()
    gate = MotionGate(Cfg(max_idle_s), stats)
    frame = scene(90)
    passed = [t for t in (i * step for i in range(n)) if gate(frame, t)]
    assert passed[0] == 0.0  # the first frame
    if max_idle_s is None:
        assert passed == [0.0]
    else:
        gaps = [b - a for a, b in zip(passed, passed[1:])]
        assert all(g >= max_idle_s - 1e-9 for g in gaps)
        assert all(g < max_idle_s + step + 1e-9 for g in gaps)  # never later than the first frame past max_idle_s
    assert stats.counts.get("gated", 0) == n - len(passed)
    assert stats.counts.get("idle", 0) == len(passed) - 1


# Config checks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("override,key,fragment", [
    ("streams.cam.motion.threshold=0", "streams.cam.motion.threshold", "too small"),
    ("streams.cam.motion.min_area=1.5", "streams.cam.motion.min_area", "too large"),
    ("streams.cam.motion.max_idle_s=0", "streams.cam.motion.max_idle_s", "too small"),
    ("streams.cam.motion.mask=[[[0,0],[2,0],[0,1]]]", "streams.cam.motion.mask[0][1][0]", "too large"),
    ("streams.cam.motion.mask=[[0,0],[1,0]]", "streams.cam.motion.mask", "not a list of polygons"),
    ("streams.cam.motion.mask=missing.png", "streams.cam.motion.mask", "no such file"),
    ("streams.cam.motion.mask=mask.jpg", "streams.cam.motion.mask", "not a PNG"),
    ("streams.cam.motion.bogus=1", "streams.cam.motion.bogus", ""),
])
def test_bad_motion_settings_are_exit_2_naming_the_key_and_value(override, key, fragment, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from media import write_video

    video = write_video(tmp_path / "clip.mp4", frames=3)
    exe = Path(sys.executable).parent / "coral-run"
    proc = subprocess.run([str(exe), "run.mode=validate", "backends=cpu", f"streams.cam.source={video}", override,
                           f"hydra.run.dir={tmp_path / 'run'}"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert key in out and fragment in out and "Traceback" not in out, out
    if "bogus" not in override:
        assert "command line" in out, out


def test_a_black_png_mask_is_refused(tmp_path, compose):
    import cv2

    from coral_inference.errors import Issues
    from coral_inference.runtime.config import RuntimeConfig
    from coral_inference.streams.spec import build_specs
    from media import write_video

    video = write_video(tmp_path / "clip.mp4", frames=3)
    cv2.imwrite(str(tmp_path / "black.png"), np.zeros((10, 10), np.uint8))
    config = RuntimeConfig.from_dictconfig(compose("backends=cpu", f"streams.cam.source={video}",
                                                   f"streams.cam.motion.mask={tmp_path / 'black.png'}"))
    issues = Issues()
    build_specs(config, issues)
    assert [e.key for e in issues.errors] == ["streams.cam.motion.mask"]
    assert "black everywhere" in issues.errors[0].message
