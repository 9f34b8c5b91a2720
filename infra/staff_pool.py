"""The staff's sign-in: a Cognito user pool the stack creates, invitation only.

Groups `owners` (may change settings) and `advisors`. The console signs in with
USER_PASSWORD_AUTH against a public app client (a browser cannot keep a secret).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra import constants as c
from infra import nag


class StaffPool(Construct):
    """The staff's accounts: invitation only, strong passwords, threat protection enforced."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            user_pool_name="pitstop-staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your Pitstop console account",
                email_body=(
                    "You have been invited to the Pitstop console. Sign in as {username} with "
                    "the temporary password {####} and choose your own."
                ),
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # Compromised-credential and adaptive-risk checks (cdk-nag COG3): the Plus plan.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for group in c.STAFF_GROUPS:
            cognito.UserPoolGroup(self, f"Group-{group}", user_pool=self.pool, group_name=group)
        self.client = self.pool.add_client(
            "Console",
            auth_flows=cognito.AuthFlow(user_password=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(8),
            id_token_validity=Duration.hours(8),
            refresh_token_validity=Duration.hours(12),
        )
        nag.acknowledge(
            self.pool,
            {
                "AwsSolutions-COG2": (
                    "The console signs in with USER_PASSWORD_AUTH from plain browser code that "
                    "answers no MFA challenge; accounts are invitation-only, passwords are 12+ "
                    "characters of four classes and threat protection blocks risky sign-ins."
                )
            },
        )

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{Aws.REGION}.amazonaws.com/{self.pool.user_pool_id}"
