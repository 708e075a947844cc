"""``ml2llm dev mutate [ID ...]``: mutation scores of the exercise checks (for check authors).

See :mod:`ml2llm.checks.mutation`. IDs are check ids (``p01.mse``) or project prefixes
(``p01``); none means every registered check.
"""

from __future__ import annotations

import sys
import time

from ml2llm.errors import UsageError


def register(subparsers):
    p = subparsers.add_parser("dev", help="tools for curriculum authors (dev mutate)")
    sub = p.add_subparsers(dest="dev_command", metavar="TOOL")
    m = sub.add_parser("mutate", help="mutation-score checks: table and surviving mutants")
    m.add_argument("ids", nargs="*", help="check ids or project prefixes (default: all)")
    m.add_argument("--record", action="store_true", help="write the scores as floors")
    m.add_argument("--sample", type=_positive_int, help="at most this many mutants per check")
    m.add_argument("--markdown", action="store_true", help="also print the per-project table")
    m.add_argument("--all-survivors", action="store_true", help="list every survivor")
    m.set_defaults(func=run_mutate)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _positive_int(text):
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _select(ids):
    from ml2llm.checks import all_check_ids

    known = all_check_ids()
    if not ids:
        return known
    out = []
    for i in ids:
        hits = [k for k in known if k == i or k.split(".")[0] == i]
        if not hits:
            raise UsageError(f"unknown check id or project {i!r} (e.g. p01 or p01.mse)")
        out += [h for h in hits if h not in out]
    return out


def run_mutate(args) -> int:
    from ml2llm.checks import get_check
    from ml2llm.checks.mutation import load_floors, project_table, record_floors, score_check, table

    if args.record and args.sample:
        raise UsageError("--record needs the full sweep: drop --sample")
    ids = _select(args.ids)
    floors = load_floors()
    scores, start = [], time.monotonic()
    for cid in ids:
        s = score_check(get_check(cid), limit=args.sample)
        scores.append(s)
        print(f"  {cid}: {s.score:.1%} of {s.n} mutants ({s.seconds:.1f} s)", file=sys.stderr)
    print(table(scores, floors))
    print(
        f"\n{len(scores)} checks, {sum(s.n for s in scores)} mutants "
        f"({sum(s.timeouts for s in scores)} killed by the time limit), "
        f"{time.monotonic() - start:.0f} s"
    )
    survivors = [(s.check_id, m) for s in scores for m in s.mutants if m.status == "survived"]
    if survivors:
        print(f"\nsurviving mutants ({len(survivors)}): add a case that tells them apart")
        shown = survivors if args.all_survivors or len(ids) <= 10 else survivors[:60]
        for cid, m in shown:
            print(f"  {cid:30} {m.describe()}")
        if len(shown) < len(survivors):
            print(f"  ... {len(survivors) - len(shown)} more (--all-survivors)")
    if args.markdown:
        print("\n" + project_table(scores))
    if args.record:
        print(f"\nfloors written to {record_floors(scores)}")
    return 0
