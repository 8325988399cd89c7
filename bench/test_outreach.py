"""bench/outreach.py at a tiny size: enqueue, send to the sink process, write the report."""

import outreach as outreach_bench  # bench/outreach.py: pytest puts bench/ on the path
import pytest

from lifelong.outreach.models import Message, MessageStatus


@pytest.fixture(autouse=True)
def base_url(monkeypatch):
    monkeypatch.setenv("LIFELONG_BASE_URL", "https://crm.example.com")


def test_a_tiny_run_enqueues_sends_and_reports(db, tmp_path):
    owner = outreach_bench.load_customers(30)
    enqueued = outreach_bench.time_enqueue(30)
    assert enqueued["enqueued"] == 30
    sent = outreach_bench.time_sending(12, batch=5, owner=owner)
    assert sent["sent"] == sent["received"] == 12
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 12

    result = {"size": 30, "load_before": 0.1, "load_after": 0.2, **enqueued, **sent}
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nOther sections stay.\n")
    outreach_bench.write_report(report, outreach_bench.report([result], "python bench/x"))
    outreach_bench.write_report(report, outreach_bench.report([result], "python bench/y"))
    text = report.read_text()
    assert text.startswith("# Benchmarks\n\nOther sections stay.\n")
    assert text.count(outreach_bench.START_MARK) == 1 and "bench/y" in text
    assert "| 30 |" in text
