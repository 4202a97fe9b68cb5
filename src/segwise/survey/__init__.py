"""Survey answers: the codebook, the answer table, reliability and the words for a profile.

A needs-based segmentation (``method: survey``) reads a ``responses`` source
(one row per respondent and question) and, optionally, a codebook that says
which questions measure which construct, which are reverse-worded, and how to
describe a high or a low score. The segmenter itself is
:class:`~segwise.segmenters.SurveySegmenter`.
"""

from __future__ import annotations

from segwise.survey.answers import AnswerTable, answer_table
from segwise.survey.codebook import Codebook, Construct, Question
from segwise.survey.reliability import FactorSummary, cronbach_alpha, explore_factors

__all__ = [
    "AnswerTable",
    "Codebook",
    "Construct",
    "FactorSummary",
    "Question",
    "answer_table",
    "cronbach_alpha",
    "explore_factors",
]
