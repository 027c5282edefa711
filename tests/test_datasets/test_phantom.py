"""The procedural phantom: layout, value ranges, anatomy, idempotence."""
import h5py
import numpy as np

from elseg.datasets.phantom import is_complete, make_phantom


def test_layout_and_values(phantom_root):
    lists = {n: (phantom_root / f'{n}.list').read_text().split()
             for n in ('train', 'train_slices', 'val', 'test')}
    assert lists['train'] == ['patient001_frame01', 'patient001_frame02',
                              'patient002_frame01', 'patient002_frame02']
    assert lists['val'] == ['patient003_frame01', 'patient003_frame02']
    assert lists['test'] == ['patient004_frame01', 'patient004_frame02']
    assert lists['train_slices'][0] == 'patient001_frame01_slice_1'
    for sid in lists['train_slices']:
        with h5py.File(phantom_root / 'data' / 'slices' / f'{sid}.h5') as f:
            assert f['image'].shape == f['label'].shape == (64, 64)
    for vid in lists['train'] + lists['val'] + lists['test']:
        with h5py.File(phantom_root / 'data' / f'{vid}.h5') as f:
            img, lab = f['image'][()], f['label'][()]
        assert img.dtype == np.float32 and lab.dtype == np.uint8
        assert img.min() >= 0 and img.max() <= 1 and lab.max() == 3
        assert 6 <= img.shape[0] <= 10
        # base (slice 0) shows every class; the apex has no RV
        assert set(np.unique(lab[0])) == {0, 1, 2, 3}
        assert 1 not in lab[-1]
        assert (lab[0] == 3).sum() > (lab[-1] == 3).sum()
        # blood pools are brighter than the myocardium
        assert img[0][lab[0] == 3].mean() > img[0][lab[0] == 2].mean() + 0.2


def test_end_systole_smaller_and_patients_differ(phantom_root):
    def lv(vid):
        with h5py.File(phantom_root / 'data' / f'{vid}.h5') as f:
            return (f['label'][0] == 3).sum()
    assert lv('patient001_frame02') < lv('patient001_frame01')
    assert lv('patient001_frame01') != lv('patient002_frame01')


def test_idempotent_and_seeded(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    assert make_phantom(str(a), n_train=1, n_val=1, n_test=0, size=32)
    assert not make_phantom(str(a), n_train=1, n_val=1, n_test=0, size=32)
    params = dict(n_train=1, n_val=1, n_test=0, size=32, seed=0, version=1)
    assert is_complete(str(a), params)
    (a / 'data' / 'patient002_frame01.h5').unlink()  # incomplete: redo
    assert not is_complete(str(a), params)
    assert make_phantom(str(a), n_train=1, n_val=1, n_test=0, size=32)
    make_phantom(str(b), n_train=1, n_val=1, n_test=0, size=32)
    with h5py.File(a / 'data' / 'patient001_frame01.h5') as fa, \
            h5py.File(b / 'data' / 'patient001_frame01.h5') as fb:
        np.testing.assert_array_equal(fa['image'][()], fb['image'][()])
