"""The casavi API emulator (spec/casavi-api.md)."""
