"""Convert the official ACDC release to the SSL4MIS layout elseg reads.

Example:
    python tools/convert_acdc.py ACDC/database/training ACDC/database/testing \
        --out data/acdc
    # the SSL4MIS lists: --val-patients 28 85 ... --test-patients ...
"""
import argparse

from elseg.datasets.converters.acdc_official import convert_acdc


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', nargs='+', help='folders of patientXXX/')
    parser.add_argument('--out', required=True, help='output data_root')
    parser.add_argument('--val-patients', type=int, nargs='*', default=None)
    parser.add_argument('--test-patients', type=int, nargs='*', default=None)
    parser.add_argument('--percentiles', type=float, nargs=2, default=None,
                        metavar=('LOW', 'HIGH'),
                        help='clip to these percentiles before min-max')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from elseg.utils.cli import run_cli
    lists = run_cli(lambda: convert_acdc(
        args.src, args.out, args.val_patients, args.test_patients,
        tuple(args.percentiles) if args.percentiles else None))
    for name, ids in lists.items():
        print(f'{name}: {len(ids)}')


if __name__ == '__main__':
    main()
