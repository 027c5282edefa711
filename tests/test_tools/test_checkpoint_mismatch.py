"""A checkpoint of another model is refused by every tool that loads one.

tools/test.py, tools/infer.py, tools/train.py --resume PATH and load_from:
one ``Error:`` paragraph naming the checkpoint, the config and the counts,
exit code 2, nothing written; ``--allow-mismatch`` loads anyway. Also the
other half of a user's evaluation: a converted evaluation-only folder read by
tools/test.py with a checkpoint that fits.
"""
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO_ROOT, TINY_MODEL, write_tiny_elnet_config
from tests.test_tools.test_data_tools import load_tool

pytestmark = pytest.mark.slow


def _run(*args):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _assert_refused(proc, ckpt, cfg, *words):
    assert proc.returncode == 2, proc.stderr[-3000:]
    err = proc.stderr
    assert 'Traceback' not in err and 'Error: ' in err, err[-3000:]
    message = err[err.index('Error: '):]
    assert (f'The checkpoint {str(ckpt)!r} does not fit the model of the '
            f'config {str(cfg)!r}') in message
    for word in words:
        assert word in message, message
    # mmengine's screens of key names are not printed
    assert 'unexpected key in source state_dict' not in err


@pytest.fixture
def setup(tmp_path, phantom_root):
    """A tiny ELNet config, a checkpoint of another model, a 'foo' one."""
    cfg = write_tiny_elnet_config(tmp_path / 'tiny_elnet.py', phantom_root)
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS
    other = MODELS.build(ConfigDict(TINY_MODEL, backbone=dict(
        TINY_MODEL['backbone'], base_channels=8), decode_head=dict(
            TINY_MODEL['decode_head'], in_channels=8, channels=8)))
    other_ckpt = tmp_path / 'other.pth'
    torch.save(dict(state_dict=other.state_dict(),
                    meta=dict(experiment_name='other_run')), other_ckpt)
    foo_ckpt = tmp_path / 'foo.pth'
    torch.save(dict(state_dict=dict(foo=torch.zeros(1))), foo_ckpt)
    return cfg, other_ckpt, foo_ckpt


def test_test_py_refuses_and_writes_nothing(tmp_path, setup):
    cfg, other, foo = setup
    work = tmp_path / 'work'
    proc = _run('tools/test.py', str(cfg), str(foo), '--work-dir', str(work))
    _assert_refused(proc, foo, cfg, 'parameters are missing',
                    "1 of the checkpoint's 1 are unexpected (e.g. foo)",
                    'another config', '--allow-mismatch')
    assert not work.exists()
    proc = _run('tools/test.py', str(cfg), str(other), '--work-dir', str(work))
    _assert_refused(proc, other, cfg, 'have another shape',
                    "experiment 'other_run'")
    assert not work.exists()


def test_train_py_resume_and_load_from_refuse(tmp_path, setup):
    cfg, other, _ = setup
    work = tmp_path / 'work'
    proc = _run('tools/train.py', str(cfg), '--work-dir', str(work),
                '--resume', str(other))
    _assert_refused(proc, other, cfg, 'have another shape')
    assert not work.exists()
    proc = _run('tools/train.py', str(cfg), '--work-dir', str(work),
                '--cfg-options', f'load_from={other}')
    _assert_refused(proc, other, cfg, 'have another shape')
    assert not work.exists()


def test_infer_refuses_unless_allowed(tmp_path, trained_other, capsys):
    cfg, ckpt, scan = trained_other
    out = tmp_path / 'pred'
    with pytest.raises(SystemExit) as exc:
        load_tool('infer').main([str(cfg), str(ckpt), str(scan), '--out',
                                 str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f'The checkpoint {str(ckpt)!r} does not fit' in err
    assert '2 have another shape (e.g. decode_head.conv_seg.bias' in err
    assert not out.exists()
    load_tool('infer').main([str(cfg), str(ckpt), str(scan), '--out',
                             str(out), '--allow-mismatch'])
    assert (out / 'a_pred.nii.gz').is_file()


@pytest.fixture
def trained_other(tmp_path, tiny_model_cfg):
    """The converted-NIfTI tiny config of test_convert_nifti and a checkpoint
    whose head has 5 classes instead of 4: only the classifier (conv_seg
    weight and bias) has another shape."""
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS

    from tests.test_tools.test_convert_nifti import (convert, save,
                                                     user_folder, volumes,
                                                     write_tiny_nifti_config)
    user_folder(tmp_path / 'src')
    convert(tmp_path, '--exemplar-label',
            str(tmp_path / 'src' / 'annotation.nii.gz'), '--exemplar-case', '2')
    cfg = write_tiny_nifti_config(tmp_path / 'tiny.py', tmp_path / 'out',
                                  tiny_model_cfg)
    other = MODELS.build(ConfigDict(tiny_model_cfg, decode_head=dict(
        tiny_model_cfg['decode_head'], num_classes=5, channels=4)))
    ckpt = tmp_path / 'five_classes.pth'
    torch.save(dict(state_dict=other.state_dict(), meta=dict(dataset_meta=dict(
        classes=('background', 'a', 'b', 'c', 'd')))), ckpt)
    img, _ = volumes()
    save(tmp_path / 'new' / 'a.nii.gz', img)
    return cfg, ckpt, tmp_path / 'new' / 'a.nii.gz'


def test_test_py_reads_an_evaluation_only_folder(tmp_path, capsys):
    """convert_nifti.py --eval-only, then the command it prints, with the
    own-data config and a checkpoint of that config's model."""
    from mmengine.config import Config

    from elseg.apis.checkpoint_check import build_config_model
    from tests.test_tools.test_convert_nifti import labelled_folder
    labelled_folder(tmp_path / 'src')
    load_tool('convert_nifti').main([
        str(tmp_path / 'src'), '--out', str(tmp_path / 'other'), '--modality',
        'MRI', '--classes', 'liver=1', 'spleen=2', '--eval-only'])
    config = 'configs/elnet/own_data_cpu.py'
    model = build_config_model(Config.fromfile(str(REPO_ROOT / config)))
    ckpt = tmp_path / 'own.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    work = tmp_path / 'work'
    proc = _run('tools/test.py', config, str(ckpt), '--work-dir', str(work),
                '--data-root', str(tmp_path / 'other'), '--split-list',
                'val.list')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    # the per-class table of the two volumes (random weights: any value)
    assert 'liver' in log and 'spleen' in log and 'HD95' in log
    assert 'does not fit' not in log
