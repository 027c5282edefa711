"""Suggest which slice to annotate, from the images only (no label is read).

Ranks the training slices (middle of each volume's covered extent, typical,
contrasted; see docs/slice_suggestion.md), prints the top K with the scan file
and the slice number as ITK-SNAP (from 1) and 3D Slicer (IJK, from 0) show it,
and writes a PNG sheet of the K slices.

Examples:
    # your own NIfTI scans, before any annotation (image_<id>.nii.gz or nnU-Net)
    python tools/suggest_slices.py my_scans --top 3 \
        --sheet work_dirs/suggested_slices.png
    # a converted folder (tools/convert_nifti.py) or the SSL4MIS layout (ACDC)
    python tools/suggest_slices.py ../shared/data/ACDC --top 3
"""
import argparse
import json

from elseg.datasets.slice_suggestion import detect_layout, suggest_slices
from elseg.datasets.suggestion_sheet import (check_suggestions, slice_image,
                                             write_sheet)
from elseg.utils.cli import run_cli

LAYOUTS = ('auto', 'converted', 'slices', 'nifti')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='raw NIfTI folder (folder or nnU-Net '
                        'layout), converted folder, or SSL4MIS folder')
    parser.add_argument('--top', type=int, default=3,
                        help='how many suggestions (default: %(default)s)')
    parser.add_argument('--sheet', default='work_dirs/suggested_slices.png',
                        help='PNG sheet of the suggested slices (default: '
                        '%(default)s); "" writes none')
    parser.add_argument('--json', help='also write the suggestions here')
    parser.add_argument('--layout', default='auto', choices=LAYOUTS)
    parser.add_argument('--split-list', default='train_slices.list',
                        help='slice layouts: training slice ids')
    parser.add_argument('--slice-dir', default='data/slices',
                        help="slice layouts: slice folder ('train_npz' for "
                        'Synapse)')
    parser.add_argument('--suffix', default='.h5',
                        help="slice layouts: '.npz' for Synapse")
    parser.add_argument(
        '--check-labels', type=int, metavar='NUM_CLASSES',
        help='DIAGNOSTIC for labelled benchmark data: after ranking, read the '
        'suggested slices\' labels and report classes they lack (classes '
        'including background)')
    args = parser.parse_args(argv)
    if args.top < 1:
        parser.error(f'--top must be >= 1, got {args.top}')
    return args


def describe(rank: int, s) -> str:
    """One line: rank, slice id, scan file, viewer numbers, scores."""
    src = s.source
    axis = src['axis'].upper()
    note = (' (source file assumed: the slices are in file order)'
            if src.get('assumed') else '')
    return (f'{rank}. {s.slice_id}: scan {src["file"]}{note}, ITK-SNAP slice '
            f'{src["itk_snap"]}, 3D Slicer {axis} = {src["slicer"]} '
            f'(position {s.position:.2f} in the covered extent, score '
            f'{s.score:.2f})')


def main(argv=None):
    args = parse_args(argv)

    def run():
        layout = (detect_layout(args.data_root) if args.layout == 'auto' else
                  args.layout)
        ranked = suggest_slices(args.data_root, args.split_list,
                                args.slice_dir, args.suffix, layout)
        top = ranked[:args.top]
        print(f'Annotate one of these {len(top)} slice(s), best first '
              f'(label-free ranking of {len(ranked)} candidates; '
              'docs/slice_suggestion.md):')
        for i, s in enumerate(top, start=1):
            print(describe(i, s))
        if len(top) < args.top:
            print(f'(only {len(top)} candidates)')
        if args.sheet:
            images = [slice_image(args.data_root, s, layout, args.slice_dir,
                                  args.suffix) for s in top]
            write_sheet(args.sheet, images,
                        [f'{i}. {s.slice_id} (ITK-SNAP {s.source["itk_snap"]})'
                         for i, s in enumerate(top, start=1)])
            print(f'sheet: {args.sheet}')
        if args.json:
            from elseg.utils.checkpoint import atomic_write_bytes
            rows = [dict(slice_id=s.slice_id, volume_id=s.volume_id,
                         number=s.number, position=s.position,
                         distance=s.distance, contrast=s.contrast,
                         score=s.score, **s.source) for s in top]
            atomic_write_bytes(json.dumps(rows, indent=2).encode(), args.json)
            print(f'json: {args.json}')
        if args.check_labels is not None:
            if layout == 'nifti':
                raise ValueError('--check-labels reads a slice layout\'s '
                                 'labels; convert the folder first.')
            missing = check_suggestions(args.data_root,
                                        [s.slice_id for s in top],
                                        args.check_labels, args.slice_dir,
                                        args.suffix)
            print('diagnostic (hidden labels, read after the ranking):')
            for sid, lack in missing.items():
                print(f'  {sid}: ' + (f'lacks class(es) {lack}' if lack else
                                      'shows every class'))
        return top

    return run_cli(run)


if __name__ == '__main__':
    main()
