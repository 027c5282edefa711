# Ablation of ELNet + consistency (acdc_cpu_consistency.py): consistency only
# after stage 1 (stage 2 continues from N_s with its fixed pseudo labels) with the
# weak view predicted by an EMA teacher (momentum 0.99) initialised from N_s.
_base_ = ['./acdc_cpu_consistency_after_s1.py']
model = dict(consistency=dict(ema_momentum=0.99))
