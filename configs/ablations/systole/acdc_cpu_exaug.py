# ELNet CPU + systole synthesis + PCEM in stage 2 only (acdc_cpu_systole_pcem_s2.py)
# + the exemplar stream jittered in scale and intensity like ESM's organs
# (SegScaleIntensity, half the exemplar samples): ELNet with the recipe's fixes,
# without consistency.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
model = dict(pcem_stages=(2, ))
train_dataloader = dict(dataset=dict(
    synthesis=dict(source_transforms=[dict(
        type='CavityContraction', cavity=3, wall=2, prob=0.5,
        keep_range=(0.3, 1.0))]),
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)]))
