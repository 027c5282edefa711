"""Recipe fixes of the training data: exact-nearest label resizing, unsure
pseudo-label pixels inpainted in backgrounds, the exemplar-stream pipeline,
and cross-entropy averaged over labelled pixels only."""
import numpy as np
import pytest
import torch

from elseg.datasets.exemplar_learning_dataset import _resize
from tests.conftest import REPO_ROOT, build_exemplar_dataset


def test_label_resize_uses_pixel_centres():
    # 5 -> 3 columns: output centres sit at source x = 0.33, 2.0, 3.67, so the
    # exact nearest picks columns 0, 2, 4 (INTER_NEAREST picked 0, 1, 3)
    row = np.array([[10, 11, 12, 13, 14]], np.uint8).repeat(5, axis=0)
    out = _resize(row, (5, 3), nearest=True)
    np.testing.assert_array_equal(out[0], [10, 12, 14])


def test_unsure_pseudo_label_pixels_are_inpainted(phantom_root, tmp_path):
    from elseg.datasets.pseudo_labels import save_pseudo_label
    ds = build_exemplar_dataset(
        phantom_root, min_confidence=0.5,
        backgrounds=dict(stage1=dict(black=1),
                         stage2=dict(unlabeled_inpainted=1)))
    for info in ds.unlabeled_infos:
        img = ds.loader(dict(info))['img']
        label = np.zeros(img.shape, np.uint8)
        conf = np.ones(img.shape, np.float32)
        # a bright unsure organ: label 3 but confidence 0.1 -> ignore (255)
        h, w = img.shape
        label[h // 4:h // 2, w // 4:w // 2] = 3
        conf[h // 4:h // 2, w // 4:w // 2] = 0.1
        save_pseudo_label(str(tmp_path), ds._slice_id(info), label, conf)
    ds.set_stage(2, str(tmp_path))
    ds.unlabeled_infos = ds.unlabeled_infos[:1]  # the background's source
    data = ds._load_unlabeled(ds.unlabeled_infos[0], with_pseudo=True)
    unsure = data['label'] == 255
    assert unsure.sum() > 20  # the unsure block, resized
    bg = ds._background()
    span = float(data['img'].max() - data['img'].min())
    # before the fix the unsure block was no organ: the slice came back as is
    assert np.abs(bg[unsure] - data['img'][unsure]).max() > 2 * span / 255
    # far from the block (beyond the 3-px dilation) the slice is kept
    far = np.ones_like(unsure)
    ys, xs = np.nonzero(unsure)
    far[max(ys.min() - 6, 0):ys.max() + 7, max(xs.min() - 6, 0):xs.max() + 7] = 0
    assert np.abs(bg[far] - data['img'][far]).max() <= span / 255 + 1e-6
    # no pseudo label at all: black instead of organs labelled background
    ds.set_stage(2, str(tmp_path / 'empty'))
    assert not ds._background().any()


def test_exemplar_pipeline_only_on_exemplar_stream(phantom_root):
    calls = []

    def mark(results):
        calls.append(results['stream'])
        return results

    ds = build_exemplar_dataset(phantom_root, exemplar_pipeline=[mark],
                                stream_ratios=dict(
                                    stage1=dict(exemplar=1, synthetic=1),
                                    stage2=dict(exemplar=1)))
    for i in range(6):
        ds[i]
    assert calls == ['exemplar'] * 3


def test_cross_entropy_averages_over_labelled_pixels():
    from mmengine.config import Config
    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/_base_/models/unet_fcn.py'))
    ce_cfg = [c for c in cfg.model.decode_head.loss_decode
              if c['type'] == 'CrossEntropyLoss'][0]
    ce = MODELS.build(ce_cfg)
    logits = torch.tensor([[[[0.0, 0.0]], [[np.log(3.0), 0.0]]]])  # (1,2,1,2)
    target = torch.tensor([[[1, 255]]])
    # pixel 0: -log(3/4), pixel 1 ignored; mean over the 1 labelled pixel
    expected = 0.5 * -np.log(0.75)
    assert ce(logits, target, ignore_index=255).item() == pytest.approx(
        expected, rel=1e-5)
