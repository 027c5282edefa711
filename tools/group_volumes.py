"""Per-volume test metrics split into groups of volumes (e.g. ED / ES frames).

Usage:
    python tools/group_volumes.py RUNS/ROW [RUNS/ROW2 ...] \
        --group ED=_frame01 --group ES=_frame02

Each path is a ``volume_metrics.csv`` of ``tools/test.py``, the work dir that
holds it, or a benchmark row folder (its ``seed*/test``); every path is one
table. Means are taken per run, then over the runs (see
:mod:`elseg.benchmark.volume_groups`).
"""
import argparse
import sys

from elseg.benchmark.volume_groups import (find_volume_csvs,
                                           group_volume_metrics, groups_table)
from elseg.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('paths', nargs='+', help='CSV, test work dir or '
                        'benchmark row folder')
    parser.add_argument('--group', action='append', required=True,
                        metavar='NAME=SUBSTRING',
                        help='a group: volumes whose id contains SUBSTRING')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    groups = {}
    for spec in args.group:
        name, sep, key = spec.partition('=')
        if not sep or not name or not key:
            raise ValueError(f'--group {spec!r}: expected NAME=SUBSTRING, '
                             'e.g. ED=_frame01')
        groups[name] = key
    for path in args.paths:
        csvs = find_volume_csvs(path)
        print(f'{path} ({len(csvs)} run(s))')
        print(groups_table(group_volume_metrics(csvs, groups)))
        print()
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
