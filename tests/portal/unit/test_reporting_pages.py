"""Reporting-officer pages: the national report (tables, inline SVG bar charts, suppression) and downloads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
import pytest

from rsc_portal.reporting.views import BAR_AREA, bar_chart
from tests.portal.pages import FakeApis, portal

THIS_YEAR = datetime.now(UTC).year
REPORT = {
    "period": {"from": "2026-01-01", "label": "2026", "to": "2027-01-01"},
    "suppression_threshold": 5,
    "proposals_screened": 35758,
    "by_risk_level": [
        {"count": 27673, "key": "low", "suppressed": False},
        {"count": 8055, "key": "high", "suppressed": False},
        {"count": 30, "key": "medium", "suppressed": False},
    ],
    "by_critical_technology_area": [
        {"count": 27937, "key": "none declared", "suppressed": False},
        {"count": 6621, "key": "quantum", "suppressed": False},
    ],
    "by_country_indicator_group": [{"count": 27703, "key": "no third-country indicator", "suppressed": False}],
    "by_partner_country": [
        {"count": 33512, "key": "ES", "suppressed": False},
        {"count": None, "key": "MT", "suppressed": True},
    ],
    "red_flags_by_type": [{"count": 13487, "key": "partner.no_identifiers", "suppressed": False}],
    "safeguards_recommended": [{"count": 8085, "key": "data_ip_transfer_plan", "suppressed": False}],
    "safeguards_agreed": [],
    "verdicts": [{"count": 27672, "key": "cleared", "suppressed": False}],
    "incidents_by_type": [
        {"count": 9, "key": "undisclosed_affiliation", "suppressed": False},
        {"count": None, "key": "cyber_intrusion", "suppressed": True},
    ],
    "incidents_by_severity": [],
    "incidents_by_outcome": [],
    "measures_by_type": [],
    "time_to_grant_days": {"median": None, "n": 3, "p90": None, "suppressed": True},
    "added_appraisal_time_days": {"median": 12.5, "n": 26556, "p90": 31.0, "suppressed": False},
}
FILES = {
    "csv": ("text/csv; charset=utf-8", b"section,key,value,suppressed\nproposals_screened,total,35758,false\n"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04xlsx-bytes"),
    "json": ("application/json", json.dumps(REPORT).encode()),
    "pdf": ("application/pdf", b"%PDF-1.4 report"),
}


def national(request: httpx.Request) -> httpx.Response:
    fmt = request.url.params.get("format", "json")
    label = request.url.params.get("year") or request.url.params.get("biennium") or "custom"
    disposition = {"content-disposition": f'attachment; filename="national-report-{label}.{fmt}"'}
    media, body = FILES[fmt]
    return httpx.Response(200, content=body, headers={"content-type": media, **disposition})


def fake() -> FakeApis:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/reports/national", national)
    return apis


def sent(apis: FakeApis) -> list[dict[str, str]]:
    return [dict(r.url.params) for r in apis.calls if r.url.path == "/v1/reports/national"]


def section(html: str, name: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="report-section-{name}"[^>]*>(.*?)</section>', html, re.S)
    assert match is not None, name
    return match.group(1)


def test_the_form_alone_asks_nothing_and_offers_the_current_year() -> None:
    apis = fake()
    with portal(["reporting_officer"], apis) as (client, _):
        page = client.get("/reports")
    assert page.status_code == 200
    assert not apis.calls
    assert f'id="report-year" name="year" type="number" value="{THIS_YEAR}"' in page.text
    assert 'data-testid="report-show"' in page.text
    assert '<label for="report-year">' in page.text
    assert 'data-testid="report-download-csv"' not in page.text


def test_the_report_for_a_year_shows_tables_charts_and_downloads() -> None:
    apis = fake()
    with portal(["reporting_officer"], apis) as (client, _):
        page = client.get("/reports", params={"kind": "year", "year": "2026", "biennium": "", "from": "", "to": ""})
    assert page.status_code == 200
    assert sent(apis) == [{"year": "2026", "format": "json"}]
    html = page.text
    assert "Report for 2026" in html
    assert "35758" in html
    # tables with row headers
    risk = section(html, "by_risk_level")
    assert '<th scope="row">low</th>' in risk
    assert "27673" in risk
    # a bar chart drawn here: an image with a title and a text alternative naming every bar
    svg = re.search(r"<svg[^>]*>.*?</svg>", risk, re.S)
    assert svg is not None
    assert 'role="img"' in svg.group(0)
    assert re.search(r"<title[^>]*>Bar chart: Proposals by risk level</title>", svg.group(0))
    assert re.search(r"<desc[^>]*>low: 27673; high: 8055; medium: 30</desc>", svg.group(0))
    assert svg.group(0).count("<rect") == 3
    assert ">27673</text>" in svg.group(0)
    # suppressed cells are said to be withheld, never drawn
    incidents = section(html, "incidents_by_type")
    assert "fewer than 5 (withheld)" in incidents
    assert "cyber_intrusion" not in re.search(r"<svg.*?</svg>", incidents, re.S).group(0)
    assert "1 categories withheld" in incidents
    assert "Withheld (fewer than 5 cases)" in html  # time to grant over 3 cases
    assert "12.5" in html
    assert "31.0" in html
    assert "No figures in this period." in section(html, "safeguards_agreed")
    for fmt in FILES:
        link = re.search(rf'href="([^"]+)" download data-testid="report-download-{fmt}"', html)
        assert link is not None, fmt
        assert link.group(1) == f"/reports/download?year=2026&amp;format={fmt}"


def test_a_biennium_and_custom_dates_are_passed_as_the_api_expects() -> None:
    apis = fake()
    with portal(["reporting_officer"], apis) as (client, _):
        client.get("/reports", params={"kind": "biennium", "year": "2026", "biennium": "2025"})
        client.get("/reports", params={"kind": "custom", "from": "2026-03-01", "to": "2026-07-01"})
    assert sent(apis) == [
        {"biennium": "2025", "format": "json"},
        {"from": "2026-03-01", "to": "2026-07-01", "format": "json"},
    ]


def test_an_impossible_period_is_refused_without_asking_the_api() -> None:
    apis = fake()
    with portal(["reporting_officer"], apis) as (client, _):
        page = client.get("/reports", params={"kind": "custom", "from": "2026-07-01", "to": "2026-03-01"})
        year = client.get("/reports", params={"kind": "year", "year": "1800"})
    assert page.status_code == 422
    assert "The end date must be after the start date." in page.text
    assert year.status_code == 422
    assert "Enter a year between 2000 and 2100." in year.text
    assert not apis.calls


def test_an_api_refusal_of_the_period_is_shown() -> None:
    apis = FakeApis()
    apis.on(
        "GET", "monitoring", "/v1/reports/national",
        httpx.Response(422, json={"title": "Unprocessable Entity", "status": 422,
                                  "detail": "A custom period is at most ten years."}),
    )  # fmt: skip
    with portal(["reporting_officer"], apis) as (client, _):
        page = client.get("/reports", params={"kind": "custom", "from": "2000-01-01", "to": "2026-01-01"})
    assert page.status_code == 422
    assert "A custom period is at most ten years." in page.text


@pytest.mark.parametrize("fmt", list(FILES))
def test_each_download_is_the_api_file_with_its_type_and_name(fmt: str) -> None:
    apis = fake()
    with portal(["reporting_officer"], apis) as (client, _):
        download = client.get("/reports/download", params={"format": fmt, "year": "2026"})
    media, body = FILES[fmt]
    assert download.status_code == 200
    assert download.content == body
    assert download.headers["content-type"] == media
    assert download.headers["content-disposition"] == f'attachment; filename="national-report-2026.{fmt}"'
    assert sent(apis) == [{"year": "2026", "format": fmt}]


def test_a_download_of_an_unexpected_type_is_refused() -> None:
    apis = FakeApis()
    apis.on(
        "GET",
        "monitoring",
        "/v1/reports/national",
        httpx.Response(200, text="<html>", headers={"content-type": "text/html"}),
    )
    with portal(["reporting_officer"], apis) as (client, _):
        download = client.get("/reports/download", params={"format": "pdf", "year": "2026"})
    assert download.status_code == 502


def test_an_unknown_format_is_not_forwarded() -> None:
    apis = fake()
    with portal(["reporting_officer"], apis) as (client, _):
        download = client.get("/reports/download", params={"format": "html", "year": "2026"})
    assert download.status_code == 400
    assert not apis.calls


def test_bars_are_proportional_and_skip_suppressed_cells() -> None:
    chart = bar_chart(
        [
            {"key": "a", "count": 200, "suppressed": False},
            {"key": "b", "count": 50, "suppressed": False},
            {"key": "c", "count": None, "suppressed": True},
        ]
    )
    assert chart is not None
    assert [(b.label, b.count) for b in chart.bars] == [("a", 200), ("b", 50)]
    assert chart.bars[0].width == BAR_AREA
    assert chart.bars[1].width == BAR_AREA / 4
    assert bar_chart([{"key": "c", "count": None, "suppressed": True}]) is None


@pytest.mark.parametrize("path", ["/reports", "/reports/download?format=csv&year=2026"])
def test_pages_are_for_reporting_officers_only(path: str) -> None:
    apis = fake()
    with portal(["auditor", "admin"], apis) as (client, _):
        assert client.get(path).status_code == 403
    assert not apis.calls
