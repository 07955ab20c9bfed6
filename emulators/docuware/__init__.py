"""The DocuWare Platform API emulator (spec/docuware-api.md)."""
