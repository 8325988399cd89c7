"""Customer-value models as small pure functions on numpy arrays.

Purchase and dropout: BG/NBD, MBG/NBD, Pareto/NBD (continuous time) and BG/BB (discrete
opportunities); spend: Gamma-Gamma; CLV by discounting expected purchases. Each fit_*
returns a FitResult whose params feed the prediction functions. Time is in whatever unit
the summaries use (weeks throughout the tests). See each module for its paper.
"""

from ._fit import FitResult
from .bgbb import bgbb_expected, bgbb_log_likelihood, bgbb_p_alive, fit_bgbb
from .bgnbd import (
    bgnbd_expected,
    bgnbd_expected_unconditional,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_predict,
    fit_bgnbd,
    fit_mbgnbd,
    mbgnbd_expected,
    mbgnbd_log_likelihood,
    mbgnbd_p_alive,
    mbgnbd_predict,
    simulate_bgnbd,
)
from .clv import (
    clv_by_horizon,
    discounted_purchases,
    paretonbd_dert,
    years_to_units,
)
from .data import HoldoutTable, TransactionSummary, holdout_table, summarise_transactions
from .gammagamma import fit_gammagamma, gammagamma_expected_spend, gammagamma_log_likelihood
from .paretonbd import (
    fit_paretonbd,
    paretonbd_expected,
    paretonbd_expected_unconditional,
    paretonbd_log_likelihood,
    paretonbd_p_alive,
    paretonbd_predict,
)

__all__ = [
    "FitResult",
    "HoldoutTable",
    "TransactionSummary",
    "bgbb_expected",
    "bgbb_log_likelihood",
    "bgbb_p_alive",
    "bgnbd_expected",
    "bgnbd_expected_unconditional",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_predict",
    "clv_by_horizon",
    "discounted_purchases",
    "fit_bgbb",
    "fit_bgnbd",
    "fit_gammagamma",
    "fit_mbgnbd",
    "fit_paretonbd",
    "gammagamma_expected_spend",
    "gammagamma_log_likelihood",
    "holdout_table",
    "mbgnbd_expected",
    "mbgnbd_log_likelihood",
    "mbgnbd_p_alive",
    "mbgnbd_predict",
    "paretonbd_dert",
    "paretonbd_expected",
    "paretonbd_expected_unconditional",
    "paretonbd_log_likelihood",
    "paretonbd_p_alive",
    "paretonbd_predict",
    "simulate_bgnbd",
    "summarise_transactions",
    "years_to_units",
]
