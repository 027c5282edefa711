# Table 3 "+ESM" / Table 4 row 2 (L_e + λs L_s): exemplar + synthetic samples, one
# stage of max_iters, no PCEM, no pseudo labels.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
model = dict(contrastive_loss=None)
custom_hooks = []
