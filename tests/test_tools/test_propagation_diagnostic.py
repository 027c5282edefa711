"""tools/propagation_diagnostic.py on the phantom: the slices reached, the
scores written, and the copy baseline beside them."""
import importlib.util
import json
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / 'tools'
CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / 'ablations' /
          'propagation' / 'acdc_cpu_propagation_both.py')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'propagation_diagnostic', TOOLS / 'propagation_diagnostic.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scores_each_propagated_slice(phantom_root, tmp_path, capsys):
    out = tmp_path / 'diag.json'
    _tool().main([str(CONFIG), '--data-root', str(phantom_root),
                  '--exemplar', 'patient001_frame01_slice_3',
                  '--out', str(out)])
    printed = capsys.readouterr().out
    assert 'patient001_frame01_slice_3: 5 slices propagated in' in printed
    res = json.loads(out.read_text())
    assert len(res) == 1 and res[0]['exemplar'] == 'patient001_frame01_slice_3'
    slices = res[0]['slices']
    # +-1, +-2 (chained) and the ES frame at slice 3
    assert sorted(slices) == sorted(
        [f'patient001_frame01_slice_{n}' for n in (1, 2, 4, 5)] +
        ['patient001_frame02_slice_3'])
    assert [slices[f'patient001_frame01_slice_{n}']['steps']
            for n in (1, 2, 4, 5)] == [2, 1, 1, 2]
    for s in slices.values():
        assert len(s['dice']) == 3 and 0 < s['confidence'] <= 1
        assert 0 <= s['copy_mean_dice'] <= 1
    assert res[0]['seconds'] > 0


def test_config_without_propagation_takes_the_flags(phantom_root, capsys):
    config = CONFIG.parents[2] / 'elnet' / 'elnet_unet-b16_128x128_acdc_cpu.py'
    res = _tool().main([str(config), '--data-root', str(phantom_root),
                        '--exemplar', 'patient001_frame01_slice_3',
                        '--neighbours', '1', '--other-frames', '0'])
    assert sorted(res[0]['slices']) == [
        'patient001_frame01_slice_2', 'patient001_frame01_slice_4']
