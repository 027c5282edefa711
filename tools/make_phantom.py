"""Write the procedural cardiac phantom in the ACDC SSL4MIS layout.

Skips the work when the folder already holds a complete phantom made with the
same arguments (use --force to rewrite). Example:
    python tools/make_phantom.py data/acdc_phantom
"""
import argparse

from elseg.datasets.phantom import make_phantom


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/acdc_phantom')
    parser.add_argument('--train', type=int, default=8, help='patients')
    parser.add_argument('--val', type=int, default=2, help='patients')
    parser.add_argument('--test', type=int, default=2, help='patients')
    parser.add_argument('--size', type=int, default=128, help='image size')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--force', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    wrote = make_phantom(args.out_dir, n_train=args.train, n_val=args.val,
                         n_test=args.test, size=args.size, seed=args.seed,
                         force=args.force)
    print(f'{"wrote" if wrote else "complete, skipped"}: {args.out_dir}')


if __name__ == '__main__':
    main()
