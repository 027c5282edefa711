# The best ELNet CPU config (systole synthesis, PCEM in stage 2) + the exemplar
# stream jittered in scale and intensity like ESM's organs (SegScaleIntensity,
# half the exemplar samples). With the code fixes of the same change (exact
# nearest label resize, unsure pseudo-label pixels inpainted in backgrounds, CE
# averaged over labelled pixels), this row shows the recipe fixes together.
_base_ = ['./acdc_cpu_systole_pcem_s2.py']
train_dataloader = dict(dataset=dict(
    exemplar_pipeline=[dict(type='SegScaleIntensity', prob=0.5)]))
