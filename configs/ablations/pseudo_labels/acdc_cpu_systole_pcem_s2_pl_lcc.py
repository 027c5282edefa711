# Beyond the paper, over the best CPU config (acdc_cpu_systole_pcem_s2.py): before
# stage 2, keep only the largest 3D connected component per class of each unlabelled
# volume's pseudo labels (far false positives are not learnt as organs). Stage 1 is
# unchanged, so `tools/benchmark.py --share-stage1` starts it from that row's N_s.
_base_ = ['../acdc_cpu_systole_pcem_s2.py']
custom_hooks = [dict(type='ExemplarTwoStageHook',
                     stage1_iters={{_base_.stage1_iters}}, largest_component=True)]
