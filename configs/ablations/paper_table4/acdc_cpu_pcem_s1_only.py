# Table 4 row 6: L_c only in stage 1 (L_c^{e+s}), not in stage 2.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
model = dict(pcem_stages=(1, ))
