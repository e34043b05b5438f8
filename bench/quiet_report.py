"""The results table of ``bench/run_quiet.sh``: reads each benchmark's log, prints Markdown.

    .venv/bin/python bench/quiet_report.py <log folder>

Each benchmark prints one JSON line per measured run (and a last line with its
database checks); this picks those lines out of ``rush.log``, ``fee.log``,
``pass.log``, ``donation.log`` and ``peer.log`` and prints one table row per
run with the target it answers to, ready to paste into docs/benchmarks.md. A
benchmark that did not finish (its log has no result line) is listed as such.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    found = []
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main() -> None:
    folder = Path(sys.argv[1])
    status = {}
    status_file = folder / "status.txt"
    if status_file.exists():
        for line in status_file.read_text().splitlines():
            name, _, code = line.partition(" ")
            status[name] = code
    rows = []

    def missing(name: str, what: str) -> None:
        rows.append(f"| {what} | — | — | — | did not finish (exit {status.get(name, '?')}, see {name}.log) |")

    rush = [r for r in lines(folder / "rush.log") if "purchases_per_s_until_sold_out" in r]
    for r in rush:
        rate, p99 = r["purchases_per_s_until_sold_out"] or 0, r["purchase_p99_ms"] or 0
        rows.append(
            f"| ticket rush, {r['connections']} conns, {r['workers']} workers (load {r['load_before']}) "
            f"| {rate} purchases/s until sold out; p99 purchases {p99} ms, all {r['p99_ms']} ms "
            f"| ≥ 220/s, p99 < 250 ms | sold {r['sold']}, oversold {r['oversold']}, "
            f"charged w/o ticket {r['charged_without_ticket']}, audit {'clean' if r['audit_clean'] else 'NOT clean'} "
            f"| {verdict(rate >= 220 and p99 < 250 and r['ok'])} |"
        )
    if not rush:
        missing("rush", "ticket rush")

    fee = lines(folder / "fee.log")
    fee_runs = [r for r in fee if "ratio" in r]
    fee_check = next((r for r in fee if "audit_clean" in r), {})
    for r in fee_runs:
        b, p = r["baseline"], r["payment"]
        rows.append(
            f"| fee payment, {r['connections']} conns (load {r['load_before']}) "
            f"| {p['requests_per_s']} req/s (p50 {p['p50_ms']} / p99 {p['p99_ms']} ms) vs baseline "
            f"{b['requests_per_s']} req/s: ratio {r['ratio']} | ≥ 0.30 of baseline "
            f"| audit {'clean' if fee_check.get('audit_clean') else 'NOT clean'}, ok {fee_check.get('ok')} "
            f"| {verdict(r['ratio'] >= 0.30 and bool(fee_check.get('ok')))} |"
        )
    if not fee_runs:
        missing("fee", "fee payment")

    passes = lines(folder / "pass.log")
    pass_runs = [r for r in passes if "ratio" in r]
    pass_check = next((r for r in passes if "audit_clean" in r), {})
    for r in pass_runs:
        b, v = r["baseline"], r["validation"]
        if r["connections"] == 8:
            target, good = "p99 < 40 ms at 8", v["p99_ms"] < 40
        else:
            target, good = "≥ 50 % of baseline at 32", r["ratio"] >= 0.5
        rows.append(
            f"| pass validation, {r['connections']} conns (load {r['load_before']}) "
            f"| {v['requests_per_s']} req/s (p50 {v['p50_ms']} / p99 {v['p99_ms']} ms) vs baseline "
            f"{b['requests_per_s']} req/s: ratio {r['ratio']} | {target} "
            f"| over limit {pass_check.get('patrons_over_limit')}, "
            f"audit {'clean' if pass_check.get('audit_clean') else 'NOT clean'} "
            f"| {verdict(good and bool(pass_check.get('ok')))} |"
        )
    if not pass_runs:
        missing("pass", "pass validation")

    donations = [r for r in lines(folder / "donation.log") if "donations_per_s" in r]
    for r in donations:
        rows.append(
            f"| donation rush, {r['connections']} conns (load {r['load_before']}) "
            f"| {r['donations_per_s']} donations/s (p50 {r['p50_ms']} / p99 {r['p99_ms']} ms) vs baseline "
            f"{r['baseline_requests_per_s']} req/s: ratio {r['ratio_to_baseline']} | ≥ 50 % of baseline "
            f"| raised {r['raised_shown']} = sum {r['sum_of_donations']}, campaign rows updated "
            f"{r['row_updates_during_rush']['campaigns']} | {verdict(r['ratio_to_baseline'] >= 0.5 and r['ok'])} |"
        )
    if not donations:
        missing("donation", "donation rush")

    peer = lines(folder / "peer.log")
    for r in (r for r in peer if "system" in r):
        rows.append(
            f"| peer round: {r['system']} (load {r['load_before']}) "
            f"| {r['purchases_per_s_until_sold_out']} purchases/s until sold out; p50 / p99 purchases "
            f"{r['purchase_p50_ms']} / {r['purchase_p99_ms']} ms | — "
            f"| sold {r['sold_in_database']}, oversold {r['oversold']} | {'ok' if r['ok'] else '**check failed**'} |"
        )
    end = next((r for r in peer if "best_purchases_per_s" in r), None)
    if end:
        rows.append(
            f"| peer: best of each | Borsellino {end['best_purchases_per_s']['borsellino']}/s, pretix "
            f"{end['best_purchases_per_s']['pretix']}/s: ratio {end['ratio_borsellino_to_pretix']} | — | — | — |"
        )
    elif status.get("peer") != "skipped":
        missing("peer", "side by side with pretix")

    print("| benchmark | measured | target | checks | target met |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
