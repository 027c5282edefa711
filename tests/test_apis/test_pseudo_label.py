"""Pseudo labels from the stage-1 network: 3D largest-component refinement, flip TTA."""
import os

import numpy as np
import pytest
import torch

from elseg.apis.pseudo_label import refine_pseudo_labels_lcc
from elseg.datasets.pseudo_labels import load_pseudo_label, save_pseudo_label


def _infos(n, vid='patient001_frame01'):
    return [dict(volume_id=vid, img_path=f'{vid}_slice_{k + 1}.h5')
            for k in range(n)]


def _sid(info):
    return os.path.splitext(info['img_path'])[0]


def test_largest_component_refinement(tmp_path):
    infos = _infos(3)
    vol = np.zeros((3, 8, 8), np.uint8)
    vol[:, 1:4, 1:4] = 1      # 27 voxels of class 1 through all slices
    vol[1, 6, 6] = 1          # a far 1-voxel false positive of class 1
    vol[2, 6:8, 0:2] = 2      # class 2: a single component, kept
    for k, info in enumerate(infos):
        save_pseudo_label(str(tmp_path), _sid(info), vol[k],
                          np.ones((8, 8), np.float32))
    removed = refine_pseudo_labels_lcc(str(tmp_path), infos, _sid, 3)
    assert removed == 1
    lab, conf = load_pseudo_label(str(tmp_path), _sid(infos[1]))
    assert lab[6, 6] == 0 and conf[6, 6] == 0.0
    assert (lab[1:4, 1:4] == 1).all() and conf[1:4, 1:4].min() == 1.0
    lab2, _ = load_pseudo_label(str(tmp_path), _sid(infos[2]))
    assert (lab2[6:8, 0:2] == 2).all()
    assert refine_pseudo_labels_lcc(str(tmp_path), infos, _sid, 3) == 0


class _LeftSideModel:
    """Predicts class 2 with logit 4 on the left half, whatever the image:
    a network that learned the organ's side and nothing else."""

    def data_preprocessor(self, data, training):
        return dict(inputs=torch.stack(data['inputs']))

    def encode_decode(self, inputs, metas):
        n, _, h, w = inputs.shape
        logits = torch.zeros(n, 4, h, w)
        logits[:, 2, :, :w // 2] = 4.0
        return logits


def test_flip_tta_with_and_without_flip_pairs_by_hand():
    from elseg.apis.pseudo_label import predict_probs
    img = [np.zeros((2, 4), np.float32)]
    model = _LeftSideModel()
    # no TTA: class 2 logit 4 on the left half, 0 elsewhere
    p = predict_probs(model, img, (2, 4))[0]
    e4 = np.exp(4.0)
    assert float(p[2, 0, 0]) == pytest.approx(e4 / (e4 + 3))
    # flip TTA: the mirrored prediction puts class 2 on the right half, the
    # average is logit 2 on both halves
    p = predict_probs(model, img, (2, 4), flip=True)[0]
    e2 = np.exp(2.0)
    assert float(p[2, 0, 0]) == pytest.approx(e2 / (e2 + 3))
    assert float(p[2, 0, 3]) == pytest.approx(e2 / (e2 + 3))
    # flip_pairs (2, 3): the mirrored class 2 counts as class 3, so the right
    # half is class 3 and the left half class 2, each at logit 2
    p = predict_probs(model, img, (2, 4), flip=True, flip_pairs=[(2, 3)])[0]
    assert p.argmax(0).tolist() == [[2, 2, 3, 3], [2, 2, 3, 3]]
    assert float(p[3, 0, 3]) == pytest.approx(e2 / (e2 + 3))
