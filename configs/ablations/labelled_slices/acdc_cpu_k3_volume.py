# The recommended ACDC recipe with 3 labelled slices instead of one (the rule's slice and its nearest slices of the same volume).
_base_ = ['../../elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py']
train_dataloader = dict(dataset=dict(exemplar=dict(num=3, spread='volume')))
