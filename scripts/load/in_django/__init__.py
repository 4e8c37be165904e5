"""Scripts run inside a Django-configured interpreter by `load.django_env.django_python`.

They are read as text and run with `python -c` (Django set up first), in the
environment of the server under test: they see its database and MEDIA_ROOT.
"""
