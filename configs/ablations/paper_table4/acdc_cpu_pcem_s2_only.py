# Table 4 row 5: L_c only in stage 2 (L_c^{e+s+u}), not in stage 1.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
model = dict(pcem_stages=(2, ))
