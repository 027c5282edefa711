# acdc_cpu_recipe_propagation.py with the other frame only (ablation row: the
# exemplar's label carried to the same slice of the patient's other frame, ED <-> ES).
_base_ = ['./acdc_cpu_recipe_propagation.py']
train_dataloader = dict(dataset=dict(propagation=dict(neighbours=0)))
