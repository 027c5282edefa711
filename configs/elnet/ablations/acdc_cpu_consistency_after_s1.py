# Ablation row "consistency only after stage 1" of ELNet + consistency
# (acdc_cpu_consistency.py): the same merged config as the recommended
# acdc_cpu_consistency_s2.py, under the name its benchmark row was measured with.
_base_ = ['../acdc_cpu_consistency_s2.py']
