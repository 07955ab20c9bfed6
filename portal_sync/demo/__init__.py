"""The demo iX-Haus world: a SQLite database with exactly the contract's tables, filled
with realistic German data, plus the DocuWare emulator's documents (`portal-sync demo`)."""
