"""Compression to distinct rows: exact grouping, and predictions equal to row-by-row ones.

The public per-customer functions evaluate once per distinct row (by_unique_rows); here
they are compared with the per-row formulas the modules keep (bgnbd._expected,
bgnbd._log_odds_dead, paretonbd._terms, ...) on random data with many repeats, on a day
grid and off it.
"""

import numpy as np
import pytest
from scipy.special import expit, exprel

from lifelong.value.models import (
    _fit,
    bgbb_expected,
    bgbb_log_likelihood,
    bgbb_p_alive,
    bgnbd_expected,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_predict,
    fit_gammagamma,
    gammagamma_expected_spend,
    gammagamma_log_likelihood,
    mbgnbd_expected,
    mbgnbd_log_likelihood,
    mbgnbd_p_alive,
    mbgnbd_predict,
    paretonbd_dert,
    paretonbd_expected,
    paretonbd_log_likelihood,
    paretonbd_p_alive,
    paretonbd_predict,
)
from lifelong.value.models import bgbb as bgbb_module
from lifelong.value.models import bgnbd as bgnbd_module
from lifelong.value.models import paretonbd as pareto_module

from . import cdnow

BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
RTOL = 1e-12


def histories(n, seed, *, grid=True):
    """(x, t_x, T) with repeats: ages and recencies on a day grid in weeks (as the
    summaries make them) or, with grid=False, a pool of arbitrary floats drawn again."""
    rng = np.random.default_rng(seed)
    if grid:
        T = rng.integers(1, 90, n) / 7.0
        t_x = np.floor(rng.uniform(0, 1, n) * T * 7.0) * (1.0 / 7.0)
    else:
        pool = rng.uniform(0.5, 60.0, 300)
        T = rng.choice(pool, n)
        t_x = T * rng.choice(rng.uniform(0, 1, 50), n)
    x = rng.poisson(rng.gamma(0.5, 4.0, n)).astype(float)
    x[::97] += 150.0  # a few heavy buyers
    t_x = np.where(x > 0, np.minimum(t_x, T), 0.0)
    return x, t_x, T


def per_row_bgnbd(params, t, x, t_x, T, modified):
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    expected = bgnbd_module._expected(r, alpha, a, b, t, x, t_x, T, modified)
    p_alive = expit(-bgnbd_module._log_odds_dead(r, alpha, a, b, x, t_x, T, modified))
    ll = bgnbd_module._loglik_terms(r, alpha, a, b, x, t_x, T, modified, False)[0]
    return expected, p_alive, ll


def per_row_pareto(params, t, x, t_x, T):
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))
    ll, log_p, _ = pareto_module._terms(r, alpha, s, beta, x, t_x, T, False)
    p_alive = np.exp(log_p)
    big_l = np.log(beta + T) - np.log(beta + T + t)
    rate = (r + x) * (beta + T) / (alpha + T)
    return rate * (-big_l) * exprel((s - 1.0) * big_l) * p_alive, p_alive, ll


@pytest.mark.parametrize("grid", [True, False])
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    ("predict", "expected", "p_alive", "loglik", "modified"),
    [
        (bgnbd_predict, bgnbd_expected, bgnbd_p_alive, bgnbd_log_likelihood, False),
        (mbgnbd_predict, mbgnbd_expected, mbgnbd_p_alive, mbgnbd_log_likelihood, True),
    ],
)
def test_bgnbd_family_equals_row_by_row(predict, expected, p_alive, loglik, modified, grid, seed):
    x, t_x, T = histories(5000, seed, grid=grid)
    want_e, want_p, want_ll = per_row_bgnbd(BGNBD, 52.0, x, t_x, T, modified)
    got_e, got_p = predict(BGNBD, 52.0, x, t_x, T)
    np.testing.assert_allclose(got_e, want_e, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got_p, want_p, rtol=RTOL, atol=0)
    np.testing.assert_array_equal(expected(BGNBD, 52.0, x, t_x, T), got_e)
    np.testing.assert_array_equal(p_alive(BGNBD, x, t_x, T), got_p)
    np.testing.assert_allclose(loglik(BGNBD, x, t_x, T), want_ll, rtol=RTOL, atol=0)


@pytest.mark.parametrize("grid", [True, False])
def test_paretonbd_equals_row_by_row(grid):
    x, t_x, T = histories(5000, 3, grid=grid)
    want_e, want_p, want_ll = per_row_pareto(PARETO, 52.0, x, t_x, T)
    got_e, got_p = paretonbd_predict(PARETO, 52.0, x, t_x, T)
    np.testing.assert_allclose(got_e, want_e, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got_p, want_p, rtol=RTOL, atol=1e-300)
    np.testing.assert_array_equal(paretonbd_expected(PARETO, 52.0, x, t_x, T), got_e)
    np.testing.assert_array_equal(paretonbd_p_alive(PARETO, x, t_x, T), got_p)
    np.testing.assert_allclose(
        paretonbd_log_likelihood(PARETO, x, t_x, T), want_ll, rtol=RTOL, atol=0
    )


def test_paretonbd_dert_equals_row_by_row():
    from scipy.special import gammaln, hyperu

    x, t_x, T = histories(3000, 15)
    r, alpha, s, beta = PARETO.values()
    d = np.log(1.1) / 52.18
    ll = pareto_module._terms(r, alpha, s, beta, x, t_x, T, False)[0]
    want = np.exp(
        r * np.log(alpha)
        + s * np.log(beta)
        + (s - 1.0) * np.log(d)
        + gammaln(r + x + 1.0)
        + np.log(hyperu(s, s, d * (beta + T)))
        - gammaln(r)
        - (r + x + 1.0) * np.log(alpha + T)
        - ll
    )
    np.testing.assert_allclose(paretonbd_dert(PARETO, d, x, t_x, T), want, rtol=RTOL, atol=0)


def test_a_column_of_times_and_one_time_per_customer():
    # CLV asks with a column of times; a caller may pass one horizon per customer
    x, t_x, T = histories(2000, 4)
    times = np.array([[4.0], [13.0], [52.0]])
    for predict, per_row in (
        (
            bgnbd_predict,
            lambda t: per_row_bgnbd(BGNBD, t, x, t_x, T, False)[0],
        ),
        (paretonbd_predict, lambda t: per_row_pareto(PARETO, t, x, t_x, T)[0]),
    ):
        params = BGNBD if predict is bgnbd_predict else PARETO
        grid, alive = predict(params, times, x, t_x, T)
        assert grid.shape == (3, x.size) and alive.shape == x.shape
        np.testing.assert_allclose(grid, per_row(times), rtol=RTOL, atol=0)
        each = np.random.default_rng(5).choice([1.0, 26.0, 52.0], x.size)
        got, alive_each = predict(params, each, x, t_x, T)
        np.testing.assert_allclose(got, per_row(each), rtol=RTOL, atol=0)
        np.testing.assert_array_equal(alive_each, alive)


def test_shapes_follow_broadcasting():
    x = np.array([[0.0, 2.0], [5.0, 2.0]])
    t_x = np.array([[0.0, 10.0], [20.0, 10.0]])
    e, p = bgnbd_predict(BGNBD, 52.0, x, t_x, 30.0)
    assert e.shape == p.shape == (2, 2)
    assert e[0, 1] == e[1, 1]
    e, p = paretonbd_predict(PARETO, np.array([10.0, 52.0]), 3, 10.0, 30.0)
    assert e.shape == (2,) and p.shape == (1,)
    assert bgnbd_p_alive(BGNBD, 2, 10.0, 30.0).shape == (1,)
    assert bgnbd_expected(BGNBD, np.zeros((1, 1)), [1.0, 2.0], 5.0, 9.0).shape == (1, 2)


def test_bad_rows_are_refused_as_before():
    with pytest.raises(ValueError, match="x must be finite"):
        bgnbd_p_alive(BGNBD, [1.0, np.nan], [1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="t_x must lie"):
        paretonbd_predict(PARETO, 52.0, [1.0, 2.0], [1.0, 3.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="whole numbers"):
        mbgnbd_expected(BGNBD, 52.0, [1.5], [1.0], [2.0])
    with pytest.raises(ValueError, match="t must be finite"):
        bgnbd_predict(BGNBD, -1.0, [1.0], [1.0], [2.0])


def test_bgbb_equals_row_by_row():
    rng = np.random.default_rng(6)
    n = rng.integers(1, 12, 3000).astype(float)
    t_x = np.floor(rng.uniform(0, 1, n.size) * (n + 1))
    x = np.where(t_x > 0, np.floor(rng.uniform(0, 1, n.size) * t_x) + 1, 0.0)
    params = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    values = tuple(params.values())
    want_ll = bgbb_module._terms(*values, x, t_x, n, False)[0]
    np.testing.assert_allclose(bgbb_log_likelihood(params, x, t_x, n), want_ll, rtol=RTOL)
    np.testing.assert_allclose(
        bgbb_p_alive(params, x, t_x, n), bgbb_module._p_alive_rows(*values, x, t_x, n), rtol=RTOL
    )
    np.testing.assert_allclose(
        bgbb_expected(params, 5, x, t_x, n),
        bgbb_module._expected_rows(*values, 5.0, x, t_x, n),
        rtol=RTOL,
    )


@pytest.mark.parametrize(
    "values",
    [
        np.arange(40) % 7 / 7.0,  # k/7
        np.arange(40) % 7 * (1.0 / 7.0),  # k·(1/7): not always the same floats as k/7
        np.concatenate([np.arange(20) / 7.0, np.arange(20) * (1.0 / 7.0)]),  # both
        np.array([0.0, -0.0, 1.0, 1.0 + 2**-52, 1.0, 3.0]),  # neighbouring floats
        np.array([-5.0, 2.5, -5.0, 1e6, 2.5]),  # negative, wide
        np.array([3.0, 3.0, 3.0]),
        np.array([np.inf, 1.0, np.inf, np.nan, np.nan]),
        np.random.default_rng(7).random(500),  # no grid
        np.round(np.random.default_rng(8).gamma(2.0, 30.0, 5000), 2),  # cents
        np.random.default_rng(9).integers(0, 10**6, 5000).astype(float),  # whole, sparse
    ],
)
def test_codes_and_rows_are_exact(values):
    distinct, code = _fit.codes(values)
    np.testing.assert_array_equal(distinct[code], values)
    expect = np.unique(values)
    np.testing.assert_array_equal(distinct, expect)
    other = np.random.default_rng(0).permutation(values)
    (a, b), counts, inverse = _fit.unique_rows(values, other)
    np.testing.assert_array_equal(a[inverse], values)
    np.testing.assert_array_equal(b[inverse], other)
    assert counts.sum() == values.size
    pairs = np.unique(np.stack([values, other], axis=1), axis=0)
    assert a.size == pairs.shape[0]


@pytest.mark.parametrize("planted", [1e-9, 2**-40, 0.5 / 7.0, 3.0])
def test_codes_are_exact_where_the_sample_misses_values(planted):
    # a day grid of a hundred thousand rows with a few values the step sample does not
    # see: a neighbour of a grid value (sharing its code), half a step off, or new
    rng = np.random.default_rng(14)
    values = rng.integers(0, 300, 100_000) / 7.0
    rows = rng.choice(np.arange(1, values.size, 7), 5, replace=False)  # not sampled
    values[rows[:3]] = values[rows[:3]] + planted
    values[rows[3:]] = 400 / 7.0 + planted  # beyond the sample's range
    distinct, code = _fit.codes(values)
    np.testing.assert_array_equal(distinct[code], values)
    np.testing.assert_array_equal(distinct, np.unique(values))


def test_unique_rows_in_lexicographic_order_with_weights():
    x, t_x, T = histories(20000, 10)
    w = np.random.default_rng(11).uniform(0.5, 2.0, x.size)
    (ux, ut, uT), counts, inverse = _fit.unique_rows(x, t_x, T, weights=w)
    rows = np.unique(np.stack([x, t_x, T], axis=1), axis=0)
    np.testing.assert_array_equal(np.stack([ux, ut, uT], axis=1), rows)
    np.testing.assert_allclose(counts, np.bincount(inverse, weights=w), rtol=1e-15)


def test_work_arrays_are_not_shared_between_results():
    # the pool must never hand out an array a result still uses
    x, t_x, T = histories(3000, 12)
    first = bgnbd_predict(BGNBD, 52.0, x, t_x, T)
    copies = [a.copy() for a in first]
    bgnbd_predict(BGNBD, 52.0, x[::-1], t_x[::-1], T[::-1])
    paretonbd_predict(PARETO, 52.0, x, t_x, T)
    for a, b in zip(first, copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_gammagamma_fit_reaches_the_same_cdnow_optimum():
    # The optimum found by the earlier fit (BFGS on the per-row likelihood from
    # p = q = 1): p 6.249572, q 3.744225, gamma 15.443521, ln L -4055.917695.
    from lifelong.value.models import summarise_transactions

    ids, days, dollars = cdnow.transactions()
    s = summarise_transactions(ids, days, cdnow.CALIBRATION_END, spend=dollars)
    repeat = s.x > 0
    x, m = s.x[repeat], s.mean_spend[repeat]
    fit = fit_gammagamma(x, m)
    assert fit.converged
    assert fit.params["p"] == pytest.approx(6.249572271331962, rel=1e-7)
    assert fit.params["q"] == pytest.approx(3.7442246671315322, rel=1e-7)
    assert fit.params["gamma"] == pytest.approx(15.443520962570988, rel=1e-7)
    assert fit.log_likelihood == pytest.approx(-4055.917694801863, abs=1e-8)
    assert fit.log_likelihood == pytest.approx(
        gammagamma_log_likelihood(fit.params, x, m).sum(), abs=1e-8
    )
    # weights: the same optimum from the distinct rows and their counts
    (ux, um), counts, _ = _fit.unique_rows(x, m)
    weighted = fit_gammagamma(ux, um, weights=counts)
    assert weighted.params["p"] == pytest.approx(fit.params["p"], rel=1e-7)


def test_gammagamma_spend_fast_path_and_its_checks():
    params = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    rng = np.random.default_rng(13)
    x = rng.integers(0, 30, 10000).astype(float)
    m = np.round(rng.gamma(3.0, 10.0, x.size), 2)
    formula = 6.25 * (15.44 + x * m) / (6.25 * x + 2.74)
    np.testing.assert_allclose(gammagamma_expected_spend(params, x, m), formula, rtol=1e-14)
    with pytest.raises(ValueError, match="m must be finite"):
        gammagamma_expected_spend(params, np.array([0.0, 1.0]), np.array([np.inf, 2.0]))
    with pytest.raises(ValueError, match="x must be >= 0"):
        gammagamma_expected_spend(params, np.array([-1.0, 1.0]), np.array([3.0, 2.0]))
    with pytest.raises(ValueError, match="x must be finite"):
        gammagamma_expected_spend(params, np.array([np.nan, 1.0]), np.array([3.0, 2.0]))
