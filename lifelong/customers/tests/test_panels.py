from pathlib import Path

from lifelong.customers import panels


def test_registered_panels_render_in_order_on_the_customer_page(
    rep_client, customer, monkeypatch, settings, tmp_path: Path
):
    (tmp_path / "test_panel.html").write_text("<p>panel:{{ word }}:{{ customer.full_name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    monkeypatch.setattr(panels, "_registry", dict(panels._registry))
    panels.register(panels.Panel("late", "test_panel.html", lambda r, c: {"word": "zebra"}))
    panels.register(
        panels.Panel("early", "test_panel.html", lambda r, c: {"word": "aardvark"}, order=1)
    )
    html = rep_client.get(f"/customers/{customer.pk}/").content.decode()
    assert html.index("panel:aardvark:Anna Berg") < html.index("Log a touch")
    assert html.index("Log a touch") < html.index("panel:zebra:Anna Berg")
