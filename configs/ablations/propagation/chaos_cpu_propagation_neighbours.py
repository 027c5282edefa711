# The recommended CHAOS recipe (elnet-consistency_unet-b16_128x128_chaos_cpu.py) + exemplar propagation
# to the neighbouring slices +-1..+-2 of the exemplar's volume (chained; CHAOS
# volumes have no other frame), as acdc_cpu_propagation_both.py.
_base_ = ['../../elnet/elnet-consistency_unet-b16_128x128_chaos_cpu.py']
propagation = dict(neighbours=2, other_frames=False, max_folding=0.02,
                   ratios=dict(stage1=1, stage2=1), esm_prob=0.5)
train_dataloader = dict(dataset=dict(propagation=propagation))
