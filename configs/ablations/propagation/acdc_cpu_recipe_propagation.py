# The recommended ACDC recipe (elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py:
# one strong view in stage 2, the suggested exemplar) + exemplar propagation with the
# settings of acdc_cpu_propagation_both.py (neighbours +-1..+-2 chained and the
# patient's other frame; fixed before any measurement).
_base_ = ['../../elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py']
propagation = dict(neighbours=2, other_frames=True, max_folding=0.02,
                   ratios=dict(stage1=1, stage2=1), esm_prob=0.5)
train_dataloader = dict(dataset=dict(propagation=propagation))
