"""What the worker does besides sending: run due programs and the nightly refresh.

`lifelong worker` calls run_jobs() at the start of every pass (at most once a minute
while it is busy sending). Programs are cheap to check (an indexed next_run_at), so
they run on every call. The nightly work (every customer's value, and with it the
tiers and everybody's next contact date) runs once per day in the business's time
zone, after NIGHTLY_HOUR: a JobRun row per (job, day) under a unique key claims it,
so with several workers, or a worker and a cron job, it still runs once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lifelong.accounts.models import Business
from lifelong.outreach import programs
from lifelong.outreach.models import JobRun
from lifelong.value.risk import refresh_values_and_risk

log = logging.getLogger(__name__)

NIGHTLY = "nightly"


def nightly_hour() -> int:
    """The local hour after which the nightly work runs (LIFELONG_NIGHTLY_HOUR, default 2)."""
    return int(getattr(settings, "LIFELONG_NIGHTLY_HOUR", 2))


def claim(job: str, day: dt.date) -> JobRun | None:
    """The JobRun of `job` for `day` if this caller is first to claim it, else None."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, day=day)
    except IntegrityError:
        return None


def nightly(now: dt.datetime | None = None, *, say: Callable[[str], None] = log.info) -> bool:
    """Refresh every customer's value, then the stored at-risk scores (value.risk, which
    reads the fresh snapshots), once per local day after the nightly hour; True when this
    call did it."""
    now = now or timezone.now()
    business = Business.get()
    local = now.astimezone(business.tzinfo)
    if local.hour < nightly_hour():
        return False
    run = claim(NIGHTLY, local.date())
    if run is None:
        return False
    result, risk = refresh_values_and_risk(now, progress=say)
    run.finished_at = timezone.now()
    run.note = (
        f"Values refreshed for {result.customers:,} customers in {result.seconds:.1f} s; "
        f"{risk.customers:,} customers at risk, scored in {risk.seconds:.1f} s."
    )
    run.save(update_fields=["finished_at", "note"])
    say(run.note)
    return True


def run_jobs(now: dt.datetime | None = None, *, say: Callable[[str], None] = log.info) -> None:
    """Everything due besides sending: program runs and greetings, then the nightly work."""
    now = now or timezone.now()
    report = programs.run_due(now)
    for line in report.lines:
        say(line)
    nightly(now, say=say)
