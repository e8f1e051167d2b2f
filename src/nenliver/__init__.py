"""nenliver: liver-directed therapy planning for neuroendocrine liver metastases.

Every output of this package is decision *support* for a multidisciplinary tumour board and is
meant for clinician review; see :data:`CLINICIAN_REVIEW_NOTICE`.
"""

from nenliver._version import __version__

CLINICIAN_REVIEW_NOTICE = (
    "For clinician review: decision support for a multidisciplinary tumour board, "
    "not a substitute for clinical judgement."
)

__all__ = ["CLINICIAN_REVIEW_NOTICE", "__version__"]
