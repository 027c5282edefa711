# Laterality ablation on ACDC: no horizontal flips (ESM flip probability 0, SegRotFlip
# rotations only), as the CHAOS configs. The RV lies on the left of the LV in every
# short-axis slice (SSL4MIS orientation), so flips may hide a position cue here too.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
train_dataloader = dict(dataset=dict(
    synthesis=dict(flip_prob=0.0),
    pipeline=[
        dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.0, degree=(-20, 20)),
        dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
    ]))
