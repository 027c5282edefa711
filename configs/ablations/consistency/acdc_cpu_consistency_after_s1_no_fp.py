# Ablation of ELNet + consistency after stage 1 (acdc_cpu_consistency_s2.py): no
# feature-perturbation stream (dropout on the encoder features).
_base_ = ['./acdc_cpu_consistency_s2.py']
model = dict(consistency=dict(fp=False))
