# Beyond the paper, over ELNet + systole synthesis + PCEM in stage 2
# (../systole/acdc_cpu_systole_pcem_s2.py): pseudo-label pixels whose N_s confidence
# (max softmax probability) is below 0.8 are ignored in stage 2. 0.8 is fixed from
# the unlabelled slices alone (no val label; docs/results/README.md). Stage 1 is
# unchanged (`tools/benchmark.py --share-stage1`).
_base_ = ['../systole/acdc_cpu_systole_pcem_s2.py']
train_dataloader = dict(dataset=dict(min_confidence=0.8))
