"""tools/convert_nifti.py and tools/infer.py on the user's own NIfTI volumes.

Bad input: one ``Error:`` paragraph naming the file and the fix, exit code 2,
nothing written. Inference: label maps aligned with the input (same affine,
header, axis order), re-read with nibabel.
"""
import json

import nibabel as nib
import numpy as np
import pytest
import torch

from tests.test_tools.test_data_tools import load_tool

X, Y, Z = 12, 10, 5
AFFINE = np.array([[0.8, 0, 0, -10], [0, 0.9, 0, 4], [0, 0, 3.0, 7],
                   [0, 0, 0, 1.]])


def volumes():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 1300, (X, Y, Z)).astype(np.int16)
    lab = np.zeros((X, Y, Z), np.uint8)
    lab[2:5, 2:5, 2], lab[7:10, 6:9, 2] = 1, 2
    return img, lab


def save(path, arr, affine=AFFINE):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(arr, affine), str(path))


def user_folder(root):
    """3 unlabelled training scans, 1 labelled val scan, one annotation."""
    img, lab = volumes()
    for cid in '123':
        save(root / f'image_{cid}.nii.gz', img)
    save(root / 'image_9.nii.gz', img)
    save(root / 'label_9.nii.gz', lab)
    ann = np.zeros_like(lab)
    ann[..., 2] = lab[..., 2]
    save(root / 'annotation.nii.gz', ann)
    return root


def convert(tmp_path, *extra):
    return load_tool('convert_nifti').main([
        str(tmp_path / 'src'), '--out', str(tmp_path / 'out'), '--modality',
        'MRI', '--classes', 'liver=1', 'spleen=2', '--val-ids', '9', *extra])


def test_convert_user_folder_with_one_annotated_slice(tmp_path, capsys):
    user_folder(tmp_path / 'src')
    convert(tmp_path, '--exemplar-label',
            str(tmp_path / 'src' / 'annotation.nii.gz'), '--exemplar-case', '2')
    out = capsys.readouterr().out
    assert "cases {'train': 3, 'val': 1}" in out
    # drawn on z = 2 (0-based) of a file whose z runs inferior to superior:
    # the id counts from 1 at the most inferior slice, as ITK-SNAP does
    assert 'exemplar: 2_slice_3 (in ' in out
    assert 'ITK-SNAP slice 3, 3D Slicer K 2)' in out
    ex = json.loads((tmp_path / 'out' / 'exemplar.json').read_text())
    assert ex['source_slice'] == dict(axis='k', itk_snap=3, slicer=2)
    meta = json.loads((tmp_path / 'out' / 'dataset.json').read_text())
    assert meta['classes'] == ['background', 'liver', 'spleen']
    assert (tmp_path / 'out' / 'val.list').read_text() == '9\n'


def _4d(src):
    img, _ = volumes()
    save(src / 'image_1.nii.gz', np.stack([img] * 3, -1))
    return src / 'image_1.nii.gz', [], 'single-channel 3D'


def _grid(src):
    _, lab = volumes()
    save(src / 'label_9.nii.gz', lab[:, :, :4].copy())
    return src / 'label_9.nii.gz', [], 'different voxel grids'


def _ids(src):
    _, lab = volumes()
    lab[0, 0, 0] = 6
    save(src / 'label_9.nii.gz', lab)
    return src / 'label_9.nii.gz', [], 'holds label id(s) [6]'


def _unreadable(src):
    (src / 'image_3.nii.gz').write_bytes(b'garbage' * 50)
    return src / 'image_3.nii.gz', [], 'complete .nii/.nii.gz'


def _no_slice(src):
    save(src / 'annotation.nii.gz', np.zeros((X, Y, Z), np.uint8))
    return src / 'annotation.nii.gz', None, 'no annotated slice'


def _several(src):
    _, lab = volumes()
    lab[3, 3, 4] = 1
    save(src / 'annotation.nii.gz', lab)
    # the slices as the viewers number them in the file (z = 2 and 4)
    return (src / 'annotation.nii.gz', None,
            'ITK-SNAP slice(s) [3, 5] (3D Slicer K [2, 4]); exemplar learning '
            'uses exactly one. Erase all but one slice')


def _class_missing(src):
    _, lab = volumes()
    lab[lab == 2] = 0
    save(src / 'annotation.nii.gz', lab)
    return (src / 'annotation.nii.gz', None,
            "(ITK-SNAP slice(s) [3] (3D Slicer K [2])) lacks class(es) "
            "['spleen']")


BAD = [_4d, _grid, _ids, _unreadable, _no_slice, _several, _class_missing]


@pytest.mark.parametrize('make', BAD, ids=[f.__name__[1:] for f in BAD])
def test_convert_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, make):
    src = user_folder(tmp_path / 'src')
    path, extra, fix = make(src)
    extra = extra if extra is not None else []
    with pytest.raises(SystemExit) as exc:
        convert(tmp_path, '--exemplar-label', str(src / 'annotation.nii.gz'),
                '--exemplar-case', '2', *extra)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('Error: ') and 'Traceback' not in err
    assert repr(str(path)) in err and fix in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ['src']


def test_convert_bad_classes_option(tmp_path, capsys):
    user_folder(tmp_path / 'src')
    with pytest.raises(SystemExit) as exc:
        load_tool('convert_nifti').main([
            str(tmp_path / 'src'), '--out', str(tmp_path / 'out'),
            '--modality', 'MRI', '--classes', 'liver'])
    assert exc.value.code == 2
    assert "--classes item 'liver' is not NAME=ID" in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def write_tiny_nifti_config(path, data_root, model_cfg):
    """A config of ``model_cfg`` testing on a converted folder (32x32)."""
    path.write_text(
        "default_scope = 'mmseg'\n"
        "custom_imports = dict(imports=['elseg'], allow_failed_imports=False)\n"
        'crop_size = (32, 32)\n'
        f'model = {model_cfg!r}\n'
        "test_dataloader = dict(dataset=dict(type='NiftiSliceDataset', "
        f"data_root={str(data_root)!r}))\n")
    return path


@pytest.fixture
def trained(tmp_path, tiny_model, tiny_model_cfg):
    """A converted folder, a config over it and a tiny model's checkpoint."""
    user_folder(tmp_path / 'src')
    convert(tmp_path, '--exemplar-label',
            str(tmp_path / 'src' / 'annotation.nii.gz'), '--exemplar-case', '2')
    cfg = write_tiny_nifti_config(tmp_path / 'tiny.py', tmp_path / 'out',
                                  tiny_model_cfg)
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=tiny_model.state_dict(),
                    meta=dict(dataset_meta=dict(
                        classes=('background', 'a', 'b', 'c'),
                        palette=[[0, 0, 0]] * 4))), ckpt)
    return cfg, ckpt


def test_infer_output_aligned_with_any_axis_order(tmp_path, trained, capsys,
                                                  tiny_model):
    """The same scan stored (x, y, z) and (z, x, y): each prediction has its
    input's affine, header and shape, and both are the same labels."""
    from elseg.apis.inference import inference_volume
    from elseg.utils.volume import normalise, read_axial, slices_to_nifti
    cfg, ckpt = trained
    img, _ = volumes()
    save(tmp_path / 'new' / 'a.nii.gz', img)
    save(tmp_path / 'new' / 'b.nii.gz', img.transpose(2, 0, 1).copy(),
         AFFINE[:, [2, 0, 1, 3]])
    load_tool('infer').main([str(cfg), str(ckpt), str(tmp_path / 'new'),
                             '--out', str(tmp_path / 'pred')])
    preds = {}
    for name in 'ab':
        src = nib.load(str(tmp_path / 'new' / f'{name}.nii.gz'))
        out = nib.load(str(tmp_path / 'pred' / f'{name}_pred.nii.gz'))
        np.testing.assert_allclose(out.affine, src.affine)
        assert out.shape == src.shape and out.get_data_dtype() == np.uint8
        assert out.header.get_zooms() == pytest.approx(src.header.get_zooms())
        preds[name] = np.asarray(out.dataobj)
    np.testing.assert_array_equal(preds['b'], preds['a'].transpose(2, 0, 1))
    # the converter's normalisation (percentiles from dataset.json), by hand
    slices, _, _ = read_axial(str(tmp_path / 'new' / 'a.nii.gz'))
    ref, _ = inference_volume(tiny_model, normalise(slices, 'MRI'), (32, 32))
    np.testing.assert_array_equal(
        preds['a'], slices_to_nifti(ref, AFFINE, 'ras_radiological'))
    assert len(np.unique(preds['a'])) > 1  # not a constant map


def test_infer_bad_input_exits_2_and_writes_nothing(tmp_path, trained, capsys):
    cfg, ckpt = trained
    img, _ = volumes()
    save(tmp_path / 'new' / 'a.nii.gz', img)
    save(tmp_path / 'new' / 'b.nii.gz', np.stack([img, img], -1))
    with pytest.raises(SystemExit) as exc:
        load_tool('infer').main([str(cfg), str(ckpt), str(tmp_path / 'new'),
                                 '--out', str(tmp_path / 'pred')])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert repr(str(tmp_path / 'new' / 'b.nii.gz')) in err
    assert 'single-channel 3D' in err
    assert not (tmp_path / 'pred').exists()


def test_own_data_config_trains_from_the_annotated_slice(tmp_path, capsys):
    """configs/elnet/own_data_cpu.py over a converted folder: the exemplar is
    the annotated slice and every other training slice is unlabelled."""
    from mmengine.config import Config
    from mmseg.registry import DATASETS

    from tests.conftest import REPO_ROOT
    user_folder(tmp_path / 'src')
    convert(tmp_path, '--exemplar-label',
            str(tmp_path / 'src' / 'annotation.nii.gz'), '--exemplar-case', '2')
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/elnet/own_data_cpu.py'))
    root = str(tmp_path / 'out')
    cfg.train_dataloader.dataset.dataset.data_root = root
    cfg.train_dataloader.dataset.exemplar = dict(file=root + '/exemplar.json')
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert ds.exemplar_id == '2_slice_3'
    assert set(np.unique(ds.exemplar_label)) == {0, 1, 2}
    assert len(ds.unlabeled_infos) == 3 * Z - 1
    assert ds[0]['inputs'].shape == (1, 128, 128)
    # the best CHAOS recipe (consistency after stage 1) with the user's classes
    from mmseg.registry import MODELS
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'ConsistencyEncoderDecoder'
    assert model.cons['stages'] == (2, )
    assert model.decode_head.num_classes == 3


def test_multi_slice_annotation_trains_from_every_annotated_slice(tmp_path,
                                                                 capsys):
    """z = 1 liver only, z = 2 both classes, z = 4 spleen only: with
    --multi-slice z = 2 is the exemplar, then z = 1 and z = 4; without it
    the error names the flag."""
    from mmengine.config import Config
    from mmseg.registry import DATASETS

    from tests.conftest import REPO_ROOT
    src = user_folder(tmp_path / 'src')
    _, lab = volumes()
    ann = np.zeros_like(lab)
    ann[..., 2] = lab[..., 2]
    ann[2, 2, 1], ann[7, 7, 4] = 1, 2
    save(src / 'annotation.nii.gz', ann)
    args = ['--exemplar-label', str(src / 'annotation.nii.gz'),
            '--exemplar-case', '2']
    with pytest.raises(SystemExit):
        convert(tmp_path, *args)
    assert 'or pass --multi-slice' in capsys.readouterr().err
    convert(tmp_path, *args, '--multi-slice')
    out = capsys.readouterr().out
    assert 'exemplar: 2_slice_3 (in ' in out
    assert 'labelled slice: 2_slice_2 (in ' in out
    assert 'ITK-SNAP slice 5, 3D Slicer K 4)' in out
    ex = json.loads((tmp_path / 'out' / 'exemplar.json').read_text())
    assert ex['slice_ids'] == ['2_slice_3', '2_slice_2', '2_slice_5']
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/elnet/own_data_cpu.py'))
    root = str(tmp_path / 'out')
    cfg.train_dataloader.dataset.dataset.data_root = root
    cfg.train_dataloader.dataset.exemplar = dict(file=root + '/exemplar.json')
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert ds.exemplar_ids == ex['slice_ids']
    assert [set(np.unique(lab)) for lab in ds.exemplar_labels] == [
        {0, 1, 2}, {0, 1}, {0, 2}]
    assert len(ds.unlabeled_infos) == 3 * Z - 3


def test_select_exemplar_uses_the_converted_class_count(tmp_path, capsys):
    """Only z=1 shows all 4 organs; --num-classes defaults to dataset.json's 5
    (with ACDC's 4, largest_area would take z=0, which has no spleen)."""
    from tests.test_datasets.test_nifti_slice_dataset import make_root
    root = make_root(tmp_path)
    tool = load_tool('select_exemplar')
    tool.main([str(root), '--rule', 'largest_area'])
    # cases 1 and 2 are the same scan: the tie goes to the larger id
    assert capsys.readouterr().out.strip() == '2_slice_2'
    tool.main([str(root), '--rule', 'largest_area', '--num-classes', '4'])
    assert capsys.readouterr().out.strip() == '2_slice_1'


def test_infer_largest_and_anchored_components(tmp_path, trained, capsys,
                                               tiny_model):
    """--largest-cc / --anchored-cc write the plain prediction post-processed
    as the evaluation does; --anchored-cc needs the config's anchors."""
    from elseg.apis.inference import inference_volume
    from elseg.utils.volume import normalise, read_axial, slices_to_nifti
    from elseg.utils.components import (keep_anchored_components,
                                        keep_largest_component)
    cfg, ckpt = trained
    img, _ = volumes()
    save(tmp_path / 'new' / 'a.nii.gz', img)
    slices, _, _ = read_axial(str(tmp_path / 'new' / 'a.nii.gz'))
    ref, _ = inference_volume(tiny_model, normalise(slices, 'MRI'), (32, 32))
    infer = load_tool('infer').main
    infer([str(cfg), str(ckpt), str(tmp_path / 'new'), '--out',
           str(tmp_path / 'lcc'), '--largest-cc'])
    out = np.asarray(nib.load(str(tmp_path / 'lcc' / 'a_pred.nii.gz')).dataobj)
    np.testing.assert_array_equal(out, slices_to_nifti(
        keep_largest_component(ref, 4), AFFINE, 'ras_radiological'))
    with pytest.raises(SystemExit) as exc:
        infer([str(cfg), str(ckpt), str(tmp_path / 'new'), '--out',
               str(tmp_path / 'acc'), '--anchored-cc'])
    assert exc.value.code == 2
    assert 'sets no test_evaluator.component_anchors' in \
        capsys.readouterr().err
    anchored = tmp_path / 'anchored.py'
    anchored.write_text(cfg.read_text() + (
        "test_evaluator = dict(type='MedicalVolumeMetric', "
        "component_anchors=dict(a=['b']), anchor_margin=2)\n"))
    infer([str(anchored), str(ckpt), str(tmp_path / 'new'), '--out',
           str(tmp_path / 'acc')])
    plain = np.asarray(nib.load(str(tmp_path / 'acc' / 'a_pred.nii.gz')).dataobj)
    np.testing.assert_array_equal(plain, slices_to_nifti(
        ref, AFFINE, 'ras_radiological'))  # no flag: untouched
    infer([str(anchored), str(ckpt), str(tmp_path / 'new'), '--out',
           str(tmp_path / 'acc'), '--anchored-cc'])
    out = np.asarray(nib.load(str(tmp_path / 'acc' / 'a_pred.nii.gz')).dataobj)
    np.testing.assert_array_equal(out, slices_to_nifti(
        keep_anchored_components(ref, 4, {1: [2]}, 2), AFFINE,
        'ras_radiological'))


def test_slice_numbers_of_a_file_stored_superior_to_inferior(tmp_path):
    """z axis flipped in the file: drawn on file slice 1 (0-based) of 5, which
    is axial index 5 - 1 - 1 = 3 from the inferior end: id slice_4, ITK-SNAP
    slice 2, 3D Slicer K 1; the labelled training slice is that one."""
    import h5py
    flip = AFFINE.copy()
    flip[2, 2] = -3.0
    img, lab = volumes()
    src = tmp_path / 'src'
    for cid in '12':
        save(src / f'image_{cid}.nii.gz', img, flip)
    ann = np.zeros_like(lab)
    ann[..., 1] = lab[..., 2]
    save(src / 'annotation.nii.gz', ann, flip)
    load_tool('convert_nifti').main([
        str(src), '--out', str(tmp_path / 'out'), '--modality', 'MRI',
        '--classes', 'liver=1', 'spleen=2', '--exemplar-label',
        str(src / 'annotation.nii.gz'), '--exemplar-case', '1'])
    out = tmp_path / 'out'
    ex = json.loads((out / 'exemplar.json').read_text())
    assert ex['slice_id'] == '1_slice_4'
    assert ex['source_slice'] == dict(axis='k', itk_snap=2, slicer=1)
    meta = json.loads((out / 'dataset.json').read_text())
    assert meta['exemplar']['source_slice'] == ex['source_slice']
    with h5py.File(out / 'data' / 'slices' / '1_slice_4.h5') as f:
        assert f['label'][()].sum() == 9 * 1 + 9 * 2


def labelled_folder(root):
    """Two labelled scans, e.g. another centre's, only to evaluate on."""
    img, lab = volumes()
    for cid in ('21', '22'):
        save(root / f'image_{cid}.nii.gz', img)
        save(root / f'label_{cid}.nii.gz', lab)
    return root


@pytest.mark.parametrize('how', ['--eval-only', '--val-ids'])
def test_convert_a_labelled_set_for_evaluation_only(tmp_path, capsys, how):
    labelled_folder(tmp_path / 'src')
    extra = ['--val-ids', '21', '22'] if how == '--val-ids' else [how]
    load_tool('convert_nifti').main([
        str(tmp_path / 'src'), '--out', str(tmp_path / 'out'), '--modality',
        'MRI', '--classes', 'liver=1', 'spleen=2', *extra])
    out = capsys.readouterr().out
    assert "cases {'val': 2}" in out
    assert (f'python tools/test.py CONFIG CHECKPOINT --data-root '
            f'{tmp_path / "out"} --split-list val.list') in out
    root = tmp_path / 'out'
    assert (root / 'val.list').read_text() == '21\n22\n'
    assert not (root / 'train_slices.list').exists()
    assert not (root / 'train.list').exists()
    meta = json.loads((root / 'dataset.json').read_text())
    assert meta['training_labels'] == 'none (evaluation only)'


def test_eval_only_refuses_an_exemplar(tmp_path, capsys):
    labelled_folder(tmp_path / 'src')
    with pytest.raises(SystemExit) as exc:
        load_tool('convert_nifti').main([
            str(tmp_path / 'src'), '--out', str(tmp_path / 'out'),
            '--modality', 'MRI', '--classes', 'liver=1', 'spleen=2',
            '--eval-only', '--exemplar-label',
            str(tmp_path / 'src' / 'label_21.nii.gz')])
    assert exc.value.code == 2
    assert '--eval-only puts every case in the val split' in \
        capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
