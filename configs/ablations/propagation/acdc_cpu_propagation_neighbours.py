# acdc_cpu_propagation_both.py with the neighbouring slices only (ablation row).
_base_ = ['./acdc_cpu_propagation_both.py']
train_dataloader = dict(dataset=dict(propagation=dict(other_frames=False)))
