"""The ``pmkv`` command line: a thin skin over the library.

Each module here owns the commands of one component and exposes
``register(group)``; commands parse arguments, call one library function and
render its result with rich. Libraries never print.
"""
