"""Exposure entries, names, rules and the generated file (no dbt needed: see test_sync_* for that)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from dbtmeta.errors import InputError, UsageError
from dbtmeta.exposures.naming import assign_names, is_valid_name, snake_case
from dbtmeta.exposures.resolve import DashboardResolution, NodeRef
from dbtmeta.exposures.yaml_file import (
    HEADER,
    ExposureSettings,
    MaturityRule,
    OwnerRule,
    build_entry,
    literal,
    pick_maturity,
    read_existing,
    render,
    unliteral,
)
from dbtmeta.looker.content import Dashboard, Owner


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Product Funnel", "product_funnel"),
        ("  Orders -- Overview (2024)!  ", "orders_overview_2024"),
        ("Café Señor", "cafe_senor"),
        ("McDonald's KPIs", "mcdonald_s_kpis"),
        ("2024 Plan", "dashboard_2024_plan"),
        ("{{ env_var('X') }}", "env_var_x"),
        ("漢字", "dashboard"),
        ("", "dashboard"),
        ("a" * 200, "a" * 80),
    ],
)
def test_snake_case(title: str, name: str) -> None:
    assert snake_case(title) == name
    assert is_valid_name(name)


def test_names_are_stable_unique_and_avoid_hand_written_ones() -> None:
    items = [("dashboard:9", "Sales", "dashboard"), ("dashboard:5", "Sales", "dashboard")]
    items.append(("dashboard:7", "Weekly Marketing Report", "dashboard"))
    items.append(("look:5", "Sales", "look"))
    names = assign_names(items, {}, {"weekly_marketing_report"})
    assert names == {
        "dashboard:5": "sales",  # lower id first, whatever the input order
        "dashboard:9": "sales_2",
        "dashboard:7": "weekly_marketing_report_2",
        "look:5": "sales_3",
    }
    assert assign_names(list(reversed(items)), {}, {"weekly_marketing_report"}) == names
    # renamed dashboard keeps its name; deleting 5 does not rename 9
    renamed = [
        ("dashboard:9", "Revenue", "dashboard"),
        ("dashboard:7", "Weekly Marketing Report", "dashboard"),
    ]
    again = assign_names(renamed, names, {"weekly_marketing_report"})
    assert again == {"dashboard:9": "sales_2", "dashboard:7": "weekly_marketing_report_2"}
    # a hand-written exposure that takes a generated name wins: the generated one moves
    assert assign_names(renamed, names, {"sales_2"})["dashboard:9"] == "revenue"


def test_literal_only_wraps_what_jinja_would_change() -> None:
    assert literal("Orders: 50% & more #1 - 'q' \"d\" \\ é") == "Orders: 50% & more #1 - 'q' \"d\" \\ é"
    assert literal("a\nb") == "a\nb"
    nasty = "{% raw %}x{% endraw %}{% endraw %} it's \\ {{ y }}\n"
    wrapped = literal(nasty)
    assert wrapped == "{{ '{% raw %}x{% endraw %}{% endraw %} it\\'s \\\\ {{ y }}\\n' }}"
    assert unliteral(wrapped) == nasty
    assert unliteral("{{ not ours }}") == "{{ not ours }}"


def test_maturity_rules() -> None:
    rules = [
        MaturityRule.parse(t) for t in ("folder:Executive*=high", "views>=100=HIGH", "type:analysis=low")
    ]
    exec_dash = Dashboard("1", "dashboard", "KPIs", folder="executive board")
    popular = Dashboard("2", "dashboard", "x", view_count=100)
    look = Dashboard("3", "look", "x", view_count=99)
    assert [pick_maturity(d, rules) for d in (exec_dash, popular, look)] == ["high", "high", "low"]
    assert pick_maturity(Dashboard("4", "dashboard", "x"), rules) == "medium"
    assert pick_maturity(Dashboard("4", "dashboard", "x"), [MaturityRule.parse("*=low")]) == "low"
    for bad in ("folder:X=urgent", "nope", "color:red=high", "views>=many=high", "=high"):
        with pytest.raises(UsageError):
            MaturityRule.parse(bad)


def test_owner_rules_parse() -> None:
    assert OwnerRule.parse("id:a::*=Data Team <data@acme.com>") == OwnerRule(
        "id:a::*", "Data Team", "data@acme.com"
    )
    assert OwnerRule.parse("folder:F=data@acme.com") == OwnerRule("folder:F", None, "data@acme.com")
    assert OwnerRule.parse("*=Data Team") == OwnerRule("*", "Data Team", None)
    with pytest.raises(UsageError):
        OwnerRule.parse("folder:F=")


def _entry(dashboard: Dashboard, settings: ExposureSettings | None = None, **kw):  # type: ignore[no-untyped-def]
    nodes = [
        NodeRef("source.shop.raw.promos", "source", "shop", "promos", source_name="raw"),
        NodeRef("model.shop.b", "model", "shop", "b"),
        NodeRef("model.shop.a", "model", "shop", "a"),
    ]
    return build_entry(DashboardResolution(dashboard, nodes), "n", settings or ExposureSettings("shop"), **kw)


def test_entry_fields_and_owner_fallbacks() -> None:
    owned = Dashboard(
        "42",
        "dashboard",
        "Sales",
        folder="Fin",
        owner=Owner("1", "Ann", None),
        view_count=5,
        last_viewed_at="t",
    )
    entry = _entry(owned, ExposureSettings("shop", base_url="https://l.example.com/"))
    assert list(entry) == ["name", "label", "type", "maturity", "url", "owner", "depends_on", "config"]
    assert entry["url"] == "https://l.example.com/dashboards/42"
    assert entry["owner"] == {"name": "Ann"}
    assert entry["depends_on"] == ["ref('a')", "ref('b')", "source('raw', 'promos')"]
    assert entry["config"] == {
        "tags": ["looker", "looker_dashboard"],
        "meta": {"looker_id": "42", "looker_type": "dashboard", "folder": "Fin"},
    }
    stats = _entry(owned, ExposureSettings("shop", usage_stats=True))["config"]["meta"]
    assert stats["view_count"] == 5 and stats["last_viewed_at"] == "t"

    look = Dashboard("7", "look", "A look", description="d")
    entry = _entry(look, ExposureSettings("shop", base_url="https://l.example.com"))
    assert entry["type"] == "analysis" and entry["url"] == "https://l.example.com/looks/7"
    assert entry["owner"] == {"name": "Looker"}
    assert _entry(look, ExposureSettings("shop", default_owner_email="d@x.com"))["owner"] == {
        "email": "d@x.com"
    }
    kept = _entry(look, previous_owner={"name": "Team", "email": "t@x.com"}, previous_url="https://u")
    assert kept["owner"] == {"name": "Team", "email": "t@x.com"} and kept["url"] == "https://u"
    ruled = ExposureSettings("shop", owner_rules=[OwnerRule.parse("type:analysis=R <r@x.com>")])
    assert _entry(look, ruled, previous_owner={"name": "Team"})["owner"] == {"name": "R", "email": "r@x.com"}


def test_render_is_deterministic_and_round_trips() -> None:
    entries = [_entry(Dashboard(str(i), "dashboard", f"D {{{{ {i} }}}}")) for i in range(5)]
    for i, entry in enumerate(entries):
        entry["name"] = f"d{i}"
    text = render(entries)
    shuffled = entries[:]
    random.Random(1).shuffle(shuffled)
    assert render(shuffled) == text
    assert text.startswith(HEADER)
    data = yaml.safe_load(text)
    assert [e["name"] for e in data["exposures"]] == [f"d{i}" for i in range(5)]
    assert unliteral(data["exposures"][3]["label"]) == "D {{ 3 }}"


def test_read_existing(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    assert read_existing(str(path)).text is None
    entry = _entry(Dashboard("a::{{b}}", "dashboard", "T"), previous_url="https://u")
    path.write_text(render([entry]))
    existing = read_existing(str(path))
    assert existing.names == {"dashboard:a::{{b}}": "n"}
    assert existing.urls == {"dashboard:a::{{b}}": "https://u"}
    path.write_text("exposures: []\n")
    with pytest.raises(InputError, match="not generated by dbtmeta"):
        read_existing(str(path))
    path.write_text(HEADER + "exposures: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_existing(str(path))
