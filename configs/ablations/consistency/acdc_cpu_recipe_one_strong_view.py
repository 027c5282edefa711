# The ACDC recipe (elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py) with a
# cheaper stage 2: one strong view per unlabelled slice and no feature-perturbation
# stream (FixMatch's weak-to-strong pair, Sohn et al. NeurIPS 2020, in place of
# UniMatch's two strong views + perturbed features). A stage-2 step forwards
# 8 + 4 samples instead of 8 + 2 x 4 + 4. Stage 1 is the recipe's, so
# `tools/benchmark.py --share-stage1` starts it from the recipe's N_s.
_base_ = ['../../elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py']
model = dict(consistency=dict(num_strong=1, fp=False))
