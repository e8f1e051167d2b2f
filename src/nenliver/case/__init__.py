"""The case model: one patient and one decision date, as ``nenliver/case@1``."""

from nenliver.case.io import case_from_data, case_json_schema, load_case
from nenliver.case.model import CASE_FORMAT, Case, Lesion

__all__ = ["CASE_FORMAT", "Case", "Lesion", "case_from_data", "case_json_schema", "load_case"]
