"""bgnbd_expected on a grid of times (as CLV asks) and for fits without spread in dropout."""

import time

import numpy as np
import pytest

from lifelong.value.models import bgnbd as bgnbd_module
from lifelong.value.models import (
    bgnbd_expected,
    bgnbd_p_alive,
    clv_by_horizon,
    mbgnbd_expected,
)

X = np.array([0.0, 1, 2, 5, 10, 30, 100])
T = np.full(7, 30.0)
T_X = np.where(X > 0, 20.0, 0.0)


@pytest.mark.parametrize("expected", [bgnbd_expected, mbgnbd_expected])
def test_a_column_of_times_equals_one_time_at_a_time(expected):
    # r large against a + b sends rows to the quadrature branch, which once indexed a
    # 2-D grid as if it were flat
    params = {"r": 5.0, "alpha": 2.0, "a": 0.5, "b": 0.5}
    times = np.array([[1.0], [52.0], [521.0]])
    grid = expected(params, times, X, T_X, T)
    assert grid.shape == (3, 7)
    for i, t in enumerate(times[:, 0]):
        np.testing.assert_allclose(grid[i], expected(params, t, X, T_X, T), rtol=1e-12)


def test_clv_works_where_the_quadrature_is_used():
    params = {"r": 5.0, "alpha": 2.0, "a": 0.5, "b": 0.5}
    clv = clv_by_horizon(lambda t: bgnbd_expected(params, t, X, T_X, T), np.ones(7))
    assert np.all(np.isfinite(clv[10])) and np.all(clv[1] <= clv[10])


@pytest.mark.parametrize("b", [110011.0, 2.0, 0.3, 1e7])
def test_a_concentrated_dropout_agrees_with_the_series(monkeypatch, b):
    params = {"r": 0.7, "alpha": 14.0, "a": 10_001.0, "b": b}
    fast = bgnbd_expected(params, np.array([[4.0], [52.0], [521.0]]), X, T_X, T)
    monkeypatch.setattr(bgnbd_module, "_CONCENTRATED", 1e12)
    series = bgnbd_expected(params, np.array([[4.0], [52.0], [521.0]]), X, T_X, T)
    np.testing.assert_allclose(fast, series, rtol=1e-5)


def test_a_fit_without_spread_in_dropout_is_quick():
    # a and b in the millions: what BG/NBD fits when everybody drops out alike; the
    # series would need millions of terms per customer
    params = {"r": 0.704, "alpha": 14.38, "a": 4.42e6, "b": 4.9e7}
    started = time.perf_counter()
    clv = clv_by_horizon(lambda t: bgnbd_expected(params, t, X, T_X, T), np.ones(7))
    assert time.perf_counter() - started < 1.0
    assert np.all(np.isfinite(clv[10]))
    p = params["a"] / (params["a"] + params["b"])
    # with p fixed, an alive customer's expectation is (1 - (1 + p t/(alpha+T))^-(r+x)) / p
    t_x = np.where(X > 0, T, 0.0)
    alive = bgnbd_p_alive(params, X, t_x, T)
    point = -np.expm1(-(0.704 + X) * np.log1p(p * 52.0 / (14.38 + 30.0))) / p
    np.testing.assert_allclose(bgnbd_expected(params, 52.0, X, t_x, T), point * alive, rtol=1e-5)
