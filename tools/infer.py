"""Segment a NIfTI volume, or every NIfTI in a folder, with a trained model.

Writes one uint8 label map per input, aligned with it (same affine, header and
axis order). Intensities and orientation are prepared as the training data's
converter did: for a config over NiftiSliceDataset (tools/convert_nifti.py:
CHAOS, nnU-Net / MSD folders, your own volumes) they are read from the
converted data_root's dataset.json. Examples:
    python tools/infer.py configs/elnet/elnet_unet-b16_128x128_chaos_cpu.py work_dirs/x/iter_4000.pth \
        ../shared/data/CHAOS_T2/image_15.nii.gz --out preds/
    python tools/infer.py configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py work_dirs/x/iter_4000.pth \
        patient101_frame01.nii.gz --out preds/ --anchored-cc
    python tools/infer.py CONFIG CKPT RawData/Testing/img --out preds \
        --preset synapse
"""
import argparse
import glob
import os
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('input', help='.nii/.nii.gz file or folder of them')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--preset', choices=['auto', 'acdc', 'synapse', 'nifti'],
        default='auto',
        help='orientation + intensity as that converter (auto: from the '
        "config's test dataset; 'nifti' reads --dataset-json)")
    parser.add_argument('--dataset-json',
                        help="dataset.json of tools/convert_nifti.py (default:"
                        " the config's test data_root/dataset.json)")
    parser.add_argument('--intensity', choices=['minmax', 'hu', 'percentile'],
                        help='override the preset: min-max to [0, 1], a HU '
                        'window or a percentile clip')
    parser.add_argument('--hu-window', type=float, nargs=2,
                        help='CT window (default: elseg.utils.volume.'
                        'HU_WINDOW)')
    parser.add_argument('--percentiles', type=float, nargs=2,
                        help='MRI clip percentiles (default: '
                        'elseg.utils.volume.PERCENTILES)')
    parser.add_argument('--scale', type=int, nargs=2,
                        help="network input h w (default: config crop_size)")
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', default='cpu', help="e.g. 'cuda:0'")
    parser.add_argument('--allow-mismatch', action='store_true',
                        help="segment even when the checkpoint does not fit "
                        "the config's model (refused by default)")
    parser.add_argument('--largest-cc', action='store_true',
                        help='keep the largest 3D connected component per '
                        'class (as tools/test.py --largest-cc)')
    parser.add_argument('--anchored-cc', action='store_true',
                        help="as tools/test.py --anchored-cc: the config's "
                        'test_evaluator.component_anchors (ACDC: the RV keeps '
                        'its components against Myo/LV)')
    return parser.parse_args(argv)


def make_postprocess(args, cfg, class_names=None):
    """The label-volume post-processing that ``--largest-cc`` /
    ``--anchored-cc`` ask for, or None.

    Args:
        args (argparse.Namespace): The parsed options.
        cfg (mmengine.Config): The model's config.
        class_names (Sequence[str], optional): The checkpoint's classes
            (``dataset_meta``), background first.

    Raises:
        ValueError: Both flags, ``--anchored-cc`` with a config that names
            no ``component_anchors``, or a flag without the classes.
    """
    from elseg.utils.components import (anchor_ids, keep_anchored_components,
                                        keep_largest_component)
    if args.largest_cc and args.anchored_cc:
        raise ValueError('--largest-cc and --anchored-cc are exclusive: pass '
                         'one.')
    if not (args.largest_cc or args.anchored_cc):
        return None
    if not class_names:
        raise ValueError(
            f'{args.checkpoint!r} stores no dataset_meta classes, which '
            '--largest-cc / --anchored-cc need: use a checkpoint written by '
            'tools/train.py.')
    k = len(class_names)
    if args.largest_cc:
        return lambda labels: keep_largest_component(labels, k)
    evaluators = cfg.get('test_evaluator') or {}
    evaluators = evaluators if isinstance(evaluators, list) else [evaluators]
    metric = next((e for e in evaluators if e.get('component_anchors')), None)
    if metric is None:
        raise ValueError(
            f'--anchored-cc: the config {args.config!r} sets no '
            "test_evaluator.component_anchors; add e.g. component_anchors="
            "dict(RV=['Myo', 'LV']) to it, or use --largest-cc.")
    ids = anchor_ids(metric['component_anchors'], class_names)
    margin = int(metric.get('anchor_margin', 3))
    return lambda labels: keep_anchored_components(labels, k, ids, margin)


def resolve_preset(args, cfg) -> dict:
    """Preset, intensity and its parameters for ``segment_nifti``.

    Raises:
        FileNotFoundError: The nifti preset's dataset.json is missing.
        ValueError: It holds an unknown normalisation.
    """
    # elseg is imported by then (load_config): the tools import it after
    # flush_denormals
    from elseg.utils.volume import HU_WINDOW, PERCENTILES
    preset = args.preset
    ds = cfg.test_dataloader.dataset
    ds_type = ds.get('type', '')
    if preset == 'auto':
        preset = ('nifti' if ds_type == 'NiftiSliceDataset' or
                  args.dataset_json else
                  'synapse' if 'Synapse' in ds_type else 'acdc')
    out = dict(preset=preset, intensity=args.intensity,
               hu_window=tuple(args.hu_window or HU_WINDOW),
               percentiles=tuple(args.percentiles or PERCENTILES))
    if preset != 'nifti' or args.intensity:
        return out
    from elseg.datasets.nifti_slice_dataset import read_dataset_json
    if args.dataset_json:
        root = osp.dirname(args.dataset_json) or '.'
        if osp.basename(args.dataset_json) != 'dataset.json':
            raise ValueError(f'--dataset-json must name a dataset.json file, '
                             f'got {args.dataset_json!r}.')
    else:
        root = ds.get('data_root')
    norm = read_dataset_json(root)['normalisation']
    if norm.get('type') == 'percentile':
        out.update(intensity='percentile',
                   percentiles=tuple(norm['percentiles']))
    elif norm.get('type') == 'hu_window':
        out.update(intensity='hu', hu_window=tuple(norm['window']))
    else:
        raise ValueError(f'Unknown normalisation {norm!r} in '
                         f'{osp.join(root, "dataset.json")!r}: convert the '
                         'data again with tools/convert_nifti.py.')
    return out


def find_inputs(path: str) -> list:
    """The NIfTI files to segment, each checked to be one 3D volume.

    Raises:
        FileNotFoundError: ``path`` does not exist or holds no NIfTI.
        ValueError: A file is unreadable or not 3D (nothing is written).
    """
    import nibabel as nib
    if osp.isdir(path):
        inputs = sorted(
            glob.glob(osp.join(path, '*.nii.gz')) +
            glob.glob(osp.join(path, '*.nii')))
        if not inputs:
            raise FileNotFoundError(f'No .nii/.nii.gz files in {path!r}.')
    elif osp.isfile(path):
        inputs = [path]
    else:
        raise FileNotFoundError(f'Input not found: {path!r}.')
    for p in inputs:
        try:
            shape = nib.load(p).shape
        except Exception as err:
            raise ValueError(
                f'Cannot read {p!r} as NIfTI ({type(err).__name__}: {err}). '
                'Check that it is a complete .nii/.nii.gz file, or remove it '
                'from the input folder.') from err
        if len(shape) != 3:
            raise ValueError(
                f'{p!r} has shape {shape}: tools/infer.py segments single-'
                'channel 3D volumes. Split a 4D / multi-channel file into 3D '
                'files (one per channel or time point) first.')
    return inputs


def main(argv=None):
    args = parse_args(argv)
    from elseg.utils.cli import flush_denormals
    flush_denormals()
    from mmseg.apis import init_model
    from elseg.apis.inference import segment_nifti
    from elseg.utils.cli import load_config, run_cli
    cfg = load_config(args.config)  # imports elseg (custom_imports)
    from elseg.apis.checkpoint_check import check_config_checkpoint
    run_cli(lambda: check_config_checkpoint(cfg, args.checkpoint, args.config,
                                            args.allow_mismatch), cfg)
    opts = run_cli(lambda: resolve_preset(args, cfg), cfg)
    scale = args.scale or cfg.get('crop_size', (224, 224))
    inputs = run_cli(lambda: find_inputs(args.input), cfg)
    model = run_cli(
        lambda: init_model(cfg, args.checkpoint, device=args.device), cfg)
    post = run_cli(lambda: make_postprocess(
        args, cfg, (getattr(model, 'dataset_meta', None) or {}).get('classes')),
        cfg)
    os.makedirs(args.out, exist_ok=True)
    for path in inputs:
        name = osp.basename(path)
        stem = name[:-7] if name.endswith('.nii.gz') else name[:-4]
        out_path = osp.join(args.out, stem + '_pred.nii.gz')
        run_cli(lambda: segment_nifti(
            model, path, out_path, scale=scale, batch_size=args.batch_size,
            postprocess=post, **opts))
        print(f'{path} -> {out_path}')


if __name__ == '__main__':
    main()
