"""elseg.registration sits just above elseg.utils (docs/design.md): it
imports torch, numpy and the standard library, no other elseg package."""
import ast

from tests.conftest import REPO_ROOT


def test_registration_imports_no_elseg_package_above_utils():
    files = sorted((REPO_ROOT / 'elseg' / 'registration').rglob('*.py'))
    assert len(files) == 3  # __init__, deformable, propagation
    upward = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                upward.append((path.name, node.module))  # from ..x import
            names = ([node.module or ''] if isinstance(node, ast.ImportFrom)
                     and not node.level else
                     [a.name for a in node.names]
                     if isinstance(node, ast.Import) else [])
            upward += [(path.name, n) for n in names
                       if n.startswith('elseg') and not n.startswith(
                           ('elseg.utils', 'elseg.registration'))]
    assert upward == []
    # and the check sees imports: propagation.py imports deformable
    tree = ast.parse((REPO_ROOT / 'elseg' / 'registration' /
                      'propagation.py').read_text())
    assert any(isinstance(n, ast.ImportFrom) and n.module == 'deformable'
               and n.level == 1 for n in ast.walk(tree))
