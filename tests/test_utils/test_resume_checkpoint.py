"""--resume after a kill: atomic last_checkpoint, fallback, stale temp files."""
import torch
from mmengine.hooks import checkpoint_hook

from elseg.utils.checkpoint import find_resume_checkpoint, setup_checkpoint_io


def test_mmengine_writes_last_checkpoint_atomically(tmp_path):
    setup_checkpoint_io()
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text('/old/iter_2.pth')
    # the exact statement of mmengine's CheckpointHook, in its module
    with checkpoint_hook.open(str(pointer), 'w') as f:
        f.write('/new/iter_4.pth')
        assert pointer.read_text() == '/old/iter_2.pth'  # not truncated
    assert pointer.read_text() == '/new/iter_4.pth'
    assert not list(tmp_path.glob('.*'))
    with checkpoint_hook.open(str(pointer)) as f:  # reads are the builtin
        assert f.read() == '/new/iter_4.pth'


def _ckpt(path, it):
    torch.save(dict(meta=dict(iter=it)), path)
    return str(path)


def test_resume_uses_last_checkpoint_when_it_is_fine(tmp_path):
    two = _ckpt(tmp_path / 'iter_2.pth', 2)
    _ckpt(tmp_path / 'iter_4.pth', 4)
    (tmp_path / 'last_checkpoint').write_text(two + '\n')
    assert find_resume_checkpoint(str(tmp_path)) == (two, [])  # as mmengine
    assert find_resume_checkpoint(str(tmp_path / 'none')) == (None, [])


def test_broken_last_checkpoint_falls_back_to_newest_complete(tmp_path):
    _ckpt(tmp_path / 'iter_2.pth', 2)
    ten = _ckpt(tmp_path / 'iter_10.pth', 10)  # numeric, not text, order
    (tmp_path / 'iter_12.pth').write_bytes(b'PK\x03\x04 truncated')
    pointer = tmp_path / 'last_checkpoint'
    for content, problem in (('', 'is empty'),
                             ('/moved/iter_12.pth', 'does not exist'),
                             (str(tmp_path / 'iter_12.pth'), 'truncated')):
        pointer.write_text(content)
        path, notes = find_resume_checkpoint(str(tmp_path))
        assert path == ten
        assert problem in notes[0]
        assert any('Skipping the truncated checkpoint' in n for n in notes)
        assert f'newest complete checkpoint {ten}' in notes[-1]


def test_nothing_to_resume(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('')
    path, notes = find_resume_checkpoint(str(tmp_path))
    assert path is None and 'from scratch' in notes[-1]
