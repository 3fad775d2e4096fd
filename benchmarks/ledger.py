"""How fast the consent ledger imports grants and decides. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/ledger.py [--count 1000000] [--quick]

1. Writes COUNT grants (JSON Lines, one per artist-like id) and imports them into a fresh
   SQLite ledger with `import_file` (every row validated, one transaction): grants/s.
2. Decides training uses of works whose performers hold those grants, against the ledger
   (`load(…, ledger=…)`) and against the same grants held in memory
   (`FileConsentLedger`), and prints decisions/s of each and their ratio.
Targets (issue 4): import ≥ 50,000 grants/s; ledger ≥ half the in-memory rate.

With `--verify` (instead of 2): what the decision path's verification costs — the whole
chain at opening, without and with a signed head, and per append afterwards (only the new
event is verified), and what signing the head adds to an append.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from stdnum.iso7064 import mod_11_2

import clausula
from clausula.catalogue import ConsentGrant
from clausula.consent import FileConsentLedger
from clausula.ledger import Ledger, Vocabulary, generate_key, import_file
from clausula.ledger.events import fold

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
PERFORMERS = ["isni:0000000121032683", "isni:0000000368570205"]  # on isrc:USUM71703861


def isni(n: int) -> str:
    body = f"{n:015d}"
    return f"isni:{body}{mod_11_2.calc_check_digit(body)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 grants")
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--verify", action="store_true", help="measure verification instead")
    args = parser.parse_args()
    count = 100_000 if args.quick else args.count
    work = Path(tempfile.mkdtemp(prefix="clausula-bench-"))
    try:
        source = work / "grants.jsonl"
        with source.open("w") as out:
            for i in range(count):
                artist = PERFORMERS[i % 2] if i < 20 else isni(900_000_000 + i)
                out.write(
                    json.dumps(
                        {
                            "id": f"g-{i}",
                            "grantor": artist,
                            "grantee": "party:aria-labs",
                            "purposes": ["training"],
                            "territories": ["worldwide"],
                            "valid_from": "2026-01-01",
                            "formalities": ["in_writing", "signed"],
                        }
                    )
                    + "\n"
                )
        policies = clausula.load(POLICIES)
        v = policies.compiled.vocabulary
        vocabulary = Vocabulary(v.purposes, v.territories.problem)
        ledger = Ledger(f"sqlite:///{work / 'consent.db'}")
        start = time.perf_counter()
        import_file(ledger, source, vocabulary=vocabulary)
        seconds = time.perf_counter() - start
        print(
            f"import: {count:,} grants in {seconds:.1f} s = {count / seconds:,.0f} grants/s "
            "(SQLite, validated, one transaction)"
        )

        if args.verify:
            verify_costs(ledger, work)
            ledger.close()
            return

        uses = [
            clausula.parse_use(
                {
                    "date": "2026-09-01",
                    "licensee": "party:aria-labs",
                    "purpose": "training",
                    "territory": random.choice(["DE", "US-TN", "FR"]),
                    "works": ["isrc:USUM71703861"],
                }
            )
            for _ in range(200)
        ]
        from_ledger = clausula.load(POLICIES, ledger=ledger)
        histories = fold(ledger.events(artist=PERFORMERS[0])) | fold(
            ledger.events(artist=PERFORMERS[1])
        )
        grants: list[ConsentGrant] = [h.grant for h in histories.values()]
        in_memory = clausula.load(POLICIES, ledger=FileConsentLedger(grants, ()))
        rates = {}
        for name, policy_set in (("in memory", in_memory), ("ledger", from_ledger)):
            for use in uses[:50]:
                policy_set.decide(use)
            n = args.decisions
            start = time.perf_counter()
            for i in range(n):
                policy_set.decide(uses[i % len(uses)])
            rates[name] = n / (time.perf_counter() - start)
            print(f"decide against {name}: {rates[name]:,.0f} decisions/s")
        print(f"ledger / in memory: {rates['ledger'] / rates['in memory']:.2f}")
        start = time.perf_counter()
        result = ledger.verify()
        print(
            f"verify: {result.events:,} events in {time.perf_counter() - start:.1f} s, ok={result.ok}"
        )
        ledger.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify_costs(ledger: Ledger, work: Path) -> None:
    """Print the cost of verifying at opening and per append, without and with a key."""
    url = ledger.url
    start = time.perf_counter()
    result = ledger.verify()
    print(f"consent verify: {result.events:,} events in {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    fresh = Ledger(url)
    head = fresh.verify_chain()
    print(f"verify at opening: {head[0]:,} events in {time.perf_counter() - start:.2f} s")
    appends(fresh, "without a key")
    fresh.close()
    key = generate_key(work / "ledger.key")
    with Ledger(url, key=key) as signer:
        signer.sign_head()
    start = time.perf_counter()
    signed = Ledger(url, key=key)
    signed.verify_chain()
    print(f"verify at opening, signed head: {time.perf_counter() - start:.2f} s")
    appends(signed, "with a key")
    signed.close()


def appends(store: Ledger, name: str, rounds: int = 200) -> None:
    """Append one grant at a time and verify after each: the cost of each part."""
    appending = verifying = 0.0
    before = store.verified_events
    for i in range(rounds):
        grant = ConsentGrant.model_validate(
            {
                "id": f"g-new-{name.replace(' ', '-')}-{i}",
                "grantor": isni(800_000_000 + i),
                "grantee": "party:aria-labs",
                "purposes": ["training"],
                "territories": ["worldwide"],
                "valid_from": "2026-01-01",
            }
        )
        start = time.perf_counter()
        store.grant(grant)
        middle = time.perf_counter()
        store.verify_chain()
        verifying += time.perf_counter() - middle
        appending += middle - start
    checked = store.verified_events - before
    print(
        f"per append {name}: append {appending / rounds * 1e3:.2f} ms, then verify "
        f"{verifying / rounds * 1e3:.2f} ms ({checked / rounds:.0f} event(s) verified each)"
    )


if __name__ == "__main__":
    main()
