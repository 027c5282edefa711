"""MedicalSliceDataset / ACDCDataset / BTCVSynapseDataset on tiny files."""
import h5py
import numpy as np
import pytest

from elseg.datasets import (ACDCDataset, BTCVSynapseDataset,
                            MedicalSliceDataset)

KEYS = {'img_path', 'seg_map_path', 'slice_idx', 'volume_id', 'num_slices',
        'spacing', 'reduce_zero_label', 'seg_fields', 'sample_idx'}
PIPELINE = [dict(type='LoadMedicalSlice', num_classes=4)]


def acdc_layout(root, spacing=(10.0, 1.5, 1.5)):
    (root / 'data' / 'slices').mkdir(parents=True)
    for vid, n in (('patient001_frame01', 3), ('patient002_frame01', 2)):
        with h5py.File(root / 'data' / f'{vid}.h5', 'w') as f:
            f['image'] = np.random.rand(n, 6, 5).astype(np.float32)
            f['label'] = np.full((n, 6, 5), 1, np.uint8)
            if spacing:
                f.attrs['spacing'] = spacing
    ids = []
    for k in (1, 2, 3):
        sid = f'patient001_frame01_slice_{k}'
        with h5py.File(root / 'data' / 'slices' / f'{sid}.h5', 'w') as f:
            f['image'] = np.full((6, 5), k, np.float32)
            f['label'] = np.full((6, 5), 3, np.uint8)
        ids.append(sid)
    (root / 'train_slices.list').write_text('\n'.join(ids) + '\n')
    (root / 'val.list').write_text('patient001_frame01\npatient002_frame01\n')
    return root


def test_volumes_expand_to_slices(tmp_path):
    root = acdc_layout(tmp_path)
    ds = ACDCDataset(data_root=str(root), mode='volumes', pipeline=PIPELINE)
    assert len(ds) == 5
    info = ds.get_data_info(2)
    assert set(info) == KEYS
    assert info['slice_idx'] == 2 and info['num_slices'] == 3
    assert info['volume_id'] == 'patient001_frame01'
    assert info['seg_map_path'] == info['img_path']
    assert info['spacing'] == (10.0, 1.5, 1.5)
    assert info['reduce_zero_label'] is False and info['seg_fields'] == []
    assert ds.get_data_info(4)['slice_idx'] == 1
    out = ds[4]
    assert out['gt_seg_map'].shape == (6, 5)


def test_slices_mode_and_unlabelled(tmp_path):
    root = acdc_layout(tmp_path, spacing=None)
    ds = ACDCDataset(data_root=str(root), pipeline=PIPELINE, with_label=False)
    assert len(ds) == 3
    info = ds.get_data_info(1)
    assert info['slice_idx'] is None and info['seg_map_path'] is None
    assert info['volume_id'] == 'patient001_frame01'
    assert info['num_slices'] == 3 and info['spacing'] is None
    assert info['img_path'].endswith('data/slices/patient001_frame01_slice_2.h5')
    assert 'gt_seg_map' not in ds[1]
    # explicit ids and an absolute list path
    ds = ACDCDataset(data_root=str(root), ids=['patient001_frame01_slice_3'])
    assert len(ds) == 1 and ds.get_data_info(0)['num_slices'] == 1
    ds = ACDCDataset(data_root=str(root), mode='volumes',
                     split_list=str(root / 'val.list'))
    assert len(ds) == 5


def test_ids_helpers():
    assert ACDCDataset.volume_id_of('patient003_frame01_slice_7') == \
        'patient003_frame01'
    assert ACDCDataset.slice_number_of('patient003_frame01_slice_7') == 7
    assert BTCVSynapseDataset.volume_id_of('case0005_slice042') == 'case0005'
    assert BTCVSynapseDataset.slice_number_of('case0005_slice042') == 42
    assert ACDCDataset.volume_id_of('patient003_frame01') == \
        'patient003_frame01'
    assert len(ACDCDataset.METAINFO['classes']) == 4
    assert BTCVSynapseDataset.METAINFO['classes'][1:4] == (
        'aorta', 'gallbladder', 'kidney_left')


def test_synapse_layout(tmp_path):
    (tmp_path / 'train_npz').mkdir()
    (tmp_path / 'test_vol_h5').mkdir()
    np.savez(tmp_path / 'train_npz' / 'case0005_slice000.npz',
             image=np.zeros((4, 4), np.float32), label=np.full((4, 4), 8,
                                                               np.uint8),
             spacing=np.array([3.0, 0.8, 0.8]))
    with h5py.File(tmp_path / 'test_vol_h5' / 'case0001.npy.h5', 'w') as f:
        f['image'] = np.zeros((3, 4, 4), np.float32)
        f['label'] = np.zeros((3, 4, 4), np.uint8)
    (tmp_path / 'train.txt').write_text('case0005_slice000\n')
    (tmp_path / 'test_vol.txt').write_text('case0001\n')
    pipe = [dict(type='LoadMedicalSlice', num_classes=9)]
    ds = BTCVSynapseDataset(data_root=str(tmp_path), pipeline=pipe)
    assert ds.get_data_info(0)['spacing'] == (3.0, 0.8, 0.8)
    assert ds[0]['gt_seg_map'].max() == 8
    ds = BTCVSynapseDataset(data_root=str(tmp_path), mode='volumes',
                            pipeline=pipe)
    assert len(ds) == 3 and ds.get_data_info(0)['volume_id'] == 'case0001'


def test_bad_arguments(tmp_path):
    root = acdc_layout(tmp_path)
    with pytest.raises(ValueError, match="'stacks'"):
        ACDCDataset(data_root=str(root), mode='stacks')
    with pytest.raises(FileNotFoundError, match='nope.list'):
        ACDCDataset(data_root=str(root), split_list='nope.list')
    with pytest.raises(FileNotFoundError, match='patient009_frame01.h5'):
        ACDCDataset(data_root=str(root), mode='volumes',
                    ids=['patient009_frame01'])
    with pytest.raises(ValueError, match='needs split_list or ids'):
        MedicalSliceDataset(data_root=str(root))
    with pytest.raises(ValueError, match=r"\(S, H, W\)"):
        MedicalSliceDataset(data_root=str(root), mode='volumes',
                            volume_dir='data/slices',
                            ids=['patient001_frame01_slice_1'])
    (root / 'empty.list').write_text('\n')
    with pytest.raises(ValueError, match='No ids'):
        ACDCDataset(data_root=str(root), split_list='empty.list')


def test_phantom_through_test_pipeline(phantom_root):
    from mmengine import Config
    from pathlib import Path
    cfg = Config.fromfile(
        str(Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
            'datasets' / 'acdc_phantom.py'))
    ds_cfg = cfg.val_dataloader.dataset
    ds = ACDCDataset(data_root=str(phantom_root), mode='volumes',
                     split_list=ds_cfg.split_list, pipeline=ds_cfg.pipeline,
                     test_mode=True)
    out = ds[0]
    assert tuple(out['inputs'].shape) == (1, 224, 224)
    assert tuple(out['data_samples'].gt_sem_seg.data.shape) == (1, 64, 64)
    meta = out['data_samples'].metainfo
    assert meta['ori_shape'] == (64, 64) and meta['slice_idx'] == 0
    assert meta['volume_id'] == 'patient003_frame01'


def test_real_acdc(acdc_root):
    vols = ACDCDataset(data_root=str(acdc_root), mode='volumes',
                       pipeline=PIPELINE, test_mode=True)
    assert len({i['volume_id'] for i in vols.load_data_list()}) == 20
    slices = ACDCDataset(data_root=str(acdc_root), lazy_init=True)
    slices.full_init()
    assert len(slices) == 1312
    out = vols[0]
    assert out['img'].dtype == np.float32 and 0 <= out['img'].min()
    assert out['img'].max() <= 1 and out['gt_seg_map'].max() <= 3
