"""elseg.utils is the floor: it imports no other elseg package (docs/design.md)."""
import ast

from tests.conftest import REPO_ROOT


def _elseg_imports(path):
    """Absolute ``elseg.*`` modules a file imports (relative ones resolved)."""
    package = 'elseg.utils'
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from .. import y
                base = package.split('.')[:len(package.split('.')) -
                                          node.level + 1]
                found.append('.'.join(base + ([node.module] if node.module
                                              else [])))
            else:
                found.append(node.module)
    return [m for m in found if m == 'elseg' or m.startswith('elseg.')]


def test_utils_imports_nothing_above_it():
    files = sorted((REPO_ROOT / 'elseg' / 'utils').rglob('*.py'))
    assert len(files) >= 4  # __init__, checkpoint, cli, io
    upward = {f.name: [m for m in _elseg_imports(f)
                       if not m.startswith('elseg.utils')] for f in files}
    assert {k: v for k, v in upward.items() if v} == {}
    # and the check sees imports: checkpoint.py is imported by utils/__init__
    assert 'elseg.utils.checkpoint' in _elseg_imports(
        REPO_ROOT / 'elseg' / 'utils' / '__init__.py')


def test_nothing_below_the_benchmark_imports_it():
    offenders = []
    for path in sorted((REPO_ROOT / 'elseg').rglob('*.py')):
        if 'benchmark' in path.relative_to(REPO_ROOT / 'elseg').parts:
            continue
        if 'elseg.benchmark' in path.read_text():
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []
