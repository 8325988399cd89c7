"""bench/value.py on a tiny population, our side only: keeps the script from rotting."""

import json

import numpy as np
import pytest
import value as value_bench  # bench/value.py: pytest puts bench/ on the path


def test_the_simulated_customers_look_like_cdnow():
    data = value_bench.simulate(2_000, seed=1)
    for prefix in ("bgnbd", "pnbd"):
        x, t_x, T = (data[f"{prefix}_{c}"] for c in ("x", "t_x", "T"))
        assert x.shape == t_x.shape == T.shape == (2_000,)
        assert np.all(x == np.round(x)) and np.all(x >= 0)
        assert np.all((t_x >= 0) & (t_x <= T)) and np.all(t_x[x == 0] == 0)
        # first purchases over 12 weeks, calibration ending at week 39, on a day grid
        assert T.min() > 27 and T.max() == 39
        assert np.allclose(T * 7, np.round(T * 7)) and np.allclose(t_x * 7, np.round(t_x * 7))
        assert 0.25 < np.mean(x > 0) < 0.6  # CDNOW: 40% repeat buyers
    assert np.all(data["gg_x"] > 0) and np.all(data["gg_m"] > 0)
    assert data["gg_x"].size == np.count_nonzero(data["bgnbd_x"])
    again = value_bench.simulate(2_000, seed=1)
    assert all(np.array_equal(data[k], again[k]) for k in data)


@pytest.mark.parametrize("model", list(value_bench.MODELS))
def test_our_side_fits_and_predicts_every_model(model):
    data = value_bench.simulate(2_000, seed=3)
    cols = value_bench.columns(data, model)
    row = value_bench.run_ours(model, cols, runs=1)
    assert row["converged"]
    assert row["log_likelihood"] == pytest.approx(row["fit_log_likelihood"], abs=1e-6)
    assert all(n == 0 for n in row["non_finite"].values())
    # The same data scored at our own optimum agrees with itself through compare().
    predictions = value_bench.predict(model, row["params"], cols)
    agreement = value_bench.compare(predictions, predictions)
    assert all(v["max_rel_diff"] == 0 for v in agreement.values())


def test_the_report_replaces_only_its_own_section(tmp_path):
    data = value_bench.simulate(2_000, seed=4)
    rows = []
    for model in value_bench.MODELS:
        ours = value_bench.run_ours(model, value_bench.columns(data, model), runs=1)
        rows.append({"model": model, "ours": ours, "load_before": 1.0, "load_after": 1.0})
    saved = {
        "command": "python bench/value.py --sizes 2000 --skip-peer",
        "date": "2026-01-01",
        "openblas_threads": "1",
        "machine": {"CPU": "test"},
        "peer": None,
        "sizes": [{"size": 2_000, "data": value_bench.describe(data), "models": rows}],
    }
    json.dumps(saved)  # what --rewrite-report reads back
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## SQLite, 10,000 customers\n\nkept\n")
    value_bench.write_report(path, saved)
    value_bench.write_report(path, saved)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\n## SQLite, 10,000 customers\n\nkept\n")
    assert text.count(value_bench.START_MARK) == 1 and text.count(value_bench.END_MARK) == 1
    assert "| Pareto/NBD |" in text and "### 2,000 customers" in text


def test_each_benchmark_writes_only_its_own_section(tmp_path):
    import agenda as agenda_bench  # bench/agenda.py
    import customers as customers_bench  # bench/customers.py
    import report  # bench/report.py

    def section(name: str, body: str) -> str:
        start, end = report.markers(name)
        return f"{start}\n{body}\n{end}\n"

    path = tmp_path / "benchmarks.md"
    value = section("value", "## Customer value models\n\nfigures")
    agenda = section("agenda", "## The agenda\n\nfigures")
    outreach = section("outreach", "## Outreach\n\nfigures")
    path.write_text(f"{value}\n{outreach}\n{agenda}")
    customers_bench.write_report(path, section("customers", "# New customer figures"))
    new = section("customers", "# New customer figures")
    assert path.read_text() == f"{new}\n{value}\n{outreach}\n{agenda}"
    customers_bench.write_report(path, section("customers", "# Newer"))
    newer = section("customers", "# Newer")
    assert path.read_text() == f"{newer}\n{value}\n{outreach}\n{agenda}"
    report.write_section(path, "outreach", section("outreach", "## Outreach again"))
    again = section("outreach", "## Outreach again")
    assert path.read_text() == f"{newer}\n{value}\n{again}\n{agenda}"
    assert agenda_bench.START_MARK in path.read_text()
