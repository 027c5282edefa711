"""Shared fixtures: the real data folder (skipped when absent) and a phantom."""
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The shared real data, ``<repo>/../shared/data`` (never in the repo).
SHARED_DATA = REPO_ROOT / '..' / 'shared' / 'data'


@pytest.fixture(autouse=True)
def _mmseg_scope():
    """Build transforms / datasets in mmseg's registry scope, as configs do."""
    import elseg  # noqa: F401  (registers elseg's components)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')


@pytest.fixture(scope='session')
def acdc_root() -> Path:
    root = SHARED_DATA / 'ACDC'
    if not (root / 'val.list').is_file():
        pytest.skip(f'real ACDC data not found at {root.resolve()} (a user '
                    'machine does not have ../shared/data)')
    return root


@pytest.fixture(scope='session')
def abdomen_ct_root() -> Path:
    root = SHARED_DATA / 'abdomen_ct_example' / 'RawData' / 'Training'
    if not (root / 'img' / 'img0001.nii.gz').is_file():
        pytest.skip(f'example abdominal CT not found at {root.resolve()}')
    return root


@pytest.fixture(scope='session')
def phantom_root(tmp_path_factory) -> Path:
    """A tiny phantom (2 train, 1 val, 1 test patient, 64 x 64)."""
    from elseg.datasets.phantom import make_phantom
    root = tmp_path_factory.mktemp('phantom')
    make_phantom(str(root), n_train=2, n_val=1, n_test=1, size=64, seed=0)
    return root


#: A tiny mmseg segmentor config (1 channel in, 4 classes) for API tests.
TINY_MODEL = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.5], std=[0.25],
                           bgr_to_rgb=False, pad_val=0, seg_pad_val=255),
    backbone=dict(type='UNet', in_channels=1, base_channels=4, num_stages=2,
                  strides=(1, 1), enc_num_convs=(1, 1), dec_num_convs=(1, ),
                  downsamples=(True, ), enc_dilations=(1, 1),
                  dec_dilations=(1, ), norm_cfg=dict(type='BN'),
                  upsample_cfg=dict(type='InterpConv')),
    decode_head=dict(type='FCNHead', in_channels=4, in_index=-1, channels=4,
                     num_convs=1, concat_input=False, num_classes=4,
                     norm_cfg=dict(type='BN'), align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss')),
    train_cfg=dict(), test_cfg=dict(mode='whole'))


@pytest.fixture
def tiny_model_cfg() -> dict:
    """The config dict of :func:`tiny_model` (e.g. to write a config file)."""
    return TINY_MODEL


@pytest.fixture
def tiny_model():
    """A randomly initialised 2-level mmseg UNet + FCN head (4 classes)."""
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(ConfigDict(TINY_MODEL))
    with torch.no_grad():  # make the head favour several classes
        model.decode_head.conv_seg.bias.copy_(torch.tensor([0., .2, .1, .3]))
    return model.eval()


def write_tiny_elnet_config(path: Path, data_root: Path, stage1_iters: int = 3,
                            max_iters: int = 6, extra: str = '') -> Path:
    """Write a config: ELNet (elnet_unet-b16_128x128_acdc_cpu.py), a 2-level UNet
    at 32x32.

    Args:
        path (Path): Config file to write.
        data_root (Path): An ACDC-layout folder (e.g. the phantom).
        stage1_iters (int): Iterations of stage 1.
        max_iters (int): Iterations of both stages together.
        extra (str): More config lines appended at the end.

    Returns:
        Path: ``path``.
    """
    base = REPO_ROOT / 'configs' / 'elnet' / 'elnet_unet-b16_128x128_acdc_cpu.py'
    text = f'''
_base_ = [{str(base)!r}]
data_root = {str(data_root)!r}
crop_size = (32, 32)
model = dict(
    backbone=dict(_delete_=True, type='UNet', in_channels=1, base_channels=4,
                  num_stages=2, strides=(1, 1), enc_num_convs=(1, 1),
                  dec_num_convs=(1, ), downsamples=(True, ),
                  enc_dilations=(1, 1), dec_dilations=(1, ),
                  norm_cfg=dict(type='BN'), upsample_cfg=dict(type='InterpConv')),
    decode_head=dict(in_channels=4, channels=4, in_index=-1))
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters={stage1_iters},
                     batch_size=8)]
train_dataloader = dict(batch_size=4, num_workers=0, dataset=dict(
    scale=crop_size, dataset=dict(data_root=data_root)))
test_pipeline = [
    dict(type='LoadMedicalSlice', load_label=False),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadMedicalSlice', load_image=False, num_classes=4),
    dict(type='PackSegInputs', meta_keys={{{{_base_.meta_keys}}}}),
]
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval=10000)
param_scheduler = [dict(type='PolyLR', power=0.9, end={max_iters},
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval={stage1_iters}, max_keep_ckpts=10))
'''
    path.write_text(text + extra)
    return path


def build_exemplar_dataset(root, **kwargs):
    """An ExemplarLearningDataset over an ACDC-layout folder at 48 x 48.

    Random exemplar (seed 0), ESM on, packing only; ``kwargs`` override any
    argument (e.g. ``stream_ratios``, ``pipeline``).
    """
    from elseg.datasets import ExemplarLearningDataset
    cfg = dict(
        dataset=dict(type='ACDCDataset', data_root=str(root),
                     split_list='train_slices.list', mode='slices'),
        exemplar=dict(rule='random', seed=0),
        scale=(48, 48),
        num_classes=4,
        synthesis=dict(type='ExemplarSynthesis'),
        pipeline=[dict(type='PackSegInputs',
                       meta_keys=('img_path', 'volume_id', 'stream'))])
    cfg.update(kwargs)
    return ExemplarLearningDataset(**cfg)
