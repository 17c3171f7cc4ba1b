"""AUSeries Parquet files: lossless round trip and clear errors for files that are not ours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from causalex.errors import InputError
from causalex.readers import read_series
from causalex.readers.openface import read_openface_csv
from causalex.series import AUSeries, common_au_names

DATA = Path(__file__).parent / "data"


def _series(t: int = 50, k: int = 4, seed: int = 0) -> AUSeries:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(t, k)).astype(np.float32) * 3
    mask = rng.random(t) > 0.3
    if t > 3:  # masked rows may hold anything: keep odd bit patterns there too
        mask[:3] = False
        values[0] = np.nan
        values[1] = np.inf
        values[2] = np.float32(1e-42)  # a subnormal
    names = ["AU01", "AU04", "AU12", "AU45"][:k]
    meta = {"face_id": 3, "extractor": {"name": "openface", "version": "2.2.0"}, "notes": ["a", "b"], "none": None}
    return AUSeries(values=values, mask=mask, fps=29.97, au_names=names, video="vid_ü", subject="s07",
                    source="openface", scale="intensity_0_5", meta=meta)


def _assert_same(a: AUSeries, b: AUSeries) -> None:
    assert a.values.dtype == b.values.dtype == np.float32
    assert a.values.shape == b.values.shape
    np.testing.assert_array_equal(a.values.view(np.uint32), b.values.view(np.uint32))  # bit-exact, NaN included
    np.testing.assert_array_equal(a.mask, b.mask)
    assert (a.fps, a.au_names, a.video, a.subject, a.source, a.scale, a.meta) == \
           (b.fps, b.au_names, b.video, b.subject, b.source, b.scale, b.meta)


def test_parquet_round_trip_is_bit_exact(tmp_path):
    s = _series()
    path = s.save(tmp_path / "s.parquet")
    back = AUSeries.load(path)
    _assert_same(s, back)
    assert back.fps == 29.97 and back.meta["extractor"]["version"] == "2.2.0"


def test_round_trip_of_a_real_openface_series(tmp_path):
    s = read_openface_csv(DATA / "openface_success0.csv", fps=30, min_confidence=0.5)
    back = read_series(s.save(tmp_path / "of.parquet"))
    _assert_same(s, back)
    assert (~back.mask).sum() == 4


@pytest.mark.parametrize("t, k", [(0, 3), (1, 1), (7, 0)])
def test_round_trip_edge_shapes(tmp_path, t, k):
    s = AUSeries(values=np.ones((t, k), np.float32), mask=np.ones(t, bool), fps=200,
                 au_names=[f"AU0{i + 1}" for i in range(k)], video="v")
    _assert_same(s, AUSeries.load(s.save(tmp_path / "e.parquet")))


def test_save_overwrites_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "s.parquet"
    _series(seed=1).save(path)
    _series(seed=2).save(path)
    _assert_same(_series(seed=2), AUSeries.load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["s.parquet"]


def test_load_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        AUSeries.load(tmp_path / "none.parquet")


def test_load_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("frame,AU01\n0,1\n")
    with pytest.raises(InputError, match="not a readable Parquet file") as err:
        AUSeries.load(path)
    assert "fake.parquet" in str(err.value) and "\n" not in str(err.value)


def test_load_parquet_without_our_metadata(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"frame": [0, 1], "valid": [True, True], "AU01": [0.1, 0.2]}), path)
    with pytest.raises(InputError, match="no causalex series metadata"):
        AUSeries.load(path)
    with pytest.raises(InputError, match="no causalex series metadata"):
        read_series(path)


def test_select_and_common_names():
    s = _series()
    sub = s.select(["AU45", "AU01"])
    np.testing.assert_array_equal(sub.values[:, 0], s.values[:, 3])
    assert sub.meta == s.meta and sub.meta is not s.meta
    with pytest.raises(InputError, match="lacks AU99"):
        s.select(["AU99"])
    assert common_au_names([s, sub]) == ["AU01", "AU45"]


def test_corrupt_series_metadata_is_input_error(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from causalex.errors import InputError
    from causalex.series import AUSeries

    table = pa.table({"frame": [0, 1], "valid": [True, True], "AU01": [0.1, 0.2]})
    for meta, message in ((b"{not json", "corrupt causalex series metadata"),
                          (b'{"au_names": ["AU02"], "fps": 30, "video": "v"}', "missing from the file: AU02")):
        path = tmp_path / "bad.parquet"
        pq.write_table(table.replace_schema_metadata({b"causalex.series": meta}), path)
        with pytest.raises(InputError, match=message):
            AUSeries.load(path)
