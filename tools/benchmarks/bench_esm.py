"""Time ExemplarSynthesis (ESM) per sample on one CPU thread.

Usage::

    python tools/benchmarks/bench_esm.py [--size 224] [--iters 500]
        [--mode joint|category] [--classes 4]

Builds a synthetic exemplar (``classes - 1`` disc-shaped organs on a noisy
image) and a noisy background, runs the transform ``iters`` times with all
four switches on and prints milliseconds per sample.
"""
import argparse
import time

import cv2
import numpy as np

from elseg.datasets.transforms import ExemplarSynthesis


def make_inputs(size: int, classes: int, seed: int = 0) -> dict:
    """Exemplar image/label with ``classes - 1`` discs and a background."""
    rng = np.random.default_rng(seed)
    img = rng.uniform(0.0, 0.4, (size, size)).astype(np.float32)
    label = np.zeros((size, size), np.uint8)
    yy, xx = np.mgrid[:size, :size]
    for k in range(1, classes):
        cy, cx = rng.uniform(0.3, 0.7, 2) * size
        r = size * rng.uniform(0.05, 0.12)
        disc = (yy - cy)**2 + (xx - cx)**2 < r * r
        label[disc] = k
        img[disc] = 0.3 + 0.6 * k / classes
    background = rng.uniform(0.0, 1.0, (size, size)).astype(np.float32)
    return dict(exemplar_img=img, exemplar_label=label, img=background)


def time_esm(esm, inputs: dict, iters: int, warmup: int = 20) -> float:
    """Mean seconds per sample of ``esm(dict(inputs))`` after a warm-up.

    Args:
        esm (Callable): The transform (e.g. ``ExemplarSynthesis``).
        inputs (dict): ``exemplar_img``, ``exemplar_label`` and ``img``.
        iters (int): Timed calls.
        warmup (int): Untimed calls first. Defaults to 20.

    Returns:
        float: Seconds per sample.

    Raises:
        ValueError: ``iters`` < 1 or ``warmup`` < 0.
    """
    if iters < 1 or warmup < 0:
        raise ValueError(f'Need iters >= 1 and warmup >= 0, got {iters}, '
                         f'{warmup}.')
    for _ in range(warmup):
        esm(dict(inputs))
    start = time.perf_counter()
    for _ in range(iters):
        esm(dict(inputs))
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--iters', type=int, default=500)
    parser.add_argument('--mode', default='joint',
                        choices=['joint', 'category'])
    parser.add_argument('--classes', type=int, default=4,
                        help='number of classes including background')
    args = parser.parse_args()

    cv2.setNumThreads(1)
    np.random.seed(0)
    esm = ExemplarSynthesis(mode=args.mode)
    inputs = make_inputs(args.size, args.classes)
    per_sample = time_esm(esm, inputs, args.iters)
    print(f'ExemplarSynthesis mode={args.mode} size={args.size} '
          f'classes={args.classes}: '
          f'{1000 * per_sample:.3f} ms/sample (1 thread)')


if __name__ == '__main__':
    main()
