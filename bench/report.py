"""Writes bench/results/latest.json and latest.md from one run's results."""

from __future__ import annotations

import json
from pathlib import Path


def _yes(met) -> str:
    if met is None:
        return "–"
    return "yes" if met else "**no**"


def _n(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Run of {m['date']} by `make bench` (`python -m bench.run"
        + (f" --scale {r['scale']:g}" if r["scale"] != 1 else "")
        + "`). Every figure is the median of several runs; the baseline of each comparison is "
        "measured in the same run.",
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['memory']} memory; {m['os']}; "
        f"Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']}.",
        "",
    ]
    d = r["data"]
    c = d["counts"]
    lines += [
        "**Data set** (built in SQL with `INSERT … SELECT` over `generate_series`, "
        f"in {_n(d.get('build_total_seconds'))} s): "
        f"{_n(c['organisations'])} organisations, {_n(c['leads'])} leads "
        f"({_n(d['sizes']['big_org_leads'])} in one organisation), {_n(c['contacts'])} call-center contacts, "
        f"{_n(c['support_requests'])} support requests, {_n(c['invoices'])} invoices, "
        f"{_n(c['csat_responses'])} CSAT responses (row counts are PostgreSQL's estimates).",
        "",
    ]
    if "throughput" in r:
        t = r["throughput"]
        lines += [
            "## Page throughput",
            "",
            "gunicorn, 2 sync workers, on 127.0.0.1 with `DEBUG` off; the load generator (`bench/load.py`, "
            "4 concurrent connections) runs in a second process on the same machine. The baseline is a bare "
            "Django view rendering a tiny template with no database (`/bench/baseline/`). Signed-in pages use a "
            "real session (database sessions, saved on every request). The public survey page's per-client "
            "rate limit stays on; each generated request names its own client address.",
            "",
            "| page | requests/s | p50 ms | p95 ms | ratio to baseline | target | met |",
            "|---|---:|---:|---:|---:|---:|:---:|",
        ]
        for name, row in t.items():
            target = f"≥ {row['target']:.0%}" if row.get("target") else "–"
            lines.append(
                f"| {name} | {_n(row['rps'])} | {_n(row['p50_ms'])} | {_n(row['p95_ms'])} | "
                f"{row['ratio']:.0%} | {target} | {_yes(row.get('met'))} |"
            )
        lines.append("")
    if "queries" in r:
        lines += [
            "## Query discipline",
            "",
            "SQL queries per list page (Django test client against the benchmark database), with 1 row and "
            "with 50 rows shown. Target: equal, and at most 10.",
            "",
            "| list page | 1 row | 50 rows | met |",
            "|---|---:|---:|:---:|",
        ]
        for name, row in r["queries"].items():
            lines.append(f"| {name} | {row['1 row']['queries']} | {row['50 rows']['queries']} | {_yes(row['met'])} |")
        lines.append("")
    if "deep_pages" in r:
        lines += [
            "## Deep pages",
            "",
            "Keyset pagination: page 1 against the page reached by following the `after` cursor to row "
            "1,000,000 (computed in SQL), each requested repeatedly in-process. Target: p95 of the deep page "
            "within 1.5× of page 1.",
            "",
            "| list | page 1 p95 ms | deep page | deep p95 ms | ratio | met |",
            "|---|---:|---:|---:|---:|:---:|",
        ]
        for name, row in r["deep_pages"].items():
            deep_key = f"page {row['deep_page']:,}"
            lines.append(
                f"| {name} | {_n(row['page 1']['p95_ms'])} | {row['deep_page']:,} | "
                f"{_n(row[deep_key]['p95_ms'])} | {row['ratio']:.2f}× | {_yes(row['met'])} |"
            )
        lines.append("")
    if "results_page" in r:
        rp = r["results_page"]
        lines += [
            "## CSAT results page, in-process",
            "",
            f"Django test client, no HTTP server: p50 {_n(rp['p50_ms'])} ms, p95 {_n(rp['p95_ms'])} ms, "
            f"{rp['queries']} SQL queries.",
            "",
        ]
    if r.get("search"):
        lines += [
            "## Search",
            "",
            "In-process (Django test client, no HTTP server), each query requested repeatedly. The public "
            "solution-provider directory (full-text search on the GIN-indexed vector, ranked by "
            "responsiveness; its per-client rate limit stays on, each request names its own client address) "
            "searches the published business profiles; the agents' contact-reason type-ahead searches the "
            "whole taxonomy. Target: milliseconds.",
            "",
            "| search | query | p50 ms | p95 ms | SQL queries | results | searched | target |",
            "|---|---|---:|---:|---:|---:|---|---|",
        ]
        for kind, unit in (("directory", "profiles"), ("reasons", "reasons")):
            for name, row in r["search"].get(kind, {}).get("cases", {}).items():
                lines.append(
                    f"| {name} | `{row['query']}` | {_n(row['p50_ms'])} | {_n(row['p95_ms'])} | {row['queries']} | "
                    f"{row['results']} | {_n(row['searched'])} {unit} | milliseconds |"
                )
        lines.append("")
    if r.get("bulk"):
        b = r["bulk"]
        lines += [
            "## Bulk work",
            "",
            "| job | time | baseline | ratio | target | met |",
            "|---|---:|---:|---:|---|:---:|",
        ]
        if "contact upload" in b:
            up = b["contact upload"]
            lines.append(
                f"| CSAT contact upload, {up['rows']:,} rows (validate + import) | {up['seconds']:.2f} s | "
                f"COPY of the same rows: {up['copy_seconds']:.3f} s | {up['ratio_to_copy']:.0f}× | "
                f"≤ 10× COPY and < 5 s | {_yes(up['met'])} |"
            )
        if "compliance refresh" in b:
            lines.append(
                f"| compliance refresh, {_n(c['csat_responses'])} responses, {_n(c['organisations'])} organisations "
                f"| {b['compliance refresh']['seconds']:.2f} s | – | – | < 2 s | {_yes(b['compliance refresh']['met'])} |"
            )
        if "lead expiry" in b:
            lines.append(
                f"| lead expiry, {_n(b['lead expiry']['result'])} due leads | {b['lead expiry']['seconds']:.2f} s "
                "| – | – | – | – |"
            )
        if "collections run" in b:
            lines.append(
                f"| collections run, {_n(d['sizes']['invoices_due'])} unpaid invoices "
                f"| {b['collections run']['seconds']:.2f} s | – | – | – | – |"
            )
        lines.append("")
        if "collections run" in b:
            lines += [f"Collections outcome: {json.dumps(b['collections run']['result'])}.", ""]
    if "pdf" in r:
        p = r["pdf"]
        lines += [
            "## Monthly CSAT PDF",
            "",
            f"{p['pages']} pages ({p['bytes'] / 1024:.0f} KB), rendered in a fresh process: "
            f"**{p['seconds']:.2f} s** (target < 2 s: {_yes(p['seconds'] < 2)}), peak resident memory of the "
            f"process **{p['peak_rss_mb']:.0f} MB** (ru_maxrss, Django and WeasyPrint included; "
            f"target < 300 MB: {_yes(p['peak_rss_mb'] < 300)}). The report organisation has 44 custom "
            "questions and a comment on every response; the target names a 20-page report.",
            "",
        ]
    if "mail" in r:
        ml = r["mail"]
        lines += ["## E-mail", ""]
        if "skipped" in ml:
            lines += [f"Not run: {ml['skipped']}.", ""]
        else:
            lines += [
                f"{ml['invitations']:,} CSAT survey invitations queued by the invitations service and delivered "
                f"through Redis by {ml['worker']} to a local SMTP sink (aiosmtpd): **{ml['mails_per_second']:.0f} "
                f"mails/s** ({ml['seconds']:.1f} s end to end), **{ml['lost']} lost, {ml['duplicates']} "
                f"duplicates** by Message-ID (met: {_yes(ml['met'])}).",
                "",
            ]
    missed = _missed(r)
    lines += ["## Targets missed", ""]
    lines += [f"- {m}" for m in missed] if missed else ["None."]
    lines += ["", f"Total run time {r['total_seconds']:.0f} s. Raw figures: `latest.json`.", ""]
    return "\n".join(lines)


def _missed(r: dict) -> list[str]:
    out = []
    for name, row in r.get("throughput", {}).items():
        if row.get("met") is False:
            out.append(f"{name}: {row['ratio']:.0%} of the baseline (target {row['target']:.0%})")
    for name, row in r.get("queries", {}).items():
        if not row["met"]:
            out.append(f"{name}: {row['1 row']['queries']} / {row['50 rows']['queries']} queries")
    for name, row in r.get("deep_pages", {}).items():
        if not row["met"]:
            out.append(f"{name}: deep page {row['ratio']:.2f}× page 1")
    b = r.get("bulk", {})
    if "contact upload" in b and not b["contact upload"]["met"]:
        up = b["contact upload"]
        out.append(f"contact upload: {up['seconds']:.2f} s, {up['ratio_to_copy']:.0f}× COPY")
    if "compliance refresh" in b and not b["compliance refresh"]["met"]:
        out.append(f"compliance refresh: {b['compliance refresh']['seconds']:.2f} s")
    p = r.get("pdf")
    if p and not p["met"]:
        out.append(f"monthly PDF: {p['seconds']:.2f} s, {p['peak_rss_mb']:.0f} MB")
    ml = r.get("mail")
    if ml and ml.get("met") is False:
        out.append(f"e-mail: {ml['lost']} lost, {ml['duplicates']} duplicates")
    return out


def write(results: dict, folder: Path) -> tuple[Path, Path]:
    json_path = folder / "latest.json"
    md_path = folder / "latest.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
