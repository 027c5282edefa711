"""select_exemplar rules on a hand-made slice set, and the exemplar file."""
import h5py
import numpy as np
import pytest

from elseg.datasets.exemplar import (exemplar_ids, read_exemplar_file,
                                     read_exemplar_ids, select_exemplar,
                                     select_exemplars, write_exemplar_file)
from elseg.datasets.slice_suggestion import middle_third_slice


def label_with_areas(areas):
    """A 10x10 label whose class c (1..3) covers areas[c-1] pixels."""
    lab = np.zeros(100, np.uint8)
    start = 0
    for c, a in enumerate(areas, start=1):
        lab[start:start + a] = c
        start += a
    return lab.reshape(10, 10)


def add_volume(root, volume, areas, frame='frame01'):
    """Write slices ``<volume>_<frame>_slice_<k>`` (label areas per class
    from ``areas[k]``) and append them to ``train_slices.list``."""
    (root / 'data' / 'slices').mkdir(parents=True, exist_ok=True)
    lst = root / 'train_slices.list'
    ids = lst.read_text().split() if lst.exists() else []
    for k, a in areas.items():
        sid = f'{volume}_{frame}_slice_{k}'
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


# ------------------------------------------------ several labelled slices
def test_volume_spread_takes_the_nearest_slices(root, tmp_path):
    """pA has slices 1..5; largest_area takes 5, central takes 3. Nearest
    order n+1, n-1, n+2, n-2, ... skipping numbers not in the list."""
    assert select_exemplars(str(root), rule='largest_area', num=3,
                            spread='volume') == [
        'pA_frame01_slice_5', 'pA_frame01_slice_4', 'pA_frame01_slice_3']
    assert select_exemplars(str(root), rule='central', num=4,
                            spread='volume') == [
        'pA_frame01_slice_3', 'pA_frame01_slice_4', 'pA_frame01_slice_2',
        'pA_frame01_slice_5']
    # slices 4 and 6, 7 are missing: from 5, +1 and -1 are skipped, then
    # -2 = 3, +3 = 8, -3 = 2 (the others need not show every class)
    gaps = tmp_path / 'gaps'
    add_volume(gaps, 'pE', {2: (1, 1, 1), 3: (0, 3, 3), 5: (9, 9, 9),
                            8: (0, 0, 4)})
    assert select_exemplars(str(gaps), rule='largest_area', num=4,
                            spread='volume') == [
        'pE_frame01_slice_5', 'pE_frame01_slice_3', 'pE_frame01_slice_8',
        'pE_frame01_slice_2']
    with pytest.raises(ValueError) as err:
        select_exemplars(str(gaps), rule='largest_area', num=5,
                         spread='volume')
    assert ("num=5 with spread='volume': the volume 'pE_frame01' of the first "
            "slice 'pE_frame01_slice_5' has only 4 training slice(s). Lower "
            'num to at most 4') in str(err.value)


@pytest.fixture
def patients_root(tmp_path):
    """Smallest class area per all-class slice (of 100 pixels): pA frame01
    slices 1, 3, 5: 2, 10, 20; pA frame02 slice 1: 30; pB slice 1: 15; pC
    slice 2: 12 (pC slice 1 misses class 1)."""
    add_volume(tmp_path, 'pA', {1: (2, 5, 5), 3: (10, 12, 14),
                                5: (20, 25, 30)})
    add_volume(tmp_path, 'pA', {1: (30, 30, 30)}, frame='frame02')
    add_volume(tmp_path, 'pB', {1: (15, 15, 15)})
    add_volume(tmp_path, 'pC', {1: (0, 5, 5), 2: (12, 12, 12)})
    return tmp_path


def test_patients_spread_walks_the_rule_order_one_slice_per_patient(
        patients_root):
    """largest_area's order: pA f02 1 (30), pA f01 5 (20), pB 1 (15), pC 2
    (12), ...; pA's other frame is the same patient, so it is skipped."""
    root = str(patients_root)
    assert select_exemplars(root, rule='largest_area', num=3) == [
        'pA_frame02_slice_1', 'pB_frame01_slice_1', 'pC_frame01_slice_2']
    with pytest.raises(ValueError) as err:
        select_exemplars(root, rule='largest_area', num=4, spread='patients')
    assert ("num=4 with spread='patients': the rule 'largest_area' offers "
            "slices of only 3 patient(s) (['pA', 'pB', 'pC']). Lower num"
            ) in str(err.value)
    all_class = {'pA_frame01_slice_1', 'pA_frame01_slice_3',
                 'pA_frame01_slice_5', 'pA_frame02_slice_1',
                 'pB_frame01_slice_1', 'pC_frame01_slice_2'}
    for seed in range(6):
        ids = select_exemplars(root, rule='random', seed=seed, num=3)
        assert ids[0] == select_exemplar(root, rule='random', seed=seed)
        assert set(ids) <= all_class
        assert sorted(i[:2] for i in ids) == ['pA', 'pB', 'pC']
        assert select_exemplars(root, rule='random', seed=seed, num=3) == ids
    # label-free: one middle-third slice per volume, the rule's first
    ids = select_exemplars(root, rule='middle_third', seed=1, num=3)
    assert ids[0] == middle_third_slice(root, seed=1)
    assert sorted(i[:2] for i in ids) == ['pA', 'pB', 'pC']


def test_patients_spread_of_the_representative_rule(root):
    """Best-slice scores per volume (as in the single-rule test above): pA 5
    1.0, pB 2 1.0, pC 1 0.5, pD 1 0.5. The best third (2 of 4) in its fixed
    shuffled order from position seed, then the others by score, ties to
    the larger id: pD 1, pC 1."""
    add_volume(root, 'pB', {1: (1, 1, 1), 2: (2, 2, 2), 3: (0, 2, 2)})
    add_volume(root, 'pC', {1: (3, 3, 3), 2: (0, 6, 6)})
    add_volume(root, 'pD', {1: (3, 3, 3), 2: (0, 6, 6)})
    first = [select_exemplar(str(root), rule='representative', seed=s)
             for s in range(2)]
    assert select_exemplars(str(root), rule='representative', seed=0,
                            num=4) == first + ['pD_frame01_slice_1',
                                               'pC_frame01_slice_1']
    assert select_exemplars(str(root), rule='representative', seed=1,
                            num=2) == first[::-1]


def test_num_one_is_the_single_exemplar(patients_root):
    root = str(patients_root)
    for rule in ('random', 'central', 'largest_area', 'representative'):
        for spread in ('patients', 'volume'):
            assert select_exemplars(root, rule=rule, seed=2, num=1,
                                    spread=spread) == [
                select_exemplar(root, rule=rule, seed=2)]


@pytest.mark.parametrize('kwargs, message', [
    (dict(num=0), 'exemplar num must be an integer >= 1 (the number of '
     'labelled slices), got 0; use num=1'),
    (dict(num=2.0), 'got 2.0'),
    (dict(num=2, spread='slices'), "exemplar spread must be one of "
     "('patients', 'volume'), got 'slices'"),
])
def test_bad_num_and_spread(root, kwargs, message):
    with pytest.raises(ValueError) as err:
        select_exemplars(str(root), **kwargs)
    assert message in str(err.value)


def test_exemplar_ids_of_a_list_and_a_file(tmp_path):
    assert exemplar_ids('p_slice_1') == ['p_slice_1']
    assert exemplar_ids(['p_slice_2', 'p_slice_1']) == ['p_slice_2',
                                                         'p_slice_1']
    for bad in ([], ['p_slice_1', 'p_slice_1']):
        with pytest.raises(ValueError, match='must list distinct slice ids'):
            exemplar_ids(bad)
    path = str(tmp_path / 'ex.json')
    write_exemplar_file(path, ['p_slice_2', 'p_slice_1'], 'annotated', 0)
    assert exemplar_ids(dict(file=path)) == ['p_slice_2', 'p_slice_1']
    assert exemplar_ids(dict(file=path, num=2)) == ['p_slice_2', 'p_slice_1']
    with pytest.raises(ValueError, match=r"lists 2 labelled slice\(s\)"):
        exemplar_ids(dict(file=path, num=3))
    with pytest.raises(ValueError, match='drop num and spread'):
        exemplar_ids(dict(file=path, spread='volume'))


def test_exemplar_file_with_several_slices(tmp_path):
    path = tmp_path / 'ex.json'
    write_exemplar_file(str(path), ['p_slice_3', 'p_slice_4'], 'central', 1)
    assert read_exemplar_file(str(path)) == dict(
        slice_id='p_slice_3', slice_ids=['p_slice_3', 'p_slice_4'],
        rule='central', seed=1)
    assert read_exemplar_ids(str(path)) == ['p_slice_3', 'p_slice_4']
    write_exemplar_file(str(path), ['p_slice_3'], 'central', 1)
    assert read_exemplar_file(str(path)) == dict(
        slice_id='p_slice_3', rule='central', seed=1)
    assert read_exemplar_ids(str(path)) == ['p_slice_3']
    path.write_text('{"slice_id": "a", "slice_ids": ["b", "a"]}')
    with pytest.raises(ValueError, match='"slice_ids" must be a list of '
                       "distinct slice ids starting with \"slice_id\" 'a'"):
        read_exemplar_file(str(path))


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
