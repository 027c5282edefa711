"""Segment a NIfTI volume, or every NIfTI in a folder, with a trained model.

Writes one uint8 label map per input (same affine and header). Examples:
    python tools/infer.py configs/elnet/acdc_cpu.py work_dirs/x/iter_4000.pth \
        patient101_frame01.nii.gz --out preds/
    python tools/infer.py CONFIG CKPT RawData/Testing/img --out preds \
        --preset synapse
"""
import argparse
import glob
import os
import os.path as osp

from mmengine.config import Config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('input', help='.nii/.nii.gz file or folder of them')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--preset', choices=['auto', 'acdc', 'synapse'], default='auto',
        help='orientation + intensity as that converter (auto: from the '
        "config's test dataset type)")
    parser.add_argument('--intensity', choices=['minmax', 'hu'],
                        help='override the preset: min-max to [0, 1] or a '
                        'HU window')
    parser.add_argument('--hu-window', type=float, nargs=2,
                        default=[-125.0, 275.0])
    parser.add_argument('--scale', type=int, nargs=2,
                        help="network input h w (default: config crop_size)")
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', default='cpu', help="e.g. 'cuda:0'")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from elseg.utils.cli import flush_denormals
    flush_denormals()
    from mmseg.apis import init_model
    from elseg.apis.inference import segment_nifti
    from elseg.utils.cli import run_cli
    cfg = Config.fromfile(args.config)  # imports elseg (custom_imports)
    preset = args.preset
    if preset == 'auto':
        ds_type = cfg.test_dataloader.dataset.get('type', '')
        preset = 'synapse' if 'Synapse' in ds_type else 'acdc'
    scale = args.scale or cfg.get('crop_size', (224, 224))
    if osp.isdir(args.input):
        inputs = sorted(
            glob.glob(osp.join(args.input, '*.nii.gz')) +
            glob.glob(osp.join(args.input, '*.nii')))
        if not inputs:
            raise SystemExit(f'No .nii/.nii.gz files in {args.input!r}.')
    elif osp.isfile(args.input):
        inputs = [args.input]
    else:
        raise SystemExit(f'Input not found: {args.input!r}.')
    model = init_model(cfg, args.checkpoint, device=args.device)
    os.makedirs(args.out, exist_ok=True)
    for path in inputs:
        name = osp.basename(path)
        stem = name[:-7] if name.endswith('.nii.gz') else name[:-4]
        out_path = osp.join(args.out, stem + '_pred.nii.gz')
        run_cli(lambda: segment_nifti(
            model, path, out_path, preset=preset, intensity=args.intensity,
            scale=scale, batch_size=args.batch_size,
            hu_window=tuple(args.hu_window)))
        print(f'{path} -> {out_path}')


if __name__ == '__main__':
    main()
