from .consistency_encoder_decoder import ConsistencyEncoderDecoder
from .exemplar_encoder_decoder import ExemplarEncoderDecoder
from .mean_teacher_encoder_decoder import MeanTeacherEncoderDecoder

__all__ = ['ConsistencyEncoderDecoder', 'ExemplarEncoderDecoder',
           'MeanTeacherEncoderDecoder']
