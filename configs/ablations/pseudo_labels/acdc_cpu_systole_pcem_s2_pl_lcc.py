# Beyond the paper, over ELNet + systole synthesis + PCEM in stage 2
# (../systole/acdc_cpu_systole_pcem_s2.py): before
# stage 2, keep only the largest 3D connected component per class of each unlabelled
# volume's pseudo labels (far false positives are not learnt as organs). Stage 1 is
# unchanged, so `tools/benchmark.py --share-stage1` starts it from that row's N_s.
_base_ = ['../systole/acdc_cpu_systole_pcem_s2.py']
custom_hooks = [dict(type='ExemplarTwoStageHook',
                     stage1_iters=0.5, largest_component=True)]
