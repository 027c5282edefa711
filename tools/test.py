"""Evaluate a checkpoint: per-class 3D DSC and HD95 tables (medical protocol).

Examples::

    python tools/test.py configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py work_dirs/acdc_cpu/iter_4000.pth
    # another split list / data root of the same layout
    python tools/test.py CONFIG CKPT --data-root data/ACDC --split-list val.list
    # save predictions as NIfTI and overlay PNGs, keep the largest 3D component
    python tools/test.py CONFIG CKPT --save-nifti out/nii --show-dir out/png --largest-cc
    # ACDC: the same, except that the RV keeps its components against Myo/LV
    python tools/test.py CONFIG CKPT --anchored-cc
    # flip test-time augmentation (identity + horizontal + vertical flips)
    python tools/test.py CONFIG CKPT --tta
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate a segmentor volume-wise (3D DSC / HD95)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='where logs and metric files (JSON/CSV) go; default '
        'work_dirs/<config name>/test')
    parser.add_argument(
        '--data-root', help='data root of the test set (same layout as the config)')
    parser.add_argument(
        '--split-list',
        help='split list of volume ids to evaluate, relative to the data root '
        '(e.g. val.list, test.list, test_vol.txt)')
    parser.add_argument(
        '--show-dir', help='write overlay PNGs (image + predicted contours) here')
    parser.add_argument(
        '--save-nifti', help='write the predicted label volumes as NIfTI here')
    parser.add_argument(
        '--largest-cc',
        action='store_true',
        help='post-process: keep the largest 3D connected component per class')
    parser.add_argument(
        '--anchored-cc',
        action='store_true',
        help='post-process as --largest-cc, except that the classes named in '
        "the evaluator's component_anchors (ACDC: RV against Myo/LV) keep "
        'their components lying against their anchors')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation: the config's tta_pipeline, else the test "
        'pipeline with horizontal + vertical flips (softmax averaged by '
        "the config's tta_model, default SegTTAModel)")
    parser.add_argument(
        '--allow-mismatch',
        action='store_true',
        help='evaluate even when the checkpoint does not fit the config\'s '
        'model (missing, unexpected or mis-shaped parameters; by default '
        'that is refused)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_evaluator.anchor_margin=5')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    from elseg.utils.cli import flush_denormals, load_config, run_cli
    flush_denormals()  # trained MT-UNets are slow on the CPU without it
    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    from elseg.apis.checkpoint_check import check_config_checkpoint
    run_cli(lambda: check_config_checkpoint(cfg, args.checkpoint, args.config,
                                            args.allow_mismatch), cfg)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0],
                                'test')
    cfg.load_from = args.checkpoint

    dataset = cfg.test_dataloader.dataset
    if args.data_root is not None:
        dataset.data_root = args.data_root
    if args.split_list is not None:
        dataset.split_list = args.split_list
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator,
                                                  list) else [cfg.test_evaluator]
    for evaluator in evaluators:
        if evaluator.get('type') != 'MedicalVolumeMetric':
            continue
        evaluator.setdefault('output_dir', cfg.work_dir)
        if args.show_dir:
            evaluator.overlay_dir = args.show_dir
        if args.save_nifti:
            evaluator.save_nifti_dir = args.save_nifti
        if args.largest_cc and args.anchored_cc:
            raise SystemExit('--largest-cc and --anchored-cc are exclusive: '
                             'pass one.')
        if args.largest_cc:
            evaluator.keep_largest_component = True
            evaluator.component_anchors = None
        if args.anchored_cc:
            if not evaluator.get('component_anchors'):
                raise SystemExit(
                    f'--anchored-cc: the config {args.config} sets no '
                    'test_evaluator.component_anchors; add e.g. '
                    "component_anchors=dict(RV=['Myo', 'LV']) to it, or use "
                    '--largest-cc.')
            evaluator.keep_largest_component = True
    if args.tta:
        from elseg.apis import flip_tta_pipeline
        dataset.pipeline = cfg.get('tta_pipeline') or flip_tta_pipeline(
            dataset.pipeline)
        tta_model = dict(cfg.get('tta_model') or dict(type='SegTTAModel'))
        tta_model['module'] = cfg.model
        cfg.model = tta_model
    cfg.setdefault('custom_hooks', [])
    cfg.custom_hooks.append(dict(type='EvalProgressBarHook'))

    from elseg.utils.cli import setup_cpu_distributed, shutdown_distributed
    note = setup_cpu_distributed(cfg)
    runner = run_cli(lambda: Runner.from_cfg(cfg), cfg)
    if note:
        runner.logger.warning(note)
    run_cli(runner.test, cfg)
    shutdown_distributed()


if __name__ == '__main__':
    main()
