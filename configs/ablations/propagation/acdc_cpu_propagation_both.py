# The ACDC recipe with UniMatch's stage 2 (acdc_cpu_recipe_two_strong_views.py) + exemplar
# propagation: before training, the exemplar's label is carried by deformable
# registration (images only) to its neighbouring slices +-1..+-2 (chained) and to
# the same slice of the patient's other frame (ED <-> ES). The propagated slices
# are pseudo-labelled samples of the unlabelled stream (lambda_u), one slot per
# stream pattern in both stages, drawn by their registration confidence, and the
# organ source of half the synthetic samples (docs/design.md, "Exemplar
# propagation"). Rules fixed before any measurement.
_base_ = ['../consistency/acdc_cpu_recipe_two_strong_views.py',
          '../../_base_/datasets/exemplar_propagation.py']
train_dataloader = dict(dataset=dict(propagation={{_base_.propagation}}))
