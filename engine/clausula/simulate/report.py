"""Outputs of a simulation: a terminal table, CSV, JSON, PNG charts and one HTML report.

Amounts are summed in `Decimal` and shown rounded to the currency's minor unit; means
over runs are exact sums divided by the number of runs, rounded once. Intervals are the
5th and 95th percentiles over runs (nearest rank), shown when there are several runs.
Charts convert amounts to floats for drawing only.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .run import Group, RunTally, SimulationResult

_MONEY: list[tuple[str, str, Callable[[RunTally], Decimal]]] = [
    ("revenue", "Revenue of all projected uses", lambda r: r.revenue),
    ("revenue_licensed", "Revenue of the uses licensed", lambda r: r.revenue_licensed),
    ("revenue_blocked", "Revenue withheld: uses denied", lambda r: r.revenue_blocked),
    ("paid_artists", "Paid to artists", lambda r: r.paid_artists),
    ("paid_rights_holders", "Paid to rights holders", lambda r: r.paid_rights_holders),
    ("paid_total", "Paid in total", lambda r: r.paid_total),
    ("developer_keeps", "Developer keeps (licensed revenue − paid)", lambda r: r.developer_keeps),
]
_COUNTS: list[tuple[str, str, Callable[[RunTally], int]]] = [
    ("uses", "Uses", lambda r: r.uses),
    ("uses_allowed", "Uses allowed, nothing due", lambda r: r.allowed),
    ("uses_paid", "Uses allowed with payment", lambda r: r.paid_uses),
    ("uses_denied", "Uses denied", lambda r: r.denied),
    ("uses_error", "Uses that could not be decided", lambda r: r.errors),
]
# The median of the artists' earnings is an amount (in `_MONEY_STATS`); the others are
# ratios and counts.
_MONEY_STATS = [("artists_median", "Artists: median earnings", "median")]
_DISTRIBUTION = [
    ("artists_top_1pct_share", "Artists: share of the top 1%", "top_1pct_share"),
    ("artists_gini", "Artists: Gini coefficient", "gini"),
    ("artists_zero", "Artists earning nothing", "zero"),
]


_KEYS = [
    k for k, _, _ in (*_MONEY, *_COUNTS, *_MONEY_STATS, *_DISTRIBUTION)
]  # the rows of the tables, in order


def _rank(values: list[Any], q: float) -> Any:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values) if values else Decimal(0)


def summary(result: SimulationResult) -> dict[str, Any]:
    """The results as plain data (what `--json` prints): means and intervals per variant."""
    q = result.quantize
    variants: dict[str, Any] = {}
    for variant in result.variants:
        runs = variant.runs
        measures: dict[str, Any] = {}
        for key, label, get in _MONEY:
            values = [get(r) for r in runs]
            measures[key] = {
                "label": label,
                "mean": str(q(_mean(values))),
                "low": str(q(_rank(values, 0.05))),
                "high": str(q(_rank(values, 0.95))),
            }
        for key, label, count in _COUNTS:
            counts = [count(r) for r in runs]
            measures[key] = {
                "label": label,
                "mean": sum(counts) / len(counts),
                "low": _rank(counts, 0.05),
                "high": _rank(counts, 0.95),
            }
        distributions = [variant.distribution(r) for r in runs]
        for key, label, stat in _MONEY_STATS:
            amounts: list[Decimal] = [d[stat] for d in distributions]
            measures[key] = {
                "label": label,
                "mean": str(q(_mean(amounts))),
                "low": str(q(_rank(amounts, 0.05))),
                "high": str(q(_rank(amounts, 0.95))),
            }
        for key, label, stat in _DISTRIBUTION:
            stats = [d[stat] for d in distributions]
            measures[key] = {
                "label": label,
                "mean": round(sum(stats) / len(stats), 6),
                "low": round(_rank(stats, 0.05), 6),
                "high": round(_rank(stats, 0.95), 6),
            }
        denied_by: dict[str, float] = {}
        for run in runs:
            for reason, n in run.denied_by.items():
                denied_by[reason] = denied_by.get(reason, 0) + n / len(runs)
        variants[variant.name] = {
            "title": variant.title,
            "licensee": variant.licensee,
            "parameters": variant.parameters,
            "measures": measures,
            "denied_by": dict(sorted(denied_by.items(), key=lambda kv: -kv[1])),
            "paid_by_rule": _mean_map(runs, lambda r: r.by_rule, q),
            "by_territory": _groups(runs, lambda r: r.by_territory, q),
            "by_purpose": _groups(runs, lambda r: r.by_purpose, q),
            "by_period": _groups(runs, lambda r: r.by_period, q),
        }
    return {
        "scenario": result.scenario.title,
        "currency": result.currency,
        "runs": len(result.uses_per_run),
        "uses_per_run": result.uses_per_run,
        "distinct_shapes": result.shapes,
        "seconds": round(result.seconds, 3),
        "variants": variants,
        "sweeps": [
            {
                "variant": s.variant,
                "parameter": f"{s.contract}.{s.parameter}",
                "points": [
                    {
                        "value": p.value,
                        "paid_artists": str(q(p.paid_artists)),
                        "paid_rights_holders": str(q(p.paid_rights_holders)),
                        "developer_keeps": str(q(p.developer_keeps)),
                        "denied_share": round(p.denied_share, 6),
                        "artists_gini": round(p.gini, 6),
                    }
                    for p in s.points
                ],
            }
            for s in result.sweeps
        ],
    }


def _mean_map(
    runs: list[RunTally],
    get: Callable[[RunTally], dict[str, Decimal]],
    q: Callable[[Decimal], Decimal],
) -> dict[str, str]:
    keys = sorted({k for r in runs for k in get(r)})
    return {k: str(q(_mean([get(r).get(k, Decimal(0)) for r in runs]))) for k in keys}


def _groups(
    runs: list[RunTally],
    get: Callable[[RunTally], dict[str, Group]],
    q: Callable[[Decimal], Decimal],
) -> dict[str, dict[str, Any]]:
    keys = sorted({k for r in runs for k in get(r)})
    out: dict[str, dict[str, Any]] = {}
    n = len(runs)
    for key in keys:
        groups = [get(r).get(key, Group()) for r in runs]
        out[key] = {
            "uses": sum(g.uses for g in groups) / n,
            "denied": sum(g.denied for g in groups) / n,
            "revenue": str(q(_mean([g.revenue for g in groups]))),
            "paid": str(q(_mean([g.paid for g in groups]))),
        }
    return out


# ----------------------------------------------------------------- terminal


def _cell(measure: dict[str, Any], runs: int, money: bool) -> str:
    mean = measure["mean"]
    if money:
        text = f"{Decimal(mean):,.2f}"
        interval = f"{Decimal(measure['low']):,.0f} – {Decimal(measure['high']):,.0f}"
    elif isinstance(mean, float) and not float(mean).is_integer() and abs(mean) < 10:
        text = f"{mean:.3f}"
        interval = f"{measure['low']:.3f} – {measure['high']:.3f}"
    else:
        text = f"{mean:,.0f}"
        interval = f"{measure['low']:,.0f} – {measure['high']:,.0f}"
    return f"{text}\n[dim]{interval}[/dim]" if runs > 1 else text


def table(result: SimulationResult) -> Any:
    """A Rich table: one column per variant, one row per measure (mean, 90% interval)."""
    from rich.table import Table

    data = summary(result)
    runs = data["runs"]
    caption = f"{runs} run(s); with several runs each cell shows the mean and a 5–95% interval"
    grid = Table(title=data["scenario"], caption=caption, show_lines=runs > 1)
    grid.add_column("Measure", style="bold")
    names = list(data["variants"])
    for name in names:
        grid.add_column(data["variants"][name]["title"], justify="right")
    money = {k for k, _, _ in (*_MONEY, *_MONEY_STATS)}
    for key in _KEYS:
        first = data["variants"][names[0]]["measures"][key]
        label = first["label"] + (f" ({data['currency']})" if key in money else "")
        grid.add_row(
            label,
            *[_cell(data["variants"][n]["measures"][key], runs, key in money) for n in names],
        )
    reasons = sorted({r for n in names for r in data["variants"][n]["denied_by"]})
    for reason in reasons:
        grid.add_row(
            f"Denied: {reason}",
            *[f"{data['variants'][n]['denied_by'].get(reason, 0):,.0f}" for n in names],
        )
    return grid


def sweep_tables(result: SimulationResult) -> list[Any]:
    """One Rich table per sweep."""
    from rich.table import Table

    tables = []
    q = result.quantize
    for sweep in result.sweeps:
        grid = Table(title=f"Sweep of {sweep.contract}.{sweep.parameter} ({sweep.variant})")
        for column in (
            "Value",
            "Paid to artists",
            "Paid to rights holders",
            "Developer keeps",
            "Denied",
            "Gini",
        ):
            grid.add_column(column, justify="right")
        for p in sweep.points:
            grid.add_row(
                p.value,
                f"{q(p.paid_artists):,.2f}",
                f"{q(p.paid_rights_holders):,.2f}",
                f"{q(p.developer_keeps):,.2f}",
                f"{p.denied_share:.1%}",
                f"{p.gini:.3f}",
            )
        tables.append(grid)
    return tables


# ----------------------------------------------------------------- files


def write_json(result: SimulationResult, path: Path) -> None:
    """The summary as JSON (amounts as decimal strings)."""
    path.write_text(json.dumps(summary(result), indent=2, ensure_ascii=False) + "\n", "utf-8")


def write_csv(result: SimulationResult, path: Path) -> None:
    """The summary as one long CSV: section, variant, key, measure, mean, low, high."""
    data = summary(result)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["section", "variant", "key", "measure", "mean", "low", "high"])
        for name, variant in data["variants"].items():
            for key, m in variant["measures"].items():
                out.writerow(["measures", name, key, m["label"], m["mean"], m["low"], m["high"]])
            for reason, n in variant["denied_by"].items():
                out.writerow(["denied_by", name, reason, "uses denied", n, "", ""])
            for rule, amount in variant["paid_by_rule"].items():
                out.writerow(["paid_by_rule", name, rule, "paid", amount, "", ""])
            for section in ("by_territory", "by_purpose", "by_period"):
                for key, g in variant[section].items():
                    for measure in ("uses", "denied", "revenue", "paid"):
                        out.writerow([section, name, key, measure, g[measure], "", ""])
        for sweep in data["sweeps"]:
            for p in sweep["points"]:
                for measure in (
                    "paid_artists",
                    "paid_rights_holders",
                    "developer_keeps",
                    "denied_share",
                    "artists_gini",
                ):
                    out.writerow(
                        [
                            "sweep",
                            sweep["variant"],
                            f"{sweep['parameter']}={p['value']}",
                            measure,
                            p[measure],
                            "",
                            "",
                        ]
                    )


def charts(result: SimulationResult) -> dict[str, bytes]:
    """PNG charts: where the money goes, what is blocked, the artists' Lorenz curves and
    each sweep. Amounts are converted to floats for drawing only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    data = summary(result)
    names = list(data["variants"])
    titles = [data["variants"][n]["title"] for n in names]
    currency = data["currency"]
    pngs: dict[str, bytes] = {}

    def save(fig: Any) -> bytes:
        buffer = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        return buffer.getvalue()

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    parts = [
        ("paid_artists", "Paid to artists", "#2a9d8f"),
        ("paid_rights_holders", "Paid to rights holders", "#264653"),
        ("developer_keeps", "Developer keeps", "#e9c46a"),
        ("revenue_blocked", "Withheld (uses denied)", "#e76f51"),
    ]
    x = np.arange(len(names))
    bottom_pos = np.zeros(len(names))
    bottom_neg = np.zeros(len(names))
    for key, label, colour in parts:
        values = (
            np.array([float(data["variants"][n]["measures"][key]["mean"]) for n in names]) / 1000
        )
        base = np.where(values >= 0, bottom_pos, bottom_neg)
        left.bar(x, values, 0.55, bottom=base, label=label, color=colour)
        bottom_pos += np.where(values >= 0, values, 0)
        bottom_neg += np.where(values < 0, values, 0)
    left.set_xticks(x, titles)
    left.set_ylabel(f"thousand {currency} (mean over runs)")
    left.set_title("Where the money goes")
    left.axhline(0, color="black", linewidth=0.6)
    left.legend(fontsize=8)
    purposes = sorted({p for n in names for p in data["variants"][n]["by_purpose"]})
    width = 0.8 / max(1, len(names))
    for i, n in enumerate(names):
        groups = data["variants"][n]["by_purpose"]
        shares = [
            (groups[p]["denied"] / groups[p]["uses"] * 100)
            if p in groups and groups[p]["uses"]
            else 0
            for p in purposes
        ]
        right.bar(np.arange(len(purposes)) + i * width, shares, width, label=titles[i])
    right.set_xticks(np.arange(len(purposes)) + width * (len(names) - 1) / 2, purposes)
    right.set_ylabel("% of uses denied")
    right.set_ylim(0, 100)
    right.set_title("Usage blocked, by purpose")
    right.legend(fontsize=8)
    pngs["overview.png"] = save(fig)

    fig, axis = plt.subplots(figsize=(5.5, 4.2))
    for variant in result.variants:
        last = variant.runs[-1]
        earnings = np.sort(np.array([float(last.artists.get(a, 0)) for a in variant.artists]))
        if earnings.sum() > 0:
            curve = np.concatenate([[0], np.cumsum(earnings) / earnings.sum()])
            axis.plot(np.linspace(0, 1, len(curve)), curve, label=variant.title)
        else:
            axis.plot([0, 1], [0, 0], label=f"{variant.title} (nothing paid to artists)")
    axis.plot([0, 1], [0, 1], "k--", linewidth=0.6, label="equal shares")
    axis.set_xlabel("share of artists (poorest first)")
    axis.set_ylabel("share of artists' earnings")
    axis.set_title("Artists' earnings: Lorenz curve (last run)")
    axis.legend(fontsize=8)
    pngs["artists.png"] = save(fig)

    for k, sweep in enumerate(data["sweeps"]):
        fig, axis = plt.subplots(figsize=(6, 4))
        xs = [p["value"] for p in sweep["points"]]
        for key, label, colour in parts[:3]:
            axis.plot(
                xs,
                [float(p[key]) / 1000 for p in sweep["points"]],
                marker="o",
                label=label,
                color=colour,
            )
        axis.set_xlabel(sweep["parameter"])
        axis.set_ylabel(f"thousand {currency}")
        axis.set_title(f"Sweep: {sweep['parameter']} ({sweep['variant']})")
        axis.legend(fontsize=8)
        pngs[f"sweep-{k + 1}.png"] = save(fig)
    return pngs


def write_charts(result: SimulationResult, directory: Path) -> list[Path]:
    """Write the charts as PNG files into `directory`; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, png in charts(result).items():
        path = directory / name
        path.write_bytes(png)
        written.append(path)
    return written


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(result: SimulationResult) -> str:
    """One self-contained HTML page: the tables and the charts (PNG as data URIs)."""
    data = summary(result)
    names = list(data["variants"])
    variants = data["variants"]
    runs = data["runs"]

    def cell(m: dict[str, Any], money: bool) -> str:
        if money:
            text = f"{Decimal(m['mean']):,.2f}"
            return text + (
                f" ({Decimal(m['low']):,.0f} – {Decimal(m['high']):,.0f})" if runs > 1 else ""
            )
        mean = m["mean"]
        text = (
            f"{mean:.3f}"
            if isinstance(mean, float) and abs(mean) < 10 and not mean.is_integer()
            else f"{mean:,.0f}"
        )
        return text

    money = {k for k, _, _ in (*_MONEY, *_MONEY_STATS)}
    rows = []
    for key in _KEYS:
        label = variants[names[0]]["measures"][key]["label"]
        rows.append([label] + [cell(variants[n]["measures"][key], key in money) for n in names])
    reasons = sorted({r for n in names for r in variants[n]["denied_by"]})
    for reason in reasons:
        rows.append(
            [f"Denied: {reason}"]
            + [f"{variants[n]['denied_by'].get(reason, 0):,.0f}" for n in names]
        )
    parts = [
        f"<h1>{html.escape(data['scenario'])}</h1>",
        f"<p>{html.escape(result.scenario.description or '')}</p>",
        f"<p class=note>{runs} Monte Carlo run(s), {data['uses_per_run'][0]:,} uses in the first run; "
        f"all variants decide the same uses. Amounts in {data['currency']}, means over runs"
        + (", with 5–95% intervals in brackets" if runs > 1 else "")
        + ". Produced by <code>clausula simulate</code> with the engine that decides real uses; "
        "not legal advice.</p>",
        "<h2>Side by side</h2>",
        _html_table(["Measure", *[variants[n]["title"] for n in names]], rows),
    ]
    images = charts(result)
    for name, png in images.items():
        if name == "overview.png":
            parts.append("<h2>Where the money goes, and what is blocked</h2>")
        elif name == "artists.png":
            parts.append("<h2>How artists' earnings are spread</h2>")
        else:
            parts.append("<h2>Sweep</h2>")
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(f'<img alt="{name}" src="data:image/png;base64,{encoded}">')
    for section, title in (
        ("by_purpose", "By purpose"),
        ("by_territory", "By territory"),
        ("by_period", "By month"),
    ):
        parts.append(f"<h2>{title}</h2>")
        keys = sorted({k for n in names for k in variants[n][section]})
        table_rows = []
        for key in keys:
            row = [key]
            for n in names:
                g = variants[n][section].get(
                    key, {"uses": 0, "denied": 0, "revenue": "0", "paid": "0"}
                )
                row += [f"{g['uses']:,.0f}", f"{g['denied']:,.0f}", f"{Decimal(g['paid']):,.2f}"]
            table_rows.append(row)
        headers = [title.split()[-1]] + [
            f"{variants[n]['title']}: {h}" for n in names for h in ("uses", "denied", "paid")
        ]
        parts.append(_html_table(headers, table_rows))
    for sweep in data["sweeps"]:
        parts.append(
            f"<h2>Sweep of {html.escape(sweep['parameter'])} ({html.escape(sweep['variant'])})</h2>"
        )
        parts.append(
            _html_table(
                [
                    "Value",
                    "Paid to artists",
                    "Paid to rights holders",
                    "Developer keeps",
                    "Denied",
                    "Gini",
                ],
                [
                    [
                        p["value"],
                        f"{Decimal(p['paid_artists']):,.2f}",
                        f"{Decimal(p['paid_rights_holders']):,.2f}",
                        f"{Decimal(p['developer_keeps']):,.2f}",
                        f"{p['denied_share']:.1%}",
                        f"{p['artists_gini']:.3f}",
                    ]
                    for p in sweep["points"]
                ],
            )
        )
    for n in names:
        params = variants[n]["parameters"]
        if params:
            parts.append(
                f"<p class=note>{html.escape(variants[n]['title'])}: parameters {html.escape(json.dumps(params))}</p>"
            )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%}.note{color:#555;font-size:90%}"
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(data['scenario'])}</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
