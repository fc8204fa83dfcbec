"""Event sources: the simulator, recorded-file replay, the Asterisk queue_log and the
Anonymous Bank data set. Each turns its input into contract-v1 events and hands them to a
sink (Kafka or JSON Lines)."""
