# acdc_cpu_recipe_propagation.py with the neighbouring slices only (ablation row:
# the exemplar's label carried to its slices +-1..+-2, not to the other frame).
_base_ = ['./acdc_cpu_recipe_propagation.py']
train_dataloader = dict(dataset=dict(propagation=dict(other_frames=False)))
