# Table 3 "BS" / Table 4 row 1 (L_e only): the exemplar alone with the paper's
# rotation/flip augmentation, one stage of max_iters, no ESM, no PCEM.
_base_ = ['../acdc_cpu.py']
model = dict(contrastive_loss=None)
custom_hooks = []
train_dataloader = dict(dataset=dict(
    synthesis=None,
    stream_ratios=dict(_delete_=True, stage1=dict(exemplar=1),
                       stage2=dict(exemplar=1))))
