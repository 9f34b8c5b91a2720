"""Local-only code: the embedded stack (moto DynamoDB, HTTP adapter, offline engine, simulator).

Never bundled into a Lambda or the container.
"""
