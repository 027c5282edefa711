"""ELNet's two-stage training in one run (En & Guo, arXiv 2204.01713, Sec. 3.3).

Beyond the paper, stage 2 can re-pseudo-label the unlabelled slices with its
own, improved network (``relabel_iters``): the re-labelling round of ST++
(Yang et al., CVPR 2022), where a second round of self-training uses the
labels of the first round's model.
"""
from __future__ import annotations

import os
import os.path as osp
import shutil
from typing import Optional, Sequence

import torch
from mmengine.dist import (all_gather_object, barrier, broadcast,
                           get_dist_info, is_main_process)
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from ...apis.pseudo_label import (generate_pseudo_labels,
                                  refine_pseudo_labels_lcc)
from ...datasets.pseudo_labels import is_complete, write_complete_marker
from ...datasets.transforms import check_flip_pairs
from ...utils.io import atomic_write_bytes
from ...utils.schedule import check_iters, is_fraction, resolve_iters


class _SkipFinishedIterations:
    """Absorb the ``next()`` calls mmengine makes to replay finished iterations.

    On resume, ``IterBasedTrainLoop.run`` advances the data iterator once per
    finished iteration. With on-the-fly synthesis that would synthesise and
    discard thousands of batches; this wrapper answers those calls without
    loading anything, then hands over to the real iterator.
    """

    def __init__(self, iterator, skip: int) -> None:
        self._iterator = iterator
        self._skip = skip

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip > 0:
            self._skip -= 1
            return None
        return next(self._iterator)


@HOOKS.register_module()
class ExemplarTwoStageHook(Hook):
    """Stage 1 -> pseudo labels -> stage 2, resumable at every step.

    Iterations ``[0, stage1_iters)`` train N_s on the exemplar and synthetic
    streams. After the last stage-1 iteration the hook saves
    ``iter_{stage1_iters}.pth`` (atomically, and points ``last_checkpoint`` at
    it), pseudo-labels every unlabelled slice into ``work_dir/pseudo_labels``
    (see :mod:`elseg.apis.pseudo_label`), switches the dataset and the model to
    stage 2 and restarts the data workers. N_s stays available as
    ``stage1.pth``. The remaining iterations train N_e
    on exemplar + synthetic + pseudo-labelled data; the final checkpoint is N_e.

    Resume: the stage follows ``runner.iter``; a run resumed at or after
    ``stage1_iters`` completes any missing pseudo labels (finished files are
    kept) and goes straight to stage 2, so neither stage 1 nor finished pseudo
    labels are redone. Resumed runs do not replay the data of finished
    iterations (the sample stream differs from an uninterrupted run).

    Distributed: every rank pseudo-labels its share of the slices
    (``i % world_size == rank``) and rank 0 logs the per-rank counts; with
    ``reinit_stage2`` the re-drawn weights are broadcast from rank 0 so all
    replicas start stage 2 identical.

    No unlabelled slice (the training list holds only the exemplar): there is
    nothing to pseudo-label, so pseudo-labelling and stage 2 are skipped with
    a WARNING in the log and the remaining iterations continue stage 1
    (exemplar + synthetic).

    Before training it checks that the model fits the data: the decode head's
    ``num_classes`` must equal the number of classes of the dataset's
    metainfo, and the network must accept the single-channel images
    (a forward pass of one blank image at the training scale).

    Args:
        stage1_iters (int | float): Iterations of stage 1 (N_s): an int, or
            a float in (0, 1] for that share of ``max_iters``
            (:mod:`elseg.utils.schedule`; ``0.5`` = half the schedule).
        pseudo_label_dir (str): Folder under the work dir. Defaults to
            ``'pseudo_labels'``.
        batch_size (int): Slices per forward pass when pseudo-labelling.
        flip (bool): Horizontal-flip test-time augmentation for pseudo labels.
            Set False for a network trained without flips: it has never seen
            mirrored anatomy, and averaging with its mirrored prediction
            halves the probability of every organ with a side
            (docs/results/2026-11-30_chaos_cpu.md). Defaults to True.
        flip_pairs (Sequence[Sequence[int]]): Paired left/right classes
            exchanged in the mirrored prediction, for a network trained with
            flips that swap them (see
            :func:`~elseg.apis.pseudo_label.predict_probs`). Defaults to ().
        reinit_stage2 (bool): Re-initialise the network (and its optimizer
            state) for stage 2, as the paper trains a separate N_e; False
            fine-tunes N_s into N_e. Defaults to False.
        largest_component (bool): Beyond the paper: keep only the largest 3D
            connected component per class of each unlabelled volume's pseudo
            labels (:func:`~elseg.apis.pseudo_label.refine_pseudo_labels_lcc`).
            Defaults to False.
        relabel_iters (Sequence[int | float]): Beyond the paper: iterations
            of stage 2 (``> stage1_iters``, counted like ``stage1_iters``:
            after that many finished iterations; a float is a share of
            ``max_iters``) after which the current network
            pseudo-labels every unlabelled slice again, into
            ``{pseudo_label_dir}_iter{N}``, and stage 2 continues on those
            labels (same flip and largest-component options). The
            checkpoint ``iter_{N}.pth`` is saved first, so a run killed while
            re-labelling resumes there and completes the same labels.
            Entries at or after ``max_iters`` are skipped with a WARNING.
            Defaults to ().

    Raises:
        ValueError: If ``stage1_iters`` is not a positive int or a float in
            (0, 1], ``relabel_iters`` holds an entry that is not above
            ``stage1_iters`` (checked at ``before_train`` for shares), or
            ``flip_pairs`` is not disjoint pairs of two organ class ids; at
            ``before_train``, if the decode head's ``num_classes`` differs
            from the dataset's classes or the network does not take
            1-channel images.
    """

    priority = 'LOWEST'  # after CheckpointHook, which may save the same iter

    def __init__(self,
                 stage1_iters: int,
                 pseudo_label_dir: str = 'pseudo_labels',
                 batch_size: int = 16,
                 flip: bool = True,
                 flip_pairs: Sequence[Sequence[int]] = (),
                 reinit_stage2: bool = False,
                 largest_component: bool = False,
                 relabel_iters: Sequence[int] = ()) -> None:
        self._stage1_spec = check_iters(stage1_iters, 'stage1_iters',
                                        positive=True)
        self._relabel_spec = tuple(
            check_iters(it, 'relabel_iters entry') for it in relabel_iters)
        self.stage1_iters: Optional[int] = None
        self.relabel_iters: tuple = ()
        if not any(map(is_fraction, (self._stage1_spec, *self._relabel_spec))):
            self._resolve_iters(None)
        self.pseudo_label_dir = pseudo_label_dir
        self.batch_size = int(batch_size)
        self.flip = bool(flip)
        # the check of the augmentations' flip_pairs (ESM, SegRotFlip)
        self.flip_pairs = check_flip_pairs(flip_pairs)
        self.reinit_stage2 = bool(reinit_stage2)
        self.largest_component = bool(largest_component)
        self.stage = 1

    # ----------------------------------------------------------------- helpers
    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _resolve_iters(self, max_iters: Optional[int]) -> None:
        """Set ``stage1_iters`` / ``relabel_iters`` in iterations."""
        self.stage1_iters = resolve_iters(self._stage1_spec, max_iters,
                                          'stage1_iters')
        rounds = [resolve_iters(it, max_iters, 'relabel_iters entry')
                  for it in self._relabel_spec]
        for it in rounds:
            if it <= self.stage1_iters:
                raise ValueError(
                    f'relabel_iters entries must be above '
                    f'stage1_iters={self.stage1_iters} (re-labelling happens '
                    f'in stage 2), got {it!r} in {list(self._relabel_spec)!r}.')
        self.relabel_iters = tuple(sorted(set(rounds)))

    @staticmethod
    def _dataset(runner):
        dataset = runner.train_dataloader.dataset
        if not hasattr(dataset, 'set_stage'):
            raise TypeError(
                'ExemplarTwoStageHook needs an ExemplarLearningDataset as the '
                f'training dataset, got {type(dataset).__name__}.')
        return dataset

    def _out_dir(self, runner, round_iter: Optional[int] = None) -> str:
        """The pseudo-label folder of N_s, or of the round at ``round_iter``."""
        name = self.pseudo_label_dir
        if round_iter is not None:
            name = f'{name}_iter{round_iter}'
        return osp.join(runner.work_dir, name)

    def _round_at(self, finished: int) -> Optional[int]:
        """The last re-labelling round at or before ``finished`` iterations."""
        done = [it for it in self.relabel_iters if it <= finished]
        return done[-1] if done else None

    def _restart_data(self, runner, skip: int = 0) -> None:
        """Throw away prefetched stage-1 batches and restart the workers."""
        from mmengine.runner.loops import _InfiniteDataloaderIterator
        loop = runner.train_loop
        loader = loop.dataloader
        if getattr(loader, '_iterator', None) is not None:
            loader._iterator = None  # persistent workers hold the old dataset
        sampler = getattr(loader, 'sampler', None)
        if hasattr(sampler, '_indices_of_rank'):
            # mmengine's InfiniteSampler keeps one index generator for its whole
            # life; dropping the old data iterator closes it, so start a new one.
            sampler.indices = sampler._indices_of_rank()
        iterator = _InfiniteDataloaderIterator(loader)
        loop.dataloader_iterator = (
            _SkipFinishedIterations(iterator, skip) if skip else iterator)

    def _pseudo_label(self, runner, round_iter: Optional[int] = None) -> None:
        dataset = self._dataset(runner)
        out_dir = self._out_dir(runner, round_iter)
        infos = dataset.unlabeled_infos
        if is_complete(out_dir, len(infos)):
            runner.logger.info(f'Pseudo labels complete in {out_dir}: reused.')
            return
        rank, world = get_dist_info()
        model = self._model(runner)

        def load_image(info: dict):
            return dataset.loader(dict(info, seg_map_path=None))['img']

        stats = generate_pseudo_labels(
            model,
            infos,
            out_dir,
            load_image=load_image,
            scale=dataset.scale,
            slice_id=dataset._slice_id,
            batch_size=self.batch_size,
            flip=self.flip,
            flip_pairs=self.flip_pairs,
            rank=rank,
            world_size=world,
            logger=runner.logger)
        runner.logger.info(
            f'Pseudo-labelled {stats["done"]} slices on rank {rank} '
            f'({stats["skipped"]} already done) into {out_dir}.')
        per_rank = all_gather_object(stats)  # also a barrier
        if world > 1:
            runner.logger.info(
                'Pseudo labels per rank (new/already done): ' + ', '.join(
                    f'rank {r}: {st["done"]}/{st["skipped"]}'
                    for r, st in enumerate(per_rank)) +
                f'; {sum(st["done"] + st["skipped"] for st in per_rank)} of '
                f'{len(infos)} slices.')
        num_classes = len(dataset.metainfo.get('classes', ())) or 1
        if is_main_process():
            if self.largest_component:
                removed = refine_pseudo_labels_lcc(out_dir, infos,
                                                   dataset._slice_id,
                                                   num_classes)
                runner.logger.info(
                    f'Pseudo labels: {removed} voxels outside the largest 3D '
                    'component of their class set to background.')
            summary = write_complete_marker(out_dir, infos, dataset._slice_id,
                                            num_classes)
            runner.logger.info(f'Pseudo-label summary: {summary}')
        barrier()

    def _switch_to_stage2(self, runner, skip: int = 0,
                          round_iter: Optional[int] = None) -> None:
        dataset = self._dataset(runner)
        dataset.set_stage(2, self._out_dir(runner, round_iter))
        model = self._model(runner)
        if hasattr(model, 'set_stage'):
            model.set_stage(2)
        self._restart_data(runner, skip)
        self.stage = 2
        done = runner.iter if skip else runner.iter + 1  # finished iterations
        labels = ('N_s' if round_iter is None else
                  f'the network of iteration {round_iter}')
        runner.logger.info(
            f'Switched to stage 2 at iteration {done}: training on '
            'exemplar + synthetic + pseudo-labelled slices (labels of '
            f'{labels}).')

    def _save_at(self, runner, iters: int) -> str:
        """Save ``iter_{iters}.pth`` (once) and point last_checkpoint at it."""
        filename = f'iter_{iters}.pth'
        path = osp.join(runner.work_dir, filename)
        if not osp.exists(path):
            runner.save_checkpoint(runner.work_dir, filename)
        if is_main_process():
            atomic_write_bytes(
                path.encode(), osp.join(runner.work_dir, 'last_checkpoint'))
        return path

    def _save_stage1(self, runner) -> None:
        path = self._save_at(runner, self.stage1_iters)
        if is_main_process():
            # N_s is a result of its own (and the start of stage-2 variants):
            # keep it as stage1.pth, which CheckpointHook's max_keep_ckpts
            # never deletes. A hard link costs no disk space.
            keep = osp.join(runner.work_dir, 'stage1.pth')
            if not osp.exists(keep):
                try:
                    os.link(path, keep)
                except OSError:
                    shutil.copyfile(path, keep)
        barrier()

    def _no_unlabeled(self, runner) -> bool:
        """True (with a WARNING) when there is no slice to pseudo-label."""
        dataset = self._dataset(runner)
        if dataset.unlabeled_infos:
            return False
        ids = dataset.exemplar_ids
        held = (f'the exemplar {ids[0]!r}' if len(ids) == 1 else
                f'the labelled slices {ids}')
        runner.logger.warning(
            f'No unlabelled slice: the training set holds only {held}, so '
            'pseudo-labelling and stage 2 are '
            f'skipped and iterations {self.stage1_iters + 1}..{runner.max_iters} '
            'continue stage 1 (exemplar + synthetic). Add unlabelled slices '
            'to the training split list to train stage 2.')
        return True

    def _check_model_fits_data(self, runner) -> None:
        """Raise ValueError when num_classes or input channels do not fit."""
        dataset = self._dataset(runner)
        model = self._model(runner)
        classes = tuple(dataset.metainfo.get('classes', ()) or ())
        head = getattr(model, 'decode_head', None)
        num_classes = getattr(head, 'num_classes', None)
        if classes and num_classes is not None and num_classes != len(classes):
            raise ValueError(
                f'model.decode_head.num_classes={num_classes} but the training '
                f'data have {len(classes)} classes {list(classes)}. Set '
                f'model.decode_head.num_classes={len(classes)} (and that of '
                'any auxiliary head) in the config.')
        if not hasattr(model, 'extract_feat'):
            return
        img = torch.zeros(1, *dataset.scale)  # what PackSegInputs makes
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                inputs = model.data_preprocessor(dict(inputs=[img]),
                                                 False)['inputs']
                model.extract_feat(inputs)
        except RuntimeError as err:
            if 'channel' not in str(err):
                raise
            backbone = getattr(model, 'backbone', None)
            in_channels = getattr(backbone, 'in_channels', None)
            if in_channels is None and backbone is not None:
                convs = [m for m in backbone.modules()
                         if isinstance(m, torch.nn.Conv2d)]
                in_channels = convs[0].in_channels if convs else 'unknown'
            raise ValueError(
                'The model does not accept the training images, which have 1 '
                f'channel (single-channel {dataset.scale} slices): {err}. Set '
                f"the backbone's in_channels=1 (it is {in_channels}) and give "
                'data_preprocessor one mean and one std value.') from err
        finally:
            model.train(was_training)

    # ------------------------------------------------------------------ hooks
    def before_train(self, runner) -> None:
        """Check the model against the data; set the stage from the iteration."""
        self._resolve_iters(runner.max_iters)
        dataset = self._dataset(runner)
        model = self._model(runner)
        self._check_model_fits_data(runner)
        skip = runner.iter
        late = [it for it in self.relabel_iters if it >= runner.max_iters]
        if late:
            runner.logger.warning(
                f'relabel_iters {late} are not before max_iters='
                f'{runner.max_iters}: those re-labelling rounds are skipped.')
        if runner.iter >= self.stage1_iters and not self._no_unlabeled(runner):
            # resumed after a re-labelling round: that round's labels only
            round_iter = self._round_at(runner.iter)
            self._pseudo_label(runner, round_iter)
            if self.reinit_stage2 and runner.iter == self.stage1_iters:
                self._reinit(runner)
            self._switch_to_stage2(runner, skip, round_iter)
        else:
            dataset.set_stage(1)
            if hasattr(model, 'set_stage'):
                model.set_stage(1)
            self.stage = 1
            if skip:
                self._restart_data(runner, skip)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """At the end of stage 1: checkpoint, pseudo-label, switch.

        In stage 2, after each of ``relabel_iters``: checkpoint, pseudo-label
        with the current network, continue on the new labels.
        """
        finished = runner.iter + 1
        if (self.stage == 2 and finished in self.relabel_iters
                and finished < runner.max_iters):
            self._save_at(runner, finished)
            self._pseudo_label(runner, finished)
            self._switch_to_stage2(runner, round_iter=finished)
            return
        if self.stage != 1 or finished != self.stage1_iters:
            return
        if runner.iter + 1 >= runner.max_iters:
            runner.logger.warning(
                'stage1_iters equals max_iters: no stage 2 is trained.')
            return
        if self._no_unlabeled(runner):
            return
        self._save_stage1(runner)
        self._pseudo_label(runner)
        if self.reinit_stage2:
            self._reinit(runner)
        self._switch_to_stage2(runner)

    def _reinit(self, runner) -> None:
        model = self._model(runner)
        model.reinitialize()
        if get_dist_info()[1] > 1:  # every replica must start from rank 0's
            for tensor in list(model.parameters()) + list(model.buffers()):
                broadcast(tensor.data, 0)
        runner.optim_wrapper.optimizer.state.clear()
        runner.logger.info('Stage 2 starts from re-initialised weights.')
