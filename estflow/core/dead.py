"""`DEAD`, the value on the untaken side of a Switch: a leaf of core.

The control-flow kernels (Switch, Merge) produce and test it and the plan's executor skips
ops fed one; both import it from here, so neither needs the other.
"""


class _Dead:
    """The value on the untaken side of a Switch; ops fed a dead value are dead too."""

    __slots__ = ()

    def __repr__(self):
        return "<dead>"


DEAD = _Dead()
