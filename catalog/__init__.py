"""The service catalog as data: item definitions in items/*.yaml, their schema, the
loader that validates them, and the rules that turn an order's form into a spec.

A library: it never imports the portal; what it needs is passed in.
"""
