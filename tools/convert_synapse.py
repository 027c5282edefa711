"""Convert raw Synapse (BTCV) CT to the TransUNet npz / npy.h5 layout.

Example:
    python tools/convert_synapse.py RawData/Training --out data/synapse
"""
import argparse

from elseg.datasets.converters.synapse_raw import TEST_CASES, convert_synapse
from elseg.utils.volume import HU_WINDOW


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('raw_dir', help='RawData/Training (img/, label/)')
    parser.add_argument('--out', required=True, help='output data_root')
    parser.add_argument('--test-cases', type=int, nargs='*',
                        default=list(TEST_CASES),
                        help="case numbers for test_vol (TransUNet's 12)")
    parser.add_argument('--hu-window', type=float, nargs=2,
                        default=list(HU_WINDOW), metavar=('LOW', 'HIGH'))
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from elseg.utils.cli import run_cli
    lists = run_cli(lambda: convert_synapse(args.raw_dir, args.out,
                                            args.test_cases,
                                            tuple(args.hu_window)))
    for name, ids in lists.items():
        print(f'{name}: {len(ids)}')


if __name__ == '__main__':
    main()
