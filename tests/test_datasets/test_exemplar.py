"""select_exemplar rules on a hand-made slice set, and the exemplar file."""
import h5py
import numpy as np
import pytest

from elseg.datasets.exemplar import (read_exemplar_file, select_exemplar,
                                     write_exemplar_file)


def label_with_areas(areas):
    """A 10x10 label whose class c (1..3) covers areas[c-1] pixels."""
    lab = np.zeros(100, np.uint8)
    start = 0
    for c, a in enumerate(areas, start=1):
        lab[start:start + a] = c
        start += a
    return lab.reshape(10, 10)


def add_volume(root, volume, areas):
    """Write slices ``<volume>_frame01_slice_<k>`` (label areas per class
    from ``areas[k]``) and append them to ``train_slices.list``."""
    (root / 'data' / 'slices').mkdir(parents=True, exist_ok=True)
    lst = root / 'train_slices.list'
    ids = lst.read_text().split() if lst.exists() else []
    for k, a in areas.items():
        sid = f'{volume}_frame01_slice_{k}'
        with h5py.File(root / 'data' / 'slices' / f'{sid}.h5', 'w') as f:
            f['image'] = np.zeros((10, 10), np.float32)
            f['label'] = label_with_areas(a)
        ids.append(sid)
    lst.write_text('\n'.join(ids))


@pytest.fixture
def root(tmp_path):
    # volume pA: slices 1..5; all classes on 1 (min area 2), 3 (min 10) and
    # 5 (min 20); slices 2 and 4 miss class 1
    areas = {1: (2, 5, 5), 2: (0, 5, 5), 3: (10, 12, 14), 4: (0, 9, 9),
             5: (20, 25, 30)}
    add_volume(tmp_path, 'pA', areas)
    return tmp_path


def test_rules(root):
    all_class = {'pA_frame01_slice_1', 'pA_frame01_slice_3',
                 'pA_frame01_slice_5'}
    picks = {select_exemplar(str(root), seed=s) for s in range(20)}
    assert picks == all_class  # 'random': only all-class slices, all reachable
    assert select_exemplar(str(root), seed=3) == select_exemplar(
        str(root), seed=3)
    assert select_exemplar(str(root), rule='largest_area') == \
        'pA_frame01_slice_5'
    # slice 3 sits at relative position 0.5, the only central all-class one
    assert {select_exemplar(str(root), rule='central', seed=s)
            for s in range(5)} == {'pA_frame01_slice_3'}
    assert select_exemplar(str(root), rule='largest_area', min_pixels=15) \
        == 'pA_frame01_slice_5'


def test_representative_rule_scores_areas_within_each_volume(root):
    """Score = min over classes of area / the class's largest area in its
    volume; each volume offers its best slice; the best third of those,
    rounded up, are the choices. pA (largest 20, 25, 30): slice 1 -> 0.1,
    slice 3 -> min(10/20, 12/25, 14/30) = 0.467, slice 5 -> 1.0, so pA offers
    slice 5. pB, small organs (largest 2, 2, 2): slice 1 -> 0.5, slice 2 ->
    1.0. pC: slice 1 (3, 3, 3) -> min(1, 3/6, 3/6) = 0.5, slice 2 misses class
    1. pD likewise 0.5. Best 2 of 4 volumes: pA 5 and pB 2; largest_area
    (absolute areas) never takes pB 2."""
    add_volume(root, 'pB', {1: (1, 1, 1), 2: (2, 2, 2), 3: (0, 2, 2)})
    add_volume(root, 'pC', {1: (3, 3, 3), 2: (0, 6, 6)})
    add_volume(root, 'pD', {1: (3, 3, 3), 2: (0, 6, 6)})
    picks = [select_exemplar(str(root), rule='representative', seed=s)
             for s in range(4)]
    # seeds 0 and 1 take the two distinct slices, then the order repeats
    assert set(picks[:2]) == {'pA_frame01_slice_5', 'pB_frame01_slice_2'}
    assert picks[2:] == picks[:2]
    assert select_exemplar(str(root), rule='largest_area') == \
        'pA_frame01_slice_5'


def test_errors(root):
    with pytest.raises(ValueError, match="'best'"):
        select_exemplar(str(root), rule='best')
    with pytest.raises(ValueError, match='No slice'):
        select_exemplar(str(root), num_classes=5)
    with pytest.raises(FileNotFoundError, match='nope.list'):
        select_exemplar(str(root), split_list='nope.list')


def test_exemplar_file_roundtrip(tmp_path):
    path = tmp_path / 'ex' / 'exemplar.json'
    write_exemplar_file(str(path), 'p1_frame01_slice_3', 'random', 0,
                        data_root='x')
    assert read_exemplar_file(str(path)) == dict(
        slice_id='p1_frame01_slice_3', rule='random', seed=0, data_root='x')
    with pytest.raises(FileNotFoundError, match='select_exemplar.py'):
        read_exemplar_file(str(tmp_path / 'none.json'))
    (tmp_path / 'bad.json').write_text('{"rule": 1}')
    with pytest.raises(ValueError, match='slice_id'):
        read_exemplar_file(str(tmp_path / 'bad.json'))


def test_real_acdc_random_rule(acdc_root):
    sid = select_exemplar(str(acdc_root), rule='random', seed=0)
    with h5py.File(acdc_root / 'data' / 'slices' / f'{sid}.h5') as f:
        assert set(np.unique(f['label'][()])) >= {1, 2, 3}


def test_exemplar_selection_kwargs_fills_from_the_dataset():
    """Training and the benchmark fill the rule's arguments in one place: the
    dataset's class names (else num_classes), slice folder, suffix and list;
    the config's own keys win."""
    from types import SimpleNamespace

    from elseg.datasets import exemplar_selection_kwargs
    ds = SimpleNamespace(data_root='d', metainfo=dict(classes=('bg', 'a', 'b')),
                         slice_dir='train_npz', slice_suffix='.npz',
                         split_list='my.list')
    assert exemplar_selection_kwargs(dict(rule='central', seed=1), ds, 7) == dict(
        rule='central', seed=1, data_root='d', num_classes=3,
        slice_dir='train_npz', suffix='.npz', split_list='my.list')
    ds.metainfo = {}
    ds.split_list = None  # a dataset given ids: select_exemplar's default list
    kw = exemplar_selection_kwargs(dict(rule='central', split_list='x.list',
                                        data_root='other'), ds, 5)
    assert kw == dict(rule='central', split_list='x.list', data_root='other',
                      num_classes=5, slice_dir='train_npz', suffix='.npz')
    assert 'num_classes' not in exemplar_selection_kwargs({}, ds)
