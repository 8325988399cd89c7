"""`lifelong value refresh|risk|fit|holdout`: customer value from the command line.

refresh rewrites every customer's value snapshot and then the stored at-risk scores (what
the nightly worker runs); risk rewrites the at-risk scores alone (value.risk); fit
prints a model's parameters for the purchases up to a date; holdout fits up to a date and
sets the forecast for the following weeks against what happened.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.value import risk, services
from lifelong.value.fitting import FIT_MODELS, PURCHASE_MODELS, UNITS, fit_report, holdout_report


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD.") from None


def _today() -> dt.date:
    return timezone.now().astimezone(Business.get().tzinfo).date()


class Command(BaseCommand):
    help = (
        "Customer value. `value refresh` recomputes every customer's snapshot and risk; "
        "`value risk [--today DATE]` rescores who is at risk; "
        "`value fit --model bgnbd|mbgnbd|pnbd|gg [--until DATE] [--unit days|weeks] --json`; "
        "`value holdout --until DATE --horizon N [--unit weeks] [--model bgnbd] [--json]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="what", required=True, metavar="{refresh,risk,fit,holdout}"
        )
        sub.add_parser(
            "refresh",
            help="Fit the models on all purchases and rewrite every customer's value snapshot.",
        )
        scores = sub.add_parser(
            "risk", help="Score every customer's risk and rewrite the stored at-risk scores."
        )
        scores.add_argument("--today", type=_date, help="The day to score as of (default: today).")
        fit = sub.add_parser("fit", help="Fit one model and print its parameters.")
        fit.add_argument("--model", choices=FIT_MODELS, default="bgnbd")
        fit.add_argument("--until", type=_date, help="Last day of purchases (default: today).")
        fit.add_argument("--unit", choices=list(UNITS), default="weeks")
        fit.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )
        holdout = sub.add_parser(
            "holdout", help="Fit up to --until, forecast --horizon units, compare with actuals."
        )
        holdout.add_argument("--until", type=_date, required=True, help="Calibration end.")
        holdout.add_argument("--horizon", type=float, required=True, help="Holdout length.")
        holdout.add_argument("--unit", choices=list(UNITS), default="weeks")
        holdout.add_argument("--model", choices=list(PURCHASE_MODELS), default="bgnbd")
        holdout.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args: Any, what: str, **options: Any) -> None:
        getattr(self, f"_{what}")(**options)

    def _refresh(self, **options: Any) -> None:
        result, at_risk = risk.refresh_values_and_risk(progress=self.stdout.write)
        fit = result.fit
        if fit.model:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Refreshed {result.customers:,} customers with "
                    f"{services.model_label(fit.model)} in {result.seconds:.1f} s."
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Refreshed {result.customers:,} customers without a model "
                    f"(revenue, RFM and tiers only) in {result.seconds:.1f} s."
                )
            )
        self._say_risk(at_risk)

    def _risk(self, *, today: dt.date | None = None, **_: Any) -> None:
        self._say_risk(risk.refresh_risk(today or _today()))

    def _say_risk(self, result: risk.RefreshRiskResult) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Scored the risk: {result.customers:,} customers at risk, "
                f"in {result.seconds:.1f} s."
            )
        )

    def _fit(
        self, *, model: str, until: dt.date | None, unit: str, as_json: bool, **_: Any
    ) -> None:
        until = until or _today()
        try:
            report = fit_report(model, until, unit=unit)
        except ValueError as e:
            raise CommandError(f"Cannot fit {model} on the purchases up to {until}: {e}.") from e
        if as_json:
            self.stdout.write(_dumps(report))
            return
        self.stdout.write(
            f"{services.model_label(model)} on {report['n_customers']:,} customers, "
            f"purchases up to {until:%Y-%m-%d}, in {unit} ({report['seconds']:.3f} s):"
        )
        for name, value in report["params"].items():
            se = report["std_errors"].get(name)
            self.stdout.write(f"  {name:>6} = {value:10.4f}   (se {se:.4f})")
        self.stdout.write(f"  log-likelihood {report['log_likelihood']:.2f}")

    def _holdout(
        self, *, until: dt.date, horizon: float, unit: str, model: str, as_json: bool, **_: Any
    ) -> None:
        try:
            report = holdout_report(until, horizon, unit=unit, model=model)
        except ValueError as e:
            raise CommandError(str(e)) from e
        if as_json:
            self.stdout.write(_dumps(report.as_dict()))
            return
        t = report.table
        self.stdout.write(
            f"{services.model_label(model)} fitted on purchases up to {until:%Y-%m-%d} "
            f"({report.n_customers:,} customers); holdout {horizon:g} {unit} to "
            f"{report.holdout_end:%Y-%m-%d}."
        )
        self.stdout.write(f"{'x':>4} {'customers':>10} {'actual':>9} {'predicted':>10}")
        for i in range(t.frequency.size):
            self.stdout.write(
                f"{t.label[i]:>4} {int(t.n_customers[i]):>10,} "
                f"{t.actual_mean[i]:>9.3f} {t.predicted_mean[i]:>10.3f}"
            )
        self.stdout.write(
            f"Repeat purchases in the holdout: {t.actual_total:,.0f} actual, "
            f"{t.predicted_total:,.1f} predicted "
            f"({(t.predicted_total - t.actual_total) / max(t.actual_total, 1):+.1%})."
        )


def _dumps(data: dict) -> str:
    """JSON without NaN (a standard error that could not be computed becomes null)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and value != value:
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(data), allow_nan=False)
