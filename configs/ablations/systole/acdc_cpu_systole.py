# ELNet CPU config + ESM cavity contraction (not in the paper): half of the
# synthetic samples shrink the exemplar's LV cavity to 30-100% of its area and
# thicken the Myo inward, as at end-systole. Motivation: with an end-diastolic
# exemplar, the val ES frames scored far below the ED frames (README.md here).
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
train_dataloader = dict(dataset=dict(synthesis=dict(
    source_transforms=[dict(type='CavityContraction', cavity=3, wall=2,
                            prob=0.5, keep_range=(0.3, 1.0))])))
