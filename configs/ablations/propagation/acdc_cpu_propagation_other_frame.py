# acdc_cpu_propagation_both.py with the other frame only (ablation row).
_base_ = ['./acdc_cpu_propagation_both.py']
train_dataloader = dict(dataset=dict(propagation=dict(neighbours=0)))
