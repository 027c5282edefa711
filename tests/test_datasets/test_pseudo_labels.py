"""Pseudo-label files: atomic writes, reading, the completeness marker."""
import json
import os

import numpy as np
import pytest

from elseg.datasets.pseudo_labels import (is_complete, load_pseudo_label,
                                          save_pseudo_label,
                                          write_complete_marker)


def _infos(n, vid='patient001_frame01'):
    return [dict(volume_id=vid, img_path=f'{vid}_slice_{k + 1}.h5')
            for k in range(n)]


def _sid(info):
    return os.path.splitext(info['img_path'])[0]


def test_save_load_roundtrip_and_marker(tmp_path):
    infos = _infos(2)
    lab = np.array([[0, 1], [2, 3]], np.uint8)
    conf = np.array([[0.5, 1.0], [0.25, 0.75]], np.float32)
    for info in infos:
        save_pseudo_label(str(tmp_path), _sid(info), lab, conf)
    got_lab, got_conf = load_pseudo_label(str(tmp_path), _sid(infos[0]))
    np.testing.assert_array_equal(got_lab, lab)
    np.testing.assert_allclose(got_conf, conf)  # exact in float16
    assert not is_complete(str(tmp_path), 2)
    summary = write_complete_marker(str(tmp_path), infos, _sid, 4)
    assert is_complete(str(tmp_path), 2) and not is_complete(str(tmp_path), 3)
    assert summary['class_fraction'] == [0.25, 0.25, 0.25, 0.25]
    assert summary['mean_confidence'] == pytest.approx(0.625)
    assert json.loads((tmp_path / '_COMPLETE.json').read_text())[
        'num_slices'] == 2
    # only final files, no temporary leftovers
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['_COMPLETE.json'] + [_sid(i) + '.npz' for i in infos])


def test_missing_and_corrupt_files(tmp_path):
    assert load_pseudo_label(str(tmp_path), 'nope') is None
    (tmp_path / 'bad.npz').write_bytes(b'not a zip')
    with pytest.raises(ValueError, match='Corrupt pseudo-label file.*bad.npz'):
        load_pseudo_label(str(tmp_path), 'bad')
    with pytest.raises(RuntimeError, match='missing'):
        write_complete_marker(str(tmp_path), _infos(1), _sid, 4)
