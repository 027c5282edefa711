"""run_cli: user errors become one message and exit code 2."""
import pytest
from mmengine.config import Config

from elseg.utils.cli import run_cli, setup_cpu_distributed, shutdown_distributed


def _raise(err):
    def fn():
        raise err
    return fn


@pytest.mark.parametrize('err, text', [
    (ValueError("Bad value 3 in 'a.h5': fix it."),
     "Error: Bad value 3 in 'a.h5': fix it."),
    (FileNotFoundError("split list not found: 'x/train.list'."),
     "Error: split list not found: 'x/train.list'."),
    (KeyError("'a.h5' has no dataset 'label'."),
     "Error: 'a.h5' has no dataset 'label'."),  # not re-quoted
])
def test_user_errors_print_one_message(err, text, capsys, monkeypatch):
    monkeypatch.delenv('ELSEG_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exc:
        run_cli(_raise(err), Config(dict()))
    assert exc.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.splitlines()[0] == text
    assert 'ELSEG_DEBUG=1' in stderr


def test_debug_env_var_keeps_the_exception(monkeypatch):
    monkeypatch.setenv('ELSEG_DEBUG', '1')
    with pytest.raises(ValueError, match='bad'):
        run_cli(_raise(ValueError('bad')))


def test_other_errors_and_results_pass_through(monkeypatch):
    monkeypatch.delenv('ELSEG_DEBUG', raising=False)
    with pytest.raises(RuntimeError, match='CUDA out of memory'):
        run_cli(_raise(RuntimeError('CUDA out of memory')))
    assert run_cli(lambda: 42) == 42


def test_unregistered_type_keeps_its_own_message(capsys, monkeypatch):
    monkeypatch.delenv('ELSEG_DEBUG', raising=False)
    err = KeyError('FCNHeadd is not in the mmseg::model registry.')
    with pytest.raises(SystemExit):
        run_cli(_raise(err), Config(dict(custom_imports=dict(
            imports=['elseg']))))
    stderr = capsys.readouterr().err
    assert "type 'FCNHeadd' is not registered" in stderr
    assert not stderr.startswith('Error:')


def test_cpu_distributed_setup_only_for_the_pytorch_launcher():
    cfg = Config(dict(launcher='none',
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    assert setup_cpu_distributed(cfg) is None
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in cfg


def test_flush_denormals_in_a_fresh_process():
    """1e-40 is a float32 denormal: kept without the flag, 0 with it."""
    import subprocess
    import sys
    code = ('import torch; from elseg.utils.cli import flush_denormals; '
            'a = (torch.tensor([1e-40]) * 1.0).item(); ok = flush_denormals(); '
            'b = (torch.tensor([1e-40]) * 1.0).item(); print(a, ok, b)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    assert float(out[0]) > 0 and out[1] == 'True' and float(out[2]) == 0.0


def test_shutdown_distributed_destroys_the_process_group(tmp_path):
    import torch.distributed as dist
    assert shutdown_distributed() is False  # not distributed: nothing to do
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)
    assert dist.is_initialized()
    assert shutdown_distributed() is True
    assert not dist.is_initialized()
