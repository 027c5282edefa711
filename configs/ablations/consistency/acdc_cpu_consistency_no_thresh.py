# Ablation of ELNet + consistency (acdc_cpu_consistency.py): confidence
# threshold off (every weak-view pixel supervises).
_base_ = ['./acdc_cpu_consistency.py']
model = dict(consistency=dict(conf_thresh=0.0))
