# Ablation of ELNet + consistency (acdc_cpu_consistency.py): consistency only
# after stage 1, i.e. stage 1 is the plain ELNet N_s (exemplar + synthetic
# batches), stage 2 continues from N_s's weights with its fixed pseudo labels
# plus the consistency losses.
_base_ = ['../acdc_cpu_consistency.py']
model = dict(consistency=dict(stages=(2, )))
train_dataloader = dict(dataset=dict(stream_ratios=dict(
    stage1=dict(_delete_=True, exemplar=1, synthetic=3))))
