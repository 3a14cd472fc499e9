"""The status page (``--format html``) as text: escaping of hostile text, links, the CSP and its
script hash, self-containment, and the failure scenario's causes in plain words."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

import pytest
from test_renderers import make_cause, make_exposure, make_report

from dbtmeta.health.history import RunRecord, summarize
from dbtmeta.health.model import HealthReport, Status
from dbtmeta.render import render_to_string
from dbtmeta.render.html import CSP, SCRIPT, to_text

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "</title><svg onload=alert(3)>",
    "' onmouseover='alert(4)",
]


def hostile_report() -> HealthReport:
    stg = "model.shop.stg_<b>promos</b>"
    exposures = [
        make_exposure(
            f"evil_{n}",
            Status.STALE,
            [
                make_cause(
                    stg,
                    "error",
                    path=(stg, f"exposure.shop.evil_{n}"),
                    message=f"boom {title}",
                )
            ],
            label=title,
            url=url,
            owner=(title, f"{n}@x.io"),
            meta={"folder": title},
        )
        for n, (title, url) in enumerate(
            zip(
                HOSTILE,
                [
                    "javascript:alert(5)",
                    "JaVaScRiPt:alert(6)",
                    "data:text/html,<script>alert(7)</script>",
                    'https://bi.example.com/d/1?a="onclick=alert(8)',
                ],
                strict=True,
            )
        )
    ]
    return HealthReport(exposures=exposures, project_name="<i>shop</i>", generated_at=None, invocation_ids=())


def test_hostile_text_is_escaped_everywhere() -> None:
    page = to_text(hostile_report())
    for title in HOSTILE:
        assert title not in page
    assert page.count("<script") == 1  # the page's own script only
    assert "<img" not in page and "<svg onload" not in page and "<b>promos" not in page
    assert "<i>shop" not in page and "&lt;i&gt;shop&lt;/i&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&#x27; onmouseover=&#x27;alert(4)" in page
    assert 'data-owner="&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"' in page
    assert 'data-folder="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_only_http_urls_become_links_and_they_stay_inside_the_attribute() -> None:
    page = to_text(hostile_report())
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs == ["data:,", "https://bi.example.com/d/1?a=&quot;onclick=alert(8)"]
    assert "javascript:" not in page.lower().replace("javascript:alert(5)", "").replace(
        "javascript:alert(6)", ""
    )


def test_control_and_bidi_characters_are_shown_as_escapes() -> None:
    """The shared sanitiser: controls and bidi overrides become visible escapes, never raw characters."""
    title = "Reve\u202enue\x1b[31m \u2066Q3\u2069\x07 \x9b report\u200f"
    report = HealthReport(
        exposures=[make_exposure("x", Status.FRESH, label=title)],
        project_name="shop",
        generated_at=None,
        invocation_ids=(),
    )
    page = to_text(report)
    assert "Reve\\u202enue\\x1b[31m \\u2066Q3\\u2069\\x07 \\x9b report\\u200f" in page
    for ch in "\u202e\x1b\u2066\u2069\x07\x9b\u200f":
        assert ch not in page


def test_the_csp_allows_exactly_the_one_inline_script() -> None:
    page = to_text(make_report())
    [script] = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert script == SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in CSP
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; ")
    assert "img-src data:;" in CSP


def test_nothing_is_loaded_from_the_network() -> None:
    page = to_text(make_report())
    assert not re.search(r"""(src|srcset)\s*=""", page.replace('http-equiv="Content', ""))
    assert "@import" not in page and "url(http" not in page and "//fonts." not in page
    # Links to dashboards are the only http(s) addresses in attributes, besides the SVG namespace.
    addresses = set(re.findall(r'="(https?://[^"]*)"', page))
    assert addresses == {"http://www.w3.org/2000/svg", "https://bi.example.com/dashboards/1",
                         "https://bi.example.com/dashboards/7?a=1&amp;b=&lt;2&gt;|x"}  # fmt: skip


def test_worst_first_with_status_in_words_and_colour_class() -> None:
    page = to_text(make_report())
    # The colour comes from the item's status (CSS on data-status), the badge says it in words.
    badges = re.findall(r'<li data-status="(\w+)" [^>]*><h2><span class="badge">(.) ([^<]+)</span>', page)
    assert [(css, word) for css, _, word in badges] == [
        ("stale", "Stale"),
        ("stale", "Stale"),
        ("at_risk", "At risk"),
        ("unknown", "Unknown"),
        ("fresh", "Fresh"),
        ("fresh", "Fresh"),
    ]


def test_the_failure_scenario_in_plain_words(example_build) -> None:
    from dbtmeta.health.report import load_health

    failure = example_build.failure
    report = load_health(
        project_dir=None,
        target_path=None,
        manifest_path=str(failure / "manifest.json"),
        run_results_paths=(),
        sources_path=None,
    )[0]
    page = render_to_string("html", report)
    text = re.sub(r"<[^>]+>", "", page)
    times = {
        c.unique_id: c.completed_at for e in report.exposures for c in e.causes
    }  # the build's own times, as HH:MM UTC
    hhmm = {uid: f"{value[11:16]} UTC" for uid, value in times.items() if value}
    promos = hhmm["model.greenery.stg_promos"]
    assert text.count(f"The model stg_promos failed to build at {promos}.") == 2
    assert "The source greenery.products is overdue (freshness error at " in text
    assert "A data test on dim_products failed at " in text and ": 1 failing row." in text
    assert text.count("A data test on stg_events warned at ") == 2
    names = re.findall(r"<bdi>([^<]+)</bdi></(?:a|span)></h2>", page)
    assert names == [
        "Inventory Health",
        "Orders Overview",
        "Weekly marketing report",
        "Product Funnel",
        "Customers",
    ]
    assert "3 stale, 1 at risk, 1 fresh" in page
    # Technical ids one click away
    assert (
        "<summary>Technical details</summary><dl><dt>id</dt><dd><code>model.greenery.stg_promos</code>"
        in page
    )


def test_history_on_the_page() -> None:
    t0 = dt.datetime(2026, 11, 1, 5, tzinfo=dt.timezone.utc)
    uid = "exposure.shop.orders_overview"
    records = [
        RunRecord(
            at=t0 + dt.timedelta(days=n),
            exposures={uid: ("orders_overview", "stale" if n in (3, 4) or n >= 29 else "fresh")},
        )
        for n in range(30)
    ]
    report = make_report()
    report.generated_at = "2026-11-30T05:00:00Z"
    page = to_text(report, summarize(records))
    item = page[page.rindex("<li data-status=", 0, page.index(uid)) :]
    item = item[: item.index("</li><li data-status=")]
    # One element per run of unhealthy days (status, width in days, fresh days before it), saying when;
    # the fresh days are the strip's background.
    strip = item[item.index('<div class="strip"') :]
    strip = strip[: strip.index("</div>")]
    assert re.findall(r'<i class="(\w)(\d+)(?: o(\d+))?" title="([^"]+)"></i>', strip) == [
        ("s", "2", "3", "4–5 Nov: stale"),
        ("s", "1", "24", "30 Nov: stale"),
    ]
    assert strip.count("<i ") == 2
    assert "Fresh on 27 of the last 30 days (90%)." in item
    assert "Stale since" in item and 'datetime="2026-11-30T05:00:00Z"' in item
    assert "Current incident: stale, under a minute so far." in item
    assert "Recovered 1 time in 30 days, last at " in item
    assert 'aria-label="Last 30 days: 3 days stale, 27 days fresh"' in item


@pytest.mark.parametrize("count", [0, 1])
def test_small_and_empty_reports(count: int) -> None:
    report = HealthReport(
        exposures=[make_exposure("x", Status.FRESH)][:count],
        project_name="",
        generated_at=None,
        invocation_ids=(),
    )
    page = to_text(report)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert ("no exposures selected" in page) == (count == 0)


def test_a_big_page_describes_each_cause_once_and_links_to_it() -> None:
    from dbtmeta.render.html import MANY, MAX_DIAGRAMS

    shared = make_cause("model.shop.stg_promos", "error", path=("model.shop.stg_promos", "exposure.shop.x"))
    own = [
        make_cause(
            f"test.shop.t{i}",
            "fail",
            failures=2,
            path=(f"test.shop.t{i}", "model.shop.m", f"exposure.shop.d{i}"),
        )
        for i in range(MANY + 1)
    ]
    exposures = [make_exposure(f"d{i:03}", Status.STALE, [shared, own[i]]) for i in range(MANY + 1)]
    page = to_text(
        HealthReport(exposures=exposures, project_name="shop", generated_at=None, invocation_ids=())
    )
    assert '<body class="many">' in page
    assert page.count('<p>Why: failed models <a href="#c0">stg_promos</a>; ') == MANY + 1
    assert page.count('failing tests on <a href="#c1">m</a>.</p>') == 1
    section = page[page.index('<section id="causes">') :]
    assert section.count('<li id="c') == MANY + 2  # stg_promos and each test, once
    assert '<li id="c0">The model <b>stg_promos</b> failed to build at ' in section
    assert f"It affects {MANY + 1} dashboards." in section and "It affects 1 dashboard." in section
    assert page.count('<div class="diagram">') == MAX_DIAGRAMS


def test_a_past_incident_and_an_incident_that_got_worse() -> None:
    t0 = dt.datetime(2026, 11, 1, 5, tzinfo=dt.timezone.utc)
    statuses = {
        "orders_overview": ["fresh", "stale", "stale", "fresh", "fresh"],  # over, recovered
        "product_funnel": ["fresh", "fresh", "fresh", "at_risk", "stale"],  # at risk, then stale
    }
    records = [
        RunRecord(
            at=t0 + dt.timedelta(days=n),
            exposures={f"exposure.shop.{name}": (name, series[n]) for name, series in statuses.items()},
        )
        for n in range(5)
    ]
    report = make_report()
    report.generated_at = "2026-11-05T05:00:00Z"
    page = re.sub(r"<[^>]+>", "", to_text(report, summarize(records)))
    assert (
        "Last incident: stale from 05:00 UTC on 2 Nov 2026 to 05:00 UTC on 4 Nov 2026 (2 d), recovered."
        in page
    )
    assert "Current incident: stale since 05:00 UTC on 4 Nov 2026, 1 d so far." in page
    assert "Fresh on 3 of the 5 days with runs in the last 30 days (60%)." in page
    assert "Stale since 05:00 UTC" in page


@pytest.mark.parametrize("ci", ["", "true"])
def test_browser_tests_skip_without_chromium_unless_ci(ci: str, tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["DBTMETA_CHROMIUM"] = str(tmp_path / "no-chromium")
    if ci:
        env["CI"] = ci
    test = Path(__file__).parent / "test_status_page_browser.py"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            f"{test}::test_phone_and_print",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if ci:
        assert proc.returncode == 1, proc.stdout
        assert "CI is set, so the browser tests must run" in proc.stdout
    else:
        assert proc.returncode == 0, proc.stdout
        assert "1 skipped" in proc.stdout
        assert f"no Chromium at {tmp_path / 'no-chromium'} (apt-get install chromium" in proc.stdout
