"""libtaskotron's API for check code, as Checkline provides it: ``libtaskotron.check`` and
``libtaskotron.exceptions`` (the implementation is shared with ``checkb``: ``_checkline_taskapi``).
"""
