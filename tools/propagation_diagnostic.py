"""DIAGNOSTIC: how well exemplar propagation labels the slices it reaches.

Builds a config's training set with its ``propagation`` option (or
``--neighbours`` / ``--other-frames`` when the config has none), times the
propagation of each exemplar, then reads the TRUE labels of the propagated
slices to score them (mean Dice over the classes present, next to copying
the exemplar's label unchanged). The true labels are read here only: this
tool is never part of training.

Example:
    python tools/propagation_diagnostic.py \
        configs/ablations/propagation/acdc_cpu_propagation_both.py \
        --exemplar patient091_frame01_slice_4 patient046_frame01_slice_6 \
        --out work_dirs/propagation_diagnostic.json
"""
import argparse
import copy
import json
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a config with ExemplarLearningDataset')
    parser.add_argument('--exemplar', nargs='+',
                        help="exemplar slice ids (default: the config's)")
    parser.add_argument('--data-root', help="override the training set's "
                        'data_root')
    parser.add_argument('--neighbours', type=int, default=2,
                        help='when the config has no propagation: k')
    parser.add_argument('--other-frames', type=int, default=1, choices=(0, 1),
                        help='when the config has no propagation: reach the '
                        "subject's other frames (1) or not (0)")
    parser.add_argument('--out', help='write the scores as JSON here')
    return parser.parse_args(argv)


def diagnose(cfg, exemplar=None) -> dict:
    """Propagate from one exemplar and score it (DIAGNOSTIC).

    Args:
        cfg (dict): The ``ExemplarLearningDataset`` config, with
            ``propagation``.
        exemplar (str, optional): Overrides the config's exemplar.

    Returns:
        dict: ``exemplar``, ``seconds`` (dataset build with the
        propagation), ``slices`` (per slice id: steps, confidence, mean
        Dice, copy mean Dice, per-class Dice).
    """
    from mmseg.registry import DATASETS

    from elseg.datasets.exemplar_learning_dataset import _resize
    from elseg.datasets.exemplar_propagation import diagnostic_propagation_dice
    cfg = copy.deepcopy(cfg)
    if exemplar is not None:
        cfg['exemplar'] = exemplar
    start = time.perf_counter()
    ds = DATASETS.build(cfg)
    seconds = time.perf_counter() - start
    num_classes = len(ds.metainfo['classes'])

    def true_label(info):  # DIAGNOSTIC: the one place true labels are read
        loaded = ds.loader(dict(info, seg_map_path=info['img_path']))
        return _resize(loaded['gt_seg_map'], ds.scale, True)

    scores = diagnostic_propagation_dice(ds.propagated, ds.unlabeled_infos,
                                         ds.exemplar_label, num_classes,
                                         true_label)
    return dict(exemplar=ds.exemplar_id, seconds=round(seconds, 2),
                slices={k: scores[k] for k in sorted(scores)})


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import init_default_scope

    import elseg  # noqa: F401  (registers the components)
    from elseg.utils.cli import load_config, run_cli
    cfg = load_config(args.config)
    init_default_scope('mmseg')
    train = cfg.train_dataloader.dataset.to_dict()
    if args.data_root:
        train['dataset']['data_root'] = args.data_root
    if not train.get('propagation'):
        train['propagation'] = dict(neighbours=args.neighbours,
                                    other_frames=bool(args.other_frames))
    results = []
    for ex in args.exemplar or [None]:
        res = run_cli(lambda: diagnose(train, ex), cfg)
        results.append(res)
        print(f"{res['exemplar']}: {len(res['slices'])} slices propagated in "
              f"{res['seconds']:.1f} s")
        for sid, s in res['slices'].items():
            print(f"  {sid}  steps {s['steps']}  confidence "
                  f"{s['confidence']:.3f}  Dice {s['mean_dice']:.3f}  "
                  f"(copy {s['copy_mean_dice']:.3f})")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == '__main__':
    main()
