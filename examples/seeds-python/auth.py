"""
The auth Lambda (`ANY /dev/auth/{proxy+}` of the HTTP API): SuperTokens' routes (sign-up, sign-in,
refresh, sign-out, e-mail verification, the JWKS and OpenID discovery of scenario 1's issuer) served
by supertokens-python's FastAPI middleware, behind Mangum, as in SuperTokens' "AWS Lambda" guide.
CORS is the HTTP API's (portcullis.yaml `cors:`), which replaces a Lambda's own CORS headers.

FIXED: `Mangum(app, api_gateway_base_path="/dev")` (the guide: `Mangum(app)`). The guide's API is a
REST API, whose proxy event `path` has no stage; here the auth route is on the HTTP API, whose
payload 2.0 path starts with the stage (`/dev/auth/signup`). supertokens-python prepends
`api_gateway_path` itself, so Mangum must strip the stage or every route is a 404.
"""
from fastapi import FastAPI
from mangum import Mangum
from supertokens_python import init
from supertokens_python.framework.fastapi import get_middleware

import config

init(
    supertokens_config=config.supertokens_config,
    app_info=config.app_info,
    framework=config.framework,
    recipe_list=config.recipe_list,
    mode="asgi",
)

app = FastAPI(title="Portcullis seeds: auth")
app.add_middleware(get_middleware())

handler = Mangum(app, lifespan="off", api_gateway_base_path="/dev")
