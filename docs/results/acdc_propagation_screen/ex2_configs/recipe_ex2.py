_base_ = ['../../../../configs/elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py']
train_dataloader = dict(dataset=dict(exemplar=dict(rule='central', seed=2)))
