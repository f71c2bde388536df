"""Statistics for the focus-area evaluation: did focus institutions improve more?

:mod:`.stats` holds the methods by family; :mod:`.compare` runs them on one topic and metric;
:mod:`.datasets`, :mod:`.periods` and :mod:`.runner` read the warehouse and write the results.
"""
