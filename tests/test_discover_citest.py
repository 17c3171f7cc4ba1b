"""Batched Fisher-z CI tests: registry, agreement with causal-learn's formula, padding, cache."""

from __future__ import annotations

import numpy as np
import pytest

from causalex.discover.citest import CI_TESTS, CITest, FisherZ, make_ci_test, register_ci_test


def sample(seed: int = 0, n: int = 400, k: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    x[:, 1] += 0.5 * x[:, 0]
    x[:, 2] += 0.4 * x[:, 1] - 0.3 * x[:, 3]
    return x


def test_make_ci_test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="valid: fisherz"):
        make_ci_test("kci", corr=np.eye(3), n=10)
    assert isinstance(make_ci_test("fisherz", data=sample()), FisherZ)


def test_batched_pvalues_equal_causallearn_fisherz():
    cit = pytest.importorskip("causallearn.utils.cit")
    data = sample()
    ref = cit.FisherZ(data)
    test = FisherZ(data=data)
    x = np.array([0, 0, 1, 2, 3])
    y = np.array([1, 2, 4, 5, 5])
    s = np.array([[3, 4], [1, 5], [0, 2], [0, 1], [1, 2]])
    expected = [ref(int(a), int(b), [int(v) for v in c]) for a, b, c in zip(x, y, s)]
    np.testing.assert_allclose(test.pvalues(x, y, s), expected, rtol=1e-10, atol=1e-14)
    for a, b, c, p in zip(x, y, s, expected):  # the scalar path is causal-learn's formula exactly
        assert test.pvalue(int(b), int(a), tuple(c[::-1])) == p


def test_padded_rows_mix_conditioning_set_sizes():
    test = FisherZ(data=sample(1))
    x, y = np.array([0, 0, 2]), np.array([1, 3, 5])
    padded = np.array([[2, -1, -1], [1, 2, 4], [-1, -1, -1]])
    got = test.pvalues(x, y, padded)
    for b, row in enumerate(padded):
        s = row[row >= 0][None]
        np.testing.assert_allclose(got[b], test.pvalues(x[b:b + 1], y[b:b + 1], s)[0], rtol=1e-12)


def test_runs_use_their_own_correlation_and_sample_size():
    a, b = sample(2), sample(3, n=900)
    many = FisherZ(corr=np.stack([np.corrcoef(a.T), np.corrcoef(b.T)]), n=[400, 900])
    x, y, s = np.array([0, 0]), np.array([2, 2]), np.array([[1], [1]])
    got = many.pvalues(x, y, s, run=np.array([0, 1]))
    assert got[0] == pytest.approx(FisherZ(data=a).pvalues(x[:1], y[:1], s[:1])[0], rel=1e-12)
    assert got[1] == pytest.approx(FisherZ(data=b).pvalues(x[:1], y[:1], s[:1])[0], rel=1e-12)


def test_cache_is_keyed_by_data_hash_and_sorted_pair():
    test = FisherZ(data=sample(4))
    p = test.pvalue(3, 1, (5, 0))
    assert (test.data_hash(0), 1, 3, (0, 5)) in test.cache
    assert test.pvalue(1, 3, [0, 5]) == p and len(test.cache) == 1
    with pytest.raises(ValueError, match="must differ"):
        test.pvalue(1, 3, (3,))


def test_borderline_pvalues_use_the_reference_formula():
    data = sample(5)
    probe = FisherZ(data=data)
    p = probe.pvalue(0, 2, (1,))
    test = FisherZ(data=data, alpha=p)  # alpha exactly at a p-value: decided by the scalar formula
    assert not test.independent(np.array([0]), np.array([2]), np.array([[1]]), None, p)[0]


def test_torch_backend_matches_numpy():
    pytest.importorskip("torch")
    corr = np.corrcoef(sample(6).T)
    x, y, s = np.array([0, 1, 2]), np.array([3, 4, 5]), np.array([[1, 2], [0, 2], [0, -1]])
    np.testing.assert_allclose(FisherZ(corr=corr, n=400, backend="torch").pvalues(x, y, s),
                               FisherZ(corr=corr, n=400).pvalues(x, y, s), rtol=1e-10)
    with pytest.raises(ValueError, match="valid: auto, numpy, torch"):
        FisherZ(corr=corr, n=400, backend="jax")


def test_registering_a_new_test_uses_the_scalar_interface():
    @register_ci_test("always-independent")
    class AlwaysIndependent(CITest):
        def data_hash(self, run=0):
            return "none"

        def _pvalue_one(self, run, i, j, s):
            return 1.0

    try:
        test = make_ci_test("always-independent")
        assert test.pvalues(np.array([0, 1]), np.array([2, 3]), np.zeros((2, 0), int)).tolist() == [1.0, 1.0]
    finally:
        CI_TESTS.pop("always-independent")


def test_subset_levels_match_direct_pvalues():
    from itertools import combinations

    test = FisherZ(data=sample(7, k=12), alpha=0.05)
    cand = [9, 3, 5, 11, 2, 7, 10, 4]
    for size, p in test.subset_pvalue_levels(0, 6, cand):
        sets = np.array([[cand[i] for i in c] for c in combinations(range(len(cand)), size)])
        direct = test.pvalues(np.zeros(len(sets), int), np.full(len(sets), 6), sets)
        np.testing.assert_allclose(p, direct, rtol=1e-9, atol=1e-13)
