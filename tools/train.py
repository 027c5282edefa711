"""Train a segmentor from a config (MMSegmentation style).

Example::

    python tools/train.py configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py
    python tools/train.py configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py --resume
    python tools/train.py CONFIG --cfg-options train_cfg.max_iters=100
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from the latest checkpoint in the work dir, or from the '
        'checkpoint path given')
    parser.add_argument(
        '--allow-mismatch',
        action='store_true',
        help='with --resume or load_from: load a checkpoint that does not fit '
        "the config's model (missing, unexpected or mis-shaped parameters; "
        'refused by default)')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=100')
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
    from elseg.utils.cli import flush_denormals, load_config
    flush_denormals()  # trained MT-UNets are slow on the CPU without it
    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            print('Error: --amp needs a CUDA GPU (mmengine\'s AmpOptimWrapper '
                  f'refuses the CPU; torch {torch.__version__} sees none). '
                  'Drop --amp to train in float32 on the CPU.',
                  file=sys.stderr)
            sys.exit(2)
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    from elseg.apis.checkpoint_check import check_config_checkpoint
    from elseg.utils.checkpoint import (find_resume_checkpoint,
                                        remove_stale_temp_files)
    from elseg.utils.cli import (run_cli, setup_cpu_distributed,
                                 shutdown_distributed)
    notes = []
    if args.resume == 'auto':
        # last_checkpoint, or the newest complete iter_*.pth when it is broken
        resume_from, notes = find_resume_checkpoint(cfg.work_dir)
        cfg.resume, cfg.load_from = resume_from is not None, resume_from
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if cfg.get('load_from'):  # --resume PATH or load_from: fail before training
        run_cli(lambda: check_config_checkpoint(
            cfg, cfg.load_from, args.config, args.allow_mismatch), cfg)
    if cfg.resume and int(os.environ.get('RANK', '0')) == 0:
        notes += [f'Removed {p} (left by a killed write).'
                  for p in remove_stale_temp_files(cfg.work_dir)]
    notes.append(setup_cpu_distributed(cfg))

    runner = run_cli(lambda: Runner.from_cfg(cfg), cfg)
    for note in filter(None, notes):
        runner.logger.warning(note)
    run_cli(runner.train, cfg)
    shutdown_distributed()


if __name__ == '__main__':
    main()
