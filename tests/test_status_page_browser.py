"""The status page in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

What a person sees on the example's failure scenario: the five dashboards with their statuses and
causes, filters and search working, no console errors, no network request, a hostile title shown as
text, the page without JavaScript, on a phone, printed; the history view over a generated month.

Skipped when Playwright or Chromium is missing, except when ``CI`` is set (then they fail):
``.ci/run`` installs Chromium. Screenshots are kept in the test's tmp directory (the path is printed);
``DBTMETA_UPDATE_SCREENSHOT=1`` also writes docs/status-page.png (the history view).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dbtmeta.health.history import parse_time

CHROMIUM = os.environ.get("DBTMETA_CHROMIUM", "/usr/bin/chromium")
DOCS_SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "status-page.png"
NAMES = ["Inventory Health", "Orders Overview", "Weekly marketing report", "Product Funnel", "Customers"]
TIME = r"\d\d:\d\d UTC(?: on \d+ \w+ \d{4})?"
AT = rf"at {TIME}"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser tests must run (.ci/run installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -c constraints.txt -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set DBTMETA_CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@dataclass
class Opened:
    page: Any
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self, url: str) -> None:
        assert self.console == [] and self.errors == [] and self.dialogs == []
        assert self.requests == [url]  # the file itself, nothing from the network

    def visible_names(self) -> list[str]:
        return self.page.locator("#dashboards > li:visible h2 .name").all_inner_texts()


@pytest.fixture
def open_page(browser) -> Iterator[Any]:
    contexts = []

    def open_(path: Path, **options: Any) -> Opened:
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        page.on(
            "console", lambda m: opened.console.append(f"{m.type}: {m.text}") if m.type != "log" else None
        )
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        context.on("request", lambda r: opened.requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        return opened

    yield open_
    for context in contexts:
        context.close()


def write_page(artifacts: Path, out: Path, *extra: str) -> Path:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtmeta",
            "stale-dashboards",
            "--manifest",
            str(artifacts / "manifest.json"),
            "--format",
            "html",
            "--output",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # stale dashboards: exit 1, the page is written anyway
    assert "Traceback" not in proc.stderr
    return out


@pytest.fixture
def failure_page(example_build, tmp_path: Path) -> Path:
    return write_page(example_build.failure, tmp_path / "status.html")


def causes_by_dashboard(opened: Opened) -> dict[str, list[str]]:
    return opened.page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('#dashboards > li')).map(li => [
            li.querySelector('h2 .name').innerText,
            Array.from(li.querySelectorAll('.causes > li')).map(c => c.innerText.split('\\n')[0])]))"""
    )


def test_failure_scenario_shows_statuses_and_causes(open_page, failure_page: Path, tmp_path: Path) -> None:
    opened = open_page(failure_page, viewport={"width": 1100, "height": 900})
    page = opened.page
    assert opened.visible_names() == NAMES
    assert page.locator("#dashboards > li .badge").all_inner_texts() == [
        "■ Stale",
        "■ Stale",
        "■ Stale",
        "▲ At risk",
        "✓ Fresh",
    ]
    # Colour as well as words: the badge and the item's left border in the status's colour.
    colours = page.locator("#dashboards > li").evaluate_all(
        """items => items.map(li => [getComputedStyle(li.querySelector('.badge')).color,
                                    getComputedStyle(li.querySelector('.badge')).backgroundColor,
                                    getComputedStyle(li).borderLeftColor])"""
    )
    stale = ["rgb(179, 38, 30)", "rgb(253, 231, 228)", "rgb(179, 38, 30)"]
    assert colours == [stale, stale, stale, ["rgb(138, 83, 0)", "rgb(255, 241, 214)", "rgb(138, 83, 0)"],
                       ["rgb(30, 107, 52)", "rgb(226, 244, 230)", "rgb(30, 107, 52)"]]  # fmt: skip
    causes = causes_by_dashboard(opened)
    assert list(causes) == NAMES
    patterns = {
        "Inventory Health": [
            rf"The source greenery\.products is overdue \(freshness error {AT}\)\.",
            rf"A data test on dim_products failed {AT}: 1 failing row\.",
            rf"A data test on stg_events warned {AT}: 1 failing row\.",
        ],
        "Orders Overview": [rf"The model stg_promos failed to build {AT}\."],
        "Weekly marketing report": [rf"The model stg_promos failed to build {AT}\."],
        "Product Funnel": [rf"A data test on stg_events warned {AT}: 1 failing row\."],
        "Customers": [],
    }
    for name, expected in patterns.items():
        assert len(causes[name]) == len(expected), (name, causes[name])
        for text, pattern in zip(causes[name], expected, strict=True):
            assert re.fullmatch(pattern, text), (name, text)
    # The technical id is one click away.
    orders = page.locator("#dashboards > li", has_text="Orders Overview")
    detail = orders.locator(".causes dd code").first
    assert not detail.is_visible()
    orders.locator(".causes summary").first.click()
    assert detail.inner_text() == "model.greenery.stg_promos"
    # The path from the cause to the dashboard, drawn in the page.
    svg = orders.locator(".diagram svg")
    assert svg.is_visible() and svg.bounding_box()["width"] > 300
    assert svg.locator("text").all_text_contents() == [
        "model · error",
        "stg_promos",
        "model",
        "fact_orders",
        "dashboard",
        "Orders Overview",
    ]
    # The boxes in the colours of what they are (failed cause, node between, dashboard), the edges grey.
    paint = svg.evaluate(
        """svg => [...svg.querySelectorAll('rect, text, svg > path')].map(e => {
            const s = getComputedStyle(e);
            return [e.tagName, s.fill, s.stroke, s.strokeWidth, s.fontSize]; })"""
    )
    box = [("rect", fill, stroke, "1.5px", "16px") for fill, stroke in [
        ("rgb(253, 231, 228)", "rgb(179, 38, 30)"), ("rgb(243, 244, 246)", "rgb(107, 114, 128)"),
        ("rgb(232, 240, 255)", "rgb(47, 95, 179)")]]  # fmt: skip
    dark = "rgb(27, 31, 36)"
    assert [tuple(p) for p in paint] == [
        ("path", "none", "rgb(107, 114, 128)", "1.5px", "16px"),
        ("path", "none", "rgb(107, 114, 128)", "1.5px", "16px"),
        box[0], ("text", "rgb(179, 38, 30)", "none", "1px", "11px"), ("text", dark, "none", "1px", "13px"),
        box[1], ("text", "rgb(107, 114, 128)", "none", "1px", "11px"), ("text", dark, "none", "1px", "13px"),
        box[2], ("text", "rgb(47, 95, 179)", "none", "1px", "11px"), ("text", dark, "none", "1px", "13px"),
    ]  # fmt: skip
    assert orders.get_by_role("link", name="Orders Overview").get_attribute("href") == (
        "https://looker.example.com/dashboards/greenery::orders_overview"
    )
    assert page.locator("#shown").inner_text() == "5 of 5 dashboards shown"
    shot = tmp_path / "status-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    opened.assert_clean(failure_page.as_uri())


def test_filters_and_search(open_page, failure_page: Path) -> None:
    from playwright.sync_api import expect

    opened = open_page(failure_page)
    page = opened.page
    page.select_option("select[name=status]", "at_risk")
    assert opened.visible_names() == ["Product Funnel"]
    assert page.locator("#shown").inner_text() == "1 of 5 dashboards shown"
    page.select_option("select[name=status]", "")
    page.select_option("select[name=owner]", "Finance")
    assert opened.visible_names() == ["Orders Overview"]
    page.select_option("select[name=owner]", "")
    page.fill("input[name=q]", "promos")
    assert opened.visible_names() == ["Orders Overview", "Weekly marketing report"]
    page.fill("input[name=q]", "STG_EVENTS ops@")  # every word, any case, owners included
    assert opened.visible_names() == ["Inventory Health"]
    page.fill("input[name=q]", "no such dashboard")
    assert opened.visible_names() == []
    assert page.locator("#nomatch").is_visible()
    page.click("button[type=reset]")  # the form resets after its reset event: the page re-filters then
    expect(page.locator("#shown")).to_have_text("5 of 5 dashboards shown")
    assert opened.visible_names() == NAMES
    assert page.input_value("input[name=q]") == ""
    assert not page.locator("#nomatch").is_visible()
    opened.assert_clean(failure_page.as_uri())


def test_without_javascript_everything_is_shown(open_page, failure_page: Path) -> None:
    opened = open_page(failure_page, java_script_enabled=False)
    assert opened.visible_names() == NAMES
    assert not opened.page.locator("#filters").is_visible()
    assert opened.page.locator(".diagram svg:visible").count() == 4


def test_phone_and_print(open_page, failure_page: Path, tmp_path: Path) -> None:
    opened = open_page(failure_page, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = opened.page
    # Nothing wider than the phone: long diagrams scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert opened.visible_names() == NAMES
    page.screenshot(path=str(tmp_path / "status-page-phone.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("#filters").is_visible()
    assert opened.visible_names() == NAMES
    opened.assert_clean(failure_page.as_uri())


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>"><b>bold</b>'


def test_a_hostile_title_is_shown_as_text(open_page, example_build, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    shutil.copytree(example_build.failure, artifacts)
    manifest = json.loads((artifacts / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.greenery.orders_overview"]
    exposure["label"] = HOSTILE
    exposure["url"] = "javascript:alert(3)"
    exposure["owner"]["name"] = "Finance <script>alert(4)</script>"
    exposure.setdefault("meta", {})["folder"] = "<svg onload=alert(5)>"
    exposure.setdefault("config", {}).setdefault("meta", {})["folder"] = "<svg onload=alert(5)>"
    (artifacts / "manifest.json").write_text(json.dumps(manifest))
    path = write_page(artifacts, tmp_path / "hostile.html")
    opened = open_page(path)
    page = opened.page
    orders = page.locator("#dashboards > li", has_text="Finance <script>")
    assert orders.locator("h2 .name").inner_text() == HOSTILE
    assert orders.locator("a").count() == 0  # a javascript: URL is not linked
    assert page.locator("img").count() == 0 and page.locator("body script").count() == 1
    assert page.locator("b", has_text="bold").count() == 0
    assert page.locator("svg[onload]").count() == 0
    assert page.title() == "Dashboard health: greenery"
    page.select_option("select[name=folder]", "<svg onload=alert(5)>")
    assert opened.visible_names() == [HOSTILE]
    opened.assert_clean(path.as_uri())


def test_history_view_over_a_generated_month(open_page, example_build, tmp_path: Path) -> None:
    failure = example_build.failure
    generated = max(
        json.loads((failure / name).read_text())["metadata"]["generated_at"]
        for name in ("run_results.json", "sources.json")
    )
    now = parse_time(generated)
    assert now is not None
    names = ["customers", "inventory_health", "orders_overview", "product_funnel", "weekly_marketing_report"]
    history = tmp_path / "history.jsonl"
    lines = []
    for days_ago in range(29, 0, -1):  # one run a day before the failure run
        status = dict.fromkeys(names, "fresh")
        if days_ago in (10, 9):
            status["orders_overview"] = "stale"  # a two-day incident, fixed by the run 8 days ago
        if days_ago == 20:
            status["product_funnel"] = "at_risk"
        at = (now - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        items = [{"unique_id": f"exposure.greenery.{n}", "name": n, "status": status[n]} for n in names]
        lines.append(json.dumps({"version": 1, "at": at, "exposures": items}))
    history.write_text("\n".join(lines) + "\n")
    path = write_page(failure, tmp_path / "status.html", "--history", str(history))
    assert len(history.read_text().splitlines()) == 30  # the failure run was added
    opened = open_page(path, viewport={"width": 1100, "height": 900})
    page = opened.page

    def item(name: str) -> Any:
        return page.locator("#dashboards > li", has_text=name).filter(
            has=page.locator("h2 .name", has_text=re.compile(f"^{name}$"))
        )

    orders = item("Orders Overview")
    # The strip: one element per run of unhealthy days (the fresh days are the strip's background),
    # each day as wide as the others.
    runs = orders.locator(".strip i").evaluate_all(
        """cells => cells.map(c => [c.className, c.getBoundingClientRect().left - c.parentElement
                                    .getBoundingClientRect().left, c.getBoundingClientRect().width,
                                    getComputedStyle(c).backgroundColor, c.title])"""
    )
    strip_width = orders.locator(".strip").bounding_box()["width"]
    day = strip_width / 30
    assert [(css, round(left / day), round(width / day)) for css, left, width, _, _ in runs] == [
        ("s2 o19", 19, 2),
        ("s1 o8", 29, 1),
    ]
    # What a person sees, day by day: the colour at the middle of each day of the strip.
    colours = orders.locator(".strip").evaluate(
        """strip => { strip.scrollIntoView({block: "center"});
            const box = strip.getBoundingClientRect(), day = box.width / 30;
            return Array.from({length: 30}, (_, i) => getComputedStyle(document.elementFromPoint(
                box.left + (i + 0.5) * day, box.top + box.height / 2)).backgroundColor); }"""
    )
    green, red = "rgb(60, 154, 90)", "rgb(192, 57, 43)"
    assert colours == [green] * 19 + [red] * 2 + [green] * 8 + [red]
    ten, nine = ((now - dt.timedelta(days=n)).date() for n in (10, 9))
    span = (
        f"{ten.day} {ten:%b} – {nine.day} {nine:%b}"
        if ten.month != nine.month
        else f"{ten.day}–{nine.day} {nine:%b}"
    )
    assert runs[0][4] == f"{span}: stale"
    text = orders.locator(".hist").inner_text()
    assert "Fresh on 27 of the last 30 days (90%)." in text
    assert "Current incident: stale, under a minute so far." in text
    assert re.search(rf"Recovered 1 time in 30 days, last at {TIME}\.", text)
    assert re.search(rf"Stale since {TIME}", orders.locator(".meta").inner_text())
    funnel = item("Product Funnel").locator(".hist").inner_text()
    assert "Fresh on 28 of the last 30 days (93%)." in funnel
    customers = item("Customers")
    assert "No incident in the last 30 days." in customers.locator(".hist").inner_text()
    assert re.search(rf"Fresh since at least {TIME}", customers.locator(".meta").inner_text())
    assert customers.locator(".strip").get_attribute("aria-label") == "Last 30 days: 30 days fresh"
    shot = tmp_path / "status-page-history.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    if os.environ.get("DBTMETA_UPDATE_SCREENSHOT"):  # the failure scenario after a month of history
        shutil.copyfile(shot, DOCS_SCREENSHOT)
    opened.assert_clean(path.as_uri())
