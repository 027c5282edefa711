# The recommended CHAOS recipe (elnet-consistency_unet-b16_128x128_chaos_cpu.py) + exemplar propagation
# to the neighbouring slices +-1..+-2 of the exemplar's volume (chained; CHAOS
# volumes have no other frame), as acdc_cpu_propagation_both.py.
_base_ = ['../../elnet/elnet-consistency_unet-b16_128x128_chaos_cpu.py',
          '../../_base_/datasets/exemplar_propagation.py']
train_dataloader = dict(dataset=dict(
    propagation={{_base_.propagation_neighbours}}))
