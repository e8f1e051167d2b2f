"""FHIR R4 adapter: case ↔ Bundle, plan → GuidanceResponse/CarePlan/Provenance, CDS Hooks cards."""
