"""The config and tool paths the user guide and the docs name exist.

README.md, docs/*.md (the dated pages of docs/results/ and the rename table
left out: they name the paths of their time), the Makefile and the tools'
usage texts name configs as ``configs/elnet/x.py`` or, in tables,
``elnet/x.py``; each must be a file of the checkout.
"""
import re
from pathlib import Path
from typing import List

import pytest

from tests.conftest import REPO_ROOT

CONFIG_REF = re.compile(
    r'(?<![\w/.-])(?:configs/)?((?:elnet|baselines|ablations|benchmarks|_base_)'
    r'/[\w./+-]*?\.(?:py|yaml))(?![\w])')
TOOL_REF = re.compile(r'\bpython3? (tools/[\w/]+\.py)')


def doc_files() -> List[Path]:
    """The files whose paths the test checks."""
    docs = list((REPO_ROOT / 'docs').glob('*.md'))
    return [REPO_ROOT / 'README.md', REPO_ROOT / 'Makefile', *sorted(docs),
            *sorted((REPO_ROOT / 'tools').rglob('*.py'))]


def missing_paths(text: str) -> List[str]:
    """Config and tool paths named in ``text`` that are not files."""
    names = {'configs/' + m for m in CONFIG_REF.findall(text)}
    names |= set(TOOL_REF.findall(text))
    return sorted(n for n in names if not (REPO_ROOT / n).is_file())


def test_missing_paths_by_hand():
    text = ('python tools/train.py configs/elnet/acdc.py; `elnet/nope.py`; '
            'python tools/nope.py; see baselines/unet_bs_acdc_cpu.py and '
            'my_configs/elnet/x.py')
    assert missing_paths(text) == ['configs/elnet/nope.py', 'tools/nope.py']


@pytest.mark.parametrize('path', doc_files(),
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_named_paths_exist(path):
    assert missing_paths(path.read_text()) == [], path
