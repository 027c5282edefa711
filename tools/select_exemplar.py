"""Choose the exemplar slice (the one labelled slice) and write it to a file.

Example:
    python tools/select_exemplar.py ../shared/data/ACDC --rule random --seed 0 \
        --out work_dirs/exemplar_seed0.json
"""
import argparse

from elseg.datasets.exemplar import (RULES, select_exemplar,
                                     write_exemplar_file)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='dataset folder (SSL4MIS layout)')
    parser.add_argument('--split-list', default='train_slices.list',
                        help='candidate slice ids (relative to data_root)')
    parser.add_argument('--rule', default='random', choices=RULES,
                        help="'random' is the paper's rule")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-classes', type=int, default=4,
                        help='classes incl. background (ACDC 4, Synapse 9)')
    parser.add_argument('--slice-dir', default='data/slices',
                        help="slice folder ('train_npz' for Synapse)")
    parser.add_argument('--suffix', default='.h5', help="'.npz' for Synapse")
    parser.add_argument('--out', help='write the choice as JSON here')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    slice_id = select_exemplar(
        args.data_root, args.split_list, rule=args.rule, seed=args.seed,
        num_classes=args.num_classes, slice_dir=args.slice_dir,
        suffix=args.suffix)
    print(slice_id)
    if args.out:
        write_exemplar_file(args.out, slice_id, args.rule, args.seed,
                            data_root=args.data_root,
                            split_list=args.split_list)


if __name__ == '__main__':
    main()
