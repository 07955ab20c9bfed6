"""portal-sync: iX-Haus (+ DocuWare) → casavi, and portal data back to iX-Haus."""

__version__ = "0.1.0"
