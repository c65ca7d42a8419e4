"""Motion gating (``streams.<name>.motion``): frames in which nothing moves are not sent to the device.

Cheap on the CPU, on the stream's reader thread: each frame is shrunk to ``HEIGHT`` rows (averaging
sensor noise away) and turned gray; it is compared with a running
average of the previous frames (``ALPHA`` the weight of the newest). A pixel moves when it differs from
that average by at least ``threshold`` gray levels; the frame has motion when the largest connected region
of moving pixels (outside the mask) covers at least ``min_area`` of the frame. A frame with no motion is
gated (counted, never converted nor inferred) unless ``max_idle_s`` passed since the last inferred one (a
stopped object is still looked at now and then). The first frame is always inferred.

The mask names the areas to ignore (a clock overlay, a tree in the wind): polygons in normalized
coordinates (``[[[x, y], …], …]``, 0–1, stretched to the frame) or a PNG file whose black pixels are
ignored. ``check_motion`` validates it at config time (every problem, naming the key, the value and its
source), ``MotionGate`` does the work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

HEIGHT = 90  # rows of the motion frame (a 640x360 frame is compared at 160x90)
ALPHA = 0.25  # weight of the newest frame in the running average (a ghost fades in a few frames)
MASK_EXPECTED = ("polygons in normalized coordinates, e.g. [[[0, 0], [0.3, 0], [0.3, 0.1]]] (each at least 3 "
                 "points, x and y from 0 to 1), or the path of a PNG file (black pixels are ignored)")


def _polygons(mask: Any) -> Optional[list]:
    """``mask`` as a list of polygons of (x, y) floats, or None when it is not shaped like one."""
    if not isinstance(mask, (list, tuple)) or not mask:
        return None
    out = []
    for polygon in mask:
        if not isinstance(polygon, (list, tuple)) or len(polygon) < 3:
            return None
        points = []
        for point in polygon:
            if (not isinstance(point, (list, tuple)) or len(point) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
                return None
            points.append((float(point[0]), float(point[1])))
        out.append(points)
    return out


def _png(path: str) -> Any:
    """The PNG's gray pixels, or a str saying why it cannot be used."""
    file = Path(path).expanduser()
    if not file.is_file():
        return "no such file"
    import cv2
    import numpy as np

    image = cv2.imdecode(np.fromfile(str(file), np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return "not a readable image"
    return image


def check_motion(motion: Any, key: str, add: Callable) -> None:
    """The mask's problems (its numbers' range is config/ranges.py's), into ``add(key, message, value, expected)``."""
    mask = motion.mask
    if mask is None:
        return
    mask = _plain(mask)
    if isinstance(mask, str):
        if not mask.strip():
            add(f"{key}.mask", "an empty mask path", mask, MASK_EXPECTED)
            return
        if not mask.lower().endswith(".png"):
            add(f"{key}.mask", "not a PNG file name", mask, MASK_EXPECTED)
            return
        image = _png(mask)
        if isinstance(image, str):
            add(f"{key}.mask", f"mask file: {image}", mask, MASK_EXPECTED)
        elif not image.any():
            add(f"{key}.mask", "the mask is black everywhere: no motion would ever be seen", mask,
                "a PNG with white (non-black) pixels where motion counts")
        return
    if _polygons(mask) is None:
        add(f"{key}.mask", "not a list of polygons", mask, MASK_EXPECTED)


def _plain(value: Any) -> Any:
    """Frozen config containers (tuples, mapping proxies) as plain lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def watch_mask(mask: Any, shape: tuple[int, int]) -> Any:
    """uint8 (rows, cols) of the motion frame: 255 where motion counts, 0 where it is ignored; None: everywhere."""
    import cv2
    import numpy as np

    mask = _plain(mask)
    if mask is None:
        return None
    rows, cols = shape
    if isinstance(mask, str):
        image = _png(mask)
        if isinstance(image, str):
            raise ValueError(f"motion mask {mask!r}: {image}")
        return np.where(cv2.resize(image, (cols, rows), interpolation=cv2.INTER_NEAREST) > 0, 255, 0).astype(np.uint8)
    out = np.full((rows, cols), 255, np.uint8)
    for polygon in _polygons(mask) or []:
        points = np.array([[round(x * cols), round(y * rows)] for x, y in polygon], np.int32)
        cv2.fillPoly(out, [points], 0)
    return out


class MotionDetector:
    """``detector(frame) -> bool``: whether ``frame`` (BGR or gray) has motion against the running average."""

    def __init__(self, threshold: int, min_area: float, mask: Any = None):
        self.threshold = int(threshold)
        self.min_area = float(min_area)
        self.mask = mask
        self._average: Any = None
        self._watch: Any = None

    @staticmethod
    def small(frame: Any) -> Any:
        import cv2

        rows, cols = frame.shape[:2]
        if rows > HEIGHT:  # bilinear to twice the size, then area: ~16 source pixels averaged, a fraction of
            size = (max(1, round(cols * HEIGHT / rows)), HEIGHT)  # what one area resize of a big frame costs
            if rows > 2 * HEIGHT:
                frame = cv2.resize(frame, (size[0] * 2, size[1] * 2), interpolation=cv2.INTER_LINEAR)
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame

    def __call__(self, frame: Any) -> bool:
        import cv2
        import numpy as np

        gray = self.small(frame)
        if self._average is None or self._average.shape != gray.shape:  # the first frame (or a new size)
            self._average = gray.astype(np.float32)
            self._watch = watch_mask(self.mask, gray.shape)
            return True
        diff = cv2.absdiff(gray, cv2.convertScaleAbs(self._average))
        moving = cv2.compare(diff, self.threshold, cv2.CMP_GE)  # 255 where a pixel moved
        if self._watch is not None:
            moving = cv2.bitwise_and(moving, self._watch)
        cv2.accumulateWeighted(gray, self._average, ALPHA)
        if cv2.countNonZero(moving) < self.min_area * gray.size:
            return False  # not even all moving pixels together are enough
        count, _labels, stats, _ = cv2.connectedComponentsWithStats(moving, connectivity=8)
        largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0
        return largest >= self.min_area * gray.size


class MotionGate:
    """``gate(frame, t) -> bool``: True when the frame goes to inference (motion, first frame, or ``max_idle_s``
    since the last inferred frame, ``t`` in seconds of the stream's clock); counts into ``stats``."""

    def __init__(self, config: Any, stats: Any):
        self.detector = MotionDetector(config.threshold, config.min_area, config.mask)
        self.max_idle_s = config.max_idle_s
        self.stats = stats
        self._last: Optional[float] = None

    def __call__(self, frame: Any, t: float) -> bool:
        moved = self.detector(frame)
        idle = (not moved and self._last is not None and self.max_idle_s is not None
                and t - self._last >= self.max_idle_s)
        if moved or idle or self._last is None:
            self._last = t
            self.stats.motion("idle" if idle else "moved")
            return True
        self.stats.motion("gated")
        return False


def make_gate(config: Any, stats: Any) -> Optional[MotionGate]:
    """The gate of a stream (``streams.<name>.motion``), None when motion gating is off."""
    motion = getattr(config, "motion", None)
    if motion is None or not motion.enabled:
        return None
    stats.motion_enabled = True
    return MotionGate(motion, stats)
