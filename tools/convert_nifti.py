"""Convert a folder of NIfTI volumes (CHAOS / nnU-Net / MSD / your own) for elseg.

Reads image_<id>.nii.gz + label_<id>.nii.gz (+ train.list / val.list), or an
nnU-Net / MSD raw folder (imagesTr/, labelsTr/, dataset.json); writes the slice
layout of NiftiSliceDataset (see elseg/datasets/converters/nifti_folder.py).
Examples:
    # CHAOS T2-SPIR (every training volume labelled; the config picks the exemplar)
    python tools/convert_nifti.py ../shared/data/CHAOS_T2 --out data/chaos_t2 \
        --modality MRI \
        --classes liver=1 kidney_right=2 kidney_left=3 spleen=4
    # your volumes + ONE slice annotated in ITK-SNAP / 3D Slicer
    python tools/convert_nifti.py my_scans --out data/mine --modality MRI \
        --classes liver=1 spleen=2 --val-ids 7 9 \
        --exemplar-label my_scans/annotation_3.nii.gz --exemplar-case 3
    # ... or several slices of that scan annotated: add --multi-slice
    # another labelled set, only to evaluate a trained model on
    python tools/convert_nifti.py other_scans --out data/other --modality MRI \
        --classes liver=1 spleen=2 --eval-only
"""
import argparse

from elseg.datasets.converters.nifti_folder import LAYOUTS, convert_nifti
from elseg.utils.volume import HU_WINDOW, PERCENTILES


def parse_classes(items):
    """``['liver=1', 'kidney=2,3']`` -> ``[('liver', (1,)), ('kidney', (2, 3))]``.

    Raises:
        ValueError: An item is not ``name=id[,id...]``.
    """
    out = []
    for item in items:
        name, sep, ids = item.partition('=')
        try:
            values = tuple(int(v) for v in ids.split(','))
        except ValueError:
            values = ()
        if not sep or not name or not values:
            raise ValueError(
                f'--classes item {item!r} is not NAME=ID[,ID...] (e.g. '
                'liver=1 or kidney=2,3); the classes get output ids 1, 2, ... '
                'in the order given.')
        out.append((name, values))
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='input folder')
    parser.add_argument('--out', required=True,
                        help='output data_root (must not exist, or be empty)')
    parser.add_argument('--layout', choices=LAYOUTS, default='auto')
    parser.add_argument('--modality', choices=['MRI', 'CT'],
                        help="sets the normalisation (default: nnU-Net "
                        "dataset.json's channel; required for a plain folder)")
    parser.add_argument('--classes', nargs='+', metavar='NAME=ID[,ID]',
                        help="output classes in id order (default: nnU-Net "
                        "dataset.json's labels)")
    parser.add_argument('--other-ids-to-background', action='store_true',
                        help='map label ids that no class names to 0 instead '
                        'of stopping')
    parser.add_argument('--val-ids', nargs='+',
                        help='validation case ids (default: SRC/val.list; '
                        'the other cases train)')
    parser.add_argument('--eval-only', action='store_true',
                        help='every case is a labelled validation case (a set '
                        'to evaluate a trained model on with tools/test.py '
                        '--data-root OUT --split-list val.list)')
    parser.add_argument('--exemplar-label',
                        help='label volume with exactly ONE annotated slice '
                        '(the only training label then)')
    parser.add_argument('--multi-slice', action='store_true',
                        help='--exemplar-label may hold several annotated '
                        'slices: each becomes a labelled training slice (one '
                        'must show every class)')
    parser.add_argument('--exemplar-case',
                        help='case id of the image the exemplar annotates '
                        '(default: from its name, label_<id>.nii.gz)')
    parser.add_argument('--percentiles', type=float, nargs=2,
                        default=list(PERCENTILES), metavar=('LOW', 'HIGH'),
                        help='MRI: per-volume clip percentiles')
    parser.add_argument('--hu-window', type=float, nargs=2,
                        default=list(HU_WINDOW), metavar=('LOW', 'HIGH'),
                        help='CT: HU window')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from elseg.utils.cli import run_cli

    def convert():
        classes = parse_classes(args.classes) if args.classes else None
        splits = None
        if args.multi_slice and not args.exemplar_label:
            raise ValueError('--multi-slice applies to --exemplar-label: add '
                             'the annotation, or drop --multi-slice.')
        if args.eval_only and (args.val_ids or args.exemplar_label):
            raise ValueError('--eval-only puts every case in the val split: '
                             'drop --val-ids / --exemplar-label, or drop '
                             '--eval-only.')
        if args.eval_only:
            from elseg.datasets.converters.nifti_folder import find_cases
            _, cases = find_cases(args.src, args.layout)
            splits = dict(val=list(cases))
        elif args.val_ids:
            from elseg.datasets.converters.nifti_folder import find_cases
            _, cases = find_cases(args.src, args.layout)
            splits = dict(val=args.val_ids,
                          train=[c for c in cases if c not in args.val_ids])
        return convert_nifti(
            args.src, args.out, layout=args.layout, modality=args.modality,
            classes=classes, splits=splits,
            exemplar_label=args.exemplar_label,
            exemplar_case=args.exemplar_case,
            percentiles=tuple(args.percentiles),
            hu_window=tuple(args.hu_window),
            other_ids_to_background=args.other_ids_to_background,
            multi_slice=args.multi_slice)

    meta = run_cli(convert)
    counts = {}
    for case in meta['cases'].values():
        counts[case['split']] = counts.get(case['split'], 0) + 1
    print(f"{args.out}: classes {meta['classes']}, {meta['modality']} "
          f"({meta['normalisation']}), cases {counts}, training labels: "
          f"{meta['training_labels']}")
    if 'exemplar' in meta:
        ex = meta['exemplar']
        ids = ex.get('slice_ids', [ex['slice_id']])
        wheres = ex.get('source_slices', [ex['source_slice']])
        for i, (sid, where) in enumerate(zip(ids, wheres)):
            print(f"{'exemplar' if i == 0 else 'labelled slice'}: {sid} (in "
                  f"{ex['source']}: ITK-SNAP slice {where['itk_snap']}, 3D "
                  f"Slicer {where['axis'].upper()} {where['slicer']}) -> "
                  f"{args.out}/exemplar.json")
    if not counts.get('train'):
        print(f'evaluation only: python tools/test.py CONFIG CHECKPOINT '
              f'--data-root {args.out} --split-list '
              f"{'val' if counts.get('val') else 'test'}.list")


if __name__ == '__main__':
    main()
