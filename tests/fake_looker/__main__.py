"""Run the fake Looker standalone: ``python -m fake_looker [--generate N,T,E] [--latency S]``.

Prints its base URL on the first line of stdout, then serves until stdin closes or it is killed.
(The benchmark runs it in its own process so that the server's CPU does not share the crawler's GIL.)
"""

from __future__ import annotations

import argparse
import sys

from .dataset import example_dataset, generated_dataset
from .server import FakeLooker


def main() -> None:
    parser = argparse.ArgumentParser(prog="fake_looker")
    parser.add_argument("--generate", help="N,T,E: N dashboards x T tiles over E explores")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept per request")
    parser.add_argument("--cache", action="store_true", help="answer repeated GETs from a cache")
    args = parser.parse_args()
    if args.generate:
        n, t, e = (int(x) for x in args.generate.split(","))
        data = generated_dataset(n, t, e)
    else:
        data = example_dataset()
    with FakeLooker(data, latency=args.latency, cache=args.cache) as looker:
        print(looker.base_url, flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin
        print(" ".join(f"{k}={v}" for k, v in sorted(looker.calls.items())), flush=True)


if __name__ == "__main__":
    main()
