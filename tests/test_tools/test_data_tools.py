"""The data CLIs: make_phantom, select_exemplar, convert_*, infer."""
import importlib.util
import json
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
import torch

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_phantom_and_select_exemplar(tmp_path, capsys):
    root = tmp_path / 'ph'
    args = [str(root), '--train', '1', '--val', '1', '--test', '0',
            '--size', '48']
    load_tool('make_phantom').main(args)
    assert 'wrote' in capsys.readouterr().out
    load_tool('make_phantom').main(args)
    assert 'complete, skipped' in capsys.readouterr().out
    out = tmp_path / 'ex.json'
    load_tool('select_exemplar').main(
        [str(root), '--rule', 'largest_area', '--out', str(out)])
    sid = capsys.readouterr().out.strip()
    assert sid.startswith('patient001_frame0')
    assert json.loads(out.read_text())['slice_id'] == sid
    # two labelled slices of that volume: the exemplar and a neighbour
    load_tool('select_exemplar').main(
        [str(root), '--rule', 'largest_area', '--num', '2', '--spread',
         'volume', '--out', str(out)])
    ids = capsys.readouterr().out.split()
    volume, n = sid.rsplit('_', 1)
    assert ids[0] == sid and ids[1] in (f'{volume}_{int(n) + 1}',
                                        f'{volume}_{int(n) - 1}')
    written = json.loads(out.read_text())
    assert written['slice_ids'] == ids and written['spread'] == 'volume'


def test_convert_tools(tmp_path, capsys):
    # ACDC: one patient (number 1 -> train)
    folder = tmp_path / 'acdc' / 'patient001'
    folder.mkdir(parents=True)
    (folder / 'Info.cfg').write_text('ED: 1\nES: 2\n')
    for fr in (1, 2):
        for suffix, arr in (('', np.arange(24, dtype=np.int16)),
                            ('_gt', np.arange(24, dtype=np.uint8) % 4)):
            nib.save(nib.Nifti1Image(arr.reshape(2, 3, 4), np.eye(4)),
                     folder / f'patient001_frame{fr:02d}{suffix}.nii.gz')
    load_tool('convert_acdc').main([str(tmp_path / 'acdc'), '--out',
                                    str(tmp_path / 'a_out')])
    assert 'train_slices: 8' in capsys.readouterr().out
    # Synapse: one case, forced into the test split
    for sub, name, arr in (('img', 'img', np.zeros((4, 4, 2), np.int16)),
                           ('label', 'label', np.ones((4, 4, 2), np.uint8))):
        (tmp_path / 'raw' / sub).mkdir(parents=True)
        nib.save(nib.Nifti1Image(arr, np.eye(4)),
                 tmp_path / 'raw' / sub / f'{name}0007.nii.gz')
    load_tool('convert_synapse').main([str(tmp_path / 'raw'), '--out',
                                       str(tmp_path / 's_out'),
                                       '--test-cases', '7'])
    with h5py.File(tmp_path / 's_out' / 'test_vol_h5' / 'case0007.npy.h5') \
            as f:
        assert f['label'][()].max() == 7  # raw 1 spleen -> 7


def test_infer_writes_nifti_with_input_geometry(tmp_path, capsys,
                                                tiny_model, tiny_model_cfg):
    from elseg.apis.inference import inference_volume
    from elseg.utils.volume import nifti_to_slices, scale_volume
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(
        "default_scope = 'mmseg'\n"
        "custom_imports = dict(imports=['elseg'], allow_failed_imports=False)\n"
        'crop_size = (32, 32)\n'
        f'model = {tiny_model_cfg!r}\n'
        "test_dataloader = dict(dataset=dict(type='ACDCDataset'))\n")
    model = tiny_model
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(
                        classes=('background', 'RV', 'Myo', 'LV'),
                        palette=[[0, 0, 0]] * 4))), ckpt)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 300, (40, 36, 3)).astype(np.int16)
    affine = np.array([[0, -1.4, 0, 10], [1.4, 0, 0, -5], [0, 0, 8, 3],
                       [0, 0, 0, 1.]])
    folder = tmp_path / 'in'
    folder.mkdir()
    nib.save(nib.Nifti1Image(data, affine), folder / 'p1.nii.gz')
    load_tool('infer').main([str(cfg), str(ckpt), str(folder), '--out',
                             str(tmp_path / 'pred')])
    assert 'p1_pred.nii.gz' in capsys.readouterr().out
    pred = nib.load(str(tmp_path / 'pred' / 'p1_pred.nii.gz'))
    np.testing.assert_allclose(pred.affine, affine)
    assert pred.shape == data.shape and pred.get_data_dtype() == np.uint8
    vol = scale_volume(nifti_to_slices(data.astype(np.float32), affine,
                                       'transpose'), 'minmax')
    ref, _ = inference_volume(model, vol, (32, 32))
    np.testing.assert_array_equal(np.asarray(pred.dataobj),
                                  ref.transpose(2, 1, 0))
