"""Where the bot's CPU went, from a profile `form_throughput --profile FILE` recorded.

py-spy's collapsed stacks (one line per stack, `frame;frame;… count`, sampled while a thread held
the GIL) are sorted into a few parts of the pipeline by the frames they contain, first match
wins. SQLAlchemy runs its ORM work in greenlets, whose stacks py-spy shows without our frames
above them: they count as "database (SQLAlchemy)" by their own frames.

    .venv/bin/python -m bench.profile_summary FILE [FILE ...]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# (part, markers): a sample belongs to the first part one of whose markers is in a frame.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Bot API calls (HTTP client)", ("httpx/", "httpcore/", "aiohttp/client", "aiohttp/connector", "telegram/request/",
                                     "bot/telegram/ptb_http.py", "Bot._post ")),
    ("update parsing (PTB objects)", ("de_json", "de_list", "to_dict")),
    ("database (SQLAlchemy, driver)", ("sqlalchemy/", "aiosqlite/", "asyncpg/")),
    ("conversation handlers", ("handlers/",)),
    ("dispatcher, intake, processor (ours)", ("bot/",)),
    ("event loop and the rest", ("",)),
)


def summarize(path: Path) -> tuple[int, Counter[str]]:
    parts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        # The parts' order decides: a handler's query counts as the database's time.
        frames = stack.split(";")
        for part, markers in PARTS:
            if any(marker in frame for frame in frames for marker in markers):
                parts[part] += samples
                break
    return total, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    summaries = [summarize(path) for path in args.files]
    print(f"{'':40}" + "".join(f"{path.name[:14]:>16}" for path in args.files))
    for part, _ in PARTS:
        print(f"{part:40}" + "".join(f"{parts[part] / total:16.1%}" for total, parts in summaries))
    print(f"{'samples':40}" + "".join(f"{total:16d}" for total, _ in summaries))


if __name__ == "__main__":
    main()
