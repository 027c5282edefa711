# Ablation of ELNet + consistency after stage 1 (acdc_cpu_consistency_s2.py):
# confidence threshold off (every weak-view pixel supervises the strong views).
_base_ = ['./acdc_cpu_consistency_s2.py']
model = dict(consistency=dict(conf_thresh=0.0))
