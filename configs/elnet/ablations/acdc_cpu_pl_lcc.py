# Beyond the paper: before stage 2, keep only the largest 3D connected component per
# class of each unlabelled volume's pseudo labels (removes far false positives that
# stage 2 would otherwise learn as organs). Stage 1 is identical to acdc_cpu.py.
_base_ = ['../acdc_cpu.py']
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=2000,
                     largest_component=True)]
