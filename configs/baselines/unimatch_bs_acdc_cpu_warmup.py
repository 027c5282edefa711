# UniMatch-BS adapted to one labelled slice (docs/unimatch_investigation.md): the
# same baseline with two changes, each against one way it collapsed on exemplar 1.
# (1) BatchNorm statistics from the exemplar only (bn_stats='labeled'): unlabelled
#     slices in the BN batches alone took supervised training from UNet-BS's 0.234
#     to 0.047 by iteration 500, as for MLDS. (2) A supervised warm-up over the first
#     half of the schedule (start_iter = 2000 of 4000; the benchmark's --iters
#     scales it): consistency from the first step, with exemplar-only BN, fell to
#     0.010 by iteration 500 (the confident errors of an untrained network).
_base_ = ['./unimatch_bs_acdc_cpu.py']
model = dict(bn_stats='labeled', consistency=dict(start_iter=2000))
