"""ResultsDB v2.0 compatible service (arrives with the resultsdb issue)."""
