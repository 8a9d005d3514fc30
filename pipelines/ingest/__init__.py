"""Reading, checking and landing deliveries: discovery, the checking workers, GX runs, and the landing and quarantine store."""
