# UNet "BS" baseline on CHAOS: mmseg's UNet trained on the exemplar alone (no ESM, no
# PCEM, one stage), same data, augmentation (no horizontal flips), schedule and budget
# as elnet/elnet_unet-b16_128x128_chaos_cpu.py.
_base_ = ['../elnet/elnet_unet-b16_128x128_chaos_cpu.py']
model = dict(contrastive_loss=None)
custom_hooks = []
train_dataloader = dict(dataset=dict(
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1))))
