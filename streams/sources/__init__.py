"""Event sources that produce contract-v1 events: PBX adapters and replays of recorded data.

Each source module keeps its conversion pure (text or rows in, event dicts out) and sends its
output through :mod:`streams.sink`, to Kafka or to a JSON Lines file.
"""
