"""``python -m sbsr.encoders list | where NAME | download NAME``.

* ``list`` - every registered encoder, whether it is available here, and why not (``--json`` for JSON).
* ``where NAME`` - the accepted weight files, where they are looked for, and how to obtain them.
* ``download NAME`` - fetch the weights into the Hugging Face / torch hub cache (needs the network and
  ``SBSR_ALLOW_DOWNLOAD=1`` or ``--yes``).
"""

from __future__ import annotations

import argparse
import json
import sys

from .registry import ENCODER_NAMES, REGISTRY, get_encoder, list_encoders, weights_instructions
from .weights import WeightsNotFoundError, download_allowed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sbsr.encoders", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="every encoder, whether it is available here and why not")
    p_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_where = sub.add_parser("where", help="where the weights of an encoder are looked for, how to get them")
    p_where.add_argument("name", choices=ENCODER_NAMES)
    p_dl = sub.add_parser("download", help="download the weights of an encoder (network)")
    p_dl.add_argument("name", choices=ENCODER_NAMES)
    p_dl.add_argument("--yes", action="store_true", help="allow the download (same as SBSR_ALLOW_DOWNLOAD=1)")
    args = parser.parse_args(argv)

    if args.command == "list":
        infos = list_encoders()
        if args.json:
            print(json.dumps([info.__dict__ for info in infos], indent=2))
            return 0
        width = max(len(i.name) for i in infos)
        print(f"{'encoder':<{width}}  {'available':<9}  reason")
        for i in infos:
            print(f"{i.name:<{width}}  {'yes' if i.available else 'no':<9}  {i.reason}")
        return 0
    if args.command == "where":
        print(weights_instructions(args.name))
        return 0
    if args.command == "download":
        if REGISTRY[args.name].weights is None:
            print(f"{args.name}: nothing to download")
            return 0
        if not (args.yes or download_allowed()):
            print("downloads are off: pass --yes or set SBSR_ALLOW_DOWNLOAD=1", file=sys.stderr)
            return 2
        try:
            enc = get_encoder(args.name, device="cpu", allow_download=True)
        except WeightsNotFoundError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{enc.name}: {enc.weights_source}")
        return 0
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
