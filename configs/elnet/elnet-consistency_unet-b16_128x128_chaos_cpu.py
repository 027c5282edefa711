# ELNet + weak-to-strong consistency after stage 1 on CHAOS (the ACDC recipe of
# acdc_cpu_consistency_s2.py moved over, no horizontal flips as chaos_cpu.py):
# stage 1 is chaos_cpu.py's N_s, stage 2 continues from it with the fixed pseudo
# labels plus UniMatch-style consistency on 4 unlabelled slices per batch of 8.
_base_ = ['./chaos_cpu.py', '../_base_/models/consistency.py']
model = dict(type='ConsistencyEncoderDecoder',
             consistency={{_base_.consistency_after_stage1}})
train_dataloader = dict(dataset=dict(
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)],
    stream_ratios=dict(stage2=dict(unlabeled=4))))
