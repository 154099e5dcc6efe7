"""Pure format tables (datatypes, packings, approximation tables) that the configs, the
golden models and the hardware all read; nothing here imports any of them."""
