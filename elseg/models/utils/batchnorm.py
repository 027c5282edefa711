"""BatchNorm helpers shared by the semi-supervised segmentors."""
import contextlib
from typing import Iterator

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@contextlib.contextmanager
def frozen_batchnorm(module: nn.Module) -> Iterator[None]:
    """BatchNorm layers of ``module`` use (and keep) their running statistics.

    Inside the block every ``_BatchNorm`` submodule in training mode is put in
    eval mode: it normalises with its running mean and variance and does not
    update them; gradients still flow. The previous modes are restored after.

    Args:
        module (nn.Module): The network.

    Yields:
        None
    """
    switched = [m for m in module.modules()
                if isinstance(m, _BatchNorm) and m.training]
    for m in switched:
        m.eval()
    try:
        yield
    finally:
        for m in switched:
            m.train()
