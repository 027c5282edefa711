# Ablation of ELNet + consistency after stage 1 (acdc_cpu_consistency_s2.py): no
# CutMix between unlabelled images in the strong views.
_base_ = ['./acdc_cpu_consistency_s2.py']
model = dict(consistency=dict(cutmix_prob=0.0))
