"""The built-in unit kinds, one file each (see accelgen/unit.py for the contract)."""
