"""FHIR R4 (R4B models) export of a pathway for auditors."""
