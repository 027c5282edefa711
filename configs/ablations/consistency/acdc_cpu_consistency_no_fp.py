# Ablation of ELNet + consistency (acdc_cpu_consistency.py): no
# feature-perturbation stream.
_base_ = ['./acdc_cpu_consistency.py']
model = dict(consistency=dict(fp=False))
