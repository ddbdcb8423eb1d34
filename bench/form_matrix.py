"""The issue-13 matrix: the form benchmark at 40 and 200 citizens on SQLite and PostgreSQL,
each beside both baselines measured in the same cell (`make bench` runs this).

    .venv/bin/python -m bench.form_matrix [--citizens 40 200] [--postgresql URL] [--runs 2]

Per cell, in turn on the same machine: the bare PTB echo bot, the PTB form bot
(ConversationHandler + PicklePersistence, bench/ptb_form_bot.py), then ours. One row per cell and
run; ratios are ours/baseline — throughput wants ≥ 0.5 against echo and > 1 against the form bot,
p99 wants ≤ 3 against echo and < 1 against the form bot. A PostgreSQL server that cannot be reached
is reported and its cells left out, so the command still works on a machine without one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from bench.form_throughput import (
    Result,
    fresh,
    maintenance_connection,
    run_echo,
    run_ours,
    run_ptb_form,
)

DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/bench"

COLUMNS = ("database", "citizens", "run", "ours upd/s", "echo upd/s", "ratio", "ours p50", "ours p99", "echo p99", "p99 ratio",
           "CPU ms/upd", "form upd/s", "ratio", "form p99", "p99 ratio", "outbox")


def row(database: str, citizens: int, run: int, ours: Result, echo: Result, form: Result) -> list[str]:
    return [database, str(citizens), str(run), f"{ours.rate:.1f}", f"{echo.rate:.1f}", f"{ours.rate / echo.rate:.2f}",
            f"{ours.percentile(0.5):.0f}", f"{ours.percentile(0.99):.0f}", f"{echo.percentile(0.99):.0f}",
            f"{ours.percentile(0.99) / echo.percentile(0.99):.2f}", f"{ours.cpu_ms_per_update:.1f}", f"{form.rate:.1f}",
            f"{ours.rate / form.rate:.2f}", f"{form.percentile(0.99):.0f}", f"{ours.percentile(0.99) / form.percentile(0.99):.2f}",
            ours.sends]


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---:" if i not in (0, 15) else "---" for i in range(len(COLUMNS))) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def reachable(url: str) -> str | None:
    """None when the server answers; otherwise why not."""
    import asyncpg
    from sqlalchemy.engine import make_url

    async def probe() -> None:
        connection = await maintenance_connection(make_url(url))
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--postgresql", default=os.environ.get("BENCH_POSTGRESQL_URL", DEFAULT_POSTGRESQL),
                        help=f"an existing database to create the runs' databases from (default {DEFAULT_POSTGRESQL}); '' for SQLite only")
    parser.add_argument("--runs", type=int, default=1, help="rows per cell")
    args = parser.parse_args()
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgresql:
        why = reachable(args.postgresql)
        if why is None:
            databases.append(("PostgreSQL", args.postgresql))
        else:
            print(f"PostgreSQL left out: {args.postgresql} cannot be reached ({why})", flush=True)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            for label, url in databases:
                for citizens in args.citizens:
                    workdir = Path(tmp) / f"{label}-{citizens}-{run}"
                    workdir.mkdir()
                    echo = run_echo(citizens, workdir)
                    form = run_ptb_form(citizens, workdir / "ptb-form")
                    ours = run_ours(citizens, fresh(url, "polling"), workdir / "ours")
                    rows.append(row(label, citizens, run, ours, echo, form))
                    print(" ".join(f"{name}={value}" for name, value in zip(COLUMNS, rows[-1])), flush=True)
    print(f"\n{os.cpu_count()} CPUs; latencies in ms, from a citizen's message to the whole answer; ratios ours/baseline")
    print(markdown(rows))


if __name__ == "__main__":
    main()
