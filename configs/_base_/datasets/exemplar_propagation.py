# Exemplar propagation's settings, fixed before any measurement (docs/design.md,
# "Exemplar propagation"): the exemplar's label carried by registration to its
# neighbours +-1..+-2 (chained) and, where the dataset has them, to the same slice
# of the patient's other frames; a slice's confidence falls to 0 as the folded share
# of its field reaches max_folding; one slot per stream pattern in both stages; half
# the ESM sources.
# A leaf sets `train_dataloader = dict(dataset=dict(propagation={{_base_.propagation}}))`.
propagation = dict(neighbours=2, other_frames=True, max_folding=0.02,
                   ratios=dict(stage1=1, stage2=1), esm_prob=0.5)
# the same without other frames (datasets with one frame per patient: CHAOS)
propagation_neighbours = dict(propagation, other_frames=False)
