# Table 3 "+ESM+PCEM_S1" / Table 4 row 3 (L_e + λs L_s + λc L_c): the stage-1 network
# N_s trained for max_iters, without pseudo labels.
_base_ = ['../../elnet/elnet_unet-b16_128x128_acdc_cpu.py']
custom_hooks = []
