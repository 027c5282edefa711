# ELNet + weak-to-strong consistency at the paper's scale (MT-UNet, 224x224, batch
# 12, Adam 1e-4, 20000 iterations, half per stage): the CPU recipe
# elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py without its re-labelling
# round (systole synthesis, PCEM in stage 2, exemplar-stream jitter, consistency
# in stage 2 from N_s) on elnet/acdc.py. Stage 2 keeps UniMatch's two strong views
# + perturbed features, as run at this scale on a GPU
# (docs/results/2026-11-30_acdc_gpu_paper_scale.md); the CPU recipe's one strong
# view is a cheaper step (configs/ablations/consistency/).
# Feature perturbation ('auto'): dropout on MT-UNet's bottleneck output.
_base_ = ['./acdc.py', '../_base_/models/consistency.py']
model = dict(
    type='ConsistencyEncoderDecoder', pcem_stages=(2, ),
    consistency={{_base_.consistency_after_stage1}})
train_dataloader = dict(dataset=dict(
    synthesis=dict(source_transforms=[dict(
        type='CavityContraction', cavity=3, wall=2, prob=0.5,
        keep_range=(0.3, 1.0))]),
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)],
    stream_ratios=dict(_delete_=True,
                       stage1=dict(exemplar=1, synthetic=3),
                       stage2=dict(exemplar=1, synthetic=3, unlabeled=4))))
