# ELNet + weak-to-strong consistency after stage 1 on CHAOS at the paper's scale
# (elnet/chaos.py: MT-UNet, 224x224, batch 12, Adam 1e-4, 20000 iterations, half per
# stage, no horizontal flips): the CPU recipe
# elnet-consistency_unet-b16_128x128_chaos_cpu.py (exemplar-stream jitter; stage 2
# from N_s with its pseudo labels plus
# UniMatch-style consistency on the unlabelled slices, half of each batch).
_base_ = ['./chaos.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency_after_stage1}})
train_dataloader = dict(dataset=dict(
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)],
    stream_ratios=dict(stage2=dict(unlabeled=4))))
