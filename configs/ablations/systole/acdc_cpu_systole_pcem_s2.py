# ELNet CPU + systole synthesis (acdc_cpu_systole.py) with PCEM in stage 2 only:
# the combination the CPU Table 4 points to (docs/results/, Table 4 on real ACDC: L_c in
# stage 1 cost 0.06-0.08 mean DSC over 3 exemplars, L_c in stage 2 was neutral).
_base_ = ['./acdc_cpu_systole.py']
model = dict(pcem_stages=(2, ))
