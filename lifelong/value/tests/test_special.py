"""The log-space series against high-precision references (mpmath, 60-80 digits; the
values are written out here so that mpmath is not a dependency)."""

import numpy as np
import pytest

from lifelong.value.models import (
    bgnbd_expected,
    paretonbd_log_likelihood,
    paretonbd_p_alive,
)
from lifelong.value.models._special import hyp2f1_1bc, hyp2f1_tail, log1mexp

CDNOW_PARETO = {"r": 0.5532755, "alpha": 10.5776122, "s": 0.6062136, "beta": 11.6679112}
CDNOW_BGNBD = {"r": 0.2425929, "alpha": 4.4135316, "a": 0.7928861, "b": 2.4257534}

# (params, x, t_x, T, ln L, P(alive)) from FH05 eq. (18)-(20) with mpmath.hyp2f1 at
# 80 digits (a direct mpmath.quad of A0 is itself wrong by 1e-3 for the peaked cases).
PARETO_REFERENCE = [
    (CDNOW_PARETO, 0, 0, 38.86, -0.52120177494952112, 0.29509714254546017),
    (CDNOW_PARETO, 2, 30.43, 38.86, -9.5543332124117758, 0.86911871191044895),
    (CDNOW_PARETO, 26, 30.857, 31, -39.130718870750725, 0.99787122939718173),
    (CDNOW_PARETO, 132, 200, 200, -196.35833631773695, 1.0),
    (CDNOW_PARETO, 132, 100, 200, -115.99001279273034, 1.2487645839921062e-35),
    (CDNOW_PARETO, 400, 10, 400, 780.37827377096917, 0.0),
    (CDNOW_PARETO, 1000, 500.5, 1000, -339.8032684074414, 6.2080923726614693e-294),
    ((2, 0.05, 0.3, 40), 0, 0, 10, -7.839655168641523, 0.058783286194838187),
    ((2, 0.05, 0.3, 40), 50, 9, 10, 26.582173222138912, 0.79870369691178012),
    ((2, 0.05, 0.3, 40), 300, 1, 2, 1389.3034823682438, 6.9095639066547597e-84),
    ((0.3, 40, 2, 0.05), 0, 0, 10, -0.00037072438222943287, 2.3157724598457523e-5),
    ((0.3, 40, 2, 0.05), 5, 2, 10, -23.759276856831811, 0.019632813045506307),
    ((0.3, 40, 2, 0.05), 300, 1, 2, 287.99900563257486, 0.00098327850164151168),
    ((1, 3, 1, 3), 5, 2, 10, -6.2198166843797142, 0.0086507219617703499),
    ((1, 3, 1, 3), 300, 1, 2, 992.73175044682237, 1.6337402716464221e-27),
    ((0.5, 1000, 0.8, 0.01), 5, 2, 10, -35.427636400935401, 0.27051665472965869),
    ((0.5, 1000, 0.8, 0.01), 300, 1, 2, -665.05578652064541, 0.53117496969414788),
]


def as_params(p):
    if isinstance(p, dict):
        return p
    return dict(zip(("r", "alpha", "s", "beta"), map(float, p), strict=True))


@pytest.mark.parametrize(("params", "x", "t_x", "T", "ll", "p_alive"), PARETO_REFERENCE)
def test_paretonbd_likelihood_matches_high_precision(params, x, t_x, T, ll, p_alive):
    params = as_params(params)
    assert paretonbd_log_likelihood(params, x, t_x, T)[0] == pytest.approx(ll, rel=1e-11)
    assert paretonbd_p_alive(params, x, t_x, T)[0] == pytest.approx(p_alive, rel=1e-9, abs=1e-300)


def test_paretonbd_series_with_z_next_to_one_stays_close():
    # alpha/beta = 1e5 and t_x = 0: z = 1 - 1e-5, past the series' term budget; the
    # geometric tail estimate keeps the error at 1e-7 in ln L.
    params = as_params((0.5, 1000, 0.8, 0.01))
    value = paretonbd_log_likelihood(params, 0, 0, 10)[0]
    assert value == pytest.approx(-7.4303196087416108e-5, abs=2e-7)


# E[Y(t) | x, t_x, T] from FHL05 eq. (10) with mpmath.hyp2f1 at 50 digits.
@pytest.mark.parametrize(
    ("t", "x", "t_x", "T", "expected"),
    [
        (52, 26, 30.857, 31, 25.757684842340690495),
        (10, 132, 200, 200, 6.3116706748310845793),
        (39, 0, 0, 38.86, 0.1947808419665267469),
        (520, 3, 20, 30, 9.9656908304418650727),
    ],
)
def test_bgnbd_expectation_matches_high_precision(t, x, t_x, T, expected):
    assert bgnbd_expected(CDNOW_BGNBD, t, x, t_x, T)[0] == pytest.approx(expected, rel=1e-12)


# Parameters where r is large against a + b: the Euler-transformed series would alternate
# and cancel, so the positive series is used (mpmath, 60 digits).
@pytest.mark.parametrize(
    ("params", "t", "x", "t_x", "T", "expected"),
    [
        ((57, 1, 2, 1), 100, 0, 0, 1, 1.99928571428571),
        ((5, 1, 1.5, 1), 100, 3, 1, 2, 0.570828983120448),
        ((30, 2, 0.5, 3), 1000, 20, 5, 10, 4.9640798743782e-8),
        # a + b = 1, x = 0: C = 0, the formula's removable singularity
        ((57, 1, 0.5, 0.5), 100, 0, 0, 1, 60.1016868464003),
        ((3, 2, 0.3, 0.4), 50, 0, 0, 5, 7.17835868025504),
    ],
)
def test_bgnbd_expectation_when_r_dominates(params, t, x, t_x, T, expected):
    named = dict(zip(("r", "alpha", "a", "b"), map(float, params), strict=True))
    assert bgnbd_expected(named, t, x, t_x, T)[0] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("b", "c", "z", "log_f"),
    [
        # ln 2F1(1, b; c; z), mpmath at 40 digits
        (0.5, 2.0, 0.3, 0.085198461386967399),
        (200.5, 201.8, 0.9, 2.2483510541797734),
        (1.6, 300.0, 0.999, 0.0053601412869124289),
        (50.0, 60.0, 0.99999, 1.8802503691697554),
    ],
)
def test_hyp2f1_1bc_matches_high_precision(b, c, z, log_f):
    value = hyp2f1_1bc(np.array([b]), np.array([c]), np.array([z]))[0][0]
    assert value == pytest.approx(log_f, rel=1e-13)


def test_hyp2f1_tail_with_sign_changes():
    # c (2F1(a, b; c; z) - 1) / b, mpmath at 40 digits
    cases = [
        (-1.3, -0.2, 3.0, 0.6, -0.7651488566163369),
        (0.4, 0.7, -0.5, 0.9, 26.264448205110693),
        (2.5, -0.207, 500.0, 0.94, 2.3561498802233998),
    ]
    for a, b, c, z, expected in cases:
        sign, log_s = hyp2f1_tail(a, b, c, z)
        assert float(sign * np.exp(log_s)) == pytest.approx(expected, rel=1e-13)


def test_log1mexp_is_accurate_at_both_ends():
    np.testing.assert_allclose(log1mexp(np.array([-1e-20, -50.0])), [np.log(1e-20), -np.exp(-50)])
    assert log1mexp(np.array([0.0]))[0] == -np.inf
