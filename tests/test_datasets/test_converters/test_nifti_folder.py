"""NIfTI folder / nnU-Net raw -> elseg slice layout, on tiny volumes made here.

Every expected value below is worked out by hand from the arrays written.
"""
import json

import h5py
import nibabel as nib
import numpy as np
import pytest

from elseg.datasets.converters.nifti_folder import convert_nifti

X, Y, Z = 6, 5, 4
RAS = np.diag([0.8, 0.9, 3.0, 1.0])
CLASSES = [('liver', (1, )), ('spleen', (7, ))]


def scan():
    """Image 0..119 (distinct values) and a label with ids 1 (liver), 7."""
    img = np.arange(X * Y * Z, dtype=np.float32).reshape(X, Y, Z)
    lab = np.zeros((X, Y, Z), np.uint8)
    lab[0, Y - 1, 0] = 7  # patient-left-most, most anterior, most inferior
    lab[X - 1, 0, 1] = 1  # patient-right-most, most posterior, slice 1
    return img, lab


def permuted(arr, affine):
    """The same scan stored with the file axes (z, x, y) instead of (x, y, z)."""
    return arr.transpose(2, 0, 1).copy(), affine[:, [2, 0, 1, 3]]


def save(path, arr, affine):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(arr, affine), str(path))


def folder_case(root, cid, img, lab, affine=RAS):
    save(root / f'image_{cid}.nii.gz', img, affine)
    if lab is not None:
        save(root / f'label_{cid}.nii.gz', lab, affine)


def expected_slices(arr):
    """(z, y, x) with row 0 anterior (max y) and column 0 patient right (max x)."""
    return arr[::-1, ::-1, :].transpose(2, 1, 0)


def test_folder_layout(tmp_path):
    img, lab = scan()
    src = tmp_path / 'src'
    folder_case(src, '1', img, lab)
    folder_case(src, '2', *[permuted(a, RAS)[0] for a in (img, lab)],
                affine=permuted(img, RAS)[1])
    folder_case(src, '3', img, lab)
    (src / 'train.list').write_text('1\n2\n')
    (src / 'val.list').write_text('3\n')
    meta = convert_nifti(str(src), str(tmp_path / 'out'), modality='MRI',
                         classes=[('spleen', (7, )), ('liver', (1, ))],
                         percentiles=(0, 100))
    out = tmp_path / 'out'
    assert meta['classes'] == ['background', 'spleen', 'liver']
    assert meta['normalisation'] == dict(type='percentile',
                                         percentiles=[0.0, 100.0])
    assert (out / 'train.list').read_text() == '1\n2\n'
    assert (out / 'val.list').read_text() == '3\n'
    assert (out / 'train_slices.list').read_text().split() == [
        f'{c}_slice_{k}' for c in '12' for k in range(1, Z + 1)]
    # ids remapped by the class order: spleen (raw 7) -> 1, liver (raw 1) -> 2
    ref_img = expected_slices(img) / (X * Y * Z - 1)
    ref_lab = np.select([expected_slices(lab) == 7,
                         expected_slices(lab) == 1], [1, 2], 0)
    assert ref_lab[0, 0, X - 1] == 1 and ref_lab[1, Y - 1, 0] == 2
    with h5py.File(out / 'data' / '3.h5') as f:
        np.testing.assert_allclose(f['image'][()], ref_img, atol=1e-6)
        np.testing.assert_array_equal(f['label'][()], ref_lab)
        assert tuple(f.attrs['spacing']) == pytest.approx((3.0, 0.9, 0.8))
    for cid in '12':  # case 2 is stored with another axis order
        with h5py.File(out / 'data' / 'slices' / f'{cid}_slice_2.h5') as f:
            np.testing.assert_allclose(f['image'][()], ref_img[1], atol=1e-6)
            np.testing.assert_array_equal(f['label'][()], ref_lab[1])
    written = json.loads((out / 'dataset.json').read_text())
    assert written['cases']['2']['spacing'] == pytest.approx([3.0, 0.9, 0.8])
    assert written['training_labels'] == 'all'


@pytest.mark.parametrize('msd', [False, True], ids=['nnunet_v2', 'msd'])
def test_nnunet_layout(tmp_path, msd):
    img, lab = scan()
    src = tmp_path / 'Dataset001_Tiny'
    for cid in ('tiny_001', 'tiny_002'):
        save(src / 'imagesTr' / f'{cid}_0000.nii.gz',
             (img * 10 - 1000).astype(np.int16), RAS)
        save(src / 'labelsTr' / f'{cid}.nii.gz', lab, RAS)
    labels = ({'0': 'background', '1': 'liver', '7': 'spleen'} if msd else
              {'background': 0, 'liver': 1, 'spleen': 7})
    channels = 'modality' if msd else 'channel_names'
    (src / 'dataset.json').write_text(json.dumps(
        {'labels': labels, channels: {'0': 'CT'}}))
    meta = convert_nifti(str(src), str(tmp_path / 'out'),
                         splits=dict(train=['tiny_001'], val=['tiny_002']))
    assert meta['layout'] == 'nnunet' and meta['modality'] == 'CT'
    assert meta['classes'] == ['background', 'liver', 'spleen']
    assert meta['normalisation'] == dict(type='hu_window',
                                         window=[-125.0, 275.0])
    with h5py.File(tmp_path / 'out' / 'data' / 'tiny_002.h5') as f:
        hu = expected_slices(img) * 10 - 1000
        np.testing.assert_allclose(f['image'][()],
                                   np.clip((hu + 125) / 400, 0, 1), atol=1e-6)
        assert f['label'][0, 0, X - 1] == 2 and f['label'][1, Y - 1, 0] == 1


def one_slice_annotation(lab, z):
    """The label volume an annotator saves after drawing slice ``z`` only."""
    out = np.zeros_like(lab)
    out[..., z] = lab[..., z]
    return out


def test_one_annotated_slice_is_the_only_training_label(tmp_path):
    img, _ = scan()
    lab = np.zeros((X, Y, Z), np.uint8)
    lab[1:3, 1:3, 2] = 1
    lab[4, 3, 2] = 7
    src = tmp_path / 'src'
    folder_case(src, '1', img, None)  # unlabelled training volumes
    folder_case(src, '2', img, lab)  # a full label exists: must not be used
    folder_case(src, '3', img, lab)
    (src / 'val.list').write_text('3\n')
    ann = tmp_path / 'annotation.nii.gz'
    save(ann, one_slice_annotation(lab, 2), RAS)
    meta = convert_nifti(str(src), str(tmp_path / 'out'), modality='MRI',
                         classes=CLASSES, exemplar_label=str(ann),
                         exemplar_case='2')
    out = tmp_path / 'out'
    assert meta['training_labels'] == 'exemplar only'
    ex = json.loads((out / 'exemplar.json').read_text())
    assert ex['slice_id'] == '2_slice_3' and ex['rule'] == 'annotated'
    labelled = []
    for sid in (out / 'train_slices.list').read_text().split():
        with h5py.File(out / 'data' / 'slices' / f'{sid}.h5') as f:
            if 'label' in f:
                labelled.append(sid)
                np.testing.assert_array_equal(
                    f['label'][()],
                    np.select([expected_slices(lab)[2] == 1,
                               expected_slices(lab)[2] == 7], [1, 2], 0))
    assert labelled == ['2_slice_3']
    with h5py.File(out / 'data' / '3.h5') as f:  # val keeps its labels
        assert f['label'][()].sum() == 4 * 1 + 2


def test_multi_slice_annotation_gives_several_labelled_slices(tmp_path):
    """Drawn: z = 0 spleen only, z = 2 both, z = 3 liver only. The exemplar
    is z = 2 (the first with every class), then z = 0 and z = 3; slice ids
    count from 1, ITK-SNAP from 1 and 3D Slicer from 0 on this RAS file."""
    img, _ = scan()
    ann = np.zeros((X, Y, Z), np.uint8)
    ann[0, 0, 0] = 7
    ann[1, 1, 2], ann[2, 2, 2] = 1, 7
    ann[3, 3, 3] = 1
    src = tmp_path / 'src'
    folder_case(src, '1', img, None)
    folder_case(src, '2', img, None)
    save(tmp_path / 'ann.nii.gz', ann, RAS)
    meta = convert_nifti(str(src), str(tmp_path / 'out'), modality='MRI',
                         classes=CLASSES, exemplar_label=str(
                             tmp_path / 'ann.nii.gz'), exemplar_case='2',
                         multi_slice=True)
    out = tmp_path / 'out'
    ids = ['2_slice_3', '2_slice_1', '2_slice_4']
    where = [dict(axis='k', itk_snap=3, slicer=2),
             dict(axis='k', itk_snap=1, slicer=0),
             dict(axis='k', itk_snap=4, slicer=3)]
    assert meta['training_labels'] == 'exemplar slices only'
    assert meta['exemplar']['slice_ids'] == ids
    assert meta['exemplar']['source_slices'] == where
    ex = json.loads((out / 'exemplar.json').read_text())
    assert ex['slice_id'] == ids[0] and ex['slice_ids'] == ids
    assert ex['source_slice'] == where[0] and ex['source_slices'] == where
    labelled = {}
    for sid in (out / 'train_slices.list').read_text().split():
        with h5py.File(out / 'data' / 'slices' / f'{sid}.h5') as f:
            if 'label' in f:
                labelled[sid] = f['label'][()]
    assert sorted(labelled) == sorted(ids)
    mapped = np.select([ann == 1, ann == 7], [1, 2], 0).astype(np.uint8)
    for sid, z in zip(ids, (2, 0, 3)):
        np.testing.assert_array_equal(labelled[sid],
                                      expected_slices(mapped)[z])
    # one annotated slice with the flag: as without it
    save(tmp_path / 'one.nii.gz', one_slice_annotation(ann, 2), RAS)
    meta = convert_nifti(str(src), str(tmp_path / 'out1'), modality='MRI',
                         classes=CLASSES, exemplar_label=str(
                             tmp_path / 'one.nii.gz'), exemplar_case='2',
                         multi_slice=True)
    assert meta['training_labels'] == 'exemplar only'
    assert meta['exemplar'] == dict(slice_id='2_slice_3', source=str(
        tmp_path / 'one.nii.gz'), source_slice=where[0])


# ------------------------------------------------------------------ bad input
def _bad_4d(src, tmp):
    img, lab = scan()
    save(src / 'image_1.nii.gz', np.stack([img, img], -1), RAS)
    save(src / 'label_1.nii.gz', lab, RAS)
    return dict(), str(src / 'image_1.nii.gz'), 'single-channel 3D'


def _bad_grid_shape(src, tmp):
    img, lab = scan()
    folder_case(src, '1', img, lab[:, :, :3].copy())
    return dict(), str(src / 'label_1.nii.gz'), 'different voxel grids'


def _bad_grid_affine(src, tmp):
    img, lab = scan()
    save(src / 'image_1.nii.gz', img, RAS)
    save(src / 'label_1.nii.gz', lab, np.diag([1.0, 0.9, 3.0, 1.0]))
    return dict(), str(src / 'label_1.nii.gz'), 'resample it with nearest'


def _bad_ids(src, tmp):
    img, lab = scan()
    lab[2, 2, 2] = 5
    folder_case(src, '1', img, lab)
    return dict(), str(src / 'label_1.nii.gz'), '--other-ids-to-background'


def _unreadable(src, tmp):
    img, lab = scan()
    folder_case(src, '1', img, lab)
    (src / 'image_1.nii.gz').write_bytes(b'\x00not a nifti\xff' * 20)
    return dict(), str(src / 'image_1.nii.gz'), 'complete .nii/.nii.gz'


def _annotation(src, tmp, ann_lab):
    img, _ = scan()
    folder_case(src, '1', img, None)
    save(tmp / 'ann.nii.gz', ann_lab, RAS)
    return dict(exemplar_label=str(tmp / 'ann.nii.gz'), exemplar_case='1')


def _no_slice(src, tmp):
    kw = _annotation(src, tmp, np.zeros((X, Y, Z), np.uint8))
    return kw, kw['exemplar_label'], 'no annotated slice'


def _several_slices(src, tmp):
    _, lab = scan()  # slices 0 (spleen) and 1 (liver)
    kw = _annotation(src, tmp, lab)
    return kw, kw['exemplar_label'], 'Erase all but one slice'


def _missing_class(src, tmp):
    _, lab = scan()
    kw = _annotation(src, tmp, one_slice_annotation(lab, 0))  # spleen only
    return kw, kw['exemplar_label'], "lacks class(es) ['liver']"


def _several_slices_fix(src, tmp):
    kw, path, _ = _several_slices(src, tmp)
    return kw, path, 'or pass --multi-slice (multi_slice=True)'


def _several_slices_none_complete(src, tmp):
    kw, path, _ = _several_slices(src, tmp)
    kw['multi_slice'] = True
    return kw, path, ("shows every class (each lacks: [['liver'], "
                      "['spleen']]): one of them, the exemplar, must")


BAD = [_bad_4d, _bad_grid_shape, _bad_grid_affine, _bad_ids, _unreadable,
       _no_slice, _several_slices, _missing_class, _several_slices_fix,
       _several_slices_none_complete]


@pytest.mark.parametrize('make', BAD, ids=[f.__name__[1:] for f in BAD])
def test_bad_input_names_the_file_and_writes_nothing(tmp_path, make):
    src = tmp_path / 'src'
    src.mkdir()
    kwargs, path, fix = make(src, tmp_path)
    out = tmp_path / 'out'
    with pytest.raises(ValueError) as err:
        convert_nifti(str(src), str(out), modality='MRI', classes=CLASSES,
                      **kwargs)
    assert repr(path) in str(err.value) and fix in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ['src'] + (['ann.nii.gz'] if 'exemplar_label' in kwargs else []))


def test_refuses_a_non_empty_output(tmp_path):
    img, lab = scan()
    folder_case(tmp_path / 'src', '1', img, lab)
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'keep.txt').write_text('x')
    with pytest.raises(ValueError, match='exists and is not empty'):
        convert_nifti(str(tmp_path / 'src'), str(tmp_path / 'out'),
                      modality='MRI', classes=CLASSES)
    assert [p.name for p in (tmp_path / 'out').iterdir()] == ['keep.txt']


@pytest.mark.parametrize('meta,fix', [
    ({'channel_names': {'0': 'MRI'}}, 'or pass --classes'),
    ({'labels': {'background': 0, 'organ': [1, 2]},
      'channel_names': {'0': 'MRI'}}, 'region labels (lists)'),
    ({'labels': {'background': 0, 'liver': 1},
      'channel_names': {'0': 'T2', '1': 'ADC'}}, 'single-channel'),
])
def test_nnunet_bad_dataset_json(tmp_path, meta, fix):
    img, lab = scan()
    src = tmp_path / 'raw'
    save(src / 'imagesTr' / 'c_0000.nii.gz', img, RAS)
    save(src / 'labelsTr' / 'c.nii.gz', lab, RAS)
    (src / 'dataset.json').write_text(json.dumps(meta))
    with pytest.raises(ValueError) as err:
        convert_nifti(str(src), str(tmp_path / 'out'))
    assert repr(str(src / 'dataset.json')) in str(err.value)
    assert fix in str(err.value)
    assert not (tmp_path / 'out').exists()


def test_nnunet_label_id_outside_dataset_json(tmp_path):
    img, lab = scan()  # ids 1 and 7; dataset.json names 1 only
    src = tmp_path / 'raw'
    save(src / 'imagesTr' / 'c_0000.nii.gz', img, RAS)
    save(src / 'labelsTr' / 'c.nii.gz', lab, RAS)
    (src / 'dataset.json').write_text(json.dumps(
        {'labels': {'background': 0, 'liver': 1},
         'channel_names': {'0': 'MRI'}}))
    with pytest.raises(ValueError, match=r"holds label id\(s\) \[7\]"):
        convert_nifti(str(src), str(tmp_path / 'out'))
    meta = convert_nifti(str(src), str(tmp_path / 'out'),
                         other_ids_to_background=True)
    assert meta['classes'] == ['background', 'liver']
    with h5py.File(tmp_path / 'out' / 'data' / 'slices' / 'c_slice_1.h5') as f:
        assert not f['label'][()].any()  # the spleen voxel (7) became 0
