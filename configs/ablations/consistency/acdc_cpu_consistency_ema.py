# Ablation of ELNet + consistency (acdc_cpu_consistency.py): the weak view
# predicted by an EMA teacher (momentum 0.99).
_base_ = ['./acdc_cpu_consistency.py']
model = dict(consistency=dict(ema_momentum=0.99))
