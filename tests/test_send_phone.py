"""The HTML part of a `reportgen send` message on a phone (Chromium at 360 and 390 px):
no sideways scrolling whatever the names, notes and links hold (issue 13's attack: a URL
in a highlight made the message 1152 px wide), and a button whose text is readable on
any brand colour."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from helpers import make_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.colors import AA, contrast_ratio
from reportgen.mail import KpiRow, MailContent, Recipient, StepRow, mail_environment, render_message

WIDTHS = (360, 390)
LONG = st.sampled_from(
    [
        "https://www.example.com/landing/spring-offer?utm_source=google&utm_medium=cpc&utm_campaign="
        "spring_brand_search_2026&utm_content=variant_b_long_headline&gclid=Cj0KCQiA" + "x" * 120,
        "W" * 300,
        "Donaudampfschifffahrtsgesellschaftskapitänsmützenfabrikationsvertriebsgesellschaft" * 2,
        "名前" * 80,
        "a-b_c.d/e" * 40,
        "Ü" * 200,
    ]
)
TEXT = st.one_of(
    LONG,
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=40),
)


def _content(texts: list[str], color: str = "#2563eb") -> MailContent:
    t = iter(texts * 20)
    kpis = tuple(
        KpiRow(
            label=next(t),
            value="1,234,567.89",
            target="2,000,000.00",
            pct_of_target="62%",
            status="behind",
            status_text=next(t),
            arrow="▲",
            change=next(t),
            verdict="better",
            words="better",
        )
        for _ in range(3)
    )
    return MailContent(
        client_id="c",
        client_name=next(t),
        month="2026-10",
        month_name="October 2026",
        lang="en",
        subject=next(t),
        link="https://reports.example.com/" + next(t).replace(" ", "-") + "/2026-10/",
        protected=False,
        brand_color=color,
        agency_name=next(t),
        ae_name=next(t),
        ae_email="ae@agency.example",
        title=next(t),
        summary=next(t),
        highlights=(next(t), next(t)),
        kpis=kpis,
        next_steps=(StepRow(next(t), next(t), "Nov 30, 2026"),),
        partial=False,
    )


@pytest.fixture(scope="module")
def pages(browser):
    contexts = [
        browser.new_context(viewport={"width": w, "height": 800}, java_script_enabled=True) for w in WIDTHS
    ]
    yield [(w, c.new_page()) for w, c in zip(WIDTHS, contexts, strict=True)]
    for context in contexts:
        context.close()


def _fits(pages, html: str) -> None:
    for width, page in pages:
        page.set_content(html)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{scroll} px wide at a {width} px viewport"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(TEXT, min_size=14, max_size=14))
def test_the_html_part_fits_a_phone_whatever_the_text(pages, tmp_path_factory, texts):
    env = mail_environment(tmp_path_factory.getbasetemp())
    recipient = Recipient(texts[0], "one@client.example")
    _text, html = render_message(env, _content(texts), recipient, attached=True)
    _fits(pages, html)


def test_the_generated_messages_fit_a_phone_in_each_language(pages, tmp_path):
    root = tmp_path / "proj"
    make_project(root)
    config = root / "clients.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  contact_email: reports@brightline.example\n",
            "  contact_email: reports@brightline.example\n  site_url: https://reports.brightline.example/\n",
            1,
        ),
        encoding="utf-8",
    )
    result = run_cli("send", "--project", root, "--dry-run", tmp_path / "out", "--month", "2026-10")
    assert result.exit_code == 0, result.output
    import email
    import email.policy

    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) >= 3
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        _fits(pages, message.get_body(("html",)).get_content())
    shutil.rmtree(tmp_path / "out")


HEX = st.builds(lambda r, g, b: f"#{r:02x}{g:02x}{b:02x}", *(st.integers(0, 255),) * 3)


def button_contrast(html: str) -> float:
    """The contrast of the button's text on its fill, as the HTML part paints it."""
    style = re.search(r'<a href="[^"]*" style="([^"]*display:inline-block[^"]*)"', html).group(1)
    fg = re.search(r"(?<![-\w])color:(#[0-9a-fA-F]{6})", style).group(1)
    bg = re.search(r"background:(#[0-9a-fA-F]{6})", style).group(1)
    return contrast_ratio(fg, bg)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("phone") / "proj"
    make_project(root)
    config = root / "clients.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  contact_email: reports@brightline.example\n",
            "  contact_email: reports@brightline.example\n  site_url: https://reports.brightline.example/\n",
            1,
        ),
        encoding="utf-8",
    )
    return root


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.sampled_from(["#ffffff", "#ffcc00", "#f1f5f9", "#777777"]), HEX))
def test_the_button_text_is_readable_on_any_brand_colour(small, tmp_path_factory, color):
    import yaml

    root = tmp_path_factory.mktemp("brand") / "proj"
    shutil.copytree(small, root)
    path = root / "clients.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for client in document["clients"]:
        client.setdefault("brand", {})["color"] = color
    path.write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
    )
    out = root.parent / "out"
    result = run_cli("send", "--project", root, "--dry-run", out, "--month", "2026-10")
    assert result.exit_code == 0, result.output
    import email
    import email.policy

    for eml in out.glob("*.eml"):
        html = (
            email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
            .get_body(("html",))
            .get_content()
        )
        assert button_contrast(html) >= AA, color
