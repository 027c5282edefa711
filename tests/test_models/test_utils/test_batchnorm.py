"""frozen_batchnorm: running statistics used and kept, modes restored."""
import torch
from torch import nn

from elseg.models.utils import frozen_batchnorm


def test_frozen_batchnorm_by_hand():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)).train()
    net[1].running_mean.fill_(1.0)
    net[1].running_var.fill_(4.0)
    x = torch.randn(3, 1, 4, 4)
    with frozen_batchnorm(net):
        assert not net[1].training and net[0].training
        y = net(x)
    assert net[1].training
    # normalised by the running statistics: (conv(x) - 1) / sqrt(4 + eps)
    want = (net[0](x) - 1.0) / torch.sqrt(torch.tensor(4.0 + net[1].eps))
    torch.testing.assert_close(y, want)
    torch.testing.assert_close(net[1].running_mean, torch.ones(2))
    assert int(net[1].num_batches_tracked) == 0
    y.sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
    # a layer already in eval mode stays in eval mode
    net[1].eval()
    with frozen_batchnorm(net):
        pass
    assert not net[1].training
