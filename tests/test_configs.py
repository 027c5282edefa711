"""Every config under configs/ parses and builds its model on CPU."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)


def test_configs_were_found():
    # mmseg's own config test silently finds none when run from elsewhere
    assert len(CONFIGS) > 0, f'no configs found under {CONFIG_DIR}'


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(
    p.relative_to(CONFIG_DIR)))
def test_config_builds_model(path):
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports['imports'] == ['elseg']
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params > 0
    head = model.decode_head
    assert head.num_classes == cfg.num_classes, (
        f'{path.name}: decode head has {head.num_classes} classes, the '
        f'dataset {cfg.num_classes}')
    # the train set wraps one exemplar; its scale matches the test resize
    train = cfg.train_dataloader.dataset
    assert train.type == 'ExemplarLearningDataset'
    resize = [t for t in cfg.test_dataloader.dataset.pipeline
              if t['type'] == 'Resize'][0]
    assert tuple(resize['scale'])[::-1] == tuple(train.scale)


@pytest.mark.parametrize('path', [p for p in CONFIGS if 'acdc' in p.name],
                         ids=lambda p: str(p.relative_to(CONFIG_DIR)))
def test_acdc_config_builds_training_data(path):
    """The training set of every ACDC config builds and yields both stages."""
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(str(path))
    root = Path(cfg.train_dataloader.dataset.dataset.data_root)
    if not root.is_absolute():
        root = CONFIG_DIR.parent / root
    if not (root / 'train_slices.list').is_file():
        # data/<name> is where a user links the data; a development checkout
        # reads the shared copy beside the repo
        from tests.conftest import SHARED_DATA
        root = SHARED_DATA / root.name
    if not (root / 'train_slices.list').is_file():
        pytest.skip(f'ACDC data not found at {root.resolve()}')
    cfg.train_dataloader.dataset.dataset.data_root = str(root)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    n = len(ds.patterns[1])
    streams = {ds[i]['data_samples'].metainfo['stream'] for i in range(n)}
    ratios = cfg.train_dataloader.dataset.stream_ratios.stage1
    expected = {k for k, v in ratios.items() if v}
    if cfg.train_dataloader.dataset.get('propagation'):
        assert len(ds.propagated) > 0  # served in the pseudo-label stream
        expected.add('unlabeled')
    assert streams == expected
    ds.set_stage(2)
    sample = ds[len(ds.patterns[2]) - 1]
    assert sample['inputs'].shape[-2:] == tuple(ds.scale)


def test_readme_cfg_options_backbone_example():
    """README's command-line backbone change builds and runs."""
    cfg = Config.fromfile(str(CONFIG_DIR / 'elnet' /
                              'elnet_unet-b16_128x128_acdc_cpu.py'))
    cfg.merge_from_dict({
        'model.backbone.base_channels': 32,
        'model.decode_head.in_channels': 32,
        'model.decode_head.channels': 32
    })
    model = MODELS.build(cfg.model).eval()
    out = model.encode_decode(torch.rand(1, 1, 64, 64),
                              [dict(img_shape=(64, 64))])
    assert out.shape == (1, 4, 64, 64)
    assert model.backbone.encoder[0][0].convs[0].conv.out_channels == 32
