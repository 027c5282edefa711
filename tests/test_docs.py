"""README and docs stay a user guide: length, one results table per dataset,
no history words outside dated results pages, working relative links.

The checker functions are tested on small hand-written examples first, then
applied to the repository's README.md and docs/.
"""
import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / 'README.md'
DOCS = ROOT / 'docs'
RESULTS = DOCS / 'results'
RESULTS_INDEX = RESULTS / 'README.md'

README_MAX_LINES = 250
RESULTS_TABLE_MAX_ROWS = 8

DATED_PAGE = re.compile(r'^\d{4}-\d{2}-\d{2}_.*\.md$')

# Words about the project's own history. Each pattern is narrow on purpose:
# "issue" alone ("a known issue") and "was" in a sentence are normal English.
HISTORY_PATTERNS = {
    'session': re.compile(r'\bsessions?\b', re.IGNORECASE),
    'issue number': re.compile(r'\bissues?\s*#?\s*\d+', re.IGNORECASE),
    # 7-40 hex digits holding at least one digit and one letter, standing alone
    'commit hash': re.compile(
        r'(?<![\w./#-])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![\w-]|\.\w)'),
    # "(was 1.0)", "(0.326, was 0.281)": the parenthetical of an old value
    '(was ...)': re.compile(r'\((?:[^()\n]*?[,;]\s*)?was\s[^()\n]*\)',
                            re.IGNORECASE),
}

LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
TABLE_SEPARATOR = re.compile(r'^\|(\s*:?-{3,}:?\s*\|)+\s*$')
DATASET_LABEL = re.compile(r'^\*\*([^*]+)\*\*')
REPO_PATH = re.compile(
    r'(?<![\w./-])(?:(?:configs|tools)/[\w./-]+\.(?:py|sh|yaml)'
    r'|(?:elnet|baselines)/[\w./-]+\.py)(?![\w/])')
PER_EXEMPLAR = re.compile(r'\*\*\d\.\d+\*\* (\(\d\.\d+(?:, \d\.\d+)+\))')


def history_words(text: str) -> List[Tuple[int, str, str]]:
    """Find words about the project's history in a text.

    Args:
        text (str): Markdown or plain text.

    Returns:
        list[tuple[int, str, str]]: ``(line number from 1, pattern name,
        matched text)`` for every hit, in reading order.
    """
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for name, pattern in HISTORY_PATTERNS.items():
            hits.extend((number, name, m.group(0)) for m in pattern.finditer(line))
    return hits


def markdown_tables(text: str) -> List[Tuple[str, List[str], int]]:
    """Split the Markdown tables of a text out, with the dataset they belong to.

    A table is a header line followed by a ``|---|`` separator line and the
    ``|`` lines after it. Its dataset is the bold lead of the last paragraph
    before it that starts with ``**Name**`` (empty when there is none).

    Args:
        text (str): Markdown text.

    Returns:
        list[tuple[str, list[str], int]]: ``(dataset, header cells, number of
        body rows)`` per table, in reading order.
    """
    lines = text.splitlines()
    tables = []
    dataset = ''
    i = 0
    while i < len(lines):
        label = DATASET_LABEL.match(lines[i])
        if label:
            dataset = label.group(1).strip().rstrip(',')
        if (lines[i].startswith('|') and i + 1 < len(lines)
                and TABLE_SEPARATOR.match(lines[i + 1])):
            header = [c.strip() for c in lines[i].strip().strip('|').split('|')]
            j = i + 2
            while j < len(lines) and lines[j].startswith('|'):
                j += 1
            tables.append((dataset, header, j - i - 2))
            i = j
            continue
        i += 1
    return tables


def results_tables_per_dataset(text: str) -> Dict[str, List[int]]:
    """Count the results tables (a header with an ``mDice`` column) per dataset.

    Args:
        text (str): Markdown text.

    Returns:
        dict[str, list[int]]: dataset -> the body-row count of each of its
        results tables.
    """
    counts: Dict[str, List[int]] = {}
    for dataset, header, rows in markdown_tables(text):
        if any('mdice' in cell.lower() for cell in header):
            counts.setdefault(dataset, []).append(rows)
    return counts


def relative_links(text: str) -> List[str]:
    """Return the link targets of a Markdown text that point into the repository.

    Web addresses (``scheme://``), ``mailto:`` and pure ``#anchor`` links are
    left out; a ``#fragment`` is cut off the rest.

    Args:
        text (str): Markdown text.

    Returns:
        list[str]: relative paths, in reading order.
    """
    targets = []
    for m in LINK.finditer(text):
        target = m.group(1)
        if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.IGNORECASE):
            continue
        path = target.split('#', 1)[0]
        if path:
            targets.append(path)
    return targets


def heading_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading.

    Args:
        heading (str): a heading line (``## Your own data``) or its text.

    Returns:
        str: the anchor, e.g. ``'your-own-data'``.
    """
    text = heading.lstrip('#').strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors_of(text: str) -> List[str]:
    """Anchors of every heading of a Markdown text (code blocks left out)."""
    anchors, in_code = [], False
    for line in text.splitlines():
        if line.startswith('```'):
            in_code = not in_code
        elif not in_code and re.match(r'^#{1,6} ', line):
            anchors.append(heading_anchor(line))
    return anchors


def repo_paths(text: str) -> List[str]:
    """Config and tool files a text names, as paths from the repository root.

    ``configs/...`` and ``tools/...`` paths are taken as they stand; the short
    ``elnet/...`` and ``baselines/...`` of the results tables get ``configs/``
    in front. A path inside a longer one (``work_dirs/configs/x.py``) is not
    taken.

    Args:
        text (str): Markdown text.

    Returns:
        list[str]: the paths, in reading order.
    """
    paths = []
    for m in REPO_PATH.finditer(text):
        path = m.group(0)
        paths.append(path if path.startswith(('configs/', 'tools/'))
                     else 'configs/' + path)
    return paths


def guide_pages() -> List[Path]:
    """README and the docs pages that are not dated results pages."""
    pages = [README] + sorted(DOCS.glob('*.md')) + [RESULTS_INDEX]
    return [p for p in pages if p.exists()]


def dated_pages() -> List[Path]:
    """The dated results pages of docs/results/."""
    return sorted(p for p in RESULTS.glob('*.md') if DATED_PAGE.match(p.name))


# ---------------------------------------------------------------- the checkers


@pytest.mark.parametrize('text, expected', [
    ('Measured in this session.', [(1, 'session', 'session')]),
    ('Sessions of the lead.', [(1, 'session', 'Sessions')]),
    ('see issue 14, item 3', [(1, 'issue number', 'issue 14')]),
    ('Issue #3 and issues 13', [(1, 'issue number', 'Issue #3'),
                                (1, 'issue number', 'issues 13')]),
    ('the configs at c3a83c5 + LCC', [(1, 'commit hash', 'c3a83c5')]),
    ('weight 0.1 (was 1.0)', [(1, '(was ...)', '(was 1.0)')]),
    ('x\nstays the weakest (0.326, was 0.281).',
     [(2, '(was ...)', '(0.326, was 0.281)')]),
])
def test_history_words_finds(text, expected):
    assert history_words(text) == expected


@pytest.mark.parametrize('text', [
    'A known issue of mmcv; the issue tracker.',
    'The 3 px margin was set before measuring (it was not varied).',
    '(which was measured on the val volumes)',
    'sessionless, obsession',
    'deadbeef is hex without digits; 1234567 is digits only; 0xdeadbee1',
    'colour #1f77b4, path a/b1c2d3e4f, file f00dcafe5.json',
    'torch 2.13.0, patient091_frame01_slice_4, 1311 slices',
])
def test_history_words_ignores_normal_english(text):
    assert history_words(text) == []


HAND_MARKDOWN = """# Title

| flag | effect |
|---|---|
| `--tta` | flips |

**ACDC**, 20 volumes.

| row | mDice |
|---|---:|
| a | 0.5 |
| b | 0.4 |

**CHAOS**, 4 volumes.

| row | **mDice** (per exemplar) |
|:---|---:|
| c | 0.3 |

| row | mDice |
|---|---|
| d | 0.2 |
| e | 0.1 |
| f | 0.0 |
"""


def test_markdown_tables_by_hand():
    tables = markdown_tables(HAND_MARKDOWN)
    assert [(d, rows) for d, _, rows in tables] == [
        ('', 1), ('ACDC', 2), ('CHAOS', 1), ('CHAOS', 3)]
    assert tables[0][1] == ['flag', 'effect']
    assert tables[2][1] == ['row', '**mDice** (per exemplar)']


def test_results_tables_per_dataset_by_hand():
    # the flag table has no mDice column; CHAOS has two results tables
    assert results_tables_per_dataset(HAND_MARKDOWN) == {
        'ACDC': [2], 'CHAOS': [1, 3]}


def test_relative_links_by_hand():
    text = ('[a](docs/a.md) [web](https://x.org/b.md) [top](#quick-start) '
            '[b](results/b.md#sec) ![img](x/results.png) '
            '[mail](mailto:me@x.org) [t](c.md "title")')
    assert relative_links(text) == [
        'docs/a.md', 'results/b.md', 'x/results.png', 'c.md']


def test_repo_paths_by_hand():
    text = ('python tools/train.py configs/elnet/acdc.py; `elnet/chaos_cpu.py` '
            '+ `baselines/unet_bs_acdc_cpu.py`, suites in '
            'configs/benchmarks/chaos_cpu.yaml, bash tools/install.sh; not '
            'work_dirs/configs/x.py nor data/elnet/y.py nor configs/_base_/')
    assert repo_paths(text) == [
        'tools/train.py', 'configs/elnet/acdc.py', 'configs/elnet/chaos_cpu.py',
        'configs/baselines/unet_bs_acdc_cpu.py',
        'configs/benchmarks/chaos_cpu.yaml', 'tools/install.sh']


@pytest.mark.parametrize('heading, anchor', [
    ('## Your own data', 'your-own-data'),
    ('## Train, test, infer', 'train-test-infer'),
    ('## Recipes: which config to run', 'recipes-which-config-to-run'),
    ('### GPU (paper scale)', 'gpu-paper-scale'),
])
def test_heading_anchor_by_hand(heading, anchor):
    assert heading_anchor(heading) == anchor


def test_anchors_of_skips_code_blocks():
    text = '# A b\n```bash\n# not a heading\n```\n## C-d\n'
    assert anchors_of(text) == ['a-b', 'c-d']


# ---------------------------------------------------------- the repository


def test_readme_at_most_250_lines():
    lines = README.read_text(encoding='utf-8').splitlines()
    assert 0 < len(lines) <= README_MAX_LINES, (
        f'README.md has {len(lines)} lines (at most {README_MAX_LINES}): '
        'move details to a page under docs/ and link it')


def test_readme_one_results_table_per_dataset():
    counts = results_tables_per_dataset(README.read_text(encoding='utf-8'))
    assert len(counts) >= 2, f'expected ACDC and CHAOS tables, found {counts}'
    assert '' not in counts, 'a results table without a **Dataset** lead'
    for dataset, rows in counts.items():
        assert len(rows) == 1, f'{dataset}: {len(rows)} results tables in README'
        assert 1 <= rows[0] <= RESULTS_TABLE_MAX_ROWS, (
            f'{dataset}: {rows[0]} rows (at most {RESULTS_TABLE_MAX_ROWS})')


def test_readme_numbers_come_from_results_pages():
    """Each per-exemplar tuple of README's tables stands in a results page."""
    readme = README.read_text(encoding='utf-8')
    tuples = PER_EXEMPLAR.findall(readme)
    assert len(tuples) >= 10
    pages = ''.join(p.read_text(encoding='utf-8') for p in dated_pages())
    missing = [t for t in tuples if t not in pages]
    assert missing == []


def test_readme_names_existing_configs_and_tools():
    paths = repo_paths(README.read_text(encoding='utf-8'))
    assert len(paths) >= 20
    assert sorted({p for p in paths if not (ROOT / p).is_file()}) == []


@pytest.mark.parametrize('page', guide_pages(),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_history_words_outside_dated_results(page):
    hits = history_words(page.read_text(encoding='utf-8'))
    assert hits == [], (
        f'{page.relative_to(ROOT)}: history words (line, kind, text) {hits}; '
        'move the passage to a dated docs/results page or link one')


@pytest.mark.parametrize('page', [README, RESULTS_INDEX],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_exist(page):
    text = page.read_text(encoding='utf-8')
    targets = relative_links(text)
    assert targets, f'{page.name} links nothing'
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert missing == []
    own = anchors_of(text)
    bad_anchors = [a for a in re.findall(r'\]\(#([^)]+)\)', text) if a not in own]
    assert bad_anchors == []


def test_results_index_lists_every_dated_page():
    index = RESULTS_INDEX.read_text(encoding='utf-8')
    linked = set(relative_links(index))
    pages = dated_pages()
    assert len(pages) >= 10
    assert [p.name for p in pages if p.name not in linked] == []
    # one line per page: the page is the first link of exactly one bullet
    leads = re.findall(r'^- \[[^\]]*\]\(([^)#]+)\)', index, re.MULTILINE)
    assert sorted(lead for lead in leads if DATED_PAGE.match(lead)) == [
        p.name for p in pages]


def test_superseded_pages_say_so_and_by_what_first():
    superseded = [p for p in dated_pages()
                  if 'superseded' in p.name
                  or 'superseded' in p.read_text(encoding='utf-8')
                  .splitlines()[0].lower()]
    assert len(superseded) >= 3
    for page in superseded:
        first = page.read_text(encoding='utf-8').splitlines()[0]
        assert re.match(r'^# Superseded by \[', first), (page.name, first)
        successors = relative_links(first)
        assert successors and all((RESULTS / s).exists() for s in successors), (
            page.name, successors)
