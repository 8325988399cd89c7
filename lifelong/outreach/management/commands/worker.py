"""`lifelong worker`: send the outbox (see lifelong/outreach/sending.py and docs/outreach.md)."""

import datetime as dt
import signal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lifelong.outreach import compliance, jobs, sending, smtp


class Command(BaseCommand):
    help = (
        "Send queued messages over SMTP (EMAIL_URL), logging each as a touch; run due "
        "programs and greetings, and the nightly value refresh. Runs until SIGTERM or "
        "Ctrl-C, finishing the message in hand; --once stops when nothing is due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="send what is due, then exit (for cron)"
        )
        parser.add_argument(
            "--batch", type=int, default=100, help="messages claimed at a time (default 100)"
        )
        parser.add_argument(
            "--sleep", type=float, default=5.0,
            help="seconds to wait when nothing is due (default 5)",
        )  # fmt: skip
        parser.add_argument(
            "--stale-after", type=int, default=int(sending.STALE_AFTER.total_seconds()),
            help="seconds after which another worker's claim counts as abandoned "
            "(default 600; a dead worker on this host is noticed at once)",
        )  # fmt: skip
        parser.add_argument(
            "--no-jobs", action="store_true",
            help="only send: leave program runs and the nightly value refresh to another worker",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        if options["sleep"] < 0 or options["stale_after"] < 1:
            raise CommandError("--sleep must not be negative and --stale-after at least 1.")
        try:
            config = smtp.config_from_env()
            compliance.base_url()  # the links in every footer: fail now, not mid-batch
        except ImproperlyConfigured as e:
            raise CommandError(str(e)) from None
        verbosity = options["verbosity"]

        def report(tally: sending.Tally) -> None:
            if verbosity >= 2:
                self.stdout.write(str(tally))

        def say(line: str) -> None:
            if verbosity >= 1:
                self.stdout.write(line)

        worker = sending.Worker(
            batch=options["batch"],
            config=config,
            stale_after=dt.timedelta(seconds=options["stale_after"]),
            on_batch=report,
            jobs=None if options["no_jobs"] else lambda: jobs.run_jobs(say=say),
        )

        def stop(signum: int, frame: object) -> None:
            if worker.stopping.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt  # a second Ctrl-C: now
            self.stderr.write("Stopping after the message in hand…")
            worker.stop()

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            if verbosity >= 1:
                self.stdout.write(f"Worker {worker.id} sending through {config}")
            total = worker.run(once=options["once"], sleep=options["sleep"])
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if verbosity >= 1:
            self.stdout.write(f"Done: {total}.")
