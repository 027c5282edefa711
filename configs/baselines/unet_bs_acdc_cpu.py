# UNet "BS" baseline (Tables 1, 3): mmseg's UNet (Ronneberger et al. 2015) trained on
# the exemplar alone with the paper's random rotation and flipping; same data,
# schedule and budget as elnet/acdc_cpu.py (base 16, 128x128, 4000 iterations).
_base_ = ['../elnet/ablations/acdc_cpu_bs.py']
model = dict(type='ExemplarEncoderDecoder')  # = EncoderDecoder on one stream
