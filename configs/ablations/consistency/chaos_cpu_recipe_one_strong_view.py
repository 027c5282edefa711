# The CHAOS recipe (elnet-consistency_unet-b16_128x128_chaos_cpu.py) with the ACDC
# recipe's stage 2: one strong view per unlabelled slice, no feature-perturbation
# stream (FixMatch's weak-to-strong pair, Sohn et al. NeurIPS 2020), in place of
# UniMatch's two views + perturbed features. Stage 1 unchanged.
_base_ = ['../../elnet/elnet-consistency_unet-b16_128x128_chaos_cpu.py']
model = dict(consistency=dict(num_strong=1, fp=False))
