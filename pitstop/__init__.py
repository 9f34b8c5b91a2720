"""Pitstop: the shared package (domain models, data layer, tools, configuration).

Imported by the three Lambdas and the media bridge, and bundled into each by the CDK app,
so that a model or a helper exists in exactly one place.
"""
