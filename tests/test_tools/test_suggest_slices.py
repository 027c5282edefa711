"""tools/suggest_slices.py: the printed suggestions (scan file, ITK-SNAP and
3D Slicer numbers), the PNG sheet, the three layouts, and the 'suggested'
rule wherever the exemplar rules are used."""
import json

import cv2
import nibabel as nib
import numpy as np
import pytest

from tests.conftest import build_exemplar_dataset
from tests.test_datasets.test_slice_ranking import (RANKED, VOL_A, VOL_B,
                                                    bar_volume)
from tests.test_datasets.test_slice_suggestion import write_slices
from tests.test_tools.test_data_tools import load_tool

# the file's z axis runs superior -> inferior (negative z spacing)
FLIPPED = np.diag([1., 1., -3., 1.])


def big(values):
    """8 x 8 bar slices (the 2 x 2 ones of bar_volume, each pixel 4 x 4)."""
    return np.kron(bar_volume(values), np.ones((1, 4, 4), np.float32))


def nifti_folder(root):
    """Two cases of 5 slices, file indices 3 and 4 black. With FLIPPED they
    are the two most inferior axial slices k = 1, 0, so the covered extent is
    k = 2..4 and its only middle-third slice is k = 3 (slice id _slice_4),
    file index 4 - 3 = 1: ITK-SNAP slice 2, 3D Slicer K = 1."""
    root.mkdir()
    for cid in ('1', '2'):
        img = np.zeros((6, 4, 5), np.float32)
        img[:3, :, :3] = 100 + 10 * int(cid)
        nib.save(nib.Nifti1Image(img, FLIPPED), str(root / f'image_{cid}.nii.gz'))
        lab = np.zeros((6, 4, 5), np.uint8)
        lab[:2, :2, :3] = 1
        nib.save(nib.Nifti1Image(lab, FLIPPED), str(root / f'label_{cid}.nii.gz'))
    return root


def test_slice_layout_lines_sheet_and_json(tmp_path, capsys):
    for vid, values in (('A_frame01', VOL_A), ('B_frame01', VOL_B)):
        write_slices(tmp_path / 'd', vid, big(values))
    sheet, out_json = tmp_path / 'sheet.png', tmp_path / 'top.json'
    top = load_tool('suggest_slices').main([
        str(tmp_path / 'd'), '--top', '2', '--sheet', str(sheet), '--json',
        str(out_json), '--check-labels', '3'])
    out = capsys.readouterr().out
    assert [s.slice_id for s in top] == RANKED[:2]
    # SSL4MIS: slice n is file index n - 1 of <volume>.nii.gz
    assert ('1. A_frame01_slice_3: scan A_frame01.nii.gz (source file '
            'assumed: the slices are in file order), ITK-SNAP slice 3, '
            '3D Slicer K = 2') in out
    assert '2. B_frame01_slice_3: scan B_frame01.nii.gz' in out
    assert 'of 5 candidates' in out
    # diagnostic: the labels hold class 1 only
    assert f'{RANKED[0]}: lacks class(es) [2]' in out
    rows = json.loads(out_json.read_text())
    assert [r['slice_id'] for r in rows] == RANKED[:2]
    assert rows[0]['itk_snap'] == 3 and rows[0]['slicer'] == 2
    # the sheet: tiles 256 high under a 24-pixel caption band; the first
    # tile is A's slice 3, v = 0.8: top half 0.8 x 255, bottom half 0
    img = cv2.imread(str(sheet), cv2.IMREAD_GRAYSCALE)
    assert img.shape[0] == 256 + 24
    assert abs(int(img[24 + 64, 128]) - 204) <= 1
    assert img[24 + 192, 128] == 0


def test_converted_and_raw_nifti_name_the_file_and_viewer_numbers(
        tmp_path, capsys):
    from elseg.datasets.converters.nifti_folder import convert_nifti
    src = nifti_folder(tmp_path / 'src')
    convert_nifti(str(src), str(tmp_path / 'conv'), modality='MRI',
                  classes=[('liver', (1, ))])
    tool = load_tool('suggest_slices')
    for root in (tmp_path / 'conv', src):
        top = tool.main([str(root), '--top', '2', '--sheet', ''])
        out = capsys.readouterr().out
        assert sorted(s.slice_id for s in top) == ['1_slice_4', '2_slice_4']
        for cid in ('1', '2'):
            path = (src / f'image_{cid}.nii.gz').resolve()
            assert (f'{cid}_slice_4: scan {path}, ITK-SNAP slice 2, '
                    '3D Slicer K = 1') in out
        assert 'sheet' not in out


def test_bad_input_is_one_error(tmp_path, capsys):
    tool = load_tool('suggest_slices')
    with pytest.raises(SystemExit) as err:
        tool.main([str(tmp_path / 'missing')])
    assert err.value.code == 2
    assert 'not found' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path), '--top', '0'])


def test_suggested_rule_in_the_dataset_and_the_benchmark(phantom_root):
    from mmengine.config import Config

    from elseg.benchmark.run_options import seed_options
    from elseg.datasets.slice_suggestion import suggested_slice
    ds = build_exemplar_dataset(phantom_root,
                                exemplar=dict(rule='suggested', seed=0))
    assert ds.exemplar_id == suggested_slice(str(phantom_root), 0)
    args = load_tool('benchmark').parse_args(
        ['x.py', '--exemplar-rule', 'suggested', '--seeds', '0', '1', '2'])
    assert args.exemplar_rule == 'suggested' and args.seeds == [0, 1, 2]
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        exemplar=dict(rule='random', seed=0)))))
    assert seed_options(cfg, 1, 'suggested') == [
        'randomness.seed=1', 'train_dataloader.dataset.exemplar.rule=suggested',
        'train_dataloader.dataset.exemplar.seed=1']
    # tools/select_exemplar.py offers it too
    assert load_tool('select_exemplar').parse_args(
        [str(phantom_root), '--rule', 'suggested']).rule == 'suggested'
