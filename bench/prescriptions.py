"""Prescription rule checks: how many 5-item checks per second, and their latency (issue 13's benchmark, first half).

    uv run python bench/prescriptions.py                  # ~1 minute; no database, no network
    uv run python bench/prescriptions.py --checks 50000 --json out.json
    uv run python bench/prescriptions.py --http --port 8103   # + the check inside the HTTP request, ~2 min

One process, the shipped rule files and the simulated HIS catalogue (every drug, as the HIS client returns
them). First the cold start: loading, validating and indexing the nine rule files (done once per process,
at start-up by the system check). Then, warm:
  a. a fixed 5-item prescription that trips many rules (interactions, duplicates, doses, allergy, days);
  b. random 5-item prescriptions drawn from the whole catalogue, each item at its usual dose, for patients
     of random age, allergies, pregnancy and chronic conditions (a different draft every check);
  c. as b, also rendering every finding's explanation (what a response to the doctor does).
Each check is timed by the wall clock and by the thread's CPU clock: on a shared machine the wall-clock tail
is other processes' time slices, the CPU clock is the engine's own cost. Goal: p99 ≤ 5 ms per check.
With ``--http``, the check inside the whole HTTP request on a served app (bench/_prescriptions_http.py): the
htmx check endpoint's latency at the client and the check's own time inside it (its Server-Timing header),
beside a trivial request. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

GOAL_P99_MS = 5.0
TODAY = date(2026, 12, 7)
PHASES = ("a_fixed_5_items", "b_random_5_items", "c_random_5_items_rendered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checks", type=int, default=20000, help="checks per phase (default 20000)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    parser.add_argument("--http", action="store_true", help="also the check inside the HTTP request (served app)")
    parser.add_argument("--http-checks", type=int, default=2000, help="check requests (default 2000, 1–20000)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free one)")
    parser.add_argument("--db", default="h_rxc", help="database (and role) created and dropped for --http")
    parser.add_argument("--redis-db", type=int, default=3, help="Redis db for --http (only its own keys removed)")
    parser.add_argument("--keep", action="store_true", help="keep the --http database (debugging)")
    args = parser.parse_args()
    args.http_checks = max(1, min(args.http_checks, 20000))

    import django

    django.setup()
    from django.utils import translation

    from ihospital.prescriptions import rules

    translation.activate("zh-hans")
    started = time.perf_counter()
    book = rules.rulebook()
    results: dict = {"cold_start_ms": round((time.perf_counter() - started) * 1000, 1)}
    drugs = _catalogue()
    results.update(
        catalogue_drugs=len(drugs),
        products=len(book.products),
        interaction_pairs=len(book.interactions.pairs),
        rule_files={family: str(version) for family, version in book.versions.items()},
    )
    drafts = Drafts(rules, book, drugs, random.Random(args.seed))  # noqa: S311 - made-up benchmark data
    results[PHASES[0]] = _run(rules, drugs, [drafts.fixed() for _ in range(args.checks)], render=False)
    results[PHASES[1]] = _run(rules, drugs, [drafts.random() for _ in range(args.checks)], render=False)
    results[PHASES[2]] = _run(rules, drugs, [drafts.random() for _ in range(args.checks)], render=True)
    _report(results)
    if args.http:
        sys.path.insert(0, str(ROOT / "bench"))
        from _prescriptions_http import measure_http

        results["http"] = measure_http(args)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


def _catalogue() -> dict:
    from ihospital.integrations.his.base import Drug
    from ihospital.integrations.his.simulated import seed

    drugs = {}
    for row in seed._drug_rows(random.Random(seed.SEED)):  # noqa: S311 - the simulated HIS's own seed
        code, generic, trade, form, strength, package, unit, fen, controlled, grade, children = row
        drugs[code] = Drug(code, generic, trade, form, strength, package, unit, fen, controlled, grade, bool(children))
    return drugs


class Drafts:
    """Prescriptions to check: one fixed rich one, and random ones over the whole catalogue."""

    def __init__(self, rules, book, drugs: dict, rng: random.Random) -> None:
        self.rules, self.rng = rules, rng
        self.by = {(d.generic_name, d.strength): d.code for d in drugs.values()}
        self.usual = [self._usual_item(book, drug) for drug in drugs.values()]
        self.diagnoses = sorted({p for product in book.products.values() for p in product.indications if len(p) >= 3})

    def fixed(self):
        rules, by = self.rules, self.by
        items = (
            rules.Item(by["华法林钠片", "2.5mg"], 2.5, "mg", "qd", "po", 7),
            rules.Item(by["布洛芬缓释胶囊", "0.3g"], 600, "mg", "bid", "po", 7),
            rules.Item(by["克拉霉素片", "0.25g"], 500, "mg", "bid", "po", 7),
            rules.Item(by["辛伐他汀片", "20mg"], 20, "mg", "qn", "po", 28),
            rules.Item(by["阿托伐他汀钙片", "20mg"], 20, "mg", "qn", "po", 7),
        )
        who = rules.Patient(
            birth_date=date(1950, 3, 1), sex="male", allergy_classes=("青霉素",), chronic_conditions=("E78.5",)
        )
        return rules.Draft(items=items, patient=who, diagnoses=("I48", "M17.9", "E78.5"))

    def random(self):
        rng = self.rng
        age = rng.choice([2, 5, 9, 15, 30, 45, 60, 75, 88])
        who = self.rules.Patient(
            birth_date=TODAY - timedelta(days=int(age * 365.25) + rng.randint(0, 300)),
            sex=rng.choice(["male", "female"]),
            weight_kg=rng.choice([None, 12.0, 25.0, 60.0, 80.0]),
            pregnant=age in (30, 45) and rng.random() < 0.2,
            lactating=age == 30 and rng.random() < 0.2,
            allergy_drugs=tuple(rng.sample(["阿莫西林", "阿司匹林", "海鲜", "头孢克洛"], rng.randint(0, 2))),
            allergy_classes=tuple(rng.sample(["青霉素", "磺胺", "nsaids"], rng.randint(0, 1))),
            chronic_conditions=tuple(rng.sample(["I10", "E11.9", "J44.9", "E78.5"], rng.randint(0, 2))),
            long_term_eligible=rng.random() < 0.3,
            guardian_present=rng.random() < 0.7,
        )
        diagnoses = tuple(rng.sample(self.diagnoses, rng.randint(1, 3)))
        return self.rules.Draft(items=tuple(rng.sample(self.usual, 5)), patient=who, diagnoses=diagnoses)

    def _usual_item(self, book, drug):
        """The drug at its lowest usual dose in its rule unit, by its form's first route, for 7 days."""
        product = book.products[drug.generic_name]
        route = book.doses.forms[drug.form][0]
        frequency = "qw" if drug.generic_name == "阿仑膦酸钠片" else "bid"
        item = self.rules.Item(drug.code, product.doses.per_dose[0], product.doses.unit, frequency, route, 7)
        if self.rules.quantity(item, drug) is None:  # a cream: the doctor enters the tubes
            item = self.rules.Item(drug.code, product.doses.per_dose[0], product.doses.unit, frequency, route, 7, 1)
        return item


def _run(rules, drugs: dict, drafts: list, *, render: bool) -> dict:
    from ihospital.core.errors import DomainError

    wall, cpu, findings, errors = [], [], 0, 0
    for draft in drafts:
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            result = rules.check(draft, drugs=drugs, today=TODAY)
            if render:
                [finding.explanation for finding in result.findings]
            findings += len(result.findings)
        except DomainError:
            errors += 1
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    wall.sort()
    cpu.sort()
    return {
        "checks": len(wall),
        "checks_per_second": round(len(wall) / sum(wall)),
        "wall_ms": {f"p{p}": round(_pct(wall, p) * 1000, 3) for p in (50, 95, 99)} | {"max": round(wall[-1] * 1000, 3)},
        "cpu_ms": {f"p{p}": round(_pct(cpu, p) * 1000, 3) for p in (50, 95, 99)} | {"max": round(cpu[-1] * 1000, 3)},
        "mean_findings": round(findings / max(1, len(wall) - errors), 1),
        "refused_with_a_coded_error": errors,
    }


def _report(results: dict) -> None:
    print(
        f"rule book: {results['products']} products, {results['interaction_pairs']} interaction pairs; "
        f"cold start (load, validate, index) {results['cold_start_ms']} ms"
    )
    print(f"{'phase':<28}{'checks/s':>9}  {'wall p50/p95/p99/max ms':<32}{'cpu p50/p95/p99/max ms':<32}findings")
    for name in PHASES:
        r = results[name]
        wall = "/".join(str(r["wall_ms"][k]) for k in ("p50", "p95", "p99", "max"))
        cpu = "/".join(str(r["cpu_ms"][k]) for k in ("p50", "p95", "p99", "max"))
        print(f"{name:<28}{r['checks_per_second']:>9}  {wall:<32}{cpu:<32}{r['mean_findings']}")
    worst = max(results[name]["wall_ms"]["p99"] for name in PHASES)
    worst_cpu = max(results[name]["cpu_ms"]["p99"] for name in PHASES)
    verdict = "PASS" if worst <= GOAL_P99_MS else "MISS"
    print(f"goal p99 ≤ {GOAL_P99_MS} ms per check: {verdict} (worst wall p99 {worst} ms, cpu p99 {worst_cpu} ms)")


def _pct(values: list[float], pct: float) -> float:
    return values[min(len(values) - 1, int(len(values) * pct / 100))]


if __name__ == "__main__":
    main()
