"""The lifetimes side of bench/value.py: run with the peer venv's python, not the project's.

    var/bench/lifetimes-venv/bin/python bench/_lifetimes_worker.py \
        --data var/bench/value-100000.npz --model bgnbd [--runs 1] [--cap 600] [--out P.npz]

It imports only numpy and lifetimes (never the project), fits the model on the raw
per-customer arrays of the .npz file bench/value.py wrote, as a lifetimes user does
(no weights, default options), then predicts for every customer: the conditional
expected purchases over --horizon periods and P(alive) (Gamma-Gamma: the conditional
expected average spend). One JSON object per line on stdout, flushed as each stage
ends, so that a stage cut short by --cap still leaves the ones before it:

    {"stage": "versions", ...}
    {"stage": "fit", "seconds": [...], "params": {...}}            or "timed_out": true
    {"stage": "predict", "seconds": [...], "non_finite": {...}}    or "timed_out": true

--out saves the predictions of the last run to an .npz file for the comparison.
--weighted fits on the distinct rows with lifetimes' `weights=` instead (the grouping,
np.unique, is timed with the fit) and stops there.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import warnings

import numpy as np

# lifetimes' parameter names where they differ from ours (Gamma-Gamma's gamma is its v).
RENAME = {"v": "gamma"}


class CapReached(Exception):
    pass


def on_alarm(signum, frame):
    raise CapReached


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", required=True, choices=["bgnbd", "mbgnbd", "pnbd", "gg"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cap", type=float, default=600.0, help="seconds per stage")
    parser.add_argument("--horizon", type=float, default=52.0)
    parser.add_argument("--out")
    parser.add_argument(
        "--weighted",
        action="store_true",
        help="fit on the unique rows with weights= (grouping timed too); no predictions",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # lifetimes' and pandas' deprecation chatter

    import lifetimes
    import pandas
    import scipy
    from lifetimes import (
        BetaGeoFitter,
        GammaGammaFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )

    emit(
        stage="versions",
        python=sys.version.split()[0],
        lifetimes=lifetimes.__version__,
        numpy=np.__version__,
        scipy=scipy.__version__,
        pandas=pandas.__version__,
    )
    data = np.load(args.data)
    if args.model == "gg":
        columns = (data["gg_x"], data["gg_m"])
    elif args.model == "pnbd":
        columns = (data["pnbd_x"], data["pnbd_t_x"], data["pnbd_T"])
    else:
        columns = (data["bgnbd_x"], data["bgnbd_t_x"], data["bgnbd_T"])
    fitter_class = {
        "bgnbd": BetaGeoFitter,
        "mbgnbd": ModifiedBetaGeoFitter,
        "pnbd": ParetoNBDFitter,
        "gg": GammaGammaFitter,
    }[args.model]

    signal.signal(signal.SIGALRM, on_alarm)

    def timed(stage: str, call) -> tuple[list[float], object] | None:
        seconds, value = [], None
        for _ in range(args.runs):
            signal.setitimer(signal.ITIMER_REAL, args.cap)
            started = time.perf_counter()
            try:
                value = call()
            except CapReached:
                emit(stage=stage, timed_out=True, cap=args.cap, seconds=seconds)
                return None
            except Exception as exc:  # ConvergenceError and the like: report, don't hide
                signal.setitimer(signal.ITIMER_REAL, 0)
                emit(stage=stage, error=f"{type(exc).__name__}: {exc}", seconds=seconds)
                return None
            seconds.append(time.perf_counter() - started)
            signal.setitimer(signal.ITIMER_REAL, 0)
        return seconds, value

    def fit():
        fitter = fitter_class()
        if args.weighted:
            rows, counts = np.unique(np.stack(columns, axis=1), axis=0, return_counts=True)
            return fitter.fit(*rows.T, weights=counts)
        return fitter.fit(*columns)

    done = timed("fit", fit)
    if done is None:
        return
    seconds, fitter = done
    params = {RENAME.get(k, k): float(v) for k, v in fitter.params_.items()}
    emit(stage="fit", seconds=seconds, params=params)
    if args.weighted:
        return

    def predict():
        if args.model == "gg":
            spend = fitter.conditional_expected_average_profit(*columns)
            return {"spend": np.asarray(spend, dtype=float)}
        expected = fitter.conditional_expected_number_of_purchases_up_to_time(
            args.horizon, *columns
        )
        alive = fitter.conditional_probability_alive(*columns)
        return {
            "expected": np.asarray(expected, dtype=float),
            "p_alive": np.asarray(alive, dtype=float),
        }

    done = timed("predict", predict)
    if done is None:
        return
    seconds, predictions = done
    non_finite = {k: int(np.count_nonzero(~np.isfinite(v))) for k, v in predictions.items()}
    if args.out:
        np.savez(args.out, **predictions)
    emit(stage="predict", seconds=seconds, non_finite=non_finite)


if __name__ == "__main__":
    main()
