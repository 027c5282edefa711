"""Bad input through tools/train.py: one clear message, exit code 2, no damage.

Each case runs the real CLI on a tiny ELNet config over a (modified) copy of
the phantom and checks the message names the file or value and the fix, and
that nothing was written to the work dir but the run's log folder. The
unregistered-type case is in test_train_test_resume.py.
"""
import hashlib
import os
import shutil
import subprocess
import sys

import h5py
import pytest

from tests.conftest import REPO_ROOT, write_tiny_elnet_config

pytestmark = pytest.mark.slow

EXEMPLAR = 'patient001_frame01_slice_2'  # shows all 4 classes


def _run(*args):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _train(cfg, work, *options):
    args = ['tools/train.py', str(cfg), '--work-dir', str(work)]
    if options:
        args += ['--cfg-options', *options]
    return _run(*args)


def _copy(phantom_root, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(phantom_root, root)
    return root


def _rewrite_label(path, fn):
    with h5py.File(path, 'a') as f:
        label = fn(f['label'][()])
        del f['label']
        f['label'] = label


def _assert_error(proc, *words):
    assert proc.returncode == 2, proc.stderr[-3000:]
    err = proc.stderr
    assert 'Error: ' in err and 'Traceback' not in err, err[-3000:]
    message = err[err.index('Error: '):]
    for word in words:
        assert word in message, message


def _assert_untouched(work):
    """Only the run's timestamped log folder and config dump were written."""
    names = {p.name for p in work.iterdir()} if work.exists() else set()
    assert not {n for n in names if n.endswith(('.pth', '.tmp'))}, names
    assert not names & {'last_checkpoint', 'pseudo_labels'}, names


def _missing_root(root, tmp_path):
    return tmp_path / 'no_such_dir'


def _empty_root(root, tmp_path):
    (tmp_path / 'empty').mkdir()
    return tmp_path / 'empty'


def _missing_list(root, tmp_path):
    (root / 'train_slices.list').unlink()
    return root


@pytest.mark.parametrize('make', [_empty_root, _missing_list],
                         ids=['empty_root', 'missing_list'])
def test_missing_data_or_split_list(make, phantom_root, tmp_path):
    data_root = make(_copy(phantom_root, tmp_path), tmp_path)
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', data_root)
    proc = _train(cfg, tmp_path / 'work')
    _assert_error(proc, 'split list not found',
                  f"'{data_root / 'train_slices.list'}'", 'Check `data_root`',
                  'make_phantom.py')
    _assert_untouched(tmp_path / 'work')


def test_missing_data_folder_says_where_to_put_it(phantom_root, tmp_path):
    """A fresh clone has no data/ACDC: the message names it and the fixes."""
    data_root = _missing_root(_copy(phantom_root, tmp_path), tmp_path)
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', data_root)
    proc = _train(cfg, tmp_path / 'work')
    _assert_error(proc, f"data folder '{data_root}' does not exist",
                  'ln -s /path/to/no_such_dir data/no_such_dir',
                  'train_dataloader.dataset.dataset.data_root=DIR',
                  'tools/test.py: --data-root DIR')
    assert 'make data/' not in proc.stderr  # the Makefile links ACDC only
    _assert_untouched(tmp_path / 'work')


def test_corrupt_hdf5_leaves_a_finished_work_dir_intact(phantom_root,
                                                         tmp_path):
    root = _copy(phantom_root, tmp_path)
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', root, stage1_iters=2,
                                  max_iters=4)
    work = tmp_path / 'work'
    assert _train(cfg, work).returncode == 0

    def snapshot():  # checkpoints, their pointer and the pseudo labels
        files = [*work.glob('*.pth'), work / 'last_checkpoint',
                 *(work / 'pseudo_labels').iterdir()]
        return {p.name: hashlib.sha1(p.read_bytes()).digest() for p in files}

    before = snapshot()
    bad = root / 'data' / 'slices' / 'patient002_frame01_slice_3.h5'
    bad.write_bytes(b'\x00garbage\xff' * 64)
    proc = _run('tools/train.py', str(cfg), '--work-dir', str(work),
                '--resume', '--cfg-options', 'train_cfg.max_iters=6')
    _assert_error(proc, f"Cannot read '{bad}' as HDF5",
                  're-create it with the converter')
    after = snapshot()
    assert {'iter_2.pth', 'iter_4.pth', '_COMPLETE.json'} <= set(after)
    assert after == before
    assert not list(work.glob('.*.tmp'))


def test_exemplar_lacking_a_class(phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', phantom_root)
    sid = 'patient001_frame01_slice_6'  # apical: no RV
    proc = _train(cfg, tmp_path / 'work',
                  f'train_dataloader.dataset.exemplar={sid}')
    _assert_error(proc, f"Exemplar '{sid}'", f'{sid}.h5', "lacks class(es) "
                  "['RV']", 'tools/select_exemplar.py')
    _assert_untouched(tmp_path / 'work')


def test_exemplar_with_unknown_label_values(phantom_root, tmp_path):
    root = _copy(phantom_root, tmp_path)
    path = root / 'data' / 'slices' / f'{EXEMPLAR}.h5'

    def add_class_7(label):
        label[0, :5] = 7
        return label

    _rewrite_label(path, add_class_7)
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', root)
    proc = _train(cfg, tmp_path / 'work',
                  f'train_dataloader.dataset.exemplar={EXEMPLAR}')
    _assert_error(proc, str(path), 'label values [7] outside the 4 classes',
                  'converter')
    _assert_untouched(tmp_path / 'work')


def test_image_label_shape_mismatch(phantom_root, tmp_path):
    root = _copy(phantom_root, tmp_path)
    path = root / 'data' / 'slices' / f'{EXEMPLAR}.h5'
    _rewrite_label(path, lambda label: label[:60])
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', root)
    proc = _train(cfg, tmp_path / 'work',
                  f'train_dataloader.dataset.exemplar={EXEMPLAR}')
    _assert_error(proc, 'Image/label shape mismatch', str(path),
                  'image (64, 64) vs label (60, 64)', 'Re-create the file')
    _assert_untouched(tmp_path / 'work')


@pytest.mark.parametrize('option, words', [
    ('model.decode_head.num_classes=3',
     ('model.decode_head.num_classes=3', 'have 4 classes',
      'Set model.decode_head.num_classes=4')),
    ('model.backbone.in_channels=3',
     ('1 channel', "backbone's in_channels=1 (it is 3)",
      'expected input[1, 1, 32, 32] to have 3 channels')),
], ids=['num_classes', 'in_channels'])
def test_model_does_not_fit_the_data(option, words, phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', phantom_root)
    proc = _train(cfg, tmp_path / 'work', option)
    _assert_error(proc, *words)
    _assert_untouched(tmp_path / 'work')


def test_no_unlabelled_slice_skips_stage2_with_a_warning(phantom_root,
                                                         tmp_path):
    root = _copy(phantom_root, tmp_path)
    (root / 'train_slices.list').write_text(EXEMPLAR + '\n')
    cfg = write_tiny_elnet_config(tmp_path / 'c.py', root, stage1_iters=2,
                                  max_iters=4)
    work = tmp_path / 'work'
    proc = _train(cfg, work, f'train_dataloader.dataset.exemplar={EXEMPLAR}')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = next(work.glob('2*/2*.log')).read_text()
    assert ('WARNING - No unlabelled slice: the training set holds only the '
            f"exemplar '{EXEMPLAR}', so pseudo-labelling and stage 2 are "
            'skipped and iterations 3..4 continue stage 1') in log
    assert 'Switched to stage 2' not in log
    assert 'Iter(train) [4/4]' in log and 'loss_seg_unlabeled' not in log
    assert not (work / 'pseudo_labels').exists()
    assert (work / 'iter_4.pth').is_file()


def test_corrupt_nifti_in_the_converter(tmp_path):
    folder = tmp_path / 'acdc' / 'patient001'
    folder.mkdir(parents=True)
    (folder / 'Info.cfg').write_text('ED: 1\nES: 2\n')
    for fr in (1, 2):
        for suffix in ('', '_gt'):
            (folder / f'patient001_frame{fr:02d}{suffix}.nii.gz').write_bytes(
                b'\x1f\x8bnot really gzip' * 20)
    out = tmp_path / 'out'
    proc = _run('tools/convert_acdc.py', str(tmp_path / 'acdc'), '--out',
                str(out))
    _assert_error(proc, f"Cannot read '{folder / 'patient001_frame01.nii.gz'}'"
                  ' as NIfTI', 'complete .nii/.nii.gz file')
    assert not out.exists() or not list(out.rglob('*.h5'))


@pytest.mark.skipif(__import__('torch').cuda.is_available(),
                    reason='checks the CPU-only message; this machine has CUDA')
def test_amp_on_cpu_names_the_fix(phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'cfg.py', phantom_root)
    proc = _run('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'w'),
                '--amp')
    _assert_error(proc, '--amp needs a CUDA GPU', 'Drop --amp')
    assert not (tmp_path / 'w').exists()


# ------------------------------------------------ not a checkpoint, no config
def _random_bytes(path):
    path.write_bytes(bytes(range(7, 250)) * 8)  # no pickle, zip or text
    # 243 bytes x 8 = 1944, starting 7, 8, 9...
    return path, ('holds 1944 bytes of unrecognised data (first bytes 07 08 '
                  '09 0a 0b 0c 0d 0e), not a torch checkpoint')


def _truncated(path):
    import torch
    torch.save(dict(state_dict=dict(w=torch.ones(64, 64))), str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path, f'is truncated: a zip archive (torch\'s checkpoint format) ' \
        f'cut off at {len(data) // 2} bytes'


def _empty(path):
    path.write_bytes(b'')
    return path, 'is empty (0 bytes)'


def _directory(path):
    path.mkdir()
    return path, 'is a directory, not a checkpoint file'


def _assert_not_a_checkpoint(proc, path, what):
    _assert_error(proc, f"'{path}' is not a checkpoint: it {what}",
                  'Pass a .pth file written by tools/train.py')
    assert 'If you trust this file' not in proc.stderr
    assert 'register_safe_globals' not in proc.stderr


@pytest.mark.parametrize('make', [_random_bytes, _truncated, _empty,
                                  _directory])
def test_test_py_on_a_file_that_is_not_a_checkpoint(make, phantom_root,
                                                    tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'cfg.py', phantom_root)
    path, what = make(tmp_path / 'corrupt.pth')
    work = tmp_path / 'test'
    proc = _run('tools/test.py', str(cfg), str(path), '--work-dir', str(work))
    _assert_not_a_checkpoint(proc, path, what)
    assert not work.exists()  # refused before the runner is built


def test_infer_py_on_a_file_that_is_not_a_checkpoint(phantom_root, tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'cfg.py', phantom_root)
    path, what = _random_bytes(tmp_path / 'corrupt.pth')
    proc = _run('tools/infer.py', str(cfg), str(path), str(tmp_path),
                '--out', str(tmp_path / 'preds'))
    _assert_not_a_checkpoint(proc, path, what)
    assert not (tmp_path / 'preds').exists()


def test_resume_and_load_from_a_file_that_is_not_a_checkpoint(phantom_root,
                                                              tmp_path):
    cfg = write_tiny_elnet_config(tmp_path / 'cfg.py', phantom_root)
    path, what = _truncated(tmp_path / 'iter_2.pth')
    work = tmp_path / 'w'
    proc = _run('tools/train.py', str(cfg), '--work-dir', str(work),
                '--resume', str(path))
    _assert_not_a_checkpoint(proc, path, what)
    assert not work.exists()
    empty, what = _empty(tmp_path / 'empty.pth')
    proc = _train(cfg, work, f'load_from={empty}')
    _assert_not_a_checkpoint(proc, empty, what)
    assert not work.exists()


def test_a_checkpoint_outside_the_allow_list_keeps_the_advice(tmp_path):
    """A readable checkpoint with a foreign object: the allow-list advice."""
    import pickle

    import torch
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'foreign.pth'
    torch.save(dict(meta=dict(path=tmp_path)), str(path))  # a PosixPath
    with pytest.raises(pickle.UnpicklingError, match='If you trust this file'):
        _load_checkpoint(str(path), map_location='cpu')


@pytest.mark.parametrize('tool', ['train.py', 'test.py', 'infer.py'])
def test_missing_config_is_one_line(tool, tmp_path):
    args = {'train.py': [], 'test.py': ['x.pth'],
            'infer.py': ['x.pth', 'in.nii.gz', '--out', str(tmp_path)]}[tool]
    proc = _run(f'tools/{tool}', 'configs/missing.py', *args)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert [ln for ln in proc.stderr.splitlines() if 'Error' in ln] == [
        "Error: config file 'configs/missing.py' does not exist; pass a "
        'config .py file, e.g. configs/elnet/elnet_unet-b16_128x128_acdc_cpu.py.']
