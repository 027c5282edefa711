# chaos_cpu_propagation_neighbours.py with the ACDC recipe's one-view stage 2
# (../consistency/chaos_cpu_recipe_one_strong_view.py): the CHAOS recipe, one strong
# view, exemplar propagation to the neighbouring slices +-1..+-2.
_base_ = ['../consistency/chaos_cpu_recipe_one_strong_view.py',
          '../../_base_/datasets/exemplar_propagation.py']
train_dataloader = dict(dataset=dict(
    propagation={{_base_.propagation_neighbours}}))
