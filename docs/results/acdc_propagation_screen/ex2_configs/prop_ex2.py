_base_ = ['../../../../configs/ablations/propagation/acdc_cpu_propagation_both.py']
train_dataloader = dict(dataset=dict(exemplar=dict(rule='central', seed=2)))
