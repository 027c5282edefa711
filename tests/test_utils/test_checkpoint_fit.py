"""elseg.utils.checkpoint_fit: a checkpoint of another model is refused."""
import pytest
import torch
from torch import nn

from elseg.utils.checkpoint_fit import (CheckpointMismatchError,
                                        check_checkpoint_fits,
                                        checkpoint_state_dict,
                                        compare_state_dicts, mismatch_message)


class Net(nn.Module):

    def __init__(self, width=3, classes=2, teacher=False):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3)
        self.head = nn.Conv2d(width, classes, 1)
        if teacher:
            self.teacher = nn.Conv2d(1, width, 3)


class TeacherNet(Net):
    optional_checkpoint_prefixes = ('teacher.', )

    def __init__(self):
        super().__init__(teacher=True)


def test_compare_counts_missing_unexpected_and_misshaped_by_hand():
    model = dict(a=torch.zeros(2, 3), b=torch.zeros(4), c=torch.zeros(1))
    ckpt = dict(a=torch.zeros(3, 2), b=torch.zeros(4), d=torch.zeros(5),
                e=torch.zeros(1))
    fit = compare_state_dicts(model, ckpt)
    assert fit.missing == ['c']
    assert fit.unexpected == ['d', 'e']
    assert fit.mismatched == [('a', (3, 2), (2, 3))]
    assert (fit.n_model, fit.n_checkpoint) == (3, 4)
    assert not fit.ok
    assert compare_state_dicts(model, dict(model)).ok


def test_optional_prefixes_may_be_missing_but_not_misshaped():
    model = {'w': torch.zeros(2), 'teacher.w': torch.zeros(2)}
    assert compare_state_dicts(model, {'w': torch.ones(2)},
                               ('teacher.', )).ok
    fit = compare_state_dicts(model, {'w': torch.ones(2),
                                      'teacher.w': torch.ones(3)},
                              ('teacher.', ))
    assert fit.mismatched == [('teacher.w', (3, ), (2, ))]


def test_state_dict_unwrapped_as_mmengine_loads_it():
    sd = {'module.a': 1, 'b': 2}
    assert checkpoint_state_dict(dict(state_dict=sd, meta={})) == dict(a=1,
                                                                       b=2)
    assert checkpoint_state_dict(sd) == dict(a=1, b=2)
    with pytest.raises(ValueError, match='not a dict of tensors'):
        checkpoint_state_dict(dict(state_dict=[1, 2]))


def test_message_names_both_files_counts_and_two_examples():
    model = {f'k{i}': torch.zeros(1) for i in range(5)}
    ckpt = dict(x=torch.zeros(1), y=torch.zeros(1), z=torch.zeros(1),
                k0=torch.zeros(2))
    fit = compare_state_dicts(model, ckpt)
    msg = mismatch_message(fit, 'a.pth', 'cfg.py', 'unet_20260101')
    assert "checkpoint 'a.pth' does not fit the model of the config 'cfg.py'"\
        in msg
    assert "4 of the model's 5 parameters are missing (e.g. k1, k2, ...)" in msg
    assert "3 of the checkpoint's 4 are unexpected (e.g. x, y, ...)" in msg
    assert '1 have another shape (e.g. k0: checkpoint (2,) vs model (1,))' \
        in msg
    assert "experiment 'unet_20260101'" in msg
    assert 'another config' in msg and '--allow-mismatch' in msg


def test_check_file_refuses_another_model_and_a_foo_state_dict(tmp_path):
    torch.manual_seed(0)
    good, other, foo = (tmp_path / n for n in ('good.pth', 'other.pth',
                                               'foo.pth'))
    torch.save(dict(state_dict=Net().state_dict(),
                    meta=dict(experiment_name='net_run')), good)
    torch.save(dict(state_dict=Net(width=5, classes=4).state_dict(),
                    meta=dict(experiment_name='wide_run')), other)
    torch.save(dict(state_dict=dict(foo=torch.zeros(1))), foo)
    assert check_checkpoint_fits(Net(), str(good), 'c.py').ok
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_fits(Net(), str(other), 'c.py')
    # conv.weight, conv.bias, head.weight, head.bias: (3|5 channels, 2|4 cls)
    assert '4 have another shape' in str(err.value)
    assert "'wide_run'" in str(err.value)
    assert isinstance(err.value, ValueError)  # the tools' run_cli catches it
    with pytest.raises(CheckpointMismatchError,
                       match="4 of the model's 4 parameters are missing"):
        check_checkpoint_fits(Net(), str(foo), 'c.py')
    fit = check_checkpoint_fits(Net(), str(foo), 'c.py', allow_mismatch=True)
    assert fit.unexpected == ['foo'] and len(fit.missing) == 4


def test_a_model_declares_its_teacher_optional(tmp_path):
    path = tmp_path / 'student.pth'
    torch.save(dict(state_dict=Net().state_dict()), path)
    assert check_checkpoint_fits(TeacherNet(), str(path), 'c.py').ok
    # without the declaration the teacher's parameters are missing
    with pytest.raises(CheckpointMismatchError, match='2 of the model'):
        check_checkpoint_fits(Net(teacher=True), str(path), 'c.py')
    # a wrapper (TTA, DDP) is compared through its module
    wrapper = nn.Module()
    wrapper.module = TeacherNet()
    assert check_checkpoint_fits(wrapper, str(path), 'c.py').ok


def test_both_teacher_segmentors_declare_the_teacher_optional():
    from elseg.models.segmentors import (ConsistencyEncoderDecoder,
                                         MeanTeacherEncoderDecoder)
    for cls in (ConsistencyEncoderDecoder, MeanTeacherEncoderDecoder):
        assert cls.optional_checkpoint_prefixes == ('teacher.', )
