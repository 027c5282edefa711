# ELNet CPU + systole synthesis (acdc_cpu_systole.py) with PCEM in stage 2 only: the
# combination the CPU Table 4 points to (configs/ablations/paper_table4/).
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
model = dict(pcem_stages=(2, ))
train_dataloader = dict(dataset=dict(synthesis=dict(source_transforms=[dict(
    type='CavityContraction', cavity=3, wall=2, prob=0.5,
    keep_range=(0.3, 1.0))])))
