# Ablation of ELNet + consistency after stage 1 (acdc_cpu_consistency_s2.py): the
# weak view predicted by an EMA teacher (momentum 0.99) initialised from N_s.
_base_ = ['./acdc_cpu_consistency_s2.py']
model = dict(consistency=dict(ema_momentum=0.99))
