"""Apply: the casavi publisher (plan -> apply) and the iX-Haus write-back."""
