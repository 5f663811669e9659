"""Workshop mode: an instructor plans, rehearses, runs, watches and sweeps the lab of a whole class.

- :mod:`.attendees` reads the attendee list; :mod:`.naming` makes lab ids and pool names; :mod:`.quota` checks the
  class's vCPUs; :mod:`.plan` writes the workshop folder (:mod:`.roster`) with each attendee's settings file.
- :mod:`.run` runs every attendee's lab (``labkit run``) a few at a time, shown by :mod:`.progress`, reported by
  :mod:`.report` (GPU VM-minutes and cost from each lab's summary).
- :mod:`.inventory` finds what each attendee's lab holds (the ledger) for ``status``, and sweeps it for ``cleanup``.
- :mod:`.cli` is ``labkit workshop``.
"""
