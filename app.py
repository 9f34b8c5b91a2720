"""CDK entry point (`cdk synth` / `cdk deploy` run it via cdk.json; `python app.py` synthesises).

Settings come from context: cdk.json holds the defaults, `-c key=value` overrides them (see
infra/config.py). cdk-nag's AwsSolutions pack checks every synth and fails it on any
unacknowledged error. Add `-c skip_bundling=true` to synthesise without building the Lambda
bundles (no pip, no network).
"""

from infra.app import build_app

if __name__ == "__main__":
    build_app()[0].synth()
