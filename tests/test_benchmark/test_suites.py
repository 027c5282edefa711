"""elseg.benchmark.suites: suites files, command-line rows, option checks."""
import pytest
from mmengine.config import Config

from elseg.benchmark.run_options import check_user_options, seed_options
from elseg.benchmark.suites import load_suites, parse_rows
from tests.conftest import REPO_ROOT


def test_rows_suites_and_option_checks(tmp_path):
    assert parse_rows(['a/x.py', 'Y=b/x.py']) == {'x': 'a/x.py', 'Y': 'b/x.py'}
    with pytest.raises(ValueError, match="'x' is given twice"):
        parse_rows(['a/x.py', 'b/x.py'])
    with pytest.raises(ValueError, match='randomness.seed=3'):
        check_user_options(['train_cfg.max_iters=4', 'randomness.seed=3'])
    with pytest.raises(ValueError, match='dataset.exemplar.rule=random'):
        check_user_options(['train_dataloader.dataset.exemplar.rule=random'])
    # K labelled slices per seed: the seed's rule still chooses them
    check_user_options(['train_dataloader.dataset.exemplar.num=3',
                        'train_dataloader.dataset.exemplar.spread=volume'])
    suites = load_suites(str(REPO_ROOT / 'configs' / 'benchmarks' /
                             'acdc_cpu.yaml'))
    assert {'main', 'table1', 'table3', 'table4_loss',
            'table4_transforms'} <= set(suites)
    assert list(suites['table1']) == ['UNet-BS', 'MT-UNet-BS', 'MLDS', 'ELNet']
    files = sorted((REPO_ROOT / 'configs' / 'benchmarks').glob('*.yaml'))
    assert {f.name for f in files} >= {'acdc_cpu.yaml', 'acdc_gpu.yaml',
                                       'chaos_cpu.yaml'}
    for rows in (r for f in files for r in load_suites(str(f)).values()):
        for config in rows.values():
            if isinstance(config, dict):  # evaluation-only row
                assert isinstance(rows[config['from']], str), config
            else:
                assert (REPO_ROOT / config).is_file(), config
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'elnet' /
                              'elnet_unet-b16_128x128_acdc_cpu.py'))
    assert seed_options(cfg, 2, 'central') == [
        'randomness.seed=2', 'train_dataloader.dataset.exemplar.rule=central',
        'train_dataloader.dataset.exemplar.seed=2']
    cfg.train_dataloader.dataset.exemplar = 'patient001_frame01_slice_3'
    with pytest.raises(ValueError, match='patient001_frame01_slice_3'):
        seed_options(cfg, 2, 'random')
    assert seed_options(cfg, 2, 'config') == ['randomness.seed=2']


def test_suites_file_derived_rows(tmp_path):
    good = tmp_path / 'suites.yaml'
    good.write_text(
        'suites:\n  s:\n    A: a.py\n'
        '    A+LCC: {from: A, test_args: [--largest-cc]}\n'
        '    A-Ns: {from: A, checkpoint: stage1.pth}\n')
    rows = load_suites(str(good))['s']
    assert rows == {'A': 'a.py',
                    'A+LCC': {'from': 'A', 'checkpoint': None,
                              'test_args': ['--largest-cc']},
                    'A-Ns': {'from': 'A', 'checkpoint': 'stage1.pth',
                             'test_args': []}}
    for body, match in (
            ('    B: {from: A}\n    A: a.py\n', "from='A' must name a training"),
            ('    A: a.py\n    B: {from: A, ckpt: x}\n', "unknown keys.*ckpt"),
            ('    A: a.py\n    B: {from: A, checkpoint: ../x.pth}\n',
             'file name in the source run folder'),
            ('    A: a.py\n    B: {from: A, test_args: --tta}\n',
             'list of strings')):
        bad = tmp_path / 'bad.yaml'
        bad.write_text('suites:\n  s:\n' + body)
        with pytest.raises(ValueError, match=match):
            load_suites(str(bad))
