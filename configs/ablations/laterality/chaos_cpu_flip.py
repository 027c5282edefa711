# Laterality ablation on CHAOS: horizontal flips as in the paper (ESM flip
# probability 0.5, SSL4MIS turn-and-flip 0.5, flip TTA when pseudo-labelling), labels
# kept (a flipped left kidney is still labelled "left" although it now lies on the
# right side). Against ELNet without flips (elnet_unet-b16_128x128_chaos_cpu.py):
# results in README.md here.
_base_ = ['../../elnet/elnet_unet-b16_128x128_chaos_cpu.py']
train_dataloader = dict(dataset=dict(
    synthesis=dict(flip_prob=0.5),
    pipeline=[
        dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.5, degree=(-20, 20)),
        dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
    ]))
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5)]
