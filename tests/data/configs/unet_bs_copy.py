# The UNet-BS baseline under another file name: the same training (for the
# --reuse-from tests, which match runs by what they train, not by file name).
_base_ = ['../../../configs/baselines/unet_bs_acdc_cpu.py']
