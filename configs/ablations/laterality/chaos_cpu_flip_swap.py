# Laterality ablation on CHAOS: the paper's horizontal flips, but a flip swaps the
# labels of the two kidneys (flip_pairs, ESM and SegRotFlip), so "right kidney" keeps
# meaning the kidney that looks and lies like a right one. Liver and spleen are not
# mirror images and are not swapped.
_base_ = ['../../elnet/elnet_unet-b16_128x128_chaos_cpu.py']
train_dataloader = dict(dataset=dict(
    synthesis=dict(flip_prob=0.5, flip_pairs={{_base_.lateral_pairs}}),
    pipeline=[
        dict(type='SegRotFlip', rotate_prob=0.5, flip_prob=0.5, degree=(-20, 20),
             flip_pairs={{_base_.lateral_pairs}}),
        dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}}),
    ]))
# the pseudo-labelling TTA swaps the kidneys in the mirrored prediction too
custom_hooks = [dict(type='ExemplarTwoStageHook', stage1_iters=0.5,
                     flip_pairs={{_base_.lateral_pairs}})]
