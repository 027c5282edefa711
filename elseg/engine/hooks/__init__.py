from .eval_progress_bar_hook import EvalProgressBarHook

from .exemplar_two_stage_hook import ExemplarTwoStageHook
from .mean_teacher_hook import MLDSMeanTeacherHook
__all__ = ['ExemplarTwoStageHook', 'EvalProgressBarHook', 'MLDSMeanTeacherHook']
