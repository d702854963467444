"""Op definitions, one module per family.

`estflow/core/__init__.py` imports every module here, so importing any part of core
registers every op type; this package itself imports nothing, so a module outside it (the
plan, sparse tensors, graph I/O) can import one op module without loading all of them.
"""
