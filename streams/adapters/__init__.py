"""Event sources: the simulator, recorded-file replay, the Asterisk queue_log and the
Anonymous Bank data set. Each turns its input into contract-v1 events and hands them to a
sink (Kafka or JSON Lines).

Each source is a subpackage. Its pure rooms (parsing, conversion, simulation) come first, and
its ``run`` module is the command's work. That module takes a small frozen options object
(``SimulateOptions``, ``ReplayOptions``, ``AsteriskOptions``, ``BankOptions``) rather than
argparse's Namespace, and it is the only one that opens a sink. The flags live in
``wallboard.commands``."""
