"""The machine a benchmark ran on, recorded with every run and in results.md."""
from __future__ import annotations

import os
import platform
from typing import Any, Dict


def machine_info() -> Dict[str, Any]:
    """Platform, CPU count, torch version and the training processes' threads.

    The runs are subprocesses that inherit this environment: their torch uses
    ``OMP_NUM_THREADS`` threads when it is set (this process's torch may have
    started before it was set), else torch's default, as here.

    Returns:
        dict: ``platform``, ``processor``, ``python``, ``cpu_count``,
        ``torch``, ``torch_num_threads``, ``omp_num_threads``, ``cuda``.
    """
    import torch
    omp = os.environ.get('OMP_NUM_THREADS', '')
    threads = int(omp) if omp.isdigit() and int(omp) > 0 else \
        torch.get_num_threads()
    return dict(
        platform=platform.platform(),
        processor=platform.processor() or platform.machine(),
        python=platform.python_version(),
        cpu_count=os.cpu_count(),
        torch=torch.__version__,
        torch_num_threads=threads,
        omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
        cuda=torch.cuda.is_available())


def describe_machine(m: Dict[str, Any]) -> str:
    """One line for results.md.

    Args:
        m (dict): :func:`machine_info`.

    Returns:
        str: e.g. ``'Linux-..., 2 CPUs, torch 2.13.0 (1 threads,
        OMP_NUM_THREADS=1), CUDA no'``.
    """
    return (f"{m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']} "
            f"({m['torch_num_threads']} threads, OMP_NUM_THREADS="
            f"{m['omp_num_threads']}), CUDA {'yes' if m['cuda'] else 'no'}")
