"""Every elseg import follows the layer order of docs/design.md; no cycles.

The order is read from the doc's one line ``elseg.benchmark -> ... ->
elseg.utils``: a module may import its own subpackage and the subpackages to
the right of its own. Imports are read with ``ast`` from every ``.py`` file
under ``elseg/``, those inside functions included, relative ones resolved.
"""
import ast
import re

from tests.conftest import REPO_ROOT

ELSEG = REPO_ROOT / 'elseg'
DESIGN = REPO_ROOT / 'docs' / 'design.md'
LAYER_LINE = re.compile(r'^\s*(elseg\.\w+(?:\s*->\s*elseg\.\w+)+)\s*$')


def module_name(path):
    """``elseg/datasets/__init__.py`` -> ``elseg.datasets``."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def is_module(name):
    """Whether ``name`` is an elseg module or package on disk."""
    rel = REPO_ROOT.joinpath(*name.split('.'))
    return rel.with_suffix('.py').is_file() or (rel / '__init__.py').is_file()


def imports_of(source, module, is_package=False):
    """The elseg modules that ``source`` (module ``module``) imports.

    ``from X import name`` counts as an import of ``X.name`` when that is a
    module, else of ``X``; relative imports are resolved against ``module``.

    Returns:
        list[tuple[str, int]]: (imported module, line), in source order.
    """
    package = module if is_package else module.rsplit('.', 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module
                                          else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f'{target}.{alias.name}'
                found.append((sub if is_module(sub) else target, node.lineno))
    return sorted({(m, line) for m, line in found
                   if m == 'elseg' or m.startswith('elseg.')},
                  key=lambda x: x[1])


def import_graph():
    """Module -> [(imported elseg module, line)] for every elseg file."""
    graph = {}
    for path in sorted(ELSEG.rglob('*.py')):
        graph[module_name(path)] = imports_of(
            path.read_text(), module_name(path), path.name == '__init__.py')
    return graph


def doc_layers():
    """The layer order of docs/design.md, top first."""
    lines = [m.group(1) for m in map(LAYER_LINE.match,
                                     DESIGN.read_text().splitlines()) if m]
    assert len(lines) == 1, f'docs/design.md needs one layer line: {lines}'
    return [p.strip() for p in lines[0].split('->')]


def layer_of(module, layers):
    """Index of ``module``'s layer in ``layers`` (None: the package root)."""
    if module == 'elseg':
        return None
    top = '.'.join(module.split('.')[:2])
    assert top in layers, f'{module} is in no layer of docs/design.md'
    return layers.index(top)


def find_cycles(graph):
    """The import cycles of ``graph`` (module -> [(module, line)]).

    Returns:
        list[list[str]]: One cycle per strongly connected component of more
        than one module (or a module importing itself), sorted.
    """
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _ in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or any(w == v for w, _ in graph.get(v, ())):
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def test_parser_sees_function_level_and_relative_imports():
    source = ('from .pseudo_labels import load_pseudo_label\n'
              'def f():\n'
              '    from ..apis.pseudo_label import predict_probs\n'
              '    import elseg.utils.io\n'
              '    from . import transforms\n'
              '    import numpy\n')
    assert imports_of(source, 'elseg.datasets.exemplar_learning_dataset') == [
        ('elseg.datasets.pseudo_labels', 1),
        ('elseg.apis.pseudo_label', 3),
        ('elseg.utils.io', 4),
        ('elseg.datasets.transforms', 5)]
    # in a package's __init__, '.' is the package itself
    assert imports_of('from .io import atomic_write_bytes', 'elseg.utils',
                      is_package=True) == [('elseg.utils.io', 1)]


def test_cycle_finder_by_hand():
    graph = {'a': [('b', 1)], 'b': [('c', 1)], 'c': [('a', 1)],
             'd': [('a', 1), ('d', 2)], 'e': [('numpy', 1)]}
    assert find_cycles(graph) == [['a', 'b', 'c'], ['d']]
    assert find_cycles({'a': [('b', 1)], 'b': []}) == []


def test_layer_order_is_the_documented_one():
    layers = doc_layers()
    assert layers[0] == 'elseg.benchmark' and layers[-1] == 'elseg.utils'
    # every subpackage of elseg is in exactly one layer
    packages = sorted(f'elseg.{p.name}' for p in ELSEG.iterdir()
                      if (p / '__init__.py').is_file())
    assert sorted(layers) == packages


def test_every_import_follows_the_layer_order():
    layers = doc_layers()
    graph = import_graph()
    assert len(graph) >= 60  # every elseg file was read
    upward = []
    for module, targets in graph.items():
        mine = layer_of(module, layers)
        if mine is None:  # elseg/__init__.py imports every layer
            continue
        for target, line in targets:
            theirs = layer_of(target, layers)
            if theirs is None or theirs < mine:
                upward.append(f'{module}:{line} imports {target}')
    assert upward == []
    # and the check sees imports between layers
    hook = [t for t, _ in graph['elseg.engine.hooks.exemplar_two_stage_hook']]
    assert 'elseg.apis.pseudo_label' in hook
    assert 'elseg.datasets.pseudo_labels' in hook


def test_no_import_cycle_between_modules():
    graph = import_graph()
    assert find_cycles(graph) == []


def test_utils_imports_nothing_above_it():
    graph = import_graph()
    utils = {m: t for m, t in graph.items() if m.startswith('elseg.utils')}
    assert len(utils) >= 4  # __init__, checkpoint, cli, io
    upward = {m: [t for t, _ in targets if not t.startswith('elseg.utils')]
              for m, targets in utils.items()}
    assert {k: v for k, v in upward.items() if v} == {}
    # and the check sees imports: checkpoint.py is imported by utils/__init__
    assert 'elseg.utils.checkpoint' in [t for t, _ in graph['elseg.utils']]


def test_nothing_below_the_benchmark_imports_it():
    offenders = []
    for path in sorted(ELSEG.rglob('*.py')):
        if 'benchmark' in path.relative_to(ELSEG).parts:
            continue
        if 'elseg.benchmark' in path.read_text():
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []


def test_design_doc_names_existing_files():
    text = DESIGN.read_text()
    named = sorted(set(re.findall(r'\belseg/[\w/]+\.py\b', text)))
    assert len(named) >= 10
    missing = [p for p in named if not (REPO_ROOT / p).is_file()]
    assert missing == []
