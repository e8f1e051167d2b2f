"""Allowed values of the categorical fields of the case format ``nenliver/case@1``."""

from __future__ import annotations

from typing import Literal

Sex = Literal["female", "male", "other"]
PrimarySite = Literal[
    "small_intestine",
    "pancreas",
    "stomach",
    "duodenum",
    "appendix",
    "colon",
    "rectum",
    "lung",
    "unknown",
    "other",
]
Differentiation = Literal["well", "poor"]
Grade = Literal["G1", "G2", "G3"]
FunctioningSyndrome = Literal["none", "carcinoid_syndrome", "insulinoma", "other_hormonal"]
SsaStatus = Literal["naive", "responding", "progressing", "symptomatic_despite_ssa"]
DiseaseCourse = Literal["stable", "progressive"]
Distribution = Literal["unilobar_right", "unilobar_left", "bilobar"]
Segment = Literal["I", "II", "III", "IV", "IVa", "IVb", "V", "VI", "VII", "VIII"]
Visibility = Literal["us", "ct", "ce_ct", "mri", "pet"]
PerfusedTerritory = Literal["whole_liver", "right_lobe", "left_lobe", "segmental"]
PriorTreatmentKind = Literal[
    "resection",
    "ablation",
    "tae",
    "tace",
    "sirt",
    "prrt",
    "ssa",
    "chemotherapy",
    "everolimus",
    "sunitinib",
    "external_beam_radiotherapy",
    "liver_transplant",
    "other",
]
