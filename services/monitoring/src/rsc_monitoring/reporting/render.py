"""The national report in JSON, CSV, XLSX, HTML (charts inline as SVG) and PDF (matplotlib).

Same figures ⇒ byte-identical JSON and CSV (sorted, no generation time); the XLSX and PDF carry no
creation time either. Nothing personal is in any of them: the figures are counts and durations."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

BREAKDOWNS = [
    ("by_risk_level", "Proposals by risk level"),
    ("by_critical_technology_area", "Proposals by declared critical technology area"),
    ("by_country_indicator_group", "Proposals by partner-country indicator group"),
    ("by_partner_country", "Proposals by partner country (establishment, ownership or control)"),
    ("red_flags_by_type", "Red flags by type"),
    ("safeguards_recommended", "Safeguards recommended, by type"),
    ("safeguards_agreed", "Safeguards agreed, by type"),
    ("verdicts", "Security verdicts"),
    ("incidents_by_type", "Incidents by type"),
    ("incidents_by_severity", "Incidents by severity"),
    ("incidents_by_outcome", "Incidents by outcome"),
    ("measures_by_type", "Measures decided, by type"),
]
DURATIONS = [
    ("time_to_grant_days", "Time to grant (call deadline to signature), days"),
    ("added_appraisal_time_days", "Security appraisal time (submission to verdict), days"),
]
CHARTS = ["by_risk_level", "by_critical_technology_area", "by_country_indicator_group", "incidents_by_type"]
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


def to_json(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def rows(report: dict[str, Any]) -> list[list[str]]:
    out = [["section", "key", "value", "suppressed"]]
    out.append(["period", "from", report["period"]["from"], "false"])
    out.append(["period", "to", report["period"]["to"], "false"])
    out.append(["proposals_screened", "total", str(report["proposals_screened"]), "false"])
    for name, _title in BREAKDOWNS:
        for cell in report[name]:
            value = "" if cell["count"] is None else str(cell["count"])
            out.append([name, cell["key"], value, "true" if cell["suppressed"] else "false"])
    for name, _title in DURATIONS:
        figures = report[name]
        for key in ("n", "median", "p90"):
            value = "" if figures[key] is None else str(figures[key])
            out.append([name, key, value, "true" if figures["suppressed"] else "false"])
    return out


def to_csv(report: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows(report))
    return buffer.getvalue().encode()


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append(["National research-security report", report["period"]["label"]])
    summary.append(["Proposals screened", report["proposals_screened"]])
    summary.append(["Cells below", report["suppression_threshold"], "are suppressed"])
    for name, title in DURATIONS:
        figures = report[name]
        summary.append([title, "n", figures["n"], "median", figures["median"], "p90", figures["p90"]])
    summary["A1"].font = Font(bold=True)
    for name, title in BREAKDOWNS:
        sheet = book.create_sheet(name[:31])
        sheet.append([title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(["key", "count", "suppressed"])
        for cell in report[name]:
            sheet.append([cell["key"], cell["count"], cell["suppressed"]])
    fixed = datetime.fromisoformat(report["period"]["to"]).replace(tzinfo=UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _figure(report: dict[str, Any], name: str, title: str):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    cells = [c for c in report[name] if c["count"] is not None][:15]
    figure, axes = plt.subplots(figsize=(8, 0.35 * max(3, len(cells)) + 1))
    axes.barh([c["key"] for c in reversed(cells)], [c["count"] for c in reversed(cells)], color="#1f4e79")
    axes.set_title(title, fontsize=10)
    axes.tick_params(labelsize=8)
    figure.tight_layout()
    return figure, plt


def _svg(report: dict[str, Any], name: str, title: str) -> str:
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "rsc"  # stable element ids
    figure, plt = _figure(report, name, title)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def to_html(report: dict[str, Any]) -> bytes:
    titles = dict(BREAKDOWNS)
    charts = {name: _svg(report, name, titles[name]) for name in CHARTS if report[name]}
    html = TEMPLATES.get_template("national.html.j2").render(
        report=report, breakdowns=BREAKDOWNS, durations=DURATIONS, charts=charts
    )
    return html.encode()


def to_pdf(report: dict[str, Any]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"CreationDate": None, "Title": "National research-security report"}) as pdf:
        cover, axes = plt.subplots(figsize=(8.27, 11.69))
        axes.axis("off")
        lines = [
            "National research-security report",
            f"Period: {report['period']['label']}",
            f"Proposals screened: {report['proposals_screened']}",
            f"Cells below {report['suppression_threshold']} are suppressed.",
            "",
        ]
        for name, title in DURATIONS:
            f = report[name]
            lines.append(f"{title}: n={f['n']}, median={f['median']}, p90={f['p90']}")
        lines.append("")
        for name, title in BREAKDOWNS:
            lines.append(title)
            for cell in report[name][:12]:
                shown = f"<{report['suppression_threshold']}" if cell["suppressed"] else cell["count"]
                lines.append(f"    {cell['key']}: {shown}")
        axes.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=7)
        pdf.savefig(cover)
        plt.close(cover)
        titles = dict(BREAKDOWNS)
        for name in CHARTS:
            if report[name]:
                figure, _ = _figure(report, name, titles[name])
                pdf.savefig(figure)
                plt.close(figure)
    return buffer.getvalue()


FORMATS = {
    "json": ("application/json", to_json),
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
    "html": ("text/html; charset=utf-8", to_html),
    "pdf": ("application/pdf", to_pdf),
}
