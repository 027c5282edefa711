"""DIAGNOSTIC: do the suggested slices show every class? (labelled data only)

The label-free ranking (:mod:`elseg.datasets.slice_ranking`) is run first;
only then are the hidden labels of its suggestions read, never fed back; it
prints which suggestions the rule ``suggested_checked`` (an annotator skipping
suggested slices where a class is missing) takes. The
same check for the label-free baseline ``middle_third`` (a random slice of the
middle third of a random training volume), over 300 seeds.

Usage::

    python tools/benchmarks/suggestion_diagnostic.py DATA_ROOT NUM_CLASSES
    python tools/benchmarks/suggestion_diagnostic.py ../shared/data/ACDC 4
"""
import argparse


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='a labelled slice layout')
    parser.add_argument('num_classes', type=int,
                        help='classes including background')
    parser.add_argument('--draws', type=int, default=300,
                        help='seeds of the middle_third baseline')
    args = parser.parse_args(argv)
    from elseg.datasets import slice_suggestion as ss
    from elseg.datasets.suggestion_sheet import check_suggestions
    root, ncls = args.data_root, args.num_classes
    ranked = ss.suggest_slices(root)
    nvol = len({s.volume_id for s in ranked})
    miss = check_suggestions(root, [s.slice_id for s in ranked], ncls)
    print('top 3:', [(s.slice_id, miss[s.slice_id]) for s in ranked[:3]])
    best = sum(bool(miss[s.slice_id]) for s in ranked[:nvol])
    print(f"each volume's best ({nvol}): {best} lack a class")
    print(f'all {len(ranked)} candidates: '
          f'{sum(bool(v) for v in miss.values())} lack a class')
    from elseg.datasets.exemplar import select_exemplar
    rank = {s.slice_id: k + 1 for k, s in enumerate(ranked)}
    checked = [select_exemplar(root, rule='suggested_checked', seed=seed,
                               num_classes=ncls) for seed in range(3)]
    print("'suggested_checked' seeds 0-2 (an annotator skipping suggestions "
          'that lack a class): ' + ', '.join(
              f'{sid} (suggestion {rank[sid]})' for sid in checked))
    picks = [ss.middle_third_slice(root, seed) for seed in range(args.draws)]
    base = check_suggestions(root, sorted(set(picks)), ncls)
    print('middle_third seeds 0-2:', [(p, base[p]) for p in picks[:3]])
    print(f'middle_third seeds 0-{args.draws - 1}: '
          f'{sum(bool(base[p]) for p in picks)}/{args.draws} lack a class')


if __name__ == '__main__':
    main()
