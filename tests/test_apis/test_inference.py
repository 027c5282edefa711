"""inference_volume gives what tools/test.py's path (pipeline + test_step) gives."""
import h5py
import numpy as np
import pytest
import torch


def test_matches_dataset_pipeline_and_test_step(phantom_root, tiny_model):
    from elseg.apis import inference_volume
    from elseg.datasets import ACDCDataset
    model = tiny_model
    scale = (32, 48)  # (h, w), deliberately not square
    meta_keys = ('img_path', 'ori_shape', 'img_shape', 'volume_id',
                 'slice_idx', 'num_slices')
    pipeline = [
        dict(type='LoadMedicalSlice', load_label=False),
        dict(type='Resize', scale=(scale[1], scale[0]), keep_ratio=False),
        dict(type='PackSegInputs', meta_keys=meta_keys)
    ]
    ds = ACDCDataset(data_root=str(phantom_root), mode='volumes',
                     pipeline=pipeline, test_mode=True,
                     ids=['patient003_frame01'])
    ref = []
    with torch.no_grad():
        for i in range(len(ds)):
            item = ds[i]
            out = model.test_step(dict(inputs=[item['inputs']],
                                       data_samples=[item['data_samples']]))
            ref.append(out[0].pred_sem_seg.data[0].numpy())
    ref = np.stack(ref)
    with h5py.File(phantom_root / 'data' / 'patient003_frame01.h5') as f:
        volume = f['image'][()]
    labels, probs = inference_volume(model, volume, scale, batch_size=3,
                                     return_probs=True)
    assert labels.shape == volume.shape and labels.dtype == np.uint8
    assert len(np.unique(labels)) > 1
    assert (labels == ref).mean() > 0.999
    assert probs.shape == (volume.shape[0], 4) + volume.shape[1:]
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(probs.argmax(1), labels)


def test_bad_arguments(tiny_model):
    from elseg.apis import inference_volume
    model = tiny_model
    with pytest.raises(ValueError, match=r'\(S, H, W\)'):
        inference_volume(model, np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match='batch_size'):
        inference_volume(model, np.zeros((1, 4, 4), np.float32), (32, 32), 0)
