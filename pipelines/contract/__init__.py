"""The load contract: every delivery is parsed, validated, split, landed or quarantined, and recorded."""
