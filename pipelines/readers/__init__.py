"""Readers turn one delivered file into a normalised Arrow table; they never touch the warehouse."""
