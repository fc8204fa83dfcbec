"""The composition root: the ``wallboard`` console script, its root parser, the argument
types every command shares, and the settings file assembled from each package's section.

It imports every package and none imports it (see docs/architecture.md).
"""
