"""checkb's API for check code (libtaskotron's later name), as Checkline provides it:
``checkb.check`` and ``checkb.exceptions`` (the implementation is shared with ``libtaskotron``:
``_checkline_taskapi``).
"""
