# UniMatch-BS adapted to one labelled slice (docs/unimatch_investigation.md): the
# same baseline with two changes, each against one way it collapsed with one
# labelled slice. (1) BatchNorm statistics from the exemplar only
# (bn_stats='labeled'): unlabelled slices in the BN batches degraded even the
# supervised training, as for MLDS. (2) A supervised warm-up over the first half of
# the schedule (start_iter=0.5, a share of max_iters): consistency from the first
# step learns the confident errors of an untrained network.
_base_ = ['./unimatch_bs_acdc_cpu.py']
model = dict(bn_stats='labeled', consistency=dict(start_iter=0.5))
