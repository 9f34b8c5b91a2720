"""Pitstop's AWS CDK app: one stack with the table, Lambdas, HTTP API, Fargate bridge and alarms.

Entry point: `app.py` at the repository root (`cdk synth` / `cdk deploy`); the stack is
`infra.stack.PitstopStack`, composed of one small construct per concern.
"""
