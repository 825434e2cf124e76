"""
The SuperTokens backend config shared by the auth Lambda (auth.py) and the Lambda authorizer
(authorizer.py): the Python half of the seeds, in the shape of SuperTokens' "AWS Lambda" guide
(a `config` module with `supertokens_config`, `app_info`, `framework`, `recipe_list`).

As in the guide: framework "fastapi" (the functions are FastAPI apps behind Mangum),
`api_gateway_path="/dev"` (the HTTP API's stage), and the "Using JWT authorizers" guide's
`create_new_session` override that adds `aud: "jwtAuthorizers"`.

What differs from the guide, and why (the same points as ../seeds/config.ts):
  - `app_name` is set (init refuses to start without it);
  - connection URI and domains come from the function's environment (portcullis.yaml
    `environment:`), as a Lambda's would;
  - e-mails are printed to the log, one greppable line each, instead of being sent;
  - `expose_access_token_to_frontend_in_cookie_based_auth=True`, so a client can send the access
    token as `Authorization: Bearer …` to the JWT authorizer of scenario 1.
  - FIXED: with the `aud` claim the override adds, supertokens-python (0.31.x) rejects its own access
    tokens: it verifies them with PyJWT's `jwt.decode` without an `audience`, and PyJWT then raises
    InvalidAudienceError for any token that has `aud`, which the SDK reports as "try refresh token"
    (every session check fails, on AWS as here). `allow_aud_in_access_tokens()` below makes the SDK's
    own check skip `aud`; the JWT authorizer at the gateway still requires `aud: jwtAuthorizers`.
"""
import os
import sys
from typing import Any, Dict

from supertokens_python import InputAppInfo, SupertokensConfig
from supertokens_python.ingredients.emaildelivery.types import EmailDeliveryConfig, EmailDeliveryInterface
from supertokens_python.recipe import emailpassword, emailverification, session, userroles
from supertokens_python.recipe.session.interfaces import RecipeInterface


def allow_aud_in_access_tokens() -> None:
    """FIXED (see the module comment): PyJWT checks `aud` only when asked to, in the SDK's own decode."""
    import jwt as pyjwt
    from supertokens_python.recipe.session import access_token

    class _JwtWithoutAudienceCheck:
        def __getattr__(self, name: str) -> Any:
            return getattr(pyjwt, name)

        @staticmethod
        def decode(token: str, key: Any = None, algorithms: Any = None, options: Any = None, **kwargs: Any) -> Any:
            return pyjwt.decode(token, key, algorithms=algorithms, options={**(options or {}), "verify_aud": False}, **kwargs)

    access_token.jwt = _JwtWithoutAudienceCheck()  # type: ignore[attr-defined]


allow_aud_in_access_tokens()


def log_email(kind: str, email: str, link: str) -> None:
    # One line on stdout (Portcullis tags it with the function name and request id).
    print(f"[seeds] e-mail {kind} link for {email}: {link}", file=sys.stdout, flush=True)


class LogVerificationEmail(EmailDeliveryInterface[emailverification.EmailTemplateVars]):
    async def send_email(self, template_vars: emailverification.EmailTemplateVars, user_context: Dict[str, Any]) -> None:
        log_email("verification", template_vars.user.email, template_vars.email_verify_link)


class LogPasswordResetEmail(EmailDeliveryInterface[emailpassword.EmailTemplateVars]):
    async def send_email(self, template_vars: emailpassword.EmailTemplateVars, user_context: Dict[str, Any]) -> None:
        log_email("password reset", template_vars.user.email, template_vars.password_reset_link)


def override_session_functions(original_implementation: RecipeInterface) -> RecipeInterface:
    original_create_new_session = original_implementation.create_new_session

    async def create_new_session(user_id, recipe_user_id, access_token_payload, session_data_in_database, disable_anti_csrf, tenant_id, user_context):
        # AWS requires JWTs to carry an audience (aud) claim: the value the JWT authorizer is configured with.
        access_token_payload = {**(access_token_payload or {}), "aud": "jwtAuthorizers"}
        return await original_create_new_session(user_id, recipe_user_id, access_token_payload, session_data_in_database, disable_anti_csrf, tenant_id, user_context)

    original_implementation.create_new_session = create_new_session
    return original_implementation


supertokens_config = SupertokensConfig(connection_uri=os.environ.get("SUPERTOKENS_CONNECTION_URI", "http://127.0.0.1:3567"))

app_info = InputAppInfo(
    app_name="Portcullis seeds",  # FIXED: missing in the guide's sample
    api_domain=os.environ.get("SEEDS_API_DOMAIN", "http://localhost:3000"),
    website_domain=os.environ.get("SEEDS_WEBSITE_DOMAIN", "http://localhost:3001"),
    api_base_path="/auth",
    website_base_path="/auth",
    api_gateway_path="/dev",
)

framework = "fastapi"

recipe_list = [
    emailpassword.init(email_delivery=EmailDeliveryConfig(service=LogPasswordResetEmail())),
    emailverification.init(mode="REQUIRED", email_delivery=EmailDeliveryConfig(service=LogVerificationEmail())),
    userroles.init(),
    session.init(
        expose_access_token_to_frontend_in_cookie_based_auth=True,
        override=session.SessionOverrideConfig(functions=override_session_functions),
    ),
]
