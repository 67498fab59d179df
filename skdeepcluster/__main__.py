"""Command line: ``python -m skdeepcluster demo`` (or the ``skdeepcluster`` script)."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="skdeepcluster",
                                     description="skdeepcluster command line")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="DEPICT vs KMeans on digits: table + PNG")
    demo.add_argument("--output-dir", default="demo_output")
    demo.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="hide training progress")
    args = parser.parse_args(argv)
    if args.command != "demo":
        parser.print_help()
        return 2
    from ._demo import run_demo

    run_demo(output_dir=args.output_dir, device=args.device,
             random_state=args.random_state, verbose=0 if args.quiet else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
