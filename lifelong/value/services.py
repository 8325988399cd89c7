"""Customer value: the nightly refresh, tiers and their policies, Pareto and tier tables.

refresh_values() is the one writer: it summarises every customer's purchases in the
database, fits the purchase model (BG/NBD by default) and Gamma-Gamma, and rewrites each
customer's ValueSnapshot. Everything else here reads snapshots. Customers without
purchases have no snapshot and no tier: tier_policy(None) gives them the floor policy.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from scipy.stats import rankdata

from lifelong.accounts.models import Business
from lifelong.charts import nice_number
from lifelong.commerce.models import Purchase
from lifelong.customers.cadence import DEFAULT_POLICIES, recompute_due, tier_interval
from lifelong.customers.models import Customer
from lifelong.value.fitting import (
    MODEL_LABELS,
    PurchaseModel,
    fit_summary,
    purchase_model,
    repeat_buyers,
)
from lifelong.value.models import FitResult, clv_by_horizon, gammagamma_expected_spend
from lifelong.value.records import AliveHistory, ValueFit, ValueSnapshot
from lifelong.value.summary import CustomerSummary, customer_summary

DEFAULTS = {
    "model": "bgnbd",
    "discount_rate": 0.10,
    "tiers": [("A", 0.20), ("B", 0.30), ("C", 0.50)],
    "policies": DEFAULT_POLICIES,
    # Below this many customers with purchases the models are not fitted.
    "min_customers": 20,
    # Gamma-Gamma needs this many repeat buyers; below it spend is each one's own average.
    "min_repeat_buyers": 10,
}
UNIT = "weeks"
UNIT_DAYS = 7.0
CLV_YEARS = (1, 2, 10)
BATCH = 5000


def value_settings() -> dict:
    """settings.LIFELONG_VALUE over the defaults."""
    return {**DEFAULTS, **getattr(settings, "LIFELONG_VALUE", {})}


@dataclass(frozen=True)
class TierPolicy:
    """How a tier is treated: the longest gap between contacts, and whether extras
    ("do a bit more") may be given."""

    tier: str | None
    contact_every_days: int
    extras_allowed: bool


def tier_policy(tier: str | None) -> TierPolicy:
    """The treatment policy of `tier` (A, B, C; None for a customer without purchases).

    contact_every_days never exceeds the 30-day floor; a tier without a configured policy,
    and None, get the floor and no extras.
    """
    policy = value_settings()["policies"].get(tier, {}) if tier else {}
    return TierPolicy(
        tier=tier,
        contact_every_days=tier_interval(tier),
        extras_allowed=bool(policy.get("extras_allowed", False)),
    )


# ------------------------------------------------------------------ scores and tiers


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """Scores 1-5 by quintile, higher values scoring higher.

    A customer's score is 1 + floor(5 · share of customers with a strictly lower value),
    so tied customers share the score of the lowest of them (when most customers bought
    once, they all get frequency 1).
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    below = rankdata(values, method="min") - 1
    return np.minimum(1 + (5 * below) // n, 5).astype(np.int64)


def rfm_scores(
    days_since_last: np.ndarray, purchase_days: np.ndarray, revenue: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(recency, frequency, monetary) scores 1-5: the most recent buyers, those with the
    most purchase days and those with the most revenue score 5."""
    return (
        quintile_scores(-np.asarray(days_since_last, dtype=float)),
        quintile_scores(purchase_days),
        quintile_scores(revenue),
    )


def value_deciles(value: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """Each customer's decile of `value` (ties broken by revenue): 10 for the top tenth
    down to 1; the agenda ranks by it before it looks at how overdue someone is."""
    n = len(value)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-revenue, -value))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    return 10 - (position * 10) // n


def assign_tiers(
    value: np.ndarray, tiebreak: np.ndarray, shares: list[tuple[str, float]]
) -> np.ndarray:
    """Tier names by rank of `value` (highest first; ties broken by `tiebreak`, then by
    position): the first shares[0][1] of customers get shares[0][0], and so on. The last
    tier takes whatever is left, so shares need not add up exactly to 1."""
    n = np.asarray(value).size
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    order = np.lexsort((np.arange(n), -np.asarray(tiebreak, float), -np.asarray(value, float)))
    start = 0
    cumulative = 0.0
    for i, (name, share) in enumerate(shares):
        cumulative += share
        stop = n if i == len(shares) - 1 else min(n, round(cumulative * n))
        out[order[start:stop]] = name
        start = max(start, stop)
    return out


# ------------------------------------------------------------------ refresh


@dataclass(frozen=True)
class RefreshResult:
    """What refresh_values did: the ValueFit it recorded and how many snapshots it wrote."""

    fit: ValueFit
    customers: int
    seconds: float

    @property
    def skipped(self) -> str:
        return self.fit.skipped


def _spend(
    summary: CustomerSummary, cfg: dict, notes: list[str]
) -> tuple[np.ndarray, FitResult | None]:
    """Expected spend per purchase day: Gamma-Gamma when it can be fitted and has a finite
    mean (q > 1), else each customer's own average spend per purchase day."""
    own = summary.revenue / (summary.x + 1.0)
    n_repeat = int(repeat_buyers(summary).sum())
    if n_repeat < cfg["min_repeat_buyers"]:
        notes.append(
            f"Spend: only {n_repeat} repeat buyers (Gamma-Gamma needs "
            f"{cfg['min_repeat_buyers']}), so spend is each customer's own average."
        )
        return own, None
    try:
        fit = fit_summary("gg", summary)
        if fit.params["q"] <= 1 or not fit.converged:
            raise ValueError("the spend model did not settle on a finite mean")
        return gammagamma_expected_spend(fit.params, summary.x, summary.mean_spend), fit
    except ValueError as e:
        notes.append(f"Spend: {e}; spend is each customer's own average.")
        return own, None


def _clv(
    pm: PurchaseModel, params: dict, summary: CustomerSummary, spend: np.ndarray, rate: float
) -> dict[float, np.ndarray]:
    """CLV per horizon in CLV_YEARS: spend times discounted expected purchases.

    In all three purchase models E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) · B(t; x, T),
    where the bracket B does not depend on t_x; so the expensive part, B on every period
    end, runs once per distinct (x, T) and P(alive) once per customer. B is read off the
    library as E / P(alive) at t_x = T (t_x = 0 when x = 0).
    """
    pairs = np.stack([summary.x, summary.T], axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ux, uT = unique.T
    ut_x = np.where(ux > 0, uT, 0.0)
    alive_at_t_x = pm.p_alive(params, ux, ut_x, uT)
    if np.all(alive_at_t_x > 1e-250):
        p_alive = pm.p_alive(params, summary.x, summary.t_x, summary.T)

        def bracket(t: np.ndarray) -> np.ndarray:
            return pm.expected(params, t, ux, ut_x, uT) / alive_at_t_x

        per_unit = clv_by_horizon(
            bracket, np.ones(ux.size), years=CLV_YEARS, unit_days=UNIT_DAYS,
            annual_discount_rate=rate,
        )  # fmt: skip
        return {y: spend * p_alive * v[inverse] for y, v in per_unit.items()}
    # P(alive) underflows at t_x = T for someone (Pareto/NBD with a huge x): per customer.
    rows = np.stack([summary.x, summary.t_x, summary.T], axis=1)
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ux, ut, uT = unique.T
    per_unit = clv_by_horizon(
        lambda t: pm.expected(params, t, ux, ut, uT), np.ones(ux.size), years=CLV_YEARS,
        unit_days=UNIT_DAYS, annual_discount_rate=rate,
    )  # fmt: skip
    return {y: spend * v[inverse] for y, v in per_unit.items()}


def refresh_values(
    now: dt.datetime | None = None, *, progress: Callable[[str], None] | None = None
) -> RefreshResult:
    """Recompute every customer's value from all purchases up to `now` (default: now).

    Fits the configured purchase model (weeks as the unit) and Gamma-Gamma, then writes
    one ValueSnapshot per customer with purchases (deleting the others), this month's
    AliveHistory rows and a ValueFit, in one transaction. With fewer than min_customers
    customers with purchases, or no repeat buyer, the model is skipped: snapshots then
    carry revenue, RFM and tiers by historic revenue, and ValueFit.skipped says why.
    `progress` receives a line per step.
    """
    say = progress or (lambda line: None)
    started = time.perf_counter()
    now = now or timezone.now()
    cfg = value_settings()
    tz = Business.get().tzinfo
    today = now.astimezone(tz).date()
    summary = customer_summary(today, unit_days=UNIT_DAYS)
    n = len(summary)
    say(f"Summarised the purchases of {n:,} customers up to {today:%Y-%m-%d}.")

    notes: list[str] = []
    pm = purchase_model(cfg["model"])
    n_repeat = int((summary.x > 0).sum())
    fit: FitResult | None = None
    spend_fit: FitResult | None = None
    if n < cfg["min_customers"]:
        notes.append(
            f"Only {n} customers have purchases; the models need at least "
            f"{cfg['min_customers']}, so tiers follow historic revenue."
        )
    elif n_repeat == 0:
        notes.append(
            "Nobody has bought on two different days yet, so there is no repeat "
            "behaviour to learn from; tiers follow historic revenue."
        )
    else:
        fit = fit_summary(pm.key, summary)
        if not fit.converged:
            notes.append(f"{pm.label} did not converge ({fit.message}); tiers follow revenue.")
            fit = None
        else:
            say(f"Fitted {pm.label} on {n:,} customers: {_params_text(fit.params)}.")

    p_alive = expected_90d = spend = None
    clv: dict[float, np.ndarray] = {}
    if fit is not None:
        p_alive = pm.p_alive(fit.params, summary.x, summary.t_x, summary.T)
        expected_90d = pm.expected(fit.params, 90 / UNIT_DAYS, summary.x, summary.t_x, summary.T)
        spend, spend_fit = _spend(summary, cfg, notes)
        if spend_fit is not None:
            say(f"Fitted Gamma-Gamma on {n_repeat:,} repeat buyers.")
        clv = _clv(pm, fit.params, summary, spend, float(cfg["discount_rate"]))
        say(f"Projected CLV over {', '.join(str(y) for y in CLV_YEARS)} years.")

    today_day = np.datetime64(today, "D")
    days_since = (today_day - summary.last).astype(np.int64)
    recency, frequency, monetary = rfm_scores(days_since, summary.x + 1, summary.revenue)
    tier_value = clv[2] if clv else summary.revenue
    tiers = assign_tiers(tier_value, summary.revenue, cfg["tiers"])
    ranks = value_deciles(tier_value, summary.revenue)

    with transaction.atomic():
        record = ValueFit.objects.create(
            computed_at=now,
            until=today,
            unit=UNIT,
            model=pm.key if fit else "",
            params=fit.params if fit else {},
            log_likelihood=fit.log_likelihood if fit else None,
            std_errors=_finite(fit.std_errors) if fit else {},
            converged=bool(fit and fit.converged),
            spend_params=spend_fit.params if spend_fit else {},
            spend_log_likelihood=spend_fit.log_likelihood if spend_fit else None,
            spend_std_errors=_finite(spend_fit.std_errors) if spend_fit else {},
            n_customers=n,
            n_repeat_buyers=n_repeat,
            skipped=" ".join(notes),
        )
        _write_snapshots(
            now, record, summary, p_alive, expected_90d, spend, clv,
            recency, frequency, monetary, tiers, ranks,
        )  # fmt: skip
        _mirror_on_customers()
        if p_alive is not None:
            _write_history(today.replace(day=1), summary.customer_ids, p_alive)
        record.seconds = time.perf_counter() - started
        record.save(update_fields=["seconds"])
    say(f"Wrote {n:,} value snapshots in {record.seconds:.1f} s.")
    for note in notes:
        say(note)
    return RefreshResult(fit=record, customers=n, seconds=record.seconds)


def _params_text(params: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in params.items())


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    """JSON has no NaN: a standard error that could not be computed is null."""
    return {k: (v if np.isfinite(v) else None) for k, v in values.items()}


def _column(values: np.ndarray | None, n: int) -> list:
    """A column as Python values (None throughout when the model was skipped)."""
    return [None] * n if values is None else np.asarray(values, dtype=float).tolist()


def _upsert(
    model: type[models.Model],
    fields: list[str],
    rows: Iterable[tuple],
    conflict: list[str],
) -> None:
    """INSERT … ON CONFLICT (conflict) DO UPDATE the other fields, by executemany in
    batches: one statement for many rows, where bulk_create would send a query per 45
    rows on SQLite (its 999-parameter limit) and spend most of a large refresh compiling
    them. Values must already be adapted for the database (connection.ops.adapt_*)."""
    qn = connection.ops.quote_name
    columns = [model._meta.get_field(f).column for f in fields]
    keys = {model._meta.get_field(f).column for f in conflict}
    sets = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in columns if c not in keys)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(qn(c) for c in keys)}) DO UPDATE SET {sets}"
    )
    rows = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, BATCH)):
            cursor.executemany(sql, batch)


def _write_snapshots(
    now: dt.datetime,
    record: ValueFit,
    summary: CustomerSummary,
    p_alive: np.ndarray | None,
    expected_90d: np.ndarray | None,
    spend: np.ndarray | None,
    clv: dict[float, np.ndarray],
    recency: np.ndarray,
    frequency: np.ndarray,
    monetary: np.ndarray,
    tiers: np.ndarray,
    ranks: np.ndarray,
) -> None:
    """Upsert a snapshot per summarised customer; delete everybody else's."""
    ops = connection.ops
    n = len(summary)
    when = ops.adapt_datetimefield_value(now)
    first = [ops.adapt_datefield_value(d) for d in summary.first.astype(object)]
    last = [ops.adapt_datefield_value(d) for d in summary.last.astype(object)]
    revenue = [
        ops.adapt_decimalfield_value(Decimal(f"{v:.2f}"), 16, 2) for v in summary.revenue.tolist()
    ]
    r, f, m = recency.tolist(), frequency.tolist(), monetary.tolist()
    columns = {
        "customer": summary.customer_ids.tolist(),
        "computed_at": [when] * n,
        "fit": [record.pk] * n,
        "model": [record.model] * n,
        "p_alive": _column(p_alive, n),
        "expected_purchases_90d": _column(expected_90d, n),
        "expected_spend": _column(spend, n),
        "clv_1y": _column(clv.get(1), n),
        "clv_2y": _column(clv.get(2), n),
        "clv_10y": _column(clv.get(10), n),
        "revenue": revenue,
        "purchase_count": summary.purchases.tolist(),
        "purchase_days": (summary.x.astype(np.int64) + 1).tolist(),
        "first_purchase_on": first,
        "last_purchase_on": last,
        "recency_score": r,
        "frequency_score": f,
        "monetary_score": m,
        "rfm_cell": [f"{a}{b}{c}" for a, b, c in zip(r, f, m, strict=True)],
        "tier": [str(t) for t in tiers],
        "value_rank": ranks.tolist(),
    }
    _upsert(ValueSnapshot, list(columns), zip(*columns.values(), strict=True), ["customer"])
    # Customers whose purchases are gone (or who are gone) keep no stale figures.
    ValueSnapshot.objects.exclude(fit=record).delete()


def _mirror_on_customers() -> None:
    """Copy each snapshot's tier and value rank onto its customer (blank and 0 for the
    customers without one), the rank on to their occasions (the agenda reads them in value
    order), then move everybody's next contact date to the new tiers."""
    from lifelong.occasions.services import mirror_value_rank  # occasions sits beside us

    snapshot = ValueSnapshot.objects.filter(customer=OuterRef("pk"))
    Customer.objects.update(
        tier=Coalesce(Subquery(snapshot.values("tier")[:1]), Value("")),
        value_rank=Coalesce(Subquery(snapshot.values("value_rank")[:1]), Value(0)),
    )
    mirror_value_rank()
    recompute_due()


def _write_history(month: dt.date, customer_ids: np.ndarray, p_alive: np.ndarray) -> None:
    """This month's P(alive) per customer; a later refresh in the month overwrites it."""
    month_value = connection.ops.adapt_datefield_value(month)
    rows = (
        (c, month_value, p) for c, p in zip(customer_ids.tolist(), p_alive.tolist(), strict=True)
    )
    _upsert(AliveHistory, ["customer", "month", "p_alive"], rows, ["customer", "month"])


# ------------------------------------------------------------------ reading


def snapshots_for(customers: QuerySet[Customer]) -> QuerySet[ValueSnapshot]:
    """The snapshots of `customers` (pass customers_visible_to(user))."""
    return ValueSnapshot.objects.filter(customer__in=customers.order_by().values("pk"))


def last_fit() -> ValueFit | None:
    """The latest refresh's record, or None before the first refresh."""
    return ValueFit.objects.order_by("-computed_at", "-id").first()


@dataclass(frozen=True)
class ParetoCurve:
    """Cumulative share of revenue against share of customers, best customers first.

    customer_share and revenue_share run from 0 to 1 (at most `points` + 1 points, for
    drawing); top_share is the revenue share of the top `top` (20%) of customers.
    """

    customer_share: np.ndarray
    revenue_share: np.ndarray
    top: float
    top_share: float
    n_customers: int
    total_revenue: float


def pareto_curve(
    customers: QuerySet[Customer], *, top: float = 0.20, points: int = 100
) -> ParetoCurve:
    """The Pareto curve of historic revenue over `customers` with purchases (from the
    snapshots): sorted by revenue, descending. The top share counts the best
    round(top · n) customers (at least one)."""
    revenue = np.array(snapshots_for(customers).values_list("revenue", flat=True), dtype=float)
    revenue = np.sort(revenue)[::-1]
    n = revenue.size
    total = float(revenue.sum())
    if n == 0 or total <= 0:
        return ParetoCurve(np.array([0.0, 1.0]), np.array([0.0, 0.0]), top, 0.0, n, total)
    cumulative = np.concatenate([[0.0], np.cumsum(revenue)]) / total
    k = max(1, round(top * n))
    idx = np.unique(np.round(np.linspace(0, n, min(points, n) + 1)).astype(int))
    return ParetoCurve(
        customer_share=idx / n,
        revenue_share=cumulative[idx],
        top=top,
        top_share=float(cumulative[k]),
        n_customers=n,
        total_revenue=total,
    )


@dataclass(frozen=True)
class TierRow:
    tier: str
    customers: int
    customer_share: float
    revenue: float
    revenue_share: float
    clv_2y: float | None
    policy: TierPolicy


def tier_table(customers: QuerySet[Customer]) -> list[TierRow]:
    """Per configured tier: customers, their historic revenue, its share of the total,
    their projected two-year value and the tier's policy."""
    rows = {
        r["tier"]: r
        for r in snapshots_for(customers)
        .values("tier")
        .annotate(n=Count("pk"), revenue=Sum("revenue"), clv=Sum("clv_2y"))
        .order_by()
    }
    total_n = sum(r["n"] for r in rows.values())
    total_revenue = float(sum(r["revenue"] or 0 for r in rows.values()))
    out = []
    for name, _ in value_settings()["tiers"]:
        r = rows.get(name, {"n": 0, "revenue": 0, "clv": None})
        revenue = float(r["revenue"] or 0)
        out.append(
            TierRow(
                tier=name,
                customers=r["n"],
                customer_share=r["n"] / total_n if total_n else 0.0,
                revenue=revenue,
                revenue_share=revenue / total_revenue if total_revenue else 0.0,
                clv_2y=None if r["clv"] is None else float(r["clv"]),
                policy=tier_policy(name),
            )
        )
    return out


@dataclass(frozen=True)
class Histogram:
    """Counts of values in equal-width bins from `edges[0]` to `edges[-1]`; values above
    the last edge (the long tail past the 99th percentile) are counted in `overflow`."""

    edges: np.ndarray
    counts: np.ndarray
    overflow: int


def clv_histogram(customers: QuerySet[Customer], *, bins: int = 20) -> Histogram | None:
    """The distribution of projected two-year value in at most `bins` bins of a round
    width, up to the 99th percentile (the rest counted as overflow); None when no snapshot
    has a projection."""
    values = np.array(
        snapshots_for(customers).exclude(clv_2y=None).values_list("clv_2y", flat=True),
        dtype=float,
    )
    if values.size == 0:
        return None
    top = float(np.quantile(values, 0.99)) if values.size >= 100 else float(values.max())
    width = nice_number(max(top, 1e-9) / bins)
    n = max(1, int(np.ceil(top / width - 1e-9)))
    edges = np.arange(n + 1) * width
    counts, _ = np.histogram(np.clip(values, 0.0, edges[-1]), bins=edges)
    return Histogram(edges=edges, counts=counts, overflow=int((values > edges[-1]).sum()))


def rfm_grid(customers: QuerySet[Customer]) -> list[list[int]]:
    """Customers per (recency, frequency) score: grid[r-1][f-1]."""
    grid = [[0] * 5 for _ in range(5)]
    for r in (
        snapshots_for(customers)
        .values("recency_score", "frequency_score")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        grid[r["recency_score"] - 1][r["frequency_score"] - 1] = r["n"]
    return grid


def top_customers(customers: QuerySet[Customer], limit: int = 10) -> list[ValueSnapshot]:
    """The most valuable customers: by two-year CLV, or by revenue without a model."""
    qs = snapshots_for(customers).select_related("customer")
    if qs.exclude(clv_2y=None).exists():
        qs = qs.exclude(clv_2y=None).order_by("-clv_2y", "customer_id")
    else:
        qs = qs.order_by("-revenue", "customer_id")
    return list(qs[:limit])


def snapshot_for(customer: Customer) -> ValueSnapshot | None:
    return ValueSnapshot.objects.filter(customer=customer).first()


def p_alive_change(customer: Customer) -> float | None:
    """P(alive) in the month of the latest refresh minus the month before's, or None
    without both months."""
    latest = AliveHistory.objects.filter(customer=customer).order_by("-month").first()
    if latest is None:
        return None
    before = (latest.month - dt.timedelta(days=1)).replace(day=1)
    previous = AliveHistory.objects.filter(customer=customer, month=before).first()
    return None if previous is None else latest.p_alive - previous.p_alive


def model_label(key: str) -> str:
    """BG/NBD for "bgnbd", and so on."""
    return MODEL_LABELS.get(key, key)


@dataclass(frozen=True)
class Overview:
    """Everything the Value page shows about `customers` (as of the last refresh)."""

    n_customers: int
    has_purchases: bool
    fit: ValueFit | None
    curve: ParetoCurve
    tiers: list[TierRow]
    histogram: Histogram | None
    rfm: list[list[int]]
    top: list[ValueSnapshot]


def overview(customers: QuerySet[Customer], *, top: int = 10) -> Overview:
    """The Value page's figures for `customers` (pass customers_visible_to(user))."""
    curve = pareto_curve(customers)
    has_purchases = curve.n_customers > 0 or (
        Purchase.objects.filter(customer__in=customers.order_by().values("pk")).exists()
    )
    return Overview(
        n_customers=curve.n_customers,
        has_purchases=has_purchases,
        fit=last_fit(),
        curve=curve,
        tiers=tier_table(customers),
        histogram=clv_histogram(customers),
        rfm=rfm_grid(customers),
        top=top_customers(customers, top),
    )
