"""Choose the exemplar slice (or several labelled slices) and write them to a file.

Example:
    python tools/select_exemplar.py data/ACDC --rule random --seed 0 \
        --out work_dirs/exemplar_seed0.json
    # three labelled slices of three patients (one id a line)
    python tools/select_exemplar.py data/ACDC --rule central --num 3 \
        --spread patients --out work_dirs/exemplars3.json
"""
import argparse
import os.path as osp

from elseg.datasets.exemplar import (RULES, SPREADS, select_exemplars,
                                     write_exemplar_file)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='dataset folder (SSL4MIS layout)')
    parser.add_argument('--split-list', default='train_slices.list',
                        help='candidate slice ids (relative to data_root)')
    parser.add_argument('--rule', default='random', choices=RULES,
                        help="'random' is the paper's rule")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num', type=int, default=1,
                        help='how many labelled slices (the exemplar first)')
    parser.add_argument('--spread', default='patients', choices=SPREADS,
                        help='with --num > 1: the rule\'s choices in '
                        'different patients, or the nearest slices of the '
                        "exemplar's volume")
    parser.add_argument('--num-classes', type=int,
                        help='classes incl. background (ACDC 4, Synapse 9, '
                        'CHAOS 5); default: the classes of data_root/'
                        'dataset.json (tools/convert_nifti.py), else 4')
    parser.add_argument('--slice-dir', default='data/slices',
                        help="slice folder ('train_npz' for Synapse)")
    parser.add_argument('--suffix', default='.h5', help="'.npz' for Synapse")
    parser.add_argument('--out', help='write the choice as JSON here')
    return parser.parse_args(argv)


def num_classes_of(args) -> int:
    """--num-classes, else the converted dataset.json's class count, else 4."""
    if args.num_classes is not None:
        return args.num_classes
    if osp.isfile(osp.join(args.data_root, 'dataset.json')):
        from elseg.datasets.nifti_slice_dataset import read_dataset_json
        return len(read_dataset_json(args.data_root)['classes'])
    return 4


def main(argv=None):
    args = parse_args(argv)
    from elseg.utils.cli import run_cli
    slice_ids = run_cli(lambda: select_exemplars(
        args.data_root, args.split_list, rule=args.rule, seed=args.seed,
        num_classes=num_classes_of(args), slice_dir=args.slice_dir,
        suffix=args.suffix, num=args.num, spread=args.spread))
    print('\n'.join(slice_ids))
    if args.out:
        extra = dict(spread=args.spread) if args.num > 1 else {}
        write_exemplar_file(args.out, slice_ids, args.rule, args.seed,
                            data_root=args.data_root,
                            split_list=args.split_list, **extra)


if __name__ == '__main__':
    main()
