# Ablation of ELNet + consistency (acdc_cpu_consistency.py): no CutMix
# between unlabelled images.
_base_ = ['./acdc_cpu_consistency.py']
model = dict(consistency=dict(cutmix_prob=0.0))
