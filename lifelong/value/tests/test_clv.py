"""CLV discounting, DERT, expected spend, BG/BB predictions and the simulator."""

import numpy as np
import pytest

from lifelong.value.models import (
    bgbb_expected,
    bgbb_p_alive,
    bgnbd_expected,
    clv_by_horizon,
    discounted_purchases,
    fit_bgnbd,
    gammagamma_expected_spend,
    paretonbd_dert,
    paretonbd_expected,
    simulate_bgnbd,
    years_to_units,
)

PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
X = np.array([0.0, 2.0, 26.0])
T_X = np.array([0.0, 30.43, 30.857])
T = np.array([38.86, 38.86, 31.0])


def test_without_discounting_the_sum_is_the_expectation():
    def expected(t):
        return bgnbd_expected(BGNBD, t, X, T_X, T)

    total = discounted_purchases(expected, 52.0, period=52.0 / 12, discount_rate=0.0)
    np.testing.assert_allclose(total, expected(52.0), rtol=1e-12)


def test_dert_agrees_with_a_fine_discrete_sum():
    # FHL05b's DERT is the continuous-time limit of the discounted sum
    weekly = np.log(1.15) / years_to_units(1.0)
    dert = paretonbd_dert(PARETO, weekly, X, T_X, T)

    def expected(t):
        return paretonbd_expected(PARETO, t, X, T_X, T)

    period = 0.25
    fine = discounted_purchases(
        expected, 5000.0, period=period, discount_rate=np.expm1(weekly * period)
    )
    np.testing.assert_allclose(dert, fine, rtol=1e-3)
    assert np.all(np.diff(dert) > 0)


def test_clv_grows_with_the_horizon_and_shrinks_with_the_rate():
    spend = gammagamma_expected_spend({"p": 6.25, "q": 3.74, "gamma": 15.44}, X, [0, 22.35, 40.0])

    def expected(t):
        return bgnbd_expected(BGNBD, t, X, T_X, T)

    low = clv_by_horizon(expected, spend, annual_discount_rate=0.05)
    high = clv_by_horizon(expected, spend, annual_discount_rate=0.20)
    assert set(low) == {1, 2, 10}
    assert np.all(low[1] < low[2]) and np.all(low[2] < low[10])
    assert np.all(high[10] < low[10])
    # one year undiscounted-ish: close to spend times the 52-week expectation
    flat = clv_by_horizon(expected, spend, years=(1,), annual_discount_rate=0.0)[1]
    np.testing.assert_allclose(flat, spend * expected(years_to_units(1.0)), rtol=1e-12)


def test_expected_spend_shrinks_towards_the_population_mean():
    params = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    population = 6.25 * 15.44 / 2.74
    spend = gammagamma_expected_spend(params, [0, 1, 100], [0.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0


def test_bgbb_predictions_are_sensible():
    params = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    p = bgbb_p_alive(params, [0, 3, 6, 3], [0, 6, 6, 3], 6)
    assert np.all((p >= 0) & (p <= 1))
    assert p[1] == pytest.approx(p[2])  # same recency: frequency does not matter for P(alive)
    assert p[3] < p[1]
    e = bgbb_expected(params, [5, 10], 6, 6, 6)
    assert 0 < e[0] < e[1] < 10
    same_gamma_one = bgbb_expected({**params, "gamma": 1.0}, 10, 3, 6, 6)[0]
    near_one = bgbb_expected({**params, "gamma": 1.0 + 1e-7}, 10, 3, 6, 6)[0]
    assert same_gamma_one == pytest.approx(near_one, rel=1e-5)


def test_a_simulated_population_recovers_its_parameters():
    rng = np.random.default_rng(7)
    n = 200_000
    age = 39.0 - np.floor(rng.uniform(0, 84, n)) / 7
    x, t_x, T_ = simulate_bgnbd(BGNBD, n, age, rng, resolution=1 / 7)
    assert np.all(t_x <= T_) and np.all((x > 0) | (t_x == 0))
    fit = fit_bgnbd(x, t_x, T_)
    assert fit.converged
    assert fit.n_unique < n / 2
    for name, value in BGNBD.items():
        assert fit.params[name] == pytest.approx(value, abs=4 * fit.std_errors[name]), name
