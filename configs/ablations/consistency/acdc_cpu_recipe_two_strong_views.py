# The ACDC recipe (elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py) with
# UniMatch's full stage-2 consistency (Yang et al. CVPR 2023): two strong views per
# unlabelled slice plus the feature-perturbation stream, in place of the recipe's
# one strong view. A stage-2 step forwards 8 + 2 x 4 + 4 samples instead of 8 + 4.
# The ablations measured before the recipe took one view build on this file.
_base_ = ['../../elnet/elnet-consistency-relabel_unet-b16_128x128_acdc_cpu.py']
model = dict(consistency=dict(num_strong=2, fp=True))
# the exemplar rule the ablations were measured with (the benchmark's --exemplar-rule
# sets it as well)
train_dataloader = dict(dataset=dict(exemplar=dict(rule='central')))
