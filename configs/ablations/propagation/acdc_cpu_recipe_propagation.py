# The recommended ACDC recipe (elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py:
# one strong view in stage 2, the suggested exemplar) + exemplar propagation with the
# settings of acdc_cpu_propagation_both.py (configs/_base_/datasets/
# exemplar_propagation.py: neighbours +-1..+-2 chained and the patient's other frame).
_base_ = ['../../elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py',
          '../../_base_/datasets/exemplar_propagation.py']
train_dataloader = dict(dataset=dict(propagation={{_base_.propagation}}))
