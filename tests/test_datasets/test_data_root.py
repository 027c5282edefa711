"""The data/<name> convention: a missing dataset folder says how to provide it.

The ACDC configs read ``data/ACDC`` relative to the repository root, which a
fresh clone does not have; building their data must then stop with one
message naming the folder and the fixes, not a bare missing-file error.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from elseg.datasets.exemplar import select_exemplar
from elseg.utils.io import check_data_root
from tests.conftest import REPO_ROOT

RECIPE = (REPO_ROOT / 'configs' / 'elnet' /
          'elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py')


def test_check_data_root(tmp_path, monkeypatch):
    for root in (None, '', tmp_path, str(tmp_path)):
        assert check_data_root(root) is None
    with pytest.raises(FileNotFoundError) as err:
        check_data_root(tmp_path / 'data' / 'ACDC')
    message = str(err.value)
    assert f"data folder '{tmp_path / 'data' / 'ACDC'}' does not exist" in (
        message)
    assert 'ln -s /path/to/ACDC data/ACDC' in message
    assert 'make data/ACDC SHARED_DATA=' in message
    # relative to the current directory; a file is not a dataset folder
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'f').write_text('')
    with pytest.raises(FileNotFoundError, match="'f' does not exist"):
        check_data_root('f')
    (tmp_path / 'data' / 'ACDC').mkdir(parents=True)
    assert check_data_root('data/ACDC') is None


def test_fresh_clone_without_data_acdc(tmp_path, monkeypatch):
    """The recipe's data, built where data/ACDC does not exist."""
    from mmseg.registry import DATASETS
    import elseg  # noqa: F401  (registers the datasets)
    cfg = Config.fromfile(str(RECIPE))
    assert cfg.train_dataloader.dataset.dataset.data_root == 'data/ACDC'
    assert cfg.val_dataloader.dataset.data_root == 'data/ACDC'
    monkeypatch.chdir(tmp_path)  # a checkout with no data/ folder
    for dataset in (cfg.train_dataloader.dataset, cfg.val_dataloader.dataset):
        with pytest.raises(FileNotFoundError) as err:
            DATASETS.build(dataset)
        assert "data folder 'data/ACDC' does not exist" in str(err.value)
        assert str(Path(tmp_path) / 'data' / 'ACDC') in str(err.value)
    with pytest.raises(FileNotFoundError, match='ln -s /path/to/ACDC'):
        select_exemplar('data/ACDC', rule='central', seed=0)
    # an absolute split list keeps its own message
    with pytest.raises(FileNotFoundError, match='Split list not found'):
        select_exemplar('data/ACDC', split_list=str(tmp_path / 'x.list'))
