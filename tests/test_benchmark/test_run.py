"""elseg.benchmark.run: the run state machine and killed attempts."""
import json
import os

from elseg.benchmark.run import BenchmarkRun, settle_interrupted
from tests.conftest import REPO_ROOT


def test_run_state_decides_skip_evaluate_resume(tmp_path):
    run = BenchmarkRun('r', 'c.py', 0, str(tmp_path / 'run'), ['a=1'], [], [],
                       str(REPO_ROOT / 'tools'), str(REPO_ROOT))
    assert run.state() == 'new'
    (tmp_path / 'run').mkdir()
    (tmp_path / 'run' / 'iter_2.pth').write_bytes(b'x')
    assert run.state() == 'resume'
    assert '--resume' in run.describe()
    (tmp_path / 'run' / 'last_checkpoint').write_text(
        str(tmp_path / 'run' / 'iter_2.pth'))
    (tmp_path / 'run' / 'attempts.json').write_text(
        json.dumps([dict(returncode=0, wall_s=1.0)]))
    assert run.state() == 'evaluate'
    assert 'train.py' not in run.describe()
    (tmp_path / 'run' / 'result.json').write_text('{}')
    assert run.state() == 'done'


def test_settle_interrupted_counts_a_killed_attempt(tmp_path):
    log = tmp_path / 'bench_train.log'
    log.write_text('Iter(train) [ 250/1000]\n')
    os.utime(log, (1600.0, 1600.0))  # the killed process's last log line
    attempts = [dict(returncode=0, wall_s=30.0, started=900.0),
                dict(returncode=None, wall_s=None, started=1000.0)]
    settle_interrupted(attempts, str(log))
    assert attempts[0] == dict(returncode=0, wall_s=30.0, started=900.0)
    assert attempts[1]['wall_s'] == 600.0 and attempts[1]['interrupted']
    assert attempts[1]['returncode'] == -1  # never counts as trained
    # no log at all: nothing measurable, 0 s rather than a guess
    missing = [dict(returncode=None, wall_s=None, started=1000.0)]
    assert settle_interrupted(missing, str(tmp_path / 'none'))[0][
        'wall_s'] == 0.0
